// The errors of RedstartJobs (server errors arrive as RedstartClient's RedisServerError).
import RedstartClient

public enum JobsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `waitUntilFinished` gave up.
    case timedOut(String)
    /// No job has this ID (never enqueued, or forgotten after its keep time).
    case noSuchJob(String)
    /// The operation needs a job that is not running.
    case jobIsActive(String)
    /// A queue name that cannot be part of a key name.
    case invalidQueueName(String)
    /// A cron expression that does not parse.
    case invalidSchedule(String)
    /// The server answered a script with something it never returns.
    case unexpectedReply(String, RESPValue)
    /// A job whose handler is not registered with the worker.
    case noHandler(String)

    public var description: String {
        switch self {
        case .timedOut(let id): return "timed out waiting for job \(id)"
        case .noSuchJob(let id): return "no job \(id)"
        case .jobIsActive(let id): return "job \(id) is running; cancel it first"
        case .invalidQueueName(let name): return "invalid queue name '\(name)'"
        case .invalidSchedule(let detail): return "invalid schedule: \(detail)"
        case .unexpectedReply(let script, let reply): return "unexpected reply to \(script): \(reply)"
        case .noHandler(let name): return "no handler registered for '\(name)'"
        }
    }
}
