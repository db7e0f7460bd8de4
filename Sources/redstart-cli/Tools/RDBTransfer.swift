// `--rdb <file>` and `--functions-rdb <file>`: fetches a snapshot through the
// replication protocol (REPLCONF capa eof, REPLCONF rdb-only 1, SYNC) and writes it to
// <file> ("-" for standard output), with redis-cli 7.0.15's messages on stderr. With an
// end mark (a diskless transfer) the mark is not written: the file is truncated to the
// snapshot's length. The file is fsynced before the exit.
// --functions-rdb asks the server to leave the keys out (REPLCONF rdb-filter-only
// functions); a server that cannot (Redis before 7.0, which has no functions) makes it
// give up, as redis-cli does.
import Glibc

enum RDBTransfer {
    static func run(_ connection: CLIConnection, _ options: CLIOptions) -> Never {
        let path = options.tools.rdbFile ?? "-"
        var stream = ReplicationStream(connection)
        stream.configure("capa", "eof")
        stream.configure("rdb-only", "1")
        if options.tools.functionsOnly && !stream.configure("rdb-filter-only", "functions") {
            CLIOutput.error("Failed requesting functions only RDB from server, aborting\n")
            CLIOutput.exit(1)
        }
        let size = stream.sync()
        switch size {
        case .endMark:
            CLIOutput.error("SYNC sent to master, writing bytes of bulk transfer until EOF marker to '\(path)'\n")
        case .bytes(let count):
            CLIOutput.error("SYNC sent to master, writing \(count) bytes to '\(path)'\n")
        }

        let toStandardOutput = path == "-"
        let descriptor = toStandardOutput ? STDOUT_FILENO : open(path, O_CREAT | O_WRONLY, 0o644)
        guard descriptor != -1 else {
            CLIOutput.error("Error opening '\(path)': \(String(cString: strerror(errno)))\n")
            CLIOutput.exit(1)
        }
        let received = stream.readPayload(
            size, chunkSize: 4096, readError: "I/O Error reading RDB payload from socket\n"
        ) { chunk in
            write(chunk, to: descriptor)
            return true
        }
        if case .endMark(let mark) = size {
            let length = received - UInt64(mark.count)
            if !toStandardOutput && ftruncate(descriptor, off_t(length)) == -1 {
                CLIOutput.error("ftruncate failed: \(String(cString: strerror(errno))).\n")
            }
            CLIOutput.error("Transfer finished with success after \(length) bytes\n")
        } else {
            CLIOutput.error("Transfer finished with success.\n")
        }
        // Close the connection first, as fsync may take time.
        connection.close()
        if !toStandardOutput && fsync(descriptor) == -1 {
            CLIOutput.error("Fail to fsync '\(path)': \(String(cString: strerror(errno)))\n")
            CLIOutput.exit(1)
        }
        close(descriptor)
        CLIOutput.exit(0)
    }

    private static func write(_ bytes: [UInt8], to descriptor: Int32) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                CLIOutput.error(
                    "Error writing data to file: \(count == -1 ? String(cString: strerror(errno)) : "short write")\n"
                )
                CLIOutput.exit(1)
            }
            offset += count
        }
    }
}
