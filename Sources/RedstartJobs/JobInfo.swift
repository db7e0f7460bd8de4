// A job as read back from its record: for callers that wait for a result, and for the
// dashboard. Everything the record holds, decoded; the payload and result stay JSON text
// (decode them with `payload(as:)` and `result(as:)`).
import Foundation
import RedstartClient

/// One failed attempt, as kept in `<ns>:job:<id>:errors`.
public struct JobAttemptError: Codable, Sendable, Hashable {
    public var attempt: Int
    /// Server time, milliseconds since 1970.
    public var at: Int64
    public var error: String
    /// Where it was thrown, when the handler's error said (see `JobFailure`).
    public var detail: String?
    public var worker: String
}

/// A job's record.
public struct JobInfo: Sendable, Hashable {
    public var id: String
    public var name: String
    public var queue: String
    public var state: JobState
    /// The payload, JSON.
    public var payloadJSON: String
    public var attempts: Int
    public var maxAttempts: Int
    /// Milliseconds since 1970 (server time).
    public var enqueuedAt: Int64
    public var startedAt: Int64?
    public var finishedAt: Int64?
    public var runAt: Int64?
    public var worker: String?
    /// The result, JSON (completed jobs).
    public var resultJSON: String?
    /// The last progress reported, JSON.
    public var progressJSON: String?
    /// Each failed attempt, oldest first.
    public var errors: [JobAttemptError]
    /// Whether cancellation was asked while it ran.
    public var isCancelRequested: Bool

    /// The payload decoded as `type`.
    public func payload<T: Decodable>(as type: T.Type) throws -> T {
        try JSONCoding.decoder.decode(type, from: Data(payloadJSON.utf8))
    }

    /// The result decoded as `type`; nil before the job completed.
    public func result<T: Decodable>(as type: T.Type) throws -> T? {
        guard let resultJSON else { return nil }
        return try JSONCoding.decoder.decode(type, from: Data(resultJSON.utf8))
    }

    /// A record read with HGETALL (a map in RESP3, a flat array in RESP2); nil when it is
    /// not a job record.
    init?(id: String, fields reply: RESPValue, errors: [RESPValue]) {
        var fields: [String: String] = [:]
        for (key, value) in (reply.elements ?? []).pairs {
            if let key = key.string { fields[key] = value.string }
        }
        guard let name = fields[JobRecordField.name], let stateText = fields[JobRecordField.state],
            let state = JobState(rawValue: stateText)
        else { return nil }
        self.id = id
        self.name = name
        self.state = state
        queue = fields[JobRecordField.queue] ?? "default"
        payloadJSON = fields[JobRecordField.payload] ?? "null"
        attempts = fields[JobRecordField.attempts].flatMap { Int($0) } ?? 0
        maxAttempts = fields[JobRecordField.maxAttempts].flatMap { Int($0) } ?? 1
        enqueuedAt = fields[JobRecordField.enqueuedAt].flatMap { Int64($0) } ?? 0
        startedAt = fields[JobRecordField.startedAt].flatMap { Int64($0) }
        finishedAt = fields[JobRecordField.finishedAt].flatMap { Int64($0) }
        runAt = fields[JobRecordField.runAt].flatMap { Int64($0) }
        worker = fields[JobRecordField.worker]
        resultJSON = fields[JobRecordField.result]
        progressJSON = fields[JobRecordField.progress]
        isCancelRequested = fields[JobRecordField.cancel] != nil
        self.errors = errors.compactMap { value in
            value.string.flatMap { try? JSONCoding.decoder.decode(JobAttemptError.self, from: Data($0.utf8)) }
        }
    }
}

/// How many jobs a queue holds in each state.
public struct QueueCounts: Sendable, Hashable, Codable {
    public var waiting = 0
    public var delayed = 0
    public var active = 0
    public var completed = 0
    public var failed = 0
    public var isPaused = false
    /// Totals since the queue was first used: enqueued, completed, failed, retried,
    /// cancelled, stalled.
    public var totals: [String: Int] = [:]
}
