// What the dashboard's JSON API returns (GET /api/overview, the live stream, the job
// lists and a job's page). Plain Codable values: the page's script reads these names.
import Hummingbird
import RedstartJobs

/// Everything the main page shows, read at one moment.
struct DashboardOverview: ResponseEncodable, Sendable {
    /// Server time of the reading, milliseconds since 1970.
    var time: Int64
    var namespace: String
    var queues: [QueueSummary]
    var workers: [WorkerSummary]
    var server: ServerSummary
    var slowlog: [SlowlogEntry]
    /// The newest sample of the charts.
    var sample: HistorySample?
    /// Every sample kept (the page's first load only; the live stream sends `sample`).
    var history: [HistorySample]?
}

struct QueueSummary: Codable, Sendable, Hashable {
    var name: String
    var waiting: Int
    var delayed: Int
    var active: Int
    var completed: Int
    var failed: Int
    var paused: Bool
    /// Totals since the queue was first used: enqueued, completed, failed, retried, cancelled, stalled.
    var totals: [String: Int]
    /// Jobs completed per second over the last sampling interval.
    var completedPerSecond: Double
}

struct WorkerSummary: Codable, Sendable, Hashable {
    var id: String
    var pid: Int
    var queues: [String]
    var concurrency: Int
    var lastSeen: Int64
    var running: [RunningJobSummary]
}

struct RunningJobSummary: Codable, Sendable, Hashable {
    var id: String
    var name: String
    var queue: String
    var startedAt: Int64?
}

/// The server panel: read from INFO.
struct ServerSummary: Codable, Sendable, Hashable {
    var version: String
    /// Set when the server is Redstart.
    var redstartVersion: String?
    var uptimeSeconds: Int
    var usedMemory: Int
    var usedMemoryHuman: String
    var usedMemoryRSS: Int
    var maxmemory: Int
    var maxmemoryPolicy: String
    var connectedClients: Int
    var blockedClients: Int
    var opsPerSecond: Int
    var totalCommands: Int
    var keys: Int
}

/// One SLOWLOG GET entry.
struct SlowlogEntry: Codable, Sendable, Hashable {
    var id: Int
    /// Unix time, seconds.
    var at: Int64
    var microseconds: Int
    var command: [String]
    var client: String
}

/// One point of the charts: rates over the interval that ended at `time`.
struct HistorySample: Codable, Sendable, Hashable {
    var time: Int64
    var enqueuedPerSecond: Double
    var completedPerSecond: Double
    var failedPerSecond: Double
    /// Enqueue-to-start and run times of the jobs completed in the interval, ms (nil: none completed).
    var waitP50: Double?
    var waitP99: Double?
    var runP50: Double?
    var runP99: Double?
    var opsPerSecond: Double
    var usedMemory: Int
}

/// A row of a job list.
struct JobSummary: Codable, Sendable, Hashable {
    var id: String
    var name: String
    var state: String
    var attempts: Int
    var maxAttempts: Int
    var enqueuedAt: Int64
    var runAt: Int64?
    var finishedAt: Int64?
    /// The last attempt's error (failed and cancelled jobs).
    var error: String?
}

struct JobList: ResponseEncodable, Sendable {
    var queue: String
    var state: String
    var jobs: [JobSummary]
}

/// A job's page: everything its record holds.
struct JobDetail: ResponseEncodable, Sendable {
    var id: String
    var name: String
    var queue: String
    var state: String
    var payload: String
    var attempts: Int
    var maxAttempts: Int
    var enqueuedAt: Int64
    var startedAt: Int64?
    var finishedAt: Int64?
    var runAt: Int64?
    var worker: String?
    var result: String?
    var progress: String?
    var cancelRequested: Bool
    var errors: [JobAttemptError]

    init(_ info: JobInfo) {
        id = info.id
        name = info.name
        queue = info.queue
        state = info.state.rawValue
        payload = info.payloadJSON
        attempts = info.attempts
        maxAttempts = info.maxAttempts
        enqueuedAt = info.enqueuedAt
        startedAt = info.startedAt
        finishedAt = info.finishedAt
        runAt = info.runAt
        worker = info.worker
        result = info.resultJSON
        progress = info.progressJSON
        cancelRequested = info.isCancelRequested
        errors = info.errors
    }
}

/// The answer to an action (retry, cancel, delete, pause, resume).
struct ActionResult: ResponseEncodable, Sendable {
    var ok: Bool
    var message: String
}
