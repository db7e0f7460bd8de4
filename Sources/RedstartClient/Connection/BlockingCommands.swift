// Commands that may wait on the server as long as their own timeout argument
// says: the client keeps them off shared connections and out of command timeouts.

enum BlockingCommands {
    private static let names: Set<String> = [
        "blpop", "brpop", "brpoplpush", "blmove", "blmpop", "bzpopmin", "bzpopmax", "bzmpop", "wait", "waitaof",
    ]

    /// Whether `command` (whose lowercase name is `name`) may block the connection
    /// (XREAD/XREADGROUP only with BLOCK).
    static func isBlocking(_ command: RedisCommand, name: String) -> Bool {
        if names.contains(name) { return true }
        if name == "xread" || name == "xreadgroup" {
            return command.arguments.contains { $0.count == 5 && String(decoding: $0, as: UTF8.self).uppercased() == "BLOCK" }
        }
        return false
    }
}
