// The server panel's numbers, read from INFO's text and SLOWLOG GET's entries: the same
// on Redstart and on Redis.
import RedstartClient

extension ServerSummary {
    /// INFO's `field:value` lines as a dictionary (section headers and blank lines skipped).
    static func fields(ofInfo text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }

    init(info: [String: String]) {
        func number(_ name: String) -> Int { info[name].flatMap { Int($0) } ?? 0 }
        version = info["redis_version"] ?? "?"
        redstartVersion = info["redstart_version"]
        uptimeSeconds = number("uptime_in_seconds")
        usedMemory = number("used_memory")
        usedMemoryHuman = info["used_memory_human"] ?? ""
        usedMemoryRSS = number("used_memory_rss")
        maxmemory = number("maxmemory")
        maxmemoryPolicy = info["maxmemory_policy"] ?? ""
        connectedClients = number("connected_clients")
        blockedClients = number("blocked_clients")
        opsPerSecond = number("instantaneous_ops_per_sec")
        totalCommands = number("total_commands_processed")
        // db0:keys=3,expires=0,avg_ttl=0
        keys = info.filter { $0.key.hasPrefix("db") && Int($0.key.dropFirst(2)) != nil }.values.reduce(0) { sum, value in
            let keysPart = value.split(separator: ",").first { $0.hasPrefix("keys=") }
            return sum + (keysPart.flatMap { Int($0.dropFirst(5)) } ?? 0)
        }
    }
}

extension SlowlogEntry {
    /// The entries of a SLOWLOG GET reply: id, unix time, microseconds, arguments, client
    /// address, client name.
    static func entries(of reply: RESPValue) -> [SlowlogEntry] {
        (reply.elements ?? []).compactMap { entry in
            guard let fields = entry.elements, fields.count >= 4, let id = fields[0].int, let at = fields[1].int,
                let duration = fields[2].int
            else { return nil }
            let client = fields.count > 4 ? fields[4].string ?? "" : ""
            return SlowlogEntry(
                id: Int(id), at: at, microseconds: Int(duration),
                command: (fields[3].elements ?? []).compactMap(\.string), client: client)
        }
    }
}
