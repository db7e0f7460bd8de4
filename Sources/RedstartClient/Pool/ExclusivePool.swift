// Connections lent to one task at a time: blocking commands, WATCH transactions,
// `withConnection`. At most `maximum` are open; a task that finds them all lent
// waits in FIFO order until one comes back or the lease timeout passes. A connection
// idle longer than the health-check interval is PINGed before it is lent again;
// one that fails the check, or that is given back as unusable, is closed and its
// place freed.
import DequeModule
import NIOConcurrencyHelpers
import NIOCore

final class ExclusivePool: Sendable {
    private struct Idle {
        let connection: RedstartConnection
        let since: NIODeadline
    }

    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<RedstartConnection?, any Error>
    }

    private struct State {
        var idle: [Idle] = []
        var open = 0
        var waiters = Deque<Waiter>()
        var nextWaiterID = 0
        var isShutDown = false
    }

    private let factory: ConnectionFactory
    private let maximum: Int
    private let leaseTimeout: TimeAmount
    private let healthCheckInterval: TimeAmount
    private let state = NIOLockedValueBox(State())

    init(factory: ConnectionFactory, maximum: Int, leaseTimeout: TimeAmount, healthCheckInterval: TimeAmount) {
        self.factory = factory
        self.maximum = max(1, maximum)
        self.leaseTimeout = leaseTimeout
        self.healthCheckInterval = healthCheckInterval
    }

    /// Connections open now (lent and idle).
    var openCount: Int { state.withLockedValue { $0.open } }

    /// A connection for the caller alone; give it back with `release`.
    func lease() async throws -> RedstartConnection {
        while true {
            enum Next {
                case reuse(Idle)
                case open
                case wait(Int)
            }
            var next: Next = try state.withLockedValue { state in
                if state.isShutDown { throw RedstartClientError.clientShutdown }
                while let idle = state.idle.popLast() {
                    if idle.connection.isActive { return .reuse(idle) }
                    state.open -= 1
                }
                if state.open < maximum {
                    state.open += 1
                    return .open
                }
                state.nextWaiterID += 1
                return .wait(state.nextWaiterID)
            }
            if case .wait(let id) = next {
                if let handed = try await waitForRelease(id: id) { return handed }
                next = .open  // a place was freed and reserved for this task
            }
            switch next {
            case .reuse(let idle):
                if NIODeadline.now() - idle.since < healthCheckInterval { return idle.connection }
                if (try? await idle.connection.execute(RedisCommand("PING"))) != nil { return idle.connection }
                try? await idle.connection.close()
                state.withLockedValue { $0.open -= 1 }
            case .open:
                do {
                    return try await factory.connect()
                } catch {
                    placeFreed()
                    throw error
                }
            case .wait:
                break
            }
        }
    }

    private func waitForRelease(id: Int) async throws -> RedstartConnection? {
        let timeout = leaseTimeout
        let timer = factory.group.next().scheduleTask(in: timeout) { [self] in
            let expired = state.withLockedValue { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            expired?.continuation.resume(throwing: RedstartClientError.timeout("no connection free within \(timeout)"))
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            let shutDown = state.withLockedValue { state in
                if state.isShutDown { return true }
                state.waiters.append(Waiter(id: id, continuation: continuation))
                return false
            }
            if shutDown { continuation.resume(throwing: RedstartClientError.clientShutdown) }
        }
    }

    /// Gives a leased connection back; `reusable: false` closes it (its state is unknown).
    func release(_ connection: RedstartConnection, reusable: Bool) {
        let keep = reusable && connection.isActive
        let (waiter, mustClose): (Waiter?, Bool) = state.withLockedValue { state in
            // A waiter takes the connection, or its place when the connection cannot be kept.
            if let waiter = state.waiters.popFirst() { return (waiter, !keep) }
            if keep && !state.isShutDown {
                state.idle.append(Idle(connection: connection, since: .now()))
                return (nil, false)
            }
            state.open -= 1
            return (nil, true)
        }
        if mustClose { Task { try? await connection.close() } }
        waiter?.continuation.resume(returning: keep ? connection : nil)
    }

    private func placeFreed() {
        let waiter: Waiter? = state.withLockedValue { state in
            state.open -= 1
            return state.waiters.popFirst().map { waiter in
                state.open += 1
                return waiter
            }
        }
        waiter?.continuation.resume(returning: nil)
    }

    /// Closes idle connections and fails waiters; lent ones close when given back.
    func shutDown() async {
        let (idle, waiters) = state.withLockedValue { state in
            state.isShutDown = true
            let idle = state.idle
            state.open -= idle.count
            state.idle = []
            let waiters = state.waiters
            state.waiters = []
            return (idle, waiters)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: RedstartClientError.clientShutdown) }
        for entry in idle { try? await entry.connection.close() }
    }
}
