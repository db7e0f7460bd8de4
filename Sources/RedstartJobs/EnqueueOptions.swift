// What a producer may say about one job beyond its payload: where, when, how often, how
// long, and whether an equal job already waiting makes this one unnecessary.
import Foundation

/// Options of one `enqueue`.
public struct EnqueueOptions: Sendable {
    /// The queue; the job type's `queue` when nil.
    public var queue: String?
    /// The job's ID; a new UUID when nil. Enqueuing an ID that exists does nothing and
    /// returns it, so an ID derived from the work (an order number) makes enqueue idempotent.
    public var id: String?
    /// Run no sooner than this long from now.
    public var delay: Duration?
    /// Run no sooner than this time (overrides `delay`).
    public var runAt: Date?
    /// Attempts in all; the job type's retry policy when nil.
    public var maxAttempts: Int?
    /// The time one attempt may take; the job type's `timeout` when nil.
    public var timeout: Duration?
    /// While a job enqueued with this key is remembered (for `uniqueFor`), enqueuing another
    /// with the same key returns the first one's ID instead.
    public var uniqueKey: String?
    /// How long the uniqueness key is held (from enqueue).
    public var uniqueFor: Duration = .seconds(3600)
    /// How long the result is kept after the job completes; the worker's setting when nil
    /// (`.zero`: deleted at once).
    public var keepResult: Duration?

    public init(
        queue: String? = nil, id: String? = nil, delay: Duration? = nil, runAt: Date? = nil,
        maxAttempts: Int? = nil, timeout: Duration? = nil, uniqueKey: String? = nil,
        uniqueFor: Duration = .seconds(3600), keepResult: Duration? = nil
    ) {
        self.queue = queue
        self.id = id
        self.delay = delay
        self.runAt = runAt
        self.maxAttempts = maxAttempts
        self.timeout = timeout
        self.uniqueKey = uniqueKey
        self.uniqueFor = uniqueFor
        self.keepResult = keepResult
    }

    /// Milliseconds from now until the job may run (0: now).
    var delayMilliseconds: Int64 {
        if let runAt { return max(0, Int64((runAt.timeIntervalSinceNow * 1000).rounded(.up))) }
        return max(0, delay?.milliseconds ?? 0)
    }
}
