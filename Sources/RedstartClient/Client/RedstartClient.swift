// The client users hold: a RedisCommandExecutor over a small pool. Ordinary
// commands go to the multiplexed lanes, where every concurrent request pipelines
// with the others; blocking commands take an exclusive connection for their wait;
// commands that change a connection's state (MULTI, WATCH, SELECT, SUBSCRIBE, …)
// are refused here and have their own API (transaction, watching, withConnection,
// subscribe) so that shared connections never carry one task's state into another's.
import Logging
import NIOCore
import NIOPosix
import RedstartRESP

/// A Redis / Redstart client: connection pool, automatic pipelining, reconnects.
public final class RedstartClient: RedisCommandExecutor, Sendable {
    public let configuration: Configuration
    let factory: ConnectionFactory
    private let lanes: [MultiplexedLane]
    let exclusive: ExclusivePool
    let subscriptions: SubscriptionHub
    private let metrics: ClientMetrics?
    private let cache: ClientSideCache?
    /// An executor on the event loop of the client's (first) shared connection. Tasks
    /// that send many requests one after another run fastest preferring it:
    /// `await withTaskExecutorPreference(client.taskExecutor) { … }` (no thread hand-off
    /// per request). Do not block its thread: it is the connection's I/O thread.
    public let taskExecutor: EventLoopTaskExecutor

    /// A client as `configuration` says; connections open when first needed.
    public init(configuration: Configuration, eventLoopGroup: (any EventLoopGroup)? = nil) throws {
        self.configuration = configuration
        let factory = try ConnectionFactory(configuration: configuration, group: eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton)
        self.factory = factory
        let cache = configuration.clientSideCache.map { ClientSideCache(configuration: $0) }
        self.cache = cache
        lanes = (0..<max(1, configuration.multiplexedConnections)).map { _ in
            MultiplexedLane(factory: factory, eventLoop: factory.group.next(), cache: cache)
        }
        taskExecutor = EventLoopTaskExecutor(eventLoop: lanes[0].eventLoop)
        exclusive = ExclusivePool(
            factory: factory, maximum: configuration.maximumExclusiveConnections,
            leaseTimeout: configuration.leaseTimeout, healthCheckInterval: configuration.healthCheckInterval)
        subscriptions = SubscriptionHub(factory: factory)
        metrics = configuration.recordsMetrics ? ClientMetrics() : nil
    }

    /// A client of the server a `redis://`, `rediss://` or `unix://` URL names.
    public convenience init(url: String) throws {
        try self.init(configuration: Configuration(url: url))
    }

    /// Sends `command` and returns its reply; error replies are thrown as RedisServerError.
    public func execute(_ command: RedisCommand) async throws -> RESPValue {
        let name = command.name
        let started = metrics.map { _ in NIODeadline.now() }
        defer { if let metrics, let started { metrics.record(name, since: started) } }
        if let reason = Self.connectionStateReason(name) {
            throw RedstartClientError.notAllowed(reason)
        }
        if BlockingCommands.isBlocking(command, name: name) {
            return try await withConnection { try await $0.execute(command) }
        }
        if let cache, ClientSideCache.isCacheable(command, name: name) {
            if let kept = cache.lookup(command) { return kept }
            let connection = try await lane().connection()
            let ticket = cache.ticket()  // after connecting: a new connection empties the cache
            let reply = try await connection.execute(command)
            cache.store(reply, for: command, ticket: ticket)
            return reply
        }
        return try await lane().connection().execute(command)
    }

    /// What the client-side cache has done (all zero when caching is off).
    public var cacheStatistics: ClientSideCacheStatistics {
        cache?.statistics ?? ClientSideCacheStatistics()
    }

    /// Sends commands in one write on one connection and returns their replies in order,
    /// error replies as `.error` values (one failing command does not fail the others).
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        for command in commands {
            if let reason = Self.connectionStateReason(command.name) { throw RedstartClientError.notAllowed(reason) }
        }
        return try await lane().connection().replies(to: commands)
    }

    /// Runs `body` with a connection of its own (not shared while `body` runs); the
    /// connection goes back to the pool afterwards, or is closed when `body` throws.
    public func withConnection<T: Sendable>(
        _ body: (RedstartConnection) async throws -> T
    ) async throws -> T {
        let connection = try await exclusive.lease()
        do {
            let result = try await body(connection)
            exclusive.release(connection, reusable: true)
            return result
        } catch {
            exclusive.release(connection, reusable: false)
            throw error
        }
    }

    /// Closes every connection and ends every subscription.
    public func shutdown() async {
        for lane in lanes { await lane.shutDown() }
        await exclusive.shutDown()
        await subscriptions.shutDown()
    }

    /// How many shared connections the client believes open.
    var openSharedConnections: Int { lanes.count { $0.hasOpenConnection } }

    /// The lane for the next request: the one whose turn it is.
    func lane() -> MultiplexedLane {
        lanes.count == 1 ? lanes[0] : lanes[Int.random(in: 0..<lanes.count)]
    }

    /// Why the command `name` cannot run on a shared connection, or nil when it can.
    static func connectionStateReason(_ name: String) -> String? {
        switch name {
        case "multi", "exec", "discard", "watch", "unwatch":
            return "\(name.uppercased()) needs a connection of its own: use transaction(_:) or watching(_:body:)"
        case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "monitor":
            return "\(name.uppercased()) needs a connection of its own: use subscribe(to:) or withConnection(_:)"
        case "select", "auth", "hello", "reset", "quit", "sync", "psync":
            return "\(name.uppercased()) would change a shared connection: set it in the configuration or use withConnection(_:)"
        default:
            return nil
        }
    }
}
