// Errors of the client library: a public struct over a private code, so new
// cases can be added without breaking users (the NIO / valkey-swift style).
// Error replies from the server are RedisServerError, not these.
import RedstartRESP

/// A failure of the client or its connection.
public struct RedstartClientError: Error, Sendable, CustomStringConvertible, Equatable {
    enum Code: Sendable, Equatable {
        case connectionClosed
        case protocolViolation(String)
        case unexpectedReply(String)
        case timeout(String)
        case invalidURL(String)
        case notAllowed(String)
        case transactionAborted
        case clientShutdown
        case noPrimary(String)
    }

    let code: Code

    /// The connection closed before the reply arrived.
    public static let connectionClosed = RedstartClientError(code: .connectionClosed)

    /// The client was shut down.
    public static let clientShutdown = RedstartClientError(code: .clientShutdown)

    /// EXEC answered null: a watched key changed (after the retries `transaction` was given).
    public static let transactionAborted = RedstartClientError(code: .transactionAborted)

    /// The server sent something that is not RESP.
    public static func protocolViolation(_ detail: String) -> RedstartClientError {
        RedstartClientError(code: .protocolViolation(detail))
    }

    /// A reply of a shape the typed method cannot decode.
    public static func unexpectedReply(_ value: RESPValue, expected: String) -> RedstartClientError {
        RedstartClientError(code: .unexpectedReply("expected \(expected), got \(value)"))
    }

    /// A connect, lease or command timeout.
    public static func timeout(_ what: String) -> RedstartClientError {
        RedstartClientError(code: .timeout(what))
    }

    /// A `redis://` URL that cannot be used.
    public static func invalidURL(_ detail: String) -> RedstartClientError {
        RedstartClientError(code: .invalidURL(detail))
    }

    /// A command that cannot run where it was sent (MULTI on a shared connection, …).
    public static func notAllowed(_ detail: String) -> RedstartClientError {
        RedstartClientError(code: .notAllowed(detail))
    }

    /// Sentinel could not name a reachable primary.
    public static func noPrimary(_ detail: String) -> RedstartClientError {
        RedstartClientError(code: .noPrimary(detail))
    }

    /// Whether the error means the connection is gone (a reconnect may help).
    public var isConnectionError: Bool {
        switch code {
        case .connectionClosed, .protocolViolation, .timeout: return true
        default: return false
        }
    }

    public var description: String {
        switch code {
        case .connectionClosed: return "connection closed"
        case .clientShutdown: return "client shut down"
        case .transactionAborted: return "transaction aborted: a watched key changed"
        case .protocolViolation(let detail): return "protocol violation: \(detail)"
        case .unexpectedReply(let detail): return "unexpected reply: \(detail)"
        case .timeout(let detail): return "timed out: \(detail)"
        case .invalidURL(let detail): return "invalid URL: \(detail)"
        case .notAllowed(let detail): return detail
        case .noPrimary(let detail): return "no primary: \(detail)"
        }
    }
}

/// An error reply from the server: `-CODE message`.
public struct RedisServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The whole error line, as sent ("WRONGTYPE Operation against a key holding the wrong kind of value").
    public let message: String

    public init(_ message: String) { self.message = message }

    /// The first word, which clients branch on: ERR, WRONGTYPE, NOSCRIPT, MOVED, LOADING, …
    public var code: String {
        String(message.prefix { $0 != " " })
    }

    public var description: String { message }
}

extension RESPValue {
    /// This reply, or its error thrown as RedisServerError.
    public func throwingError() throws -> RESPValue {
        if case .error(let message) = self { throw RedisServerError(message) }
        return self
    }
}
