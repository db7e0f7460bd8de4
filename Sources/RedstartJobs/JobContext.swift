// What a handler knows about the job it runs, and what it may do besides its work:
// report progress (stored and published) and run steps at most once across retries.
import Foundation
import Logging
import RedstartClient

/// The running job, as its handler sees it.
public struct JobContext: Sendable {
    public let id: String
    public let name: String
    public let queue: String
    /// 1 for the first run.
    public let attempt: Int
    public let maxAttempts: Int
    /// When it was enqueued, milliseconds since 1970 (server time).
    public let enqueuedAt: Int64
    /// The worker's logger, with the job's ID and name as metadata.
    public let logger: Logger
    let jobs: JobQueue

    /// Whether a failure now would dead-letter the job.
    public var isLastAttempt: Bool { attempt >= maxAttempts }

    /// Stores `progress` (as JSON) in the job's record and publishes a progress event.
    public func reportProgress(_ progress: some Encodable) async throws {
        let json = try JSONCoding.text(progress)
        let event = JobEvent(event: .progress, id: id, queue: queue, attempt: attempt, progress: json).json
        _ = try await jobs.client.pipeline([
            RedisCommand(arguments: ["HSET", jobs.keys.job(id), JobRecordField.progress, json]),
            RedisCommand(arguments: ["PUBLISH", jobs.keys.jobEvents(id), event]),
            RedisCommand(arguments: ["PUBLISH", jobs.keys.events, event]),
        ])
    }

    /// Runs `body` unless an earlier attempt of this job already ran it to the end, in
    /// which case its stored result is returned. Makes a retried job skip the side effects
    /// it already had (an email sent, a card charged). A crash between `body` returning and
    /// its result being stored runs it again: make `body` itself idempotent where that matters.
    public func step<T: Codable & Sendable>(_ stepName: String, _ body: () async throws -> T) async throws -> T {
        let field = "step:\(stepName)"
        if let stored = try await jobs.client.execute("HGET", jobs.keys.job(id), field).string {
            return try JSONCoding.decoder.decode(T.self, from: Data(stored.utf8))
        }
        let value = try await body()
        try await jobs.client.execute("HSET", jobs.keys.job(id), field, try JSONCoding.text(value))
        return value
    }
}
