// `redis://[[user]:password@]host[:port][/db][?options]`, `rediss://` for TLS and
// `unix:///path/to.sock[?db=N]`, the forms redis-cli, redis-py and most clients
// accept. Percent-escapes are decoded in user, password and path. Options:
// `db`, `name` (CLIENT SETNAME), `protocol` (2 or 3), `timeout` (seconds, connect),
// `insecure` (TLS without certificate checks), `sni`.

/// The parts of a Redis connection URL.
public struct RedisURL: Sendable, Hashable {
    public var useTLS = false
    public var host = "127.0.0.1"
    public var port = 6379
    public var unixSocketPath: String?
    public var username: String?
    public var password: String?
    public var database = 0
    public var options: [String: String] = [:]

    /// Parses `text`; throws RedstartClientError.invalidURL with the reason.
    public init(_ text: String) throws {
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else {
            throw RedstartClientError.invalidURL("missing scheme in \(text)")
        }
        let scheme = text[..<colon].lowercased()
        var rest = text[text.index(colon, offsetBy: 3)...]
        if let question = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: question)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                options[Self.unescape(parts[0])] = parts.count > 1 ? Self.unescape(parts[1]) : ""
            }
            rest = rest[..<question]
        }
        switch scheme {
        case "redis", "valkey": useTLS = false
        case "rediss", "valkeys": useTLS = true
        case "unix":
            unixSocketPath = Self.unescape(rest)
            if let db = options["db"] { database = try Self.number(db, "database") }
            return
        default: throw RedstartClientError.invalidURL("unknown scheme \(scheme)")
        }
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = Self.unescape(credentials[..<colon])
                username = user.isEmpty ? nil : user
                password = Self.unescape(credentials[credentials.index(after: colon)...])
            } else if !credentials.isEmpty {
                // redis-cli reads a lone credential as the password (the default user's).
                password = Self.unescape(credentials)
            }
        }
        var hostPort = rest
        if let slash = rest.firstIndex(of: "/") {
            hostPort = rest[..<slash]
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty { database = try Self.number(String(path), "database") }
        }
        if hostPort.hasPrefix("[") {  // [::1]:6379
            guard let close = hostPort.firstIndex(of: "]") else { throw RedstartClientError.invalidURL("unclosed [ in host") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") { port = try Self.number(String(after.dropFirst()), "port") }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            port = try Self.number(String(hostPort[hostPort.index(after: colon)...]), "port")
        } else if !hostPort.isEmpty {
            host = String(hostPort)
        }
        if host.isEmpty { host = "127.0.0.1" }
        if let db = options["db"] { database = try Self.number(db, "database") }
    }

    private static func number(_ text: String, _ what: String) throws -> Int {
        guard let value = Int(text), value >= 0 else { throw RedstartClientError.invalidURL("bad \(what) \(text)") }
        return value
    }

    /// Decodes %XX escapes.
    static func unescape(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
