// Every subscription of a client on one connection of its own. Each `subscribe`
// call gets an AsyncStream; a channel is SUBSCRIBEd once however many streams want
// it and UNSUBSCRIBEd when the last of them ends. `subscribe` returns after the
// server confirmed, so nothing published afterwards is missed. When the connection
// is lost, the hub reconnects (with backoff, for as long as subscriptions exist)
// and subscribes to everything again: streams carry on across the gap (messages
// published during it are lost, as Pub/Sub is fire-and-forget).
import NIOConcurrencyHelpers
import NIOCore
import RedstartRESP

/// Which family of SUBSCRIBE a name belongs to.
enum SubscriptionKind: Sendable, Hashable {
    case channel, pattern, shardChannel

    var subscribeCommand: String {
        switch self {
        case .channel: return "SUBSCRIBE"
        case .pattern: return "PSUBSCRIBE"
        case .shardChannel: return "SSUBSCRIBE"
        }
    }

    var unsubscribeCommand: String { "UN" + subscribeCommand }

    /// The confirmation push's first word.
    var confirmation: String { subscribeCommand.lowercased() }
}

final class SubscriptionHub: Sendable {
    private struct Topic: Hashable {
        let kind: SubscriptionKind
        let name: String
    }

    private struct Subscriber {
        let continuation: AsyncStream<PubSubMessage>.Continuation
        let topics: [Topic]
    }

    private struct State {
        var subscribers: [Int: Subscriber] = [:]
        var topics: [Topic: Set<Int>] = [:]
        var confirmations: [Topic: [EventLoopPromise<Void>]] = [:]
        var connection: RedstartConnection?
        var connecting: [CheckedContinuation<RedstartConnection, any Error>]?
        var nextID = 0
        var isShutDown = false
    }

    private let factory: ConnectionFactory
    private let state = NIOLockedValueBox(State())

    init(factory: ConnectionFactory) {
        self.factory = factory
    }

    /// A stream of the messages of `names`, after the server has confirmed every one.
    func subscribe(_ kind: SubscriptionKind, _ names: [String]) async throws -> AsyncStream<PubSubMessage> {
        let topics = names.map { Topic(kind: kind, name: $0) }
        let (stream, continuation) = AsyncStream<PubSubMessage>.makeStream(bufferingPolicy: .unbounded)
        let connection: RedstartConnection
        do {
            connection = try await self.connection()
        } catch {
            continuation.finish()
            throw error
        }
        // The confirmations are waited for with promises made before SUBSCRIBE is sent:
        // a confirmation that arrives before its waiter would otherwise be lost.
        let (id, fresh, confirmations): (Int, [Topic], [EventLoopFuture<Void>]) = try state.withLockedValue { state in
            if state.isShutDown { throw RedstartClientError.clientShutdown }
            state.nextID += 1
            state.subscribers[state.nextID] = Subscriber(continuation: continuation, topics: topics)
            var fresh: [Topic] = []
            var confirmations: [EventLoopFuture<Void>] = []
            for topic in topics {
                let isFresh = state.topics[topic, default: []].isEmpty
                if isFresh { fresh.append(topic) }
                state.topics[topic, default: []].insert(state.nextID)
                // Also wait for a topic another subscriber is still waiting on.
                if isFresh || state.confirmations[topic] != nil {
                    let promise = connection.channel.eventLoop.makePromise(of: Void.self)
                    state.confirmations[topic, default: []].append(promise)
                    confirmations.append(promise.futureResult)
                }
            }
            return (state.nextID, fresh, confirmations)
        }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
        send(fresh, on: connection, subscribing: true)
        do {
            for confirmation in confirmations { try await confirmation.get() }
        } catch {
            continuation.finish()
            throw error
        }
        return stream
    }

    /// A stream ended: topics nobody else wants are unsubscribed.
    private func unsubscribe(_ id: Int) {
        let (connection, gone): (RedstartConnection?, [Topic]) = state.withLockedValue { state in
            guard let subscriber = state.subscribers.removeValue(forKey: id) else { return (nil, []) }
            var gone: [Topic] = []
            for topic in subscriber.topics {
                state.topics[topic]?.remove(id)
                if state.topics[topic]?.isEmpty == true {
                    state.topics[topic] = nil
                    gone.append(topic)
                }
            }
            return (state.connection, gone)
        }
        guard let connection else { return }
        send(gone, on: connection, subscribing: false)
    }

    /// One SUBSCRIBE (or UNSUBSCRIBE) family command per kind of topic in `topics`.
    private func send(_ topics: [Topic], on connection: RedstartConnection, subscribing: Bool) {
        for kind in [SubscriptionKind.channel, .pattern, .shardChannel] {
            let names = topics.filter { $0.kind == kind }.map(\.name)
            guard !names.isEmpty else { continue }
            var command = RedisCommand(subscribing ? kind.subscribeCommand : kind.unsubscribeCommand)
            command.append(contentsOf: names)
            connection.sendExpectingPushes(command)
        }
    }

    /// The hub's connection, opened (or reopened) when needed.
    private func connection() async throws -> RedstartConnection {
        if let open = state.withLockedValue({ $0.connection }), open.isActive { return open }
        return try await withCheckedThrowingContinuation { waiter in
            let mustConnect: Bool = state.withLockedValue { state in
                if state.connecting != nil {
                    state.connecting!.append(waiter)
                    return false
                }
                state.connecting = [waiter]
                return true
            }
            if mustConnect { Task { await self.reconnect() } }
        }
    }

    /// Opens the connection, resubscribes every topic, and watches for its loss.
    private func reconnect() async {
        var result: Result<RedstartConnection, any Error>
        while true {
            do {
                let connection = try await factory.connect(onPush: { [weak self] push in self?.route(push) })
                result = .success(connection)
                break
            } catch {
                result = .failure(error)
                // With live subscriptions, keep trying (each factory.connect already backs off).
                let keepTrying = state.withLockedValue { !$0.isShutDown && !$0.subscribers.isEmpty && $0.connecting?.isEmpty == true }
                if !keepTrying { break }
            }
        }
        let (waiters, topics, orphan): ([CheckedContinuation<RedstartConnection, any Error>], [Topic], RedstartConnection?) =
            state.withLockedValue { state in
                let waiters = state.connecting ?? []
                state.connecting = nil
                guard case .success(let connection) = result else { return (waiters, [], nil) }
                if state.isShutDown { return (waiters, [], connection) }
                state.connection = connection
                return (waiters, Array(state.topics.keys), nil)
            }
        if let orphan {
            try? await orphan.close()
            for waiter in waiters { waiter.resume(throwing: RedstartClientError.clientShutdown) }
            return
        }
        if case .success(let connection) = result {
            send(topics, on: connection, subscribing: true)
            connection.closeFuture.whenComplete { [weak self] _ in self?.connectionLost(connection) }
        }
        for waiter in waiters { waiter.resume(with: result) }
    }

    private func connectionLost(_ connection: RedstartConnection) {
        let mustReconnect: Bool = state.withLockedValue { state in
            guard state.connection === connection else { return false }
            state.connection = nil
            guard !state.isShutDown, !state.subscribers.isEmpty, state.connecting == nil else { return false }
            state.connecting = []
            return true
        }
        if mustReconnect {
            factory.configuration.logger.info("pub/sub connection lost; resubscribing")
            Task { await self.reconnect() }
        }
    }

    /// Delivers a push: a message to the streams of its topic, a confirmation to its waiter.
    private func route(_ push: RESPValue) {
        if let message = PubSubMessage(push: push) {
            let topic: Topic
            if let pattern = message.pattern {
                topic = Topic(kind: .pattern, name: pattern)
            } else {
                topic = Topic(kind: message.isShardMessage ? .shardChannel : .channel, name: message.channel)
            }
            let streams = state.withLockedValue { state in
                (state.topics[topic] ?? []).compactMap { state.subscribers[$0]?.continuation }
            }
            for stream in streams { stream.yield(message) }
            return
        }
        guard let parts = push.elements, parts.count >= 2, let kind = parts[0].string?.lowercased(),
            let name = parts[1].string
        else { return }
        let topicKind: SubscriptionKind
        switch kind {
        case "subscribe": topicKind = .channel
        case "psubscribe": topicKind = .pattern
        case "ssubscribe": topicKind = .shardChannel
        default: return
        }
        let waiters = state.withLockedValue { $0.confirmations.removeValue(forKey: Topic(kind: topicKind, name: name)) ?? [] }
        for waiter in waiters { waiter.succeed() }
    }

    func shutDown() async {
        let (connection, streams, waiters) = state.withLockedValue { state in
            state.isShutDown = true
            let streams = state.subscribers.values.map(\.continuation)
            state.subscribers = [:]
            state.topics = [:]
            let waiters = state.confirmations.values.flatMap { $0 }
            state.confirmations = [:]
            let connection = state.connection
            state.connection = nil
            return (connection, streams, waiters)
        }
        for waiter in waiters { waiter.fail(RedstartClientError.clientShutdown) }
        for stream in streams { stream.finish() }
        try? await connection?.close()
    }
}

extension RedstartClient {
    /// Messages published to `channels`, from the moment this returns until the stream is dropped.
    public func subscribe(to channels: [String]) async throws -> AsyncStream<PubSubMessage> {
        try await subscriptions.subscribe(.channel, channels)
    }

    /// Messages published to channels matching `patterns` (PSUBSCRIBE).
    public func subscribe(toPatterns patterns: [String]) async throws -> AsyncStream<PubSubMessage> {
        try await subscriptions.subscribe(.pattern, patterns)
    }

    /// Messages published to shard channels (SSUBSCRIBE).
    public func subscribe(toShardChannels channels: [String]) async throws -> AsyncStream<PubSubMessage> {
        try await subscriptions.subscribe(.shardChannel, channels)
    }
}
