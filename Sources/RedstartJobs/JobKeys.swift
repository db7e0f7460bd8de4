// Where RedstartJobs keeps its state on the server: every key and channel name, in one
// place. The layout is part of the wire format (RedstartJobs.docc/WireFormat.md): a producer in
// another language writes the same keys. All names start with the namespace ("rj" unless
// configured), so several job systems can share one database.
//
//   <ns>:queues                 SET   queue names
//   <ns>:job:<id>               HASH  the job (fields in JobRecordField)
//   <ns>:job:<id>:errors        LIST  one JSON object per failed attempt
//   <ns>:q:<queue>:waiting      LIST  job IDs, pushed on the left, taken from the right
//   <ns>:q:<queue>:delayed      ZSET  job IDs by the time they are due (ms)
//   <ns>:q:<queue>:active       ZSET  job IDs by the time their lease ends (ms)
//   <ns>:q:<queue>:completed    ZSET  job IDs by the time they are forgotten (ms)
//   <ns>:q:<queue>:failed       ZSET  dead letters by the time they are forgotten (ms)
//   <ns>:q:<queue>:paused       STRING present while the queue is paused
//   <ns>:q:<queue>:signal       LIST  at most one element: wakes a waiting worker
//   <ns>:q:<queue>:limit        STRING jobs started in the current rate-limit window
//   <ns>:q:<queue>:stats        HASH  enqueued, completed, failed, retried, cancelled, stalled
//   <ns>:unique:<key>           STRING the job that holds a uniqueness key, until it expires
//   <ns>:workers                ZSET  worker IDs by their last heartbeat (ms)
//   <ns>:worker:<id>            HASH  what a worker is (JSON) and runs
//   <ns>:events                 channel: every job event (JSON)
//   <ns>:job:<id>:events        channel: the events of one job
//   <ns>:cancel                 channel: IDs of active jobs whose cancellation was asked

/// The key and channel names of one namespace.
public struct JobKeys: Sendable, Hashable {
    public let namespace: String

    public init(namespace: String = "rj") {
        self.namespace = namespace
    }

    public var queues: String { "\(namespace):queues" }
    public var workers: String { "\(namespace):workers" }
    public var events: String { "\(namespace):events" }
    public var cancellations: String { "\(namespace):cancel" }
    /// The prefix of every job hash: `<ns>:job:`.
    public var jobPrefix: String { "\(namespace):job:" }

    public func job(_ id: String) -> String { "\(namespace):job:\(id)" }
    public func errors(_ id: String) -> String { "\(namespace):job:\(id):errors" }
    public func jobEvents(_ id: String) -> String { "\(namespace):job:\(id):events" }
    public func unique(_ key: String) -> String { "\(namespace):unique:\(key)" }
    public func worker(_ id: String) -> String { "\(namespace):worker:\(id)" }

    public func waiting(_ queue: String) -> String { "\(namespace):q:\(queue):waiting" }
    public func delayed(_ queue: String) -> String { "\(namespace):q:\(queue):delayed" }
    public func active(_ queue: String) -> String { "\(namespace):q:\(queue):active" }
    public func completed(_ queue: String) -> String { "\(namespace):q:\(queue):completed" }
    public func failed(_ queue: String) -> String { "\(namespace):q:\(queue):failed" }
    public func paused(_ queue: String) -> String { "\(namespace):q:\(queue):paused" }
    public func signal(_ queue: String) -> String { "\(namespace):q:\(queue):signal" }
    public func limit(_ queue: String) -> String { "\(namespace):q:\(queue):limit" }
    public func stats(_ queue: String) -> String { "\(namespace):q:\(queue):stats" }
}

/// The fields of a job hash (`<ns>:job:<id>`).
public enum JobRecordField {
    /// Set by the producer.
    public static let name = "name", payload = "payload", queue = "queue", state = "state"
    public static let attempts = "attempts", maxAttempts = "max_attempts", enqueuedAt = "enqueued_at"
    public static let timeout = "timeout_ms", runAt = "run_at", uniqueKey = "unique_key"
    public static let keepResult = "keep_result_ms"
    /// Set by workers.
    public static let worker = "worker", token = "token", startedAt = "started_at", finishedAt = "finished_at"
    public static let result = "result", progress = "progress", error = "error", cancel = "cancel"
}
