// One ACL selector: the commands it allows (a bitmap over ACLCommandIndex ids,
// plus first arguments allowed for otherwise denied commands, as `+select|0`),
// the key patterns with their read/write permissions and the channel patterns.
// A user has a root selector and any number of added `(...)` selectors; a
// command runs when one selector allows all of it. The rule words are Redis
// 7.0's, applied with its quirks: allowing a category allows every subcommand of
// the containers in it, a cleared bit drops the allcommands flag, and `+@all`
// alone sets the "future commands" mark that ACL GETUSER uses to start from +@all.

/// Why an ACL rule was refused, with Redis's text for it.
enum ACLRuleError: Error, Equatable {
    case unknownCommand
    case syntax
    case keyPatternAfterAll
    case channelPatternAfterAll
    case noSuchPassword
    case badHash
    case duplicateUser
    case firstArgumentOfSubcommand
    /// A selector's own error, reported against the whole `(...)` rule.
    indirect case inSelector(ACLRuleError)

    var message: String {
        switch self {
        case .unknownCommand: return "Unknown command or category name in ACL"
        case .syntax: return "Syntax error"
        case .keyPatternAfterAll:
            return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
        case .channelPatternAfterAll:
            return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
        case .noSuchPassword: return "The password you are trying to remove from the user does not exist"
        case .badHash: return "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
        case .duplicateUser: return "Duplicate user found. A user can only be defined once in config files"
        case .firstArgumentOfSubcommand: return "Allowing first-arg of a subcommand is not supported"
        case .inSelector(let inner): return inner.message
        }
    }

    /// The error as it was raised inside a selector or not.
    var underlying: ACLRuleError {
        if case .inSelector(let inner) = self { return inner.underlying }
        return self
    }
}

/// A key pattern with the access it grants.
struct ACLKeyPattern: Equatable {
    var pattern: [UInt8]
    var read: Bool
    var write: Bool

    /// `~pattern`, `%R~pattern` or `%W~pattern`.
    var rule: String {
        let prefix = read && write ? "~" : read ? "%R~" : "%W~"
        return prefix + String(decoding: pattern, as: UTF8.self)
    }
}

/// One selector of a user.
struct ACLSelector: Equatable {
    let isRoot: Bool
    var allKeys = false
    var allChannels = false
    /// Redis's ALLCOMMANDS flag: set by +@all, dropped as soon as any command bit is cleared.
    var allCommands = false
    /// The reserved bit only +@all / allcommands set: the rules are described from +@all.
    var allowsFutureCommands = false
    var commandBits: [UInt64]
    /// First arguments allowed for a command whose bit is clear, by command id, in the order added.
    var firstArguments: [Int: [String]] = [:]
    var keyPatterns: [ACLKeyPattern] = []
    var channelPatterns: [[UInt8]] = []

    init(isRoot: Bool, wordCount: Int, allChannels: Bool) {
        self.isRoot = isRoot
        self.commandBits = [UInt64](repeating: 0, count: wordCount)
        self.allChannels = allChannels
    }

    func allows(_ id: Int) -> Bool {
        commandBits[id >> 6] & (1 << UInt64(id & 63)) != 0
    }

    mutating func setBit(_ id: Int, _ value: Bool) {
        if value {
            commandBits[id >> 6] |= 1 << UInt64(id & 63)
        } else {
            commandBits[id >> 6] &= ~(1 << UInt64(id & 63))
            allCommands = false
        }
    }

    /// Allows or denies a command, and with a container every subcommand.
    mutating func change(_ spec: CommandSpec, allow: Bool) {
        setBit(spec.aclID, allow)
        firstArguments[spec.aclID] = nil
        for sub in spec.subcommands { setBit(sub.aclID, allow) }
    }

    /// Allows or denies every command of a category (containers with all their subcommands).
    mutating func change(category: ACLCategories, allow: Bool, in index: ACLCommandIndex) {
        for spec in index.topLevel {
            if spec.aclCategories.contains(category) { change(spec, allow: allow) }
            for sub in spec.subcommands where sub.aclCategories.contains(category) {
                change(sub, allow: allow)
            }
        }
    }

    mutating func allowAll() {
        for word in commandBits.indices { commandBits[word] = .max }
        allCommands = true
        allowsFutureCommands = true
        firstArguments = [:]
    }

    mutating func denyAll() {
        for word in commandBits.indices { commandBits[word] = 0 }
        allCommands = false
        allowsFutureCommands = false
        firstArguments = [:]
    }

    /// Applies one selector rule (`~pattern`, `&channel`, `+cmd`, `-@category`, ...).
    mutating func apply(_ rule: [UInt8], index: ACLCommandIndex) throws(ACLRuleError) {
        let word = String(decoding: rule, as: UTF8.self)
        let lowered = word.lowercased()
        let first = rule.first ?? 0
        let second = rule.count > 1 ? rule[1] : 0
        if lowered == "allkeys" || lowered == "~*" {
            allKeys = true
            keyPatterns = []
        } else if lowered == "resetkeys" {
            allKeys = false
            keyPatterns = []
        } else if lowered == "allchannels" || lowered == "&*" {
            allChannels = true
            channelPatterns = []
        } else if lowered == "resetchannels" {
            allChannels = false
            channelPatterns = []
        } else if lowered == "allcommands" || lowered == "+@all" {
            allowAll()
        } else if lowered == "nocommands" || lowered == "-@all" {
            denyAll()
        } else if first == UInt8(ascii: "~") || first == UInt8(ascii: "%") {
            try addKeyPattern(rule)
        } else if first == UInt8(ascii: "&") {
            if allChannels { throw .channelPatternAfterAll }
            let pattern = Array(rule.dropFirst())
            if ACLSelector.hasSpaces(pattern) { throw .syntax }
            if !channelPatterns.contains(pattern) { channelPatterns.append(pattern) }
            allChannels = false
        } else if first == UInt8(ascii: "+") && second != UInt8(ascii: "@") {
            try allowCommand(String(word.dropFirst()), index: index)
        } else if first == UInt8(ascii: "-") && second != UInt8(ascii: "@") {
            guard let spec = index.command(named: String(word.dropFirst())) else { throw .unknownCommand }
            change(spec, allow: false)
        } else if first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            guard let (category, _) = ACLCommandIndex.category(named: String(word.dropFirst(2))) else {
                throw .unknownCommand
            }
            change(category: category, allow: first == UInt8(ascii: "+"), in: index)
        } else {
            throw .syntax
        }
    }

    private mutating func addKeyPattern(_ rule: [UInt8]) throws(ACLRuleError) {
        if allKeys { throw .keyPatternAfterAll }
        var read = false
        var write = false
        var offset = 1
        if rule[0] == UInt8(ascii: "%") {
            while offset < rule.count {
                let byte = rule[offset] & ~0x20
                if byte == UInt8(ascii: "R") && !read {
                    read = true
                } else if byte == UInt8(ascii: "W") && !write {
                    write = true
                } else if rule[offset] == UInt8(ascii: "~") {
                    offset += 1
                    break
                } else {
                    throw .syntax
                }
                offset += 1
            }
        } else {
            read = true
            write = true
        }
        let pattern = Array(rule[offset...])
        if ACLSelector.hasSpaces(pattern) { throw .syntax }
        if let existing = keyPatterns.firstIndex(where: { $0.pattern == pattern }) {
            keyPatterns[existing].read = keyPatterns[existing].read || read
            keyPatterns[existing].write = keyPatterns[existing].write || write
        } else {
            keyPatterns.append(ACLKeyPattern(pattern: pattern, read: read, write: write))
        }
        allKeys = false
    }

    /// `+cmd`, `+container|sub`, or `+cmd|firstarg` for a command without subcommands.
    private mutating func allowCommand(_ name: String, index: ACLCommandIndex) throws(ACLRuleError) {
        guard let bar = name.lastIndex(of: "|") else {
            guard let spec = index.command(named: name) else { throw .unknownCommand }
            change(spec, allow: true)
            return
        }
        let base = String(name[..<bar])
        let firstArgument = String(name[name.index(after: bar)...])
        guard let spec = index.command(named: base) else { throw .unknownCommand }
        if spec.parent != nil { throw .firstArgumentOfSubcommand }
        if firstArgument.isEmpty { throw .syntax }
        if spec.isContainer {
            guard let sub = index.command(named: name) else { throw .unknownCommand }
            change(sub, allow: true)
        } else {
            var allowed = firstArguments[spec.aclID] ?? []
            if !allowed.contains(where: { $0.lowercased() == firstArgument.lowercased() }) {
                allowed.append(firstArgument)
            }
            firstArguments[spec.aclID] = allowed
        }
    }

    /// Whether a user name or pattern holds a space or NUL byte (which ACL rules refuse).
    static func hasSpaces(_ bytes: [UInt8]) -> Bool {
        bytes.contains { $0 == 0 || $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) }
    }

    /// Whether the selector grants `read`/`write` access to every key (allkeys, `~*`, `%R~*`).
    func hasUnrestrictedKeyAccess(read: Bool, write: Bool) -> Bool {
        if allKeys { return true }
        return keyPatterns.contains { pattern in
            pattern.pattern == [UInt8(ascii: "*")] && (pattern.read || !read) && (pattern.write || !write)
        }
    }
}
