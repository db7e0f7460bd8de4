// What a job is to the library: a Codable payload whose type names its handler. A type
// that conforms to Job carries its own handler (`run`) and defaults (queue, attempts,
// retry delays, timeout); `JobWorker.register(name:…)` takes a closure instead, for
// payloads that are plain data (for example those a producer in another language sends).

/// A job: its stored properties are the payload (as JSON), `run` is its handler.
public protocol Job: Codable, Sendable {
    /// What `run` returns, kept as the job's result (JSON) for `keepResult`.
    associatedtype Output: Codable & Sendable = JobNoOutput

    /// The handler's name in the job record; workers find the handler by it. The type's
    /// name unless given.
    static var name: String { get }
    /// The queue `enqueue` uses when the options name none.
    static var queue: String { get }
    /// Attempts and the delays between them.
    static var retryPolicy: RetryPolicy { get }
    /// How long one attempt may run before it is cancelled and counted as failed.
    static var timeout: Duration? { get }

    /// Does the work. Throwing fails the attempt (retried as `retryPolicy` says);
    /// cancellation (a timeout, `JobQueue.cancel`, a shutdown) arrives as task cancellation.
    func run(context: JobContext) async throws -> Output
}

extension Job {
    public static var name: String { String(describing: Self.self) }
    public static var queue: String { "default" }
    public static var retryPolicy: RetryPolicy { RetryPolicy() }
    public static var timeout: Duration? { nil }
}

/// The result of a job that returns nothing (stored as `{}`).
public struct JobNoOutput: Codable, Sendable, Hashable {
    public init() {}
}

/// A job's place in its life.
public enum JobState: String, Codable, Sendable, CaseIterable {
    /// On its queue's waiting list.
    case waiting
    /// Due later: enqueued with a delay, or waiting to be retried.
    case delayed
    /// Leased by a worker, running.
    case active
    /// Done; its result is kept for a while.
    case completed
    /// Out of attempts: a dead letter, with the error of each attempt.
    case failed
    /// Cancelled before it finished.
    case cancelled
}
