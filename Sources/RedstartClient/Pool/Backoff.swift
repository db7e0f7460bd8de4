// Exponential backoff with full jitter for reconnects: attempt n waits a random
// time up to min(initial * 2^n, maximum), so clients that lost the same server do
// not all come back in the same millisecond.
import NIOCore

/// Delays between reconnect attempts.
public struct Backoff: Sendable, Hashable {
    public var initial: TimeAmount
    public var maximum: TimeAmount

    public init(initial: TimeAmount = .milliseconds(10), maximum: TimeAmount = .seconds(1)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The delay before attempt `attempt` (0 is the first retry).
    public func delay(attempt: Int) -> TimeAmount {
        let ceiling = min(maximum.nanoseconds, initial.nanoseconds << min(attempt, 30))
        guard ceiling > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: ceiling / 2...ceiling))
    }
}
