// Error replies. A ReplyError is an ordinary reply (the connection carries on),
// rendered as `-<line>`: the first word is the error code that clients branch
// on and that INFO errorstats counts. Every text Redis clients or Redis's test
// suite match on lives here, so a grep for the text finds one place.

/// An error reply: `-CODE message`.
public struct ReplyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The whole line after `-`, e.g. `ERR syntax error`.
    public let line: String

    /// An error with an explicit code (`WRONGTYPE`, `NOAUTH`, ...).
    public init(code: String, _ message: String) {
        self.line = code + " " + message
    }

    /// An `ERR` error: `message` is what follows `ERR `.
    public init(_ message: String) {
        self.line = "ERR " + message
    }

    /// A full line given as is; a line not starting with a code gets `ERR `
    /// in front, as Redis's addReplyError does for messages without a code.
    public init(line: String) {
        self.line = line.hasPrefix("-") ? String(line.dropFirst()) : "ERR " + line
    }

    public var description: String { line }

    /// The code word clients branch on (first word of the line).
    public var code: Substring {
        line.prefix { $0 != " " }
    }

    // MARK: - The catalog

    public static let syntax = ReplyError("syntax error")
    public static let notInteger = ReplyError("value is not an integer or out of range")
    public static let notFloat = ReplyError("value is not a valid float")
    public static let overflow = ReplyError("increment or decrement would overflow")
    public static let wrongType = ReplyError(code: "WRONGTYPE", "Operation against a key holding the wrong kind of value")
    public static let noSuchKey = ReplyError("no such key")
    public static let indexOutOfRange = ReplyError("index out of range")
    public static let noAuth = ReplyError(code: "NOAUTH", "Authentication required.")
    public static let loading = ReplyError(code: "LOADING", "Redis is loading the dataset in memory")
    public static let wrongPass = ReplyError(
        code: "WRONGPASS", "invalid username-password pair or user is disabled.")
    public static let authWithoutPassword = ReplyError(
        "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
    )
    public static let invalidDBIndex = ReplyError("DB index is out of range")
    public static let selectNotAllowed = ReplyError("SELECT is not allowed in cluster mode")
    public static let stringTooLong = ReplyError("string exceeds maximum allowed size (proto-max-bulk-len)")
    public static let offsetOutOfRange = ReplyError("offset is out of range")
    public static let incrementNaN = ReplyError("increment would produce NaN or Infinity")
    public static let bitOffsetOutOfRange = ReplyError("bit offset is not an integer or out of range")
    public static let bitNotZeroOrOne = ReplyError("bit is not an integer or out of range")
    public static let sameObject = ReplyError("source and destination objects are the same")

    /// `ERR invalid expire time in '<command>' command`.
    public static func invalidExpireTime(_ command: String) -> ReplyError {
        ReplyError("invalid expire time in '\(command)' command")
    }
    public static let timeoutNegative = ReplyError("timeout is negative")
    public static let noProto = ReplyError(code: "NOPROTO", "unsupported protocol version")

    /// `ERR wrong number of arguments for '<name>' command`.
    public static func wrongArity(_ fullName: String) -> ReplyError {
        ReplyError("wrong number of arguments for '\(fullName)' command")
    }

    /// `ERR <which> is out of range, must be positive` and the like are built by handlers; this is
    /// Redis's common `value is out of range, must be positive`.
    public static let notPositive = ReplyError("value is out of range, must be positive")
}

extension String {
    /// At most `count` UTF-8 bytes of the string (repairing a cut character).
    func prefixBytes(_ count: Int) -> String {
        let utf8 = Array(self.utf8)
        return utf8.count <= count ? self : String(decoding: utf8[0..<count], as: UTF8.self)
    }
}
