// The producer's side: enqueue jobs, read them back, wait for them. Works on any
// RedstartClient (Redstart or Redis 7); every change of a job's state is one script (see
// JobScripts), so producers and workers on many machines never see a half-made job.
import Foundation
import RedstartClient

/// Enqueues jobs and reads their records. Cheap to copy; share one client.
public struct JobQueue: Sendable {
    public let client: RedstartClient
    public let keys: JobKeys

    public init(client: RedstartClient, namespace: String = "rj") {
        self.client = client
        keys = JobKeys(namespace: namespace)
    }

    /// Enqueues `job` (its type names the handler) and returns its ID; when `options`
    /// give an ID or a uniqueness key already taken, returns the existing job's ID.
    @discardableResult
    public func enqueue<J: Job>(_ job: J, options: EnqueueOptions = EnqueueOptions()) async throws -> String {
        var options = options
        if options.maxAttempts == nil { options.maxAttempts = J.retryPolicy.maxAttempts }
        if options.timeout == nil { options.timeout = J.timeout }
        return try await enqueue(name: J.name, payload: job, queue: options.queue ?? J.queue, options: options)
    }

    /// Enqueues a job for the handler registered as `name`, with any Encodable payload.
    @discardableResult
    public func enqueue(
        name: String, payload: some Encodable, queue: String = "default", options: EnqueueOptions = EnqueueOptions()
    ) async throws -> String {
        let call = try enqueueCall(name: name, payloadJSON: try JSONCoding.text(payload), queue: queue, options: options)
        let reply = try await client.run(JobScripts.enqueue, keys: call.keys, arguments: call.arguments)
        guard let elements = reply.elements, elements.count == 2, let holder = elements[1].string else {
            throw JobsError.unexpectedReply("enqueue", reply)
        }
        return holder
    }

    /// Enqueues one job per payload for the handler `name`, all in one pipeline (one
    /// write, one round trip); returns their IDs in order.
    @discardableResult
    public func enqueue<Payload: Encodable>(
        name: String, payloads: [Payload], queue: String = "default", options: EnqueueOptions = EnqueueOptions()
    ) async throws -> [String] {
        guard let first = payloads.first else { return [] }
        // IDs and uniqueness keys name single jobs: not used here.
        var options = options
        options.id = nil
        options.uniqueKey = nil
        // The first through `run`, which loads the script when the server lacks it.
        var ids = [try await enqueue(name: name, payload: first, queue: queue, options: options)]
        var commands: [RedisCommand] = []
        for payload in payloads.dropFirst() {
            let call = try enqueueCall(name: name, payloadJSON: try JSONCoding.text(payload), queue: queue, options: options)
            ids.append(call.id)
            commands.append(RedisCommand.evalsha(JobScripts.enqueue.sha1, keys: call.keys, args: call.arguments))
        }
        for reply in try await client.pipeline(commands) {
            if case .error(let message) = reply { throw RedisServerError(message) }
        }
        return ids
    }

    /// The enqueue script's keys and arguments for one job (see JobScripts.enqueue).
    private func enqueueCall(
        name: String, payloadJSON: String, queue: String, options: EnqueueOptions
    ) throws -> (id: String, keys: [String], arguments: [any RESPArgumentEncodable]) {
        let queue = options.queue ?? queue
        try Self.validate(queue: queue)
        let id = options.id ?? UUID().uuidString.lowercased()
        let uniqueMilliseconds = options.uniqueKey == nil ? 0 : max(1, options.uniqueFor.milliseconds)
        let keys: [String] = [
            self.keys.job(id), self.keys.waiting(queue), self.keys.delayed(queue), self.keys.signal(queue),
            self.keys.queues, self.keys.stats(queue), self.keys.unique(options.uniqueKey ?? ""),
        ]
        let arguments: [any RESPArgumentEncodable] = [
            id, queue, name, payloadJSON, options.delayMilliseconds, uniqueMilliseconds,
            options.maxAttempts ?? RetryPolicy().maxAttempts, options.timeout?.milliseconds ?? 0,
            options.keepResult?.milliseconds ?? -1, JobEvent(event: .enqueued, id: id, queue: queue).json,
            self.keys.events,
        ]
        return (id, keys, arguments)
    }

    /// The job's record, or nil when there is none (never enqueued, or forgotten).
    public func info(_ id: String) async throws -> JobInfo? {
        let replies = try await client.pipeline([
            RedisCommand(arguments: ["HGETALL", keys.job(id)]),
            RedisCommand(arguments: ["LRANGE", keys.errors(id), "0", "-1"]),
        ])
        return JobInfo(id: id, fields: replies[0], errors: replies[1].elements ?? [])
    }

    /// Waits until the job completes, fails for good or is cancelled, and returns its
    /// record; throws `JobsError.timedOut` after `timeout`, `JobsError.noSuchJob` when there
    /// is no such job.
    public func waitUntilFinished(_ id: String, timeout: Duration = .seconds(60)) async throws -> JobInfo {
        let events = try await client.subscribe(to: [keys.jobEvents(id)])
        // Subscribed first, then read: an event between the two cannot be missed.
        return try await withThrowingTaskGroup(of: JobInfo?.self) { group in
            group.addTask {
                for await message in events {
                    guard let event = try? JSONCoding.decoder.decode(JobEvent.self, from: Data(message.payload.bytes))
                    else { continue }
                    if event.isFinal { return try await self.info(id) }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw JobsError.timedOut(id)
            }
            guard let current = try await info(id) else {
                group.cancelAll()
                throw JobsError.noSuchJob(id)
            }
            if [.completed, .failed, .cancelled].contains(current.state) {
                group.cancelAll()
                return current
            }
            while let finished = try await group.next() {
                if let finished {
                    group.cancelAll()
                    return finished
                }
            }
            throw JobsError.noSuchJob(id)
        }
    }

    /// Cancels a job: a waiting or delayed one at once, an active one by asking its worker
    /// (its handler sees task cancellation). Returns the state it was in; nil when there is
    /// no such job.
    @discardableResult
    public func cancel(_ id: String, keepFor: Duration = .seconds(7 * 86400)) async throws -> JobState? {
        guard let queue = try await queue(of: id) else { return nil }
        let reply = try await client.run(
            JobScripts.cancel,
            keys: [
                keys.job(id), keys.waiting(queue), keys.delayed(queue), keys.failed(queue), keys.stats(queue),
                keys.cancellations,
            ],
            arguments: [
                id, keepFor.milliseconds, JobEvent(event: .cancelled, id: id, queue: queue).json, keys.events,
                keys.jobEvents(id),
            ])
        return reply.string.flatMap { JobState(rawValue: $0) }
    }

    /// Runs a failed or cancelled job again, with its attempts counted from zero.
    /// Returns false when the job is in another state.
    @discardableResult
    public func retry(_ id: String) async throws -> Bool {
        guard let queue = try await queue(of: id) else { return false }
        let reply = try await client.run(
            JobScripts.retry,
            keys: [keys.job(id), keys.failed(queue), keys.waiting(queue), keys.signal(queue), keys.errors(id)],
            arguments: [id])
        return reply.int == 1
    }

    /// Deletes a job that is not running (a dead letter discarded, a waiting job
    /// withdrawn). Returns false when there is no such job; throws when it is active.
    @discardableResult
    public func delete(_ id: String) async throws -> Bool {
        guard let queue = try await queue(of: id) else { return false }
        let reply = try await client.run(
            JobScripts.delete,
            keys: [
                keys.job(id), keys.errors(id), keys.waiting(queue), keys.delayed(queue), keys.completed(queue),
                keys.failed(queue),
            ],
            arguments: [id])
        if reply.int == -1 { throw JobsError.jobIsActive(id) }
        return reply.int == 1
    }

    /// The queue of job `id` (nil when there is no such job).
    private func queue(of id: String) async throws -> String? {
        try await client.execute("HGET", keys.job(id), JobRecordField.queue).string
    }

    /// Stops workers from taking jobs of `queue` (running ones finish).
    public func pause(_ queue: String) async throws {
        try await client.execute("SET", keys.paused(queue), "1")
    }

    /// Lets workers take jobs of `queue` again.
    public func resume(_ queue: String) async throws {
        _ = try await client.pipeline([
            RedisCommand(arguments: ["DEL", keys.paused(queue)]),
            RedisCommand(arguments: ["LPUSH", keys.signal(queue), "1"]),
            RedisCommand(arguments: ["LTRIM", keys.signal(queue), "0", "0"]),
        ])
    }

    /// The queues jobs were ever enqueued to, sorted.
    public func queues() async throws -> [String] {
        try await client.execute("SMEMBERS", keys.queues).elements?.compactMap(\.string).sorted() ?? []
    }

    /// How many jobs `queue` holds in each state, and its totals.
    public func counts(_ queue: String) async throws -> QueueCounts {
        let replies = try await client.pipeline([
            RedisCommand(arguments: ["LLEN", keys.waiting(queue)]),
            RedisCommand(arguments: ["ZCARD", keys.delayed(queue)]),
            RedisCommand(arguments: ["ZCARD", keys.active(queue)]),
            RedisCommand(arguments: ["ZCARD", keys.completed(queue)]),
            RedisCommand(arguments: ["ZCARD", keys.failed(queue)]),
            RedisCommand(arguments: ["EXISTS", keys.paused(queue)]),
            RedisCommand(arguments: ["HGETALL", keys.stats(queue)]),
        ])
        var counts = QueueCounts()
        counts.waiting = Int(replies[0].int ?? 0)
        counts.delayed = Int(replies[1].int ?? 0)
        counts.active = Int(replies[2].int ?? 0)
        counts.completed = Int(replies[3].int ?? 0)
        counts.failed = Int(replies[4].int ?? 0)
        counts.isPaused = replies[5].int == 1
        for (name, value) in (replies[6].elements ?? []).pairs {
            if let name = name.string, let value = value.int { counts.totals[name] = Int(value) }
        }
        return counts
    }

    /// The IDs of jobs of `queue` in `state` (up to `limit`; waiting ones oldest first,
    /// the others by their score).
    public func jobIDs(in queue: String, state: JobState, limit: Int = 100) async throws -> [String] {
        let reply: RESPValue
        switch state {
        case .waiting: reply = try await client.execute("LRANGE", keys.waiting(queue), -limit, -1)
        case .delayed: reply = try await client.execute("ZRANGE", keys.delayed(queue), 0, limit - 1)
        case .active: reply = try await client.execute("ZRANGE", keys.active(queue), 0, limit - 1)
        case .completed: reply = try await client.execute("ZREVRANGE", keys.completed(queue), 0, limit - 1)
        case .failed, .cancelled: reply = try await client.execute("ZREVRANGE", keys.failed(queue), 0, limit - 1)
        }
        let ids = reply.elements?.compactMap(\.string) ?? []
        return state == .waiting ? ids.reversed() : ids
    }

    /// Every job event of the namespace, as published (a stream that ends when the
    /// client shuts down).
    public func events() async throws -> AsyncCompactMapSequence<AsyncStream<PubSubMessage>, JobEvent> {
        try await client.subscribe(to: [keys.events]).compactMap { message in
            try? JSONCoding.decoder.decode(JobEvent.self, from: Data(message.payload.bytes))
        }
    }

    /// Queue names become parts of key names: no empty names, none with a colon's
    /// ambiguity at the end, nothing a key pattern would misread.
    static func validate(queue: String) throws {
        if queue.isEmpty || queue.contains(where: { "*?[]\\ \n\r".contains($0) }) {
            throw JobsError.invalidQueueName(queue)
        }
    }
}
