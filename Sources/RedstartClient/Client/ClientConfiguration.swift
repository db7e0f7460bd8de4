// How a RedstartClient connects and shares connections: the connection settings,
// how many multiplexed connections carry ordinary commands (every concurrent request
// pipelines on them), how many exclusive connections may be leased at once (blocking
// commands, transactions with WATCH, `withConnection`), timeouts, health checks,
// reconnect backoff, where the primary is (a fixed address or Sentinel), logging and
// metrics.
import Logging
import NIOCore

extension RedstartClient {
    /// Settings of a client and its pool.
    public struct Configuration: Sendable {
        /// How each connection connects (address, TLS, credentials, database, name, protocol).
        public var connection: RedstartConnection.Configuration
        /// Connections that carry ordinary commands, multiplexed (default 1: one socket pipelines best).
        public var multiplexedConnections = 1
        /// Exclusive connections open at most (blocking commands, WATCH transactions, `withConnection`).
        public var maximumExclusiveConnections = 64
        /// How long a task waits for an exclusive connection when all are leased.
        public var leaseTimeout: TimeAmount = .seconds(10)
        /// An idle exclusive connection older than this is PINGed before it is lent again.
        public var healthCheckInterval: TimeAmount = .seconds(30)
        /// How long a command waits for a lost connection to come back before failing.
        public var reconnectTimeout: TimeAmount = .seconds(10)
        /// Delays between reconnect attempts.
        public var backoff = Backoff()
        /// Where the primary is found: Sentinel (nil: the connection's own address).
        public var sentinel: SentinelConfiguration?
        /// Connects, reconnects and failures are logged here.
        public var logger = Logger(label: "redstart.client")
        /// Record swift-metrics counters and timers per command (off: no cost on the request path).
        public var recordsMetrics = false
        /// Keep replies of read-only single-key commands, invalidated by the server
        /// (CLIENT TRACKING over RESP3); nil (the default) caches nothing.
        public var clientSideCache: ClientSideCacheConfiguration?

        /// A client of the server at `host:port`.
        public init(host: String = "127.0.0.1", port: Int = 6379) {
            connection = RedstartConnection.Configuration(host: host, port: port)
        }

        /// A client of the server a `redis://`, `rediss://` or `unix://` URL names.
        public init(url: String) throws {
            connection = try RedstartConnection.Configuration(url: url)
        }

        /// A client with the given connection settings.
        public init(connection: RedstartConnection.Configuration) {
            self.connection = connection
        }
    }

    /// Where Sentinel is asked for the primary of a replicated set.
    public struct SentinelConfiguration: Sendable {
        /// The monitored primary's name (`sentinel monitor <name> …`).
        public var primaryName: String
        /// Sentinels to ask, in order.
        public var sentinels: [(host: String, port: Int)]
        /// Credentials for the Sentinels themselves, if they require them.
        public var username: String?
        public var password: String?

        public init(primaryName: String, sentinels: [(host: String, port: Int)]) {
            self.primaryName = primaryName
            self.sentinels = sentinels
        }
    }
}
