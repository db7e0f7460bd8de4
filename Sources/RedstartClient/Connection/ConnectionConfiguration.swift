// Where and how one connection connects: address (TCP or unix socket), TLS,
// credentials, database, client name, protocol, timeouts. Built directly or from
// a `redis://` / `rediss://` / `unix://` URL.
import NIOCore
import NIOSSL

extension RedstartConnection {
    /// How to open and set up a connection.
    public struct Configuration: Sendable {
        /// Where the server listens.
        public enum Address: Sendable, Hashable {
            case tcp(host: String, port: Int)
            case unixSocket(path: String)
        }

        public var address: Address
        /// TLS settings; nil for a plain connection.
        public var tls: TLSConfiguration?
        /// The name sent in TLS SNI and checked against the certificate (default: the host).
        public var tlsServerName: String?
        /// ACL user (nil: AUTH with the password only, the default user).
        public var username: String?
        public var password: String?
        /// SELECTed after connecting (and again after every reconnect).
        public var database = 0
        /// CLIENT SETNAME after connecting.
        public var clientName: String?
        /// RESP version asked with HELLO; 3 falls back to 2 on servers without HELLO.
        public var protocolVersion = 3
        /// How long a TCP (and TLS) connect may take.
        public var connectTimeout: TimeAmount = .seconds(5)
        /// How long a reply may take before the connection is closed (nil: no limit).
        /// Blocking commands are not subject to it.
        public var commandTimeout: TimeAmount?

        /// A plain TCP connection to `host:port`.
        public init(host: String = "127.0.0.1", port: Int = 6379) {
            address = .tcp(host: host, port: port)
        }

        /// A connection to a unix socket.
        public init(unixSocketPath: String) {
            address = .unixSocket(path: unixSocketPath)
        }

        /// The settings a URL gives (`rediss://` uses full certificate checks unless `?insecure`).
        public init(url: String) throws {
            let parsed = try RedisURL(url)
            if let path = parsed.unixSocketPath {
                address = .unixSocket(path: path)
            } else {
                address = .tcp(host: parsed.host, port: parsed.port)
            }
            username = parsed.username
            password = parsed.password
            database = parsed.database
            clientName = parsed.options["name"]
            if let version = parsed.options["protocol"] {
                guard let number = Int(version), number == 2 || number == 3 else {
                    throw RedstartClientError.invalidURL("protocol must be 2 or 3")
                }
                protocolVersion = number
            }
            if let seconds = parsed.options["timeout"].flatMap(Double.init) {
                connectTimeout = .nanoseconds(Int64(seconds * 1e9))
            }
            if parsed.useTLS {
                var tls = TLSConfiguration.makeClientConfiguration()
                if parsed.options["insecure"] != nil { tls.certificateVerification = .none }
                self.tls = tls
                tlsServerName = parsed.options["sni"]
            }
        }

        /// The host name for SNI and certificate checks.
        var serverHostname: String? {
            if let tlsServerName { return tlsServerName }
            if case .tcp(let host, _) = address, !host.isIPAddress { return host }
            return nil
        }
    }
}

extension String {
    /// Whether this is an IPv4 or IPv6 literal (SNI carries names only).
    fileprivate var isIPAddress: Bool {
        if contains(":") { return true }
        let parts = split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
