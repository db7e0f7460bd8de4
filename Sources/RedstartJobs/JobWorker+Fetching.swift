// The fetch loop: while the worker runs, wait for a free slot, lease as many jobs as
// there are free slots plus `prefetch` (one script over all queues, in weighted order),
// start as many as there are free slots and keep the rest for the next free ones, and
// when there is nothing to take, block on the queues' signal lists (BLPOP) until a
// producer pushes, a delayed job falls due, or `idleWait` passes.
import Foundation
import RedstartClient

/// A job as the fetch script leased it.
struct FetchedJob: Sendable {
    let queueIndex: Int
    let queue: String
    let id: String
    let name: String
    let payloadJSON: String
    let attempt: Int
    let token: String
    let enqueuedAt: Int64
    /// When it fell due: enqueued, or its delay (or retry backoff) over.
    let dueAt: Int64
    let maxAttempts: Int
    let timeoutMilliseconds: Int64
    let keepResultMilliseconds: Int64
    /// Server time when it was leased.
    let leasedAt: Int64
}

extension JobWorker {
    func fetchLoop() async {
        let queues = configuration.queues
        await withDiscardingTaskGroup { group in
            var failures = 0
            // Leased beyond the free slots (`prefetch`): started as slots free up.
            var buffered: [(FetchedJob, RunningJob)] = []
            while isRunning {
                let free = await slots.waitForFree()
                guard isRunning else { break }
                if buffered.isEmpty {
                    let leaseSent = ContinuousClock.now
                    let batch: (jobs: [FetchedJob], wakeMilliseconds: Int64)
                    do {
                        batch = try await fetch(want: free + configuration.prefetch, order: fetchOrder())
                        failures = 0
                    } catch {
                        failures += 1
                        configuration.logger.warning("fetch failed: \(error)", metadata: ["worker": "\(configuration.workerID)"])
                        try? await Task.sleep(for: .milliseconds(min(1000, 50 * (1 << min(failures, 5)))))
                        continue
                    }
                    if batch.jobs.isEmpty {
                        await waitForWork(queues: queues, wakeMilliseconds: batch.wakeMilliseconds)
                        continue
                    }
                    for job in batch.jobs {
                        let runningJob = RunningJob(job: job, leaseRenewed: leaseSent)
                        // A job this worker still runs was given back (its lease ended while
                        // the worker was starved) and leased again: the older attempt is
                        // fenced now, or it would run beside the new one, unrenewed and never
                        // cancelled, and hold its slot (and the worker's stop) forever.
                        let replaced = running.withLockedValue { running -> RunningJob? in
                            defer { running[job.id] = runningJob }
                            return running[job.id]
                        }
                        replaced?.cancel(because: .leaseLost)
                        buffered.append((job, runningJob))
                    }
                }
                let starting = min(free, buffered.count)
                slots.take(starting)
                for (job, runningJob) in buffered.prefix(starting) {
                    group.addTask {
                        await self.execute(job, runningJob)
                        self.forget(job)
                        self.slots.release()
                    }
                }
                buffered.removeFirst(starting)
            }
            for (job, _) in buffered { await giveBack(job) }
            await finishRunningJobs()
        }
    }

    /// Puts a leased job that never started back at the head of its queue.
    func giveBack(_ job: FetchedJob) async {
        let keys = jobs.keys
        do {
            _ = try await jobs.client.run(
                JobScripts.giveBack,
                keys: [keys.job(job.id), keys.active(job.queue), keys.waiting(job.queue), keys.signal(job.queue)],
                arguments: [job.id, job.token])
        } catch {
            configuration.logger.warning("giving back \(job.id) failed (the reaper will): \(error)")
        }
        forget(job)
    }

    /// Drops the job from the running ones, unless a later attempt of it has taken its
    /// place (the entry is this attempt's when its lease token is).
    func forget(_ job: FetchedJob) {
        running.withLockedValue { running in
            if running[job.id]?.job.token == job.token { running.removeValue(forKey: job.id) }
        }
    }

    /// The queues in the order this fetch tries them (indices into `configuration.queues`).
    func fetchOrder() -> [Int] {
        let queues = configuration.queues
        guard queues.contains(where: { $0.weight != nil }) else { return Array(queues.indices) }
        var left = Array(queues.indices)
        var order: [Int] = []
        while !left.isEmpty {
            let total = left.reduce(0) { $0 + max(1, queues[$1].weight ?? 1) }
            var pick = Int.random(in: 0..<total)
            for (position, index) in left.enumerated() {
                pick -= max(1, queues[index].weight ?? 1)
                if pick < 0 {
                    order.append(index)
                    left.remove(at: position)
                    break
                }
            }
        }
        return order
    }

    /// Leases up to `want` jobs from the queues in `order`.
    func fetch(want: Int, order: [Int]) async throws -> (jobs: [FetchedJob], wakeMilliseconds: Int64) {
        let keys = jobs.keys
        let queues = configuration.queues
        let runningPerQueue = running.withLockedValue { jobs in
            jobs.values.reduce(into: [String: Int]()) { $0[$1.job.queue, default: 0] += 1 }
        }
        var scriptKeys: [String] = []
        var arguments: [any RESPArgumentEncodable] = [want, configuration.lease.milliseconds, configuration.workerID, keys.jobPrefix]
        for index in order {
            let name = queues[index].name
            scriptKeys += [keys.waiting(name), keys.active(name), keys.delayed(name), keys.paused(name), keys.limit(name)]
            let cap = configuration.queueConcurrency[name].map { max(0, $0 - runningPerQueue[name, default: 0]) } ?? -1
            let rate = configuration.rateLimits[name]
            arguments += [cap, rate?.jobs ?? 0, rate?.period.milliseconds ?? 0]
        }
        let reply = try await jobs.client.run(JobScripts.fetch, keys: scriptKeys, arguments: arguments)
        guard let parts = reply.elements, parts.count == 3, let now = parts[0].int, let wake = parts[1].int,
            let leased = parts[2].elements
        else { throw JobsError.unexpectedReply("fetch", reply) }
        let fetched = leased.compactMap { entry -> FetchedJob? in
            guard let fields = entry.elements, fields.count == 11, let position = fields[0].int,
                Int(position) < order.count, let id = fields[1].string, let name = fields[2].string
            else { return nil }
            let index = order[Int(position)]
            return FetchedJob(
                queueIndex: index, queue: queues[index].name, id: id, name: name,
                payloadJSON: fields[3].string ?? "null", attempt: Int(fields[4].int ?? 1), token: fields[5].string ?? "",
                enqueuedAt: fields[6].int ?? now, dueAt: max(fields[6].int ?? now, fields[10].int ?? 0),
                maxAttempts: Int(fields[7].int ?? 1),
                timeoutMilliseconds: fields[8].int ?? 0, keepResultMilliseconds: fields[9].int ?? -1, leasedAt: now)
        }
        return (fetched, wake)
    }

    /// Blocks on the queues' signal lists until a producer pushes, `wakeMilliseconds`
    /// pass (a delayed job falls due) or `idleWait` does.
    func waitForWork(queues: [QueueSelection], wakeMilliseconds: Int64) async {
        var wait = configuration.idleWait.milliseconds
        if wakeMilliseconds >= 0 { wait = min(wait, wakeMilliseconds) }
        guard wait > 0 else { return }
        var command = RedisCommand("BLPOP")
        command.appendKeys(contentsOf: queues.map { jobs.keys.signal($0.name) })
        command.append(String(format: "%.3f", Double(wait) / 1000))
        do {
            _ = try await jobs.client.execute(command)
        } catch {
            configuration.logger.warning("waiting for work failed: \(error)")
            try? await Task.sleep(for: .milliseconds(wait))
        }
    }

    /// After fetching stopped: lets running jobs finish for the grace period, then cancels
    /// the rest so that they are given back, and waits for them to end.
    func finishRunningJobs() async {
        let deadline = ContinuousClock.now + configuration.shutdownGracePeriod
        while !running.withLockedValue({ $0.isEmpty }) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let left = running.withLockedValue { Array($0.values) }
        for job in left { job.cancel(because: .shutdown) }
        if !left.isEmpty {
            configuration.logger.info("giving back \(left.count) unfinished jobs", metadata: ["worker": "\(configuration.workerID)"])
        }
    }
}
