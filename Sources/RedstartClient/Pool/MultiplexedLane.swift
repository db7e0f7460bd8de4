// One shared connection that any number of tasks send on at once (their requests
// pipeline through its OutboundBatcher). When it is lost, the next request opens a
// new one (with backoff, through the factory); requests that arrive meanwhile wait
// for that same connect instead of starting their own.
import NIOConcurrencyHelpers
import NIOCore

final class MultiplexedLane: Sendable {
    private enum State {
        case idle
        case connecting([CheckedContinuation<RedstartConnection, any Error>])
        case connected(RedstartConnection)
        case shutDown
    }

    private let factory: ConnectionFactory
    /// The loop every connection of the lane is opened on, so that a task running on
    /// the lane's EventLoopTaskExecutor never leaves its thread.
    let eventLoop: any EventLoop
    private let state = NIOLockedValueBox(State.idle)

    /// The client's cache, when caching: every connection of the lane tracks its reads.
    private let cache: ClientSideCache?

    init(factory: ConnectionFactory, eventLoop: any EventLoop, cache: ClientSideCache?) {
        self.factory = factory
        self.eventLoop = eventLoop
        self.cache = cache
    }

    /// The lane's open connection, connecting first when there is none.
    func connection() async throws -> RedstartConnection {
        let ready: RedstartConnection? = state.withLockedValue { state in
            if case .connected(let connection) = state, connection.isActive { return connection }
            return nil
        }
        if let ready { return ready }
        return try await withCheckedThrowingContinuation { continuation in
            let mustConnect: Bool = state.withLockedValue { state in
                switch state {
                case .connected(let connection) where connection.isActive:
                    continuation.resume(returning: connection)
                    return false
                case .idle, .connected:
                    state = .connecting([continuation])
                    return true
                case .connecting(var waiters):
                    waiters.append(continuation)
                    state = .connecting(waiters)
                    return false
                case .shutDown:
                    continuation.resume(throwing: RedstartClientError.clientShutdown)
                    return false
                }
            }
            if mustConnect {
                Task { await self.connect() }
            }
        }
    }

    private func connect() async {
        let result: Result<RedstartConnection, any Error>
        do {
            result = .success(try await openConnection())
        } catch {
            result = .failure(error)
        }
        let (waiters, orphan): ([CheckedContinuation<RedstartConnection, any Error>], RedstartConnection?) =
            state.withLockedValue { state in
                guard case .connecting(let waiters) = state else {
                    return ([], try? result.get())  // shut down meanwhile
                }
                switch result {
                case .success(let connection): state = .connected(connection)
                case .failure: state = .idle
                }
                return (waiters, nil)
            }
        if let orphan { try? await orphan.close() }
        for waiter in waiters { waiter.resume(with: result) }
    }

    /// A new connection for the lane; with a cache, one that tracks the keys it reads
    /// and sends their invalidations to the cache. Replies cached before it are dropped,
    /// as are those cached through it once it closes: invalidations may have been missed.
    private func openConnection() async throws -> RedstartConnection {
        guard let cache else { return try await factory.connect(on: eventLoop) }
        let connection = try await factory.connect(on: eventLoop, onPush: { cache.handle(push: $0) })
        do {
            guard connection.protocolVersion == 3 else {
                throw RedstartClientError.notAllowed("client-side caching needs RESP3 (the server answered HELLO 3 with an error)")
            }
            _ = try await connection.execute(RedisCommand(arguments: ["CLIENT", "TRACKING", "ON"]))
        } catch {
            try? await connection.close()
            throw error
        }
        cache.connectionChanged()
        connection.closeFuture.whenComplete { _ in cache.connectionChanged() }
        return connection
    }

    /// Whether the lane holds a connection it believes open (it learns of a close when
    /// the connection's event loop sees it).
    var hasOpenConnection: Bool {
        state.withLockedValue { state in
            if case .connected(let connection) = state { return connection.isActive }
            return false
        }
    }

    /// Closes the lane's connection; later requests fail with clientShutdown.
    func shutDown() async {
        let previous = state.withLockedValue { state in
            let previous = state
            state = .shutDown
            return previous
        }
        switch previous {
        case .connected(let connection): try? await connection.close()
        case .connecting(let waiters): for waiter in waiters { waiter.resume(throwing: RedstartClientError.clientShutdown) }
        default: break
        }
    }
}
