// example-reliable-queue: a work queue that loses no job when a worker dies. Workers take
// a job with BLMOVE, which moves it atomically from the queue into a processing list, and
// remove it from there (LREM) only once the work is done; a reaper puts jobs left in the
// processing list back on the queue. BLMOVE is a blocking command, so the client runs each
// call on a leased connection of its own. Shown in the DocC article PipeliningAndPool.md;
// keep the two in step.
//
//   swift run example-reliable-queue redis://127.0.0.1:6379
//
// The URL is the first argument, else $REDIS_URL. Exits 1 when a job is lost or done twice.
import Foundation
import RedstartClient

let url =
    CommandLine.arguments.dropFirst().first ?? ProcessInfo.processInfo.environment["REDIS_URL"]
    ?? "redis://127.0.0.1:6379"

/// A result that is not the expected one: the example exits 1.
struct CheckFailed: Error { let what: String }

func check(_ condition: Bool, _ what: String) throws {
    if !condition { throw CheckFailed(what: what) }
}

let queue = "reliable-queue:jobs"
let processing = "reliable-queue:processing"
let done = "reliable-queue:done"

/// Takes jobs until the queue stays empty for `idle` seconds; returns how many it did.
func worker(_ client: RedstartClient, idle: Double) async throws -> Int {
    var count = 0
    // Oldest first: producers LPUSH, so the oldest job is at the right end.
    while let job = try await client.blmove(
        queue,
        destination: processing,
        whereFrom: .right,
        whereTo: .left,
        timeout: idle
    ) {
        // The work itself: SADD replies 0 when this job was already done once.
        let isFirstTime = try await client.sadd(done, members: [job]) == 1
        try check(isFirstTime, "\(job) done only once")
        // Acknowledge: only now does the job leave the processing list.
        try await client.lrem(processing, count: 1, element: job)
        count += 1
    }
    return count
}

/// Puts every job of the processing list back at the queue's oldest end. Run it only
/// when the workers that took them are known to be gone (here: between the rounds).
func requeueAbandonedJobs(_ client: RedstartClient) async throws -> Int {
    var count = 0
    while try await client.lmove(processing, destination: queue, whereFrom: .right, whereTo: .right) != nil {
        count += 1
    }
    return count
}

/// Three workers at once; the total of jobs they did.
func runWorkers(_ client: RedstartClient) async throws -> Int {
    try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<3 { group.addTask { try await worker(client, idle: 0.2) } }
        return try await group.reduce(0, +)
    }
}

func reliableQueue(_ client: RedstartClient) async throws {
    try await client.del([queue, processing, done])
    let jobs = (1...20).map { "job:\($0)" }
    try await client.lpush(queue, elements: jobs)
    print("produced \(jobs.count) jobs")

    // A worker takes a job and dies before acknowledging it.
    let abandoned = try await client.lmove(queue, destination: processing, whereFrom: .right, whereTo: .left)
    print("a worker took \(abandoned?.string ?? "nothing") and crashed")

    let firstRound = try await runWorkers(client)
    let left = try await client.lrange(processing, start: 0, stop: -1)
    print("3 workers did \(firstRound) jobs; left in processing: \(left.map(\.string))")
    try check(firstRound == jobs.count - 1, "the workers did every job but the abandoned one")
    try check(left.count == 1 && left.first == abandoned, "the abandoned job is still in the processing list")

    let requeued = try await requeueAbandonedJobs(client)
    let secondRound = try await runWorkers(client)
    print("requeued \(requeued); the workers did \(secondRound) more")

    let doneCount = try await client.scard(done)
    let queued = try await client.llen(queue)
    let inProcess = try await client.llen(processing)
    print("done: \(doneCount), queued: \(queued), processing: \(inProcess)")
    try check(doneCount == jobs.count && queued == 0 && inProcess == 0, "every job done once, nothing left")
    try await client.del([queue, processing, done])
}

do {
    let client = try RedstartClient(url: url)
    try await reliableQueue(client)
    await client.shutdown()
    print("reliable-queue: ok")
} catch {
    print("reliable-queue: FAILED: \(error)")
    exit(1)
}
