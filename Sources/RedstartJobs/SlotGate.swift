// The worker's concurrency limit: how many jobs may run at once. The fetch loop waits
// here while every slot is taken, and asks only for as many jobs as there are free slots.
import NIOConcurrencyHelpers

final class SlotGate: Sendable {
    private struct State {
        var free: Int
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state: NIOLockedValueBox<State>

    init(slots: Int) {
        state = NIOLockedValueBox(State(free: max(1, slots)))
    }

    /// Waits until at least one slot is free and returns how many are.
    func waitForFree() async -> Int {
        while true {
            let free = state.withLockedValue { $0.free }
            if free > 0 { return free }
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLockedValue { state -> Bool in
                    if state.free > 0 { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    func take(_ count: Int) {
        state.withLockedValue { $0.free -= count }
    }

    func release() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            state.free += 1
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}
