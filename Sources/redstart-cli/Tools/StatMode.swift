// `--stat [-i seconds]`: every interval (default 1 s) one line of INFO figures, under a
// header repeated every 20 lines, in redis-cli 7.0.15's columns: keys (db0..db19
// summed), used memory (B/K/M/G), clients, blocked clients, commands processed (and
// the increase since the line before), connections received, and what is running in
// the background (SAVE, AOF, SAVE+AOF, LOAD). Fields are found as redis-cli finds them,
// by the first occurrence of their name in the INFO text (so "bgsave_in_progress" is
// rdb_bgsave_in_progress).
import Glibc

enum StatMode {
    static func run(_ connection: CLIConnection, _ options: CLIOptions) -> Never {
        let interval = options.intervalMicroseconds != 0 ? options.intervalMicroseconds : 1_000_000
        var command = ReconnectingCommand(connection, options)
        var previousRequests: Int = 0
        var lines = 0
        while true {
            let reply = command.call([Array("INFO".utf8)])
            if case .error(let text) = reply {
                CLIOutput.error(Array("ERROR: ".utf8) + text.cString + [0x0A])
                CLIOutput.exit(1)
            }
            let info: String
            switch reply {
            case .string(let bytes), .verbatim(let bytes): info = String(decoding: bytes, as: UTF8.self)
            default: info = ""
            }
            if lines % 20 == 0 {
                CLIOutput.write(
                    "------- data ------ --------------------- load -------------------- - child -\n"
                        + "keys       mem      clients blocked requests            connections          \n"
                )
            }
            lines += 1
            var keys = 0
            for database in 0..<20 {
                if let count = field(info, "db\(database):keys") { keys += count }
            }
            var line = String(keys).padded(to: 11)
            line += humanBytes(field(info, "used_memory") ?? Int.min).padded(to: 8)
            line += " " + String(field(info, "connected_clients") ?? Int.min).padded(to: 8)
            line += String(field(info, "blocked_clients") ?? Int.min).padded(to: 8)
            let requests = field(info, "total_commands_processed") ?? Int.min
            line += "\(requests) (+\(previousRequests == 0 ? 0 : requests &- previousRequests))".padded(to: 19)
            previousRequests = requests
            line += " " + String(field(info, "total_connections_received") ?? Int.min).padded(to: 12)
            let children =
                (field(info, "bgsave_in_progress") ?? Int.min)
                | (field(info, "aof_rewrite_in_progress") ?? Int.min) << 1
                | (field(info, "loading") ?? Int.min) << 2
            switch children {
            case 1: line += "SAVE"
            case 2: line += "AOF"
            case 3: line += "SAVE+AOF"
            case 4: line += "LOAD"
            default: break
            }
            CLIOutput.write(line + "\n")
            CLIOutput.flush()
            usleep(UInt32(truncatingIfNeeded: interval))
        }
    }

    /// The number after "<name>:" (or "<name>=") at the first place `name` occurs, read
    /// as strtol reads it; nil when the name is not there.
    static func field(_ info: String, _ name: String) -> Int? {
        guard let found = info.utf8.firstRange(of: name.utf8) else { return nil }
        let valueStart =
            info.utf8.index(found.upperBound, offsetBy: 1, limitedBy: info.utf8.endIndex) ?? info.utf8.endIndex
        let value = info.utf8[valueStart...].prefix { $0 != 0x0D && $0 != 0x2C }
        return strtol(String(decoding: value, as: UTF8.self), nil, 10)
    }

    /// redis-cli's bytesToHuman: 100B, 2.00K, 1.50M, 3.00G.
    static func humanBytes(_ bytes: Int) -> String {
        var sign = ""
        var n = bytes
        if n < 0 {
            sign = "-"
            n = 0 &- n
        }
        if n < 1024 { return sign + "\(n)B" }
        if n < 1024 * 1024 { return sign + CFormat.string("%.2fK", Double(n) / 1024) }
        if n < 1024 * 1024 * 1024 { return sign + CFormat.string("%.2fM", Double(n) / (1024 * 1024)) }
        return sign + CFormat.string("%.2fG", Double(n) / (1024 * 1024 * 1024))
    }
}
