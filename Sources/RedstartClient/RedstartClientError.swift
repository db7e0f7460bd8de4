// Errors of the client library: a public struct over a private code, so new
// cases can be added without breaking users (the NIO / valkey-swift style).

/// A failure of the connection itself (server error replies are values, not errors).
public struct RedstartClientError: Error, Sendable, CustomStringConvertible {
    private enum Code: Sendable {
        case connectionClosed
        case protocolViolation(String)
    }

    private let code: Code

    /// The connection closed before the reply arrived.
    public static let connectionClosed = RedstartClientError(code: .connectionClosed)

    /// The server sent something that is not RESP.
    public static func protocolViolation(_ detail: String) -> RedstartClientError {
        RedstartClientError(code: .protocolViolation(detail))
    }

    public var description: String {
        switch code {
        case .connectionClosed: return "connection closed"
        case .protocolViolation(let detail): return "protocol violation: \(detail)"
        }
    }
}
