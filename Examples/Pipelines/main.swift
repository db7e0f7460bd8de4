// example-pipelines: the ways RedstartClient batches and shares connections. An explicit
// pipeline (one write, replies in order, a failing command reported in its place);
// automatic pipelining of concurrent tasks on the shared connection; a blocking command
// that takes a connection of its own so the shared one keeps moving; a task preferring
// the client's event-loop executor; SELECT refused on the shared connection and run on
// a leased one. Shown in the DocC article PipeliningAndPool.md; keep the two in step.
//
//   swift run example-pipelines redis://127.0.0.1:6379
//
// The URL is the first argument, else $REDIS_URL. Exits 1 when a result is wrong.
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

/// MULTI-free batching: the builders make commands, `pipeline` sends them in one write.
func explicitPipeline(_ client: RedstartClient) async throws {
    let replies = try await client.pipeline([
        RedisCommand.set("pipelines:n", value: 1),
        RedisCommand.incr("pipelines:n"),
        RedisCommand.lpush("pipelines:n", elements: ["x"]),  // WRONGTYPE, returned in its place
        RedisCommand.get("pipelines:n"),
    ])
    print("pipeline of 4 commands -> \(replies.count) replies")
    try check(try replies[1].decoded(as: Int.self) == 2, "INCR in the pipeline sees the SET before it")
    do {
        _ = try replies[2].throwingError()
        try check(false, "LPUSH on a string fails")
    } catch let error as RedisServerError {
        print("reply 3 is an error: \(error.code)")
        try check(error.code == "WRONGTYPE", "the failing command's error code")
    }
    try check(try replies[3].decoded(as: Int.self) == 2, "the command after the error still ran")
}

/// Concurrent requests share the one multiplexed connection: each event-loop turn writes
/// whatever the tasks queued, so they pipeline without asking.
func automaticPipelining(_ client: RedstartClient) async throws {
    let connectionIDs = try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<100 {
            group.addTask {
                try await client.incr("pipelines:counter")
                return try await client.clientId()
            }
        }
        return try await group.reduce(into: Set<Int>()) { $0.insert($1) }
    }
    let counter = try await client.get("pipelines:counter")
    print("100 concurrent tasks: counter \(counter?.string ?? "?"), connections used: \(connectionIDs.count)")
    try check(counter == "100", "every INCR counted")
    try check(connectionIDs.count == 1, "ordinary commands share one connection")
}

/// BLPOP waits on a leased connection of its own; PINGs on the shared one are not held up.
func blockingBesideShared(_ client: RedstartClient) async throws {
    let clock = ContinuousClock()
    let start = clock.now
    async let popped = client.blpop(["pipelines:empty-queue"], timeout: 0.5)
    for _ in 0..<10 { _ = try await client.ping() }
    let pingsDone = clock.now - start
    let timedOut = try await popped == nil
    print("10 PINGs took \(pingsDone) while BLPOP waited; BLPOP timed out: \(timedOut)")
    try check(pingsDone < .milliseconds(400), "the shared connection is not blocked by BLPOP")
    try check(timedOut, "BLPOP on an empty list times out with nil")
}

/// A task that sends request after request runs fastest on the client's own event loop.
func onTheEventLoop(_ client: RedstartClient) async throws {
    let clock = ContinuousClock()
    let elapsed = try await clock.measure {
        try await withTaskExecutorPreference(client.taskExecutor) {
            for number in 0..<1_000 {
                try await client.set("pipelines:key:\(number)", value: number)
            }
        }
    }
    print("1000 sequential SETs on the client's event loop: \(elapsed)")
    try check(try await client.get("pipelines:key:999") == "999", "the last SET landed")
}

/// Connection-state commands are refused on the shared connection; a leased one takes them.
func connectionState(_ client: RedstartClient) async throws {
    do {
        try await client.select(1)
        try check(false, "SELECT on the shared connection is refused")
    } catch let error as RedstartClientError {
        print("SELECT refused: \(error)")
    }
    let keysInDatabase1 = try await client.withConnection { connection in
        try await connection.select(1)
        try await connection.set("pipelines:db1", value: "here")
        let count = try await connection.dbsize()
        try await connection.del(["pipelines:db1"])
        try await connection.select(0)  // the connection goes back to the pool: leave it as found
        return count
    }
    print("withConnection: database 1 held \(keysInDatabase1) key(s)")
    try check(keysInDatabase1 >= 1, "SET in database 1 through the leased connection")
}

do {
    let client = try RedstartClient(url: url)
    try await explicitPipeline(client)
    try await automaticPipelining(client)
    try await blockingBesideShared(client)
    try await onTheEventLoop(client)
    try await connectionState(client)
    try await client.del(["pipelines:n", "pipelines:counter"] + (0..<1_000).map { "pipelines:key:\($0)" })
    await client.shutdown()
    print("pipelines: ok")
} catch {
    print("pipelines: FAILED: \(error)")
    exit(1)
}
