// Walking the keyspace with SCAN for --scan, --bigkeys, --memkeys and --hotkeys, with
// redis-cli's messages when it goes wrong ("SCAN error: ...", "Non ARRAY response from
// SCAN!", "Invalid element count from SCAN!", "\nI/O error\n"), each ending the process
// with status 1. MATCH is sent with --pattern, COUNT only with --count (redis-cli 7.2's
// option; 7.0.15 always uses the server's default count).
import Glibc

struct KeyspaceScan {
    let connection: CLIConnection
    let pattern: [UInt8]?
    let count: Int32?
    private(set) var cursor: UInt64 = 0
    private(set) var isFinished = false

    init(_ connection: CLIConnection, pattern: [UInt8]?, count: Int32?) {
        self.connection = connection
        self.pattern = pattern
        self.count = count
    }

    /// The keys of the next SCAN call; sets `isFinished` when the cursor is back at 0.
    mutating func next() -> [[UInt8]] {
        var command: [[UInt8]] = [Array("SCAN".utf8), Array(String(cursor).utf8)]
        if let pattern { command += [Array("MATCH".utf8), pattern] }
        if let count { command += [Array("COUNT".utf8), Array(String(count).utf8)] }
        let reply = Self.call(connection, command)
        guard case .aggregate(.array, let elements) = reply else {
            if case .error(let text) = reply {
                CLIOutput.error(Array("SCAN error: ".utf8) + text.cString + [0x0A])
            } else {
                CLIOutput.error("Non ARRAY response from SCAN!\n")
            }
            CLIOutput.exit(1)
        }
        guard elements.count == 2, case .string(let next) = elements[0], case .aggregate(_, let keys) = elements[1]
        else {
            CLIOutput.error("Invalid element count from SCAN!\n")
            CLIOutput.exit(1)
        }
        cursor = strtoull(String(decoding: next.cString, as: UTF8.self), nil, 10)
        isFinished = cursor == 0
        return keys.compactMap { key in
            if case .string(let name) = key { return name }
            return nil
        }
    }

    /// DBSIZE, as the tools read it before scanning.
    static func databaseSize(_ connection: CLIConnection) -> Int64 {
        switch call(connection, [Array("DBSIZE".utf8)]) {
        case .integer(let size):
            return size
        case .error(let text):
            CLIOutput.error(Array("Couldn't determine DBSIZE: ".utf8) + text.cString + [0x0A])
            CLIOutput.exit(1)
        default:
            CLIOutput.error("Non INTEGER response from DBSIZE!\n")
            CLIOutput.exit(1)
        }
    }

    /// One command and its reply; "\nI/O error" and exit 1 when the connection fails.
    static func call(_ connection: CLIConnection, _ command: [[UInt8]]) -> CLIReply {
        do {
            try connection.send(command)
            return try connection.readReply()
        } catch {
            CLIOutput.error("\nI/O error\n")
            CLIOutput.exit(1)
        }
    }
}
