// The replica side of the replication handshake that --rdb, --functions-rdb and
// --replica share, as redis-cli 7.0.15 speaks it: REPLCONF lines announced on stderr
// ("sending REPLCONF capa eof"), an error answer reported but not fatal (older servers
// lack some options), then SYNC and its payload header read byte by byte: "$<length>"
// or, for a diskless transfer, "$EOF:<40-byte mark>", with the newlines a master sends
// while it prepares the snapshot skipped.
import Glibc

struct ReplicationStream {
    /// How the snapshot's end is known.
    enum PayloadSize {
        case bytes(UInt64)
        /// The snapshot ends with these 40 bytes.
        case endMark([UInt8])
    }

    static let endMarkLength = 40

    let connection: CLIConnection
    /// Bytes already read from the socket and not consumed yet.
    private var pending: [UInt8] = []

    init(_ connection: CLIConnection) {
        self.connection = connection
    }

    /// `REPLCONF <option> <value>`; false when the server answered an error.
    @discardableResult
    func configure(_ option: String, _ value: String) -> Bool {
        CLIOutput.error("sending REPLCONF \(option) \(value)\n")
        let reply: CLIReply
        do {
            try connection.send([Array("REPLCONF".utf8), Array(option.utf8), Array(value.utf8)])
            reply = try connection.readReply()
        } catch {
            CLIOutput.error("\nI/O error\n")
            CLIOutput.exit(1)
        }
        if case .error(let text) = reply {
            CLIOutput.error(Array("REPLCONF \(option) error: ".utf8) + text.cString + [0x0A])
            return false
        }
        return true
    }

    /// Sends SYNC and reads the payload header.
    mutating func sync() -> PayloadSize {
        do {
            try connection.transport.write(Array("SYNC\r\n".utf8))
        } catch {
            CLIOutput.error("Error writing to master\n")
            CLIOutput.exit(1)
        }
        pending = connection.takeBufferedBytes()
        var line: [UInt8] = []
        while true {
            guard let byte = readByte() else {
                CLIOutput.error("Error reading bulk length while SYNCing\n")
                CLIOutput.exit(1)
            }
            if byte == 0x0A {
                if line.isEmpty { continue }  // a keep-alive newline
                break
            }
            line.append(byte)
        }
        if line.first == UInt8(ascii: "-") {
            CLIOutput.error(Array("SYNC with master failed: ".utf8) + line + [0x0A])
            CLIOutput.exit(1)
        }
        let body = line.dropFirst()
        if body.starts(with: Array("EOF:".utf8)) && body.count - 4 >= Self.endMarkLength {
            let mark = body.dropFirst(4).prefix(Self.endMarkLength)
            return .endMark(Array(mark))
        }
        return .bytes(strtoull(String(decoding: body, as: UTF8.self), nil, 10))
    }

    /// Reads the snapshot `size` announced, `chunkSize` bytes at a time, handing each chunk
    /// to `onChunk` until the length is read, the end mark seen, or `onChunk` returns
    /// false; exits with `readError` when the stream ends first. Returns the bytes read
    /// (a diskless snapshot's end mark included).
    @discardableResult
    mutating func readPayload(
        _ size: PayloadSize, chunkSize: Int, readError: String, onChunk: ([UInt8]) -> Bool
    ) -> UInt64 {
        var remaining = UInt64.max
        var mark: [UInt8] = []
        switch size {
        case .bytes(let count): remaining = count
        case .endMark(let bytes): mark = bytes
        }
        var tail = TrailingBytes(length: Self.endMarkLength)
        var received: UInt64 = 0
        while remaining > 0 {
            guard let chunk = read(upTo: Int(min(remaining, UInt64(chunkSize)))) else {
                CLIOutput.error(readError)
                CLIOutput.exit(1)
            }
            remaining -= UInt64(chunk.count)
            received += UInt64(chunk.count)
            if !onChunk(chunk) { break }
            if !mark.isEmpty {
                tail.append(chunk)
                if tail.endsWith(mark) { break }
            }
        }
        return received
    }

    /// Up to `limit` bytes of the stream (at least one; nil when it ended or failed).
    mutating func read(upTo limit: Int) -> [UInt8]? {
        if !pending.isEmpty {
            let chunk = Array(pending.prefix(limit))
            pending.removeFirst(chunk.count)
            return chunk
        }
        var buffer = [UInt8](repeating: 0, count: max(1, min(limit, 16384)))
        let count: Int
        do {
            count = try connection.transport.read(into: &buffer)
        } catch {
            return nil
        }
        return count > 0 ? Array(buffer[0..<count]) : nil
    }

    private mutating func readByte() -> UInt8? {
        read(upTo: 1)?.first
    }
}

/// The last bytes of a stream seen so far, to spot a diskless snapshot's end mark.
struct TrailingBytes {
    private(set) var bytes: [UInt8] = []
    let length: Int

    init(length: Int) {
        self.length = length
    }

    mutating func append(_ chunk: [UInt8]) {
        bytes.append(contentsOf: chunk)
        if bytes.count > length { bytes.removeFirst(bytes.count - length) }
    }

    func endsWith(_ mark: [UInt8]) -> Bool { bytes == mark }
}
