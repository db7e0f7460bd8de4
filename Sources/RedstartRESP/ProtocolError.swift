// A request the parser cannot accept. Redis replies `-ERR Protocol error: ...`,
// flushes, and closes the connection; `reply` is that exact text.

/// A malformed request: reply with `replyText`, then close the connection.
public struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The message after `ERR `, e.g. `Protocol error: invalid bulk length`.
    public let message: String

    public init(_ detail: String) {
        self.message = "Protocol error: " + detail
    }

    public var description: String { message }

    public static let invalidMultibulkLength = ProtocolError("invalid multibulk length")
    public static let unauthenticatedMultibulkLength = ProtocolError("unauthenticated multibulk length")
    public static let invalidBulkLength = ProtocolError("invalid bulk length")
    public static let unauthenticatedBulkLength = ProtocolError("unauthenticated bulk length")
    public static let tooBigInlineRequest = ProtocolError("too big inline request")
    public static let tooBigMultibulkCount = ProtocolError("too big mbulk count string")
    public static let tooBigBulkCount = ProtocolError("too big bulk count string")
    public static let unbalancedQuotes = ProtocolError("unbalanced quotes in request")

    /// `expected '$', got 'X'`: a multibulk element that is not a bulk string.
    public static func expectedDollar(got byte: UInt8) -> ProtocolError {
        ProtocolError("expected '$', got '\(Character(Unicode.Scalar(byte)))'")
    }
}
