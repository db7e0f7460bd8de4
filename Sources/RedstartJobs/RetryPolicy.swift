// How often a job is tried and how long it waits between tries: exponential backoff with
// jitter, so that jobs that failed together (a database down) do not come back together.

/// Attempts and the delay before each retry.
public struct RetryPolicy: Sendable, Hashable {
    /// Runs in all, the first included (1: never retried).
    public var maxAttempts: Int
    /// The delay before the first retry; each later one doubles it.
    public var initialDelay: Duration
    /// The longest delay.
    public var maximumDelay: Duration
    /// The share of each delay that is random (0: none, 1: anywhere from 0 to the delay).
    public var jitter: Double

    public init(
        maxAttempts: Int = 3, initialDelay: Duration = .seconds(1), maximumDelay: Duration = .seconds(3600),
        jitter: Double = 0.5
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.jitter = min(max(jitter, 0), 1)
    }

    /// Never retried.
    public static let never = RetryPolicy(maxAttempts: 1)

    /// The delay in milliseconds before the attempt after `attempt` (1 for the first).
    public func delayMilliseconds(after attempt: Int, random: Double = Double.random(in: 0..<1)) -> Int64 {
        let initial = Double(initialDelay.milliseconds)
        let exponent = Double(min(max(attempt - 1, 0), 62))
        let full = min(initial * Double.pow2(exponent), Double(maximumDelay.milliseconds))
        return Int64((full * (1 - jitter * random)).rounded())
    }
}

extension Double {
    fileprivate static func pow2(_ exponent: Double) -> Double {
        var value = 1.0
        var left = Int(exponent)
        while left > 0 && value < 1e18 {
            value *= 2
            left -= 1
        }
        return value
    }
}

extension Duration {
    /// Whole milliseconds (rounded down).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
