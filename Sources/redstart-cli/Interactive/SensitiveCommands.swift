// Commands that never go into the history file because they carry a secret; the same
// list as redis-cli 7.0: AUTH; ACL SETUSER; CONFIG SET masterauth, masteruser or
// requirepass (the first parameter only); HELLO with an AUTH clause (only when every
// word before it is the protocol version or a SETNAME clause); MIGRATE with AUTH or
// AUTH2 before its KEYS list.

enum SensitiveCommands {
    /// Whether `words` (the command without a repeat count) must stay out of the history.
    static func contains(_ words: [String]) -> Bool {
        guard let name = words.first?.lowercased() else { return false }
        let count = words.count
        func word(_ index: Int) -> String { words[index].lowercased() }
        switch name {
        case "auth":
            return true
        case "acl":
            return count > 1 && word(1) == "setuser"
        case "config":
            return count > 2 && word(1) == "set" && ["masterauth", "masteruser", "requirepass"].contains(word(2))
        case "hello":
            // HELLO protover [AUTH username password] [SETNAME name]
            guard count > 4 else { return false }
            var index = 2
            while index < count {
                let left = count - 1 - index
                if word(index) == "auth" && left >= 2 { return true }
                guard word(index) == "setname" && left > 0 else { return false }
                index += 2
            }
            return false
        case "migrate":
            // MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 user pw] [KEYS ...]
            guard count > 7 else { return false }
            for index in 6..<count {
                let left = count - 1 - index
                switch word(index) {
                case "auth" where left > 0: return true
                case "auth2" where left >= 2: return true
                case "keys" where left > 0: return false
                default: continue
                }
            }
            return false
        default:
            return false
        }
    }
}
