// One argument of a command as COMMAND DOCS describes it (name, type, token, flags,
// nested arguments), and its syntax written the way redis-cli 7.0 and redis.io write
// it: a token before its value, `[...]` around an optional argument, `x [x ...]` for
// one that repeats (`TOKEN x [TOKEN x ...]` when the token repeats too), `a|b` for a
// choice and the parts of a block separated by spaces. An empty name or token shows as
// `""`. The matching of typed words against arguments lives in ArgumentHint.

/// An argument of a command, possibly made of other arguments (oneof, block).
struct CommandArgument {
    /// What the argument is made of.
    enum Kind {
        /// One word (key, string, integer, double, pattern, unix-time, token).
        case value
        /// Only its token, no value (`NX`).
        case pureToken
        /// Exactly one of `children`.
        case oneOf
        /// All of `children`, in order.
        case block
    }

    var name: String
    var kind: Kind
    var token: String?
    var isOptional = false
    var isMultiple = false
    /// The token is repeated before every repetition (`GET pattern [GET pattern ...]`).
    var isMultipleToken = false
    var children: [CommandArgument] = []

    /// The argument described by one element of a COMMAND DOCS `arguments` list (a map
    /// in RESP3, a flat key/value array in RESP2); nil when it is neither.
    init?(_ reply: CLIReply) {
        guard let fields = reply.keyValuePairs else { return nil }
        name = ""
        kind = .value
        for (key, value) in fields {
            switch key {
            case "name": name = value.text ?? ""
            case "token": token = value.text
            case "type":
                switch value.text {
                case "oneof": kind = .oneOf
                case "block": kind = .block
                case "pure-token": kind = .pureToken
                default: kind = .value
                }
            case "flags":
                for flag in value.elements ?? [] {
                    switch flag.text {
                    case "optional": isOptional = true
                    case "multiple": isMultiple = true
                    case "multiple_token": isMultipleToken = true
                    default: break
                    }
                }
            case "arguments":
                children = (value.elements ?? []).compactMap(CommandArgument.init)
            default:
                break
            }
        }
    }

    /// A hand-made argument (tests).
    init(
        _ name: String,
        _ kind: Kind = .value,
        token: String? = nil,
        optional: Bool = false,
        multiple: Bool = false,
        multipleToken: Bool = false,
        _ children: [CommandArgument] = []
    ) {
        self.name = name
        self.kind = kind
        self.token = token
        self.isOptional = optional
        self.isMultiple = multiple
        self.isMultipleToken = multipleToken
        self.children = children
    }

    // MARK: - Syntax

    /// The whole argument: `[EX seconds|PX milliseconds]`, `key [key ...]`.
    var syntax: String {
        var out = isOptional ? "[" : ""
        out += tokenPart + valuePart
        if isMultiple { out += " " + repetitionSyntax }
        if isOptional { out += "]" }
        return out
    }

    /// What one more repetition of a multiple argument looks like: `[key ...]`.
    var repetitionSyntax: String {
        "[" + (isMultipleToken ? tokenPart : "") + valuePart + " ...]"
    }

    /// The token and the space after it (none after a pure token).
    var tokenPart: String {
        guard let token else { return "" }
        let shown = token.isEmpty ? "\"\"" : token
        return kind == .pureToken ? shown : shown + " "
    }

    /// What follows the token: the value's name, or the children.
    var valuePart: String {
        switch kind {
        case .value: name.isEmpty ? "\"\"" : name
        case .pureToken: ""
        case .oneOf: children.map(\.syntax).joined(separator: "|")
        case .block: children.map(\.syntax).joined(separator: " ")
        }
    }

    /// Whether `word` is this argument's first word: its token, or the token that starts
    /// one of its choices or its block. An argument with no leading token never is.
    func startsWith(_ word: String) -> Bool {
        if let token { return token.caseInsensitiveEquals(word) }
        switch kind {
        case .oneOf: return children.contains { $0.startsWith(word) }
        case .block: return children.first?.startsWith(word) ?? false
        case .value, .pureToken: return false
        }
    }

    /// Whether the argument begins with a fixed word (so it is never taken positionally).
    var hasLeadingToken: Bool {
        if token != nil { return true }
        switch kind {
        case .oneOf: return !children.isEmpty && children.allSatisfy(\.hasLeadingToken)
        case .block: return children.first?.hasLeadingToken ?? false
        case .value, .pureToken: return false
        }
    }
}

extension String {
    /// ASCII case-insensitive equality, as strcasecmp compares command words.
    func caseInsensitiveEquals(_ other: String) -> Bool {
        let a = utf8
        let b = other.utf8
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { asciiLowercase($0) == asciiLowercase($1) }
    }

    /// Whether `prefix` starts this string, ignoring ASCII case (strncasecmp).
    func hasCaseInsensitivePrefix(_ prefix: String) -> Bool {
        let a = utf8
        let b = prefix.utf8
        guard a.count >= b.count else { return false }
        return zip(a, b).allSatisfy { asciiLowercase($0) == asciiLowercase($1) }
    }
}

/// `byte` with A-Z folded to a-z.
@inline(__always) func asciiLowercase(_ byte: UInt8) -> UInt8 {
    byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
}
