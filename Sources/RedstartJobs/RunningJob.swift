// A job this worker is running: what the lease loop renews, and the handle to cancel its
// handler with a reason (the first reason given wins; the execution decides from it how
// the attempt is recorded).
import NIOConcurrencyHelpers

/// Why a running handler was cancelled.
enum CancelReason: Sendable {
    /// Its attempt took longer than its timeout: a failed attempt.
    case timeout
    /// `JobQueue.cancel`: the job ends as cancelled.
    case requested
    /// Its lease ended (another worker may have it now): nothing is recorded.
    case leaseLost
    /// The worker is stopping: the job goes back to its queue.
    case shutdown
}

final class RunningJob: Sendable {
    let job: FetchedJob
    private struct State {
        var reason: CancelReason?
        var cancelHandler: (@Sendable () -> Void)?
        /// When the last renewal that succeeded was sent (the lease runs from then).
        var leaseRenewed: ContinuousClock.Instant
    }
    private let state: NIOLockedValueBox<State>

    init(job: FetchedJob, leaseRenewed: ContinuousClock.Instant) {
        self.job = job
        state = NIOLockedValueBox(State(leaseRenewed: leaseRenewed))
    }

    var reason: CancelReason? { state.withLockedValue { $0.reason } }
    var leaseRenewed: ContinuousClock.Instant { state.withLockedValue { $0.leaseRenewed } }

    func renewed(at instant: ContinuousClock.Instant) {
        state.withLockedValue { $0.leaseRenewed = instant }
    }

    /// Sets what cancelling the handler does; runs it at once when a reason came first.
    func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let cancelNow = state.withLockedValue { state -> Bool in
            state.cancelHandler = handler
            return state.reason != nil
        }
        if cancelNow { handler() }
    }

    func cancel(because reason: CancelReason) {
        let handler = state.withLockedValue { state -> (@Sendable () -> Void)? in
            guard state.reason == nil else { return nil }
            state.reason = reason
            return state.cancelHandler
        }
        handler?()
    }
}
