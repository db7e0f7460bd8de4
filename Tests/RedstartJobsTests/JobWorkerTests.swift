// The worker against both servers: paused queues are not fetched; a graceful stop lets
// short jobs finish and gives back the rest; the reaper gives back a dead worker's job; a
// worker whose lease was taken cancels its handler and records nothing (never two runs at
// once); cron ticks run once across workers; rate and per-queue limits hold.
import Foundation
import NIOConcurrencyHelpers
import RedstartClient
@testable import RedstartJobs
import RedstartTestSupport
import Testing

@Suite struct JobWorkerTests {
    @Test(arguments: TestServer.allCases)
    func aPausedQueueIsNotFetchedUntilResumed(server kind: TestServer) async throws {
        let fixture = try await JobsFixture.start(kind)
        defer { withExtendedLifetime(fixture) {} }
        let worker = fixture.worker(queues: ["held", "other"])
        worker.register(AddJob.self)
        try await fixture.queue.pause("held")
        #expect(try await fixture.queue.counts("held").isPaused)
        try await withWorkers([worker]) {
            let held = try await fixture.queue.enqueue(AddJob(a: 1, b: 1), options: EnqueueOptions(queue: "held"))
            let other = try await fixture.queue.enqueue(AddJob(a: 2, b: 2), options: EnqueueOptions(queue: "other"))
            // One fetch looks at both queues, "held" first: once "other"'s job ran, "held" was passed over.
            _ = try await fixture.queue.waitUntilFinished(other, timeout: .seconds(20))
            #expect(try await fixture.queue.info(held)?.state == .waiting)
            try await fixture.queue.resume("held")
            #expect(try await fixture.queue.waitUntilFinished(held, timeout: .seconds(20)).state == .completed)
        }
        await fixture.stop()
    }

    @Test(arguments: TestServer.allCases)
    func aGracefulStopFinishesShortJobsAndGivesBackTheRest(server kind: TestServer) async throws {
        let fixture = try await JobsFixture.start(kind)
        defer { withExtendedLifetime(fixture) {} }
        let worker = fixture.worker { $0.shutdownGracePeriod = .seconds(3) }
        let started = Recorder()
        worker.register(name: "short", payload: Int.self) { n, context in
            started.record(context.id)
            try await Task.sleep(for: .milliseconds(100))
            return n
        }
        worker.register(name: "long", payload: Int.self) { n, context in
            started.record(context.id)
            try await Task.sleep(for: .seconds(3600))
            return n
        }
        let short = try await fixture.queue.enqueue(name: "short", payload: 1)
        let long = try await fixture.queue.enqueue(name: "long", payload: 2)
        let run = Task { try await worker.run() }
        try await waitUntil { started.count(short) == 1 && started.count(long) == 1 }
        worker.stop()
        try await run.value
        #expect(try await fixture.queue.info(short)?.state == .completed)
        let givenBack = try await fixture.queue.info(long)
        #expect(givenBack?.state == .waiting && givenBack?.attempts == 0 && givenBack?.errors.isEmpty == true)
        #expect(try await fixture.queue.jobIDs(in: "default", state: .waiting) == [long])
        #expect(try await fixture.queue.counts("default").active == 0)
        await fixture.stop()
    }

    @Test(arguments: TestServer.allCases)
    func theReaperGivesBackTheJobOfADeadWorker(server kind: TestServer) async throws {
        let fixture = try await JobsFixture.start(kind)
        defer { withExtendedLifetime(fixture) {} }
        let id = try await fixture.queue.enqueue(AddJob(a: 3, b: 4), options: EnqueueOptions(maxAttempts: 3))
        // A worker leases the job for 300 ms and dies: nobody renews the lease.
        try await leaseAsGhost(fixture, leaseMilliseconds: 300)
        #expect(try await fixture.queue.info(id)?.state == .active)
        let worker = fixture.worker()
        worker.register(AddJob.self)
        let info = try await withWorkers([worker]) { try await fixture.queue.waitUntilFinished(id, timeout: .seconds(20)) }
        #expect(info.state == .completed && info.attempts == 2)
        #expect(info.errors.first?.error == "the lease of worker ghost ended before the job did")
        #expect(try await fixture.queue.counts("default").totals["stalled"] == 1)
        await fixture.stop()
    }

    @Test(arguments: TestServer.allCases)
    func aWorkerWhoseLeaseWasTakenCancelsItsHandlerAndRecordsNothing(server kind: TestServer) async throws {
        let fixture = try await JobsFixture.start(kind)
        defer { withExtendedLifetime(fixture) {} }
        // A lease long enough that the worker renews it however loaded the machine is (with
        // 3 s, CI's parallel suites once starved the renewals: the reaper gave the job back
        // before the test took it over, and the worker ran it again).
        let worker = fixture.worker { $0.lease = .seconds(15) }
        let (started, cancelled) = registerWaitUntilCancelled(worker)
        let id = try await fixture.queue.enqueue(name: "wait", payload: 1)
        try await withWorkers([worker]) {
            try await waitUntil { started.count(id) == 1 }
            // Another worker holds the job now (as after the reaper gave it away), with a lease
            // of its own that outlasts the test: the reaper leaves the job alone, so this
            // worker cannot fetch it again however slowly the test runs.
            let farFuture = Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000
            try await fixture.client.execute("HSET", fixture.queue.keys.job(id), "token", "someone-else/2")
            try await fixture.client.execute("ZADD", fixture.queue.keys.active("default"), farFuture, id)
            // The next renewal (a third of the lease) finds the token changed.
            try await waitUntil(30) { cancelled.count(id) == 1 }
            try await waitUntil(30) { worker.runningJobIDs.isEmpty }
        }
        // The worker ran the job once and recorded nothing: no outcome, no attempt error.
        #expect(started.count(id) == 1)
        let info = try await fixture.queue.info(id)
        #expect(info?.state == .active)
        #expect(info?.errors.isEmpty == true)
        let totals = try await fixture.queue.counts("default").totals
        #expect(totals["completed"] == nil && totals["failed"] == nil && totals["retried"] == nil && totals["cancelled"] == nil)
        await fixture.stop()
    }

    /// What CI once saw when a starved worker missed its renewals: the reaper gives the job
    /// back while the worker still runs it, the same worker leases it again before any
    /// renewal, and the first run must be fenced then. Twice over, then the worker must
    /// still stop.
    @Test(arguments: TestServer.allCases)
    func aJobTheReaperGaveBackWhileItRanIsFencedAndTheWorkerStillStops(server kind: TestServer) async throws {
        let fixture = try await JobsFixture.start(kind)
        defer { withExtendedLifetime(fixture) {} }
        // A long lease: renewals (a third of it apart) cannot fence the old attempt first,
        // or re-score the job before the reaper sees it ended.
        let worker = fixture.worker { $0.lease = .seconds(60) }
        let (started, cancelled) = registerWaitUntilCancelled(worker)
        let id = try await fixture.queue.enqueue(name: "wait", payload: 1, options: EnqueueOptions(maxAttempts: 5))
        let active = fixture.queue.keys.active("default")
        let stopped = try await withWorkers([worker]) { () async throws -> Bool in
            for run in 1...2 {
                try await waitUntil(30) { started.count(id) == run }
                // The lease ends now: the reaper gives the job back and the worker leases it again.
                try await fixture.client.execute("ZADD", active, "XX", 0, id)
                try await waitUntil(30) { cancelled.count(id) == run && started.count(id) == run + 1 }
            }
            return true
        }
        #expect(stopped)
        #expect(worker.isStopped && worker.runningJobIDs.isEmpty)
        let info = try await fixture.queue.info(id)
        #expect(info?.errors.count == 2)
        await fixture.stop()
    }

    @Test(arguments: TestServer.allCases)
    func cronTicksRunOnceAcrossWorkers(server kind: TestServer) async throws {
        let fixture = try await JobsFixture.start(kind)
        defer { withExtendedLifetime(fixture) {} }
        let workers = [fixture.worker(), fixture.worker()]
        for worker in workers {
            worker.register(AddJob.self)
            try worker.schedule(AddJob(a: 0, b: 1), cron: "* * * * * *", name: "every-second")
        }
        try await withWorkers(workers) {
            try await waitUntil(30) { try await fixture.queue.counts("default").completed >= 3 }
        }
        // Every job the schedule enqueued, whatever its state when the workers stopped.
        // (On time within 1 s is test_jobs.py's to check, with worker processes of their own.)
        var ticks: [Int64] = []
        for key in try await fixture.client.execute("KEYS", "rj:job:*").elements?.compactMap(\.string) ?? []
        where !key.hasSuffix(":errors") {
            let uniqueKey = try await fixture.client.execute("HGET", key, "unique_key").string ?? ""
            ticks.append(Int64(uniqueKey.split(separator: ":").last ?? "") ?? 0)
        }
        #expect(ticks.count >= 3)
        #expect(Set(ticks).count == ticks.count, "one job per tick: \(ticks.sorted())")
        #expect(try await fixture.queue.counts("default").totals["enqueued"] == ticks.count)
        await fixture.stop()
    }

    @Test(arguments: TestServer.allCases)
    func rateLimitsAndQueueConcurrencyHold(server kind: TestServer) async throws {
        let fixture = try await JobsFixture.start(kind)
        defer { withExtendedLifetime(fixture) {} }
        let limited = fixture.worker(queues: ["limited"], concurrency: 10) {
            $0.rateLimits["limited"] = JobWorker.RateLimit(jobs: 2, per: .milliseconds(400))
        }
        let single = fixture.worker(queues: ["single"], concurrency: 4) { $0.queueConcurrency["single"] = 1 }
        let inFlight = NIOLockedValueBox((now: 0, most: 0))
        limited.register(name: "quick", payload: Int.self) { n, _ in n }
        single.register(name: "one-at-a-time", payload: Int.self) { n, _ in
            inFlight.withLockedValue { $0.now += 1; $0.most = max($0.most, $0.now) }
            try await Task.sleep(for: .milliseconds(50))
            inFlight.withLockedValue { $0.now -= 1 }
            return n
        }
        let quick = try await withWorkers([limited, single]) {
            var quick: [String] = []
            var others: [String] = []
            for n in 0..<6 { quick.append(try await fixture.queue.enqueue(name: "quick", payload: n, options: EnqueueOptions(queue: "limited"))) }
            for n in 0..<4 { others.append(try await fixture.queue.enqueue(name: "one-at-a-time", payload: n, options: EnqueueOptions(queue: "single"))) }
            for id in quick + others { _ = try await fixture.queue.waitUntilFinished(id, timeout: .seconds(20)) }
            return quick
        }
        // Two per 400 ms window: six jobs need three windows, so the leases (server time,
        // set by the fetch script) span at least 800 ms.
        var leased: [Int64] = []
        for id in quick { leased.append(try await fixture.queue.info(id)?.startedAt ?? 0) }
        #expect((leased.max() ?? 0) - (leased.min() ?? 0) >= 800, "leased at \(leased.sorted())")
        #expect(inFlight.withLockedValue { $0.most } == 1)
        await fixture.stop()
    }

    @Test func weightedQueuesComeFirstInProportionAndUnweightedInOrder() throws {
        let fixture = JobWorker(
            client: try RedstartClient(configuration: RedstartClient.Configuration(port: 1)),
            configuration: JobWorker.Configuration(queues: [.init("a", weight: 3), .init("b", weight: 1)]))
        var firsts = 0
        for _ in 0..<4000 where fixture.fetchOrder().first == 0 { firsts += 1 }
        #expect(firsts > 2800 && firsts < 3200, "queue a came first \(firsts) times of 4000")
        #expect(Set((0..<50).map { _ in fixture.fetchOrder() }) == [[0, 1], [1, 0]])
        let strict = JobWorker(
            client: try RedstartClient(configuration: RedstartClient.Configuration(port: 1)),
            configuration: JobWorker.Configuration(queues: [.init("high"), .init("low"), .init("lowest")]))
        #expect(strict.fetchOrder() == [0, 1, 2])
    }
}

/// Leases the next job of "default" as worker "ghost", which then never renews it.
func leaseAsGhost(_ fixture: JobsFixture, leaseMilliseconds: Int) async throws {
    let keys = fixture.queue.keys
    let reply = try await fixture.client.run(
        JobScripts.fetch,
        keys: [keys.waiting("default"), keys.active("default"), keys.delayed("default"), keys.paused("default"), keys.limit("default")],
        arguments: [1, leaseMilliseconds, "ghost", keys.jobPrefix, -1, 0, 0])
    #expect(reply.elements?[2].elements?.count == 1)
}

/// Registers "wait": a handler that sleeps until cancelled. Returns the recorders of its
/// starts and of its cancellations, by job ID.
private func registerWaitUntilCancelled(_ worker: JobWorker) -> (started: Recorder, cancelled: Recorder) {
    let started = Recorder()
    let cancelled = Recorder()
    worker.register(name: "wait", payload: Int.self) { n, context in
        started.record(context.id)
        do {
            try await Task.sleep(for: .seconds(3600))
        } catch {
            cancelled.record(context.id)
            throw error
        }
        return n
    }
    return (started, cancelled)
}
