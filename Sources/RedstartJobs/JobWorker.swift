// A worker: takes jobs from its queues, runs their handlers with bounded concurrency,
// keeps their leases alive while they run, and records how each ended. Host it in your
// own executable as a swift-service-lifecycle Service (a ServiceGroup stops it gracefully
// on SIGTERM), or call `run()` and `stop()` yourself. The loops it runs:
//   fetching (JobWorker+Fetching): waits for free slots and for work, leases jobs;
//   each job (JobWorker+Execution): handler, timeout, cancellation, complete/fail;
//   leases (JobWorker+Leases): heartbeat, lease renewal, cancellation requests, reaper;
//   schedules (JobWorker+Schedules): cron ticks, one enqueue per tick across all workers.
import Foundation
import Logging
import NIOConcurrencyHelpers
import RedstartClient
import ServiceLifecycle

/// Runs jobs. Register handlers before `run()`.
public final class JobWorker: Service, Sendable {
    /// A queue the worker takes jobs from, and its weight.
    public struct QueueSelection: Sendable, Hashable {
        public var name: String
        /// With weights, each fetch tries the queues in a random order in which a queue of
        /// weight 3 comes first three times as often as one of weight 1; without (all nil),
        /// in the order given (strict priority).
        public var weight: Int?

        public init(_ name: String, weight: Int? = nil) {
            self.name = name
            self.weight = weight
        }
    }

    /// At most `jobs` started per `period` from one queue, across all workers.
    public struct RateLimit: Sendable, Hashable {
        public var jobs: Int
        public var period: Duration

        public init(jobs: Int, per period: Duration) {
            self.jobs = max(1, jobs)
            self.period = period
        }
    }

    public struct Configuration: Sendable {
        public var queues: [QueueSelection]
        /// Jobs run at once by this worker.
        public var concurrency: Int
        /// Jobs leased beyond the free slots, started as slots free up: fewer round trips
        /// per job when handlers are short, at the cost of holding jobs that an idle worker
        /// elsewhere could have run (0: lease only what can start now).
        public var prefetch = 0
        /// Jobs of one queue run at once by this worker (no limit when absent).
        public var queueConcurrency: [String: Int] = [:]
        public var rateLimits: [String: RateLimit] = [:]
        /// How long a job stays leased without a heartbeat; the reaper gives back jobs whose
        /// lease ended. Renewed every third of it.
        public var lease: Duration = .seconds(30)
        /// How often each worker looks for jobs whose lease ended.
        public var reapInterval: Duration = .seconds(5)
        /// The longest wait for work before the queues are looked at again.
        public var idleWait: Duration = .seconds(1)
        /// After `stop()`, how long running jobs may take to finish before they are
        /// cancelled and given back to their queues.
        public var shutdownGracePeriod: Duration = .seconds(25)
        /// How long a completed job's record and result are kept (unless its enqueue said).
        public var keepResult: Duration = .seconds(86400)
        /// How long a dead letter is kept (`nil`: until discarded).
        public var keepFailed: Duration? = .seconds(7 * 86400)
        public var namespace = "rj"
        public var workerID: String
        public var logger = Logger(label: "redstart.jobs")

        public init(queues: [QueueSelection] = [QueueSelection("default")], concurrency: Int = 10) {
            self.queues = queues
            self.concurrency = max(1, concurrency)
            let host = ProcessInfo.processInfo.hostName
            workerID = "\(host):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8).lowercased())"
        }
    }

    public let configuration: Configuration
    public let jobs: JobQueue
    let handlers = NIOLockedValueBox([String: RegisteredHandler]())
    let schedules = NIOLockedValueBox([ScheduledJob]())
    let running = NIOLockedValueBox([String: RunningJob]())
    let lifecycle = NIOLockedValueBox(Lifecycle.idle)
    let slots: SlotGate
    let metrics: JobMetrics
    let completions: CompletionBatcher

    enum Lifecycle {
        case idle, running, stopping, stopped
    }

    public init(client: RedstartClient, configuration: Configuration) {
        self.configuration = configuration
        jobs = JobQueue(client: client, namespace: configuration.namespace)
        slots = SlotGate(slots: configuration.concurrency)
        metrics = JobMetrics()
        completions = CompletionBatcher(jobs: jobs)
    }

    /// Registers a Job type: jobs named `J.name` are decoded as J and run with `J.run`.
    public func register<J: Job>(_ type: J.Type) {
        register(name: J.name, payload: J.self, retryPolicy: J.retryPolicy, timeout: J.timeout) { job, context in
            try await job.run(context: context)
        }
    }

    /// Registers a handler for jobs named `name` whose payload decodes as `payload`.
    public func register<Payload: Decodable & Sendable, Output: Encodable & Sendable>(
        name: String, payload: Payload.Type, retryPolicy: RetryPolicy = RetryPolicy(), timeout: Duration? = nil,
        handler: @escaping @Sendable (Payload, JobContext) async throws -> Output
    ) {
        let registered = RegisteredHandler(retryPolicy: retryPolicy, timeout: timeout) { payloadJSON, context in
            let payload = try JSONCoding.decoder.decode(Payload.self, from: Data(payloadJSON.utf8))
            return try JSONCoding.text(try await handler(payload, context))
        }
        handlers.withLockedValue { $0[name] = registered }
    }

    /// Runs until `stop()` (or a graceful shutdown of its ServiceGroup), then lets running
    /// jobs finish for `shutdownGracePeriod` and gives back those that did not.
    public func run() async throws {
        let starting = lifecycle.withLockedValue { state -> Bool in
            guard case .idle = state else { return false }
            state = .running
            return true
        }
        guard starting else { return }
        for queue in configuration.queues { try JobQueue.validate(queue: queue.name) }
        configuration.logger.info(
            "worker started",
            metadata: ["worker": "\(configuration.workerID)", "queues": "\(configuration.queues.map(\.name))"])
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.leaseLoop() }
                group.addTask { await self.reapLoop() }
                group.addTask { await self.scheduleLoop() }
                group.addTask { await self.listenForCancellations() }
                await self.fetchLoop()
                // Fetching has stopped and every job has ended: the other loops may end too.
                self.lifecycle.withLockedValue { $0 = .stopped }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stop()
        }
        configuration.logger.info("worker stopped", metadata: ["worker": "\(configuration.workerID)"])
    }

    /// Stops fetching; `run()` returns once running jobs have finished or been given back.
    public func stop() {
        lifecycle.withLockedValue { state in
            if case .running = state { state = .stopping }
        }
    }

    var isRunning: Bool {
        lifecycle.withLockedValue { if case .running = $0 { return true } else { return false } }
    }

    var isStopped: Bool {
        lifecycle.withLockedValue { if case .stopped = $0 { return true } else { return false } }
    }

    /// The IDs of the jobs running now.
    public var runningJobIDs: [String] {
        running.withLockedValue { Array($0.keys) }
    }
}

/// A handler as the worker keeps it: JSON in, JSON out.
struct RegisteredHandler: Sendable {
    let retryPolicy: RetryPolicy
    let timeout: Duration?
    let invoke: @Sendable (String, JobContext) async throws -> String
}
