// `--replica` (or `--slave`): connects as a replica and prints what the master sends
// to its replicas, one command per line in CSV, as redis-cli 7.0.15 does: REPLCONF capa
// eof and rdb-filter-only "" (no keys wanted; an error is only reported), SYNC, the
// snapshot read and dropped, then the command stream until the connection ends
// ("Error: ..." and status 1). After a diskless snapshot redis-cli sends REPLCONF ACK 0
// and waits for an answer that never comes, swallowing the first command of the
// stream as that answer; here the ACK is sent without waiting.
import Glibc

enum ReplicaMode {
    static func run(_ connection: CLIConnection, _ options: CLIOptions) -> Never {
        var stream = ReplicationStream(connection)
        stream.configure("capa", "eof")
        stream.configure("rdb-filter-only", "")
        let size = stream.sync()
        switch size {
        case .endMark:
            CLIOutput.error("SYNC with master, discarding bytes of bulk transfer until EOF marker...\n")
        case .bytes(let count):
            CLIOutput.error("SYNC with master, discarding \(count) bytes of bulk transfer...\n")
        }
        let received = stream.readPayload(size, chunkSize: 1024, readError: "Error reading RDB payload while SYNCing\n") {
            _ in true
        }
        if case .endMark = size {
            CLIOutput.error("SYNC done after \(received) bytes. Logging commands from master.\n")
            // Let the master see the replica online before acknowledging.
            sleep(1)
            CLIOutput.error("sending REPLCONF ACK 0\n")
            try? connection.send([Array("REPLCONF".utf8), Array("ACK".utf8), Array("0".utf8)])
        } else {
            CLIOutput.error("SYNC done. Logging commands from master.\n")
        }
        var csv = options
        csv.output = .csv
        while true {
            do {
                let reply = try connection.readReply(returnPushes: true)
                CLIOutput.write(ReplyFormatter.format(reply, csv))
                CLIOutput.flush()
            } catch {
                CLIOutput.error("Error: \(error.message)\n")
                CLIOutput.exit(1)
            }
        }
    }
}
