// redstart-client-stress: 1,000 tasks sharing one RedstartClient, built with Thread
// Sanitizer by Scripts/test.sh and run by Tests/Python/test_client_stress.py against
// redstart-server and redis-server. Every part of the pool is exercised at once:
// the multiplexed lanes (plain commands, explicit pipelines, MULTI/EXEC batches,
// scripts), the exclusive pool at its limit (blocking pops, WATCH retries, leases that
// wait in line), and subscriptions opened and ended while others publish. Each task
// checks its own replies; the totals are checked at the end. Exit 0 when every check
// passed (TSan makes the process fail on any race it sees).
//
// Usage: redstart-client-stress --url redis://127.0.0.1:PORT [--tasks 1000] [--rounds 10] [--subscribers 20]
import Foundation
import RedstartClient
import RedstartRESP

struct StressFailure: Error, CustomStringConvertible {
    var description: String
}

func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw StressFailure(description: message()) }
}

func command(_ words: String...) -> RedisCommand {
    RedisCommand(arguments: words)
}

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ fallback: String) -> String {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
    return arguments[index + 1]
}
let url = option("--url", "redis://127.0.0.1:6379")
let taskCount = Int(option("--tasks", "1000"))!
let rounds = Int(option("--rounds", "10"))!
let subscriberCount = Int(option("--subscribers", "20"))!

var configuration = try RedstartClient.Configuration(url: url)
configuration.multiplexedConnections = 2
configuration.maximumExclusiveConnections = 8  // far fewer than the tasks wanting one
configuration.leaseTimeout = .seconds(60)
let client = try RedstartClient(configuration: configuration)
let prefix = "stress:\(getpid()):"
let incrementScript = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")

/// One task's work; `index` picks which extra kinds of work it does.
func work(_ index: Int) async throws {
    let own = "\(prefix)task:\(index)"
    for round in 0..<rounds {
        // Plain commands on the shared lanes, interleaved with every other task's.
        let value = "\(index):\(round)"
        try check(try await client.execute(command("SET", own, value)).string == "OK", "SET \(own)")
        let read = try await client.execute(command("GET", own))
        try check(read.string == value, "GET \(own): \(read) instead of \(value)")
        _ = try await client.execute(command("INCR", "\(prefix)counter"))

        // An explicit pipeline: replies in order, one per command.
        let replies = try await client.pipeline([
            command("RPUSH", "\(own):list", "a", "b"), command("LLEN", "\(own):list"), command("DEL", "\(own):list"),
        ])
        try check(replies.map(\.int) == [2, 2, 1], "pipeline replies \(replies)")

        switch (index + round) % 10 {
        case 0:
            // A blocking pop on an exclusive connection (the pool holds 8 for 1,000 tasks).
            _ = try await client.execute(command("LPUSH", "\(own):queue", value))
            let popped = try await client.execute(command("BLPOP", "\(own):queue", "1"))
            try check(popped.elements?.last?.string == value, "BLPOP \(popped)")
        case 1:
            let exec = try await client.transaction([command("INCR", "\(prefix)tx"), command("INCR", "\(prefix)tx")])
            try check(exec.count == 2, "EXEC \(exec)")
        case 2:
            // Optimistic locking on one key that many tasks change at once.
            _ = try await client.watching(["\(prefix)watched"], retries: 1_000) { connection in
                let current = try await connection.execute(command("GET", "\(prefix)watched")).int.map { Int($0) } ?? 0
                return [command("SET", "\(prefix)watched", String(current + 1))]
            }
        case 3:
            let total = try await client.run(incrementScript, keys: ["\(prefix)scripted"], arguments: [2])
            try check(total.int != nil, "script reply \(total)")
        default:
            break
        }
    }
}

/// Subscribers that each wait for one message on their own channel while publishers
/// keep publishing until it arrives (a message sent before the subscription exists is
/// lost, so publishing repeats).
func subscribeAndPublish(_ index: Int) async throws {
    let channel = "\(prefix)channel:\(index)"
    let messages = try await client.subscribe(to: [channel])
    let publisher = Task {
        while !Task.isCancelled {
            _ = try await client.execute(command("PUBLISH", channel, "hello \(index)"))
            try await Task.sleep(nanoseconds: 5_000_000)
        }
    }
    defer { publisher.cancel() }
    for await message in messages {
        try check(message.channel == channel && message.payload.string == "hello \(index)", "message \(message)")
        return
    }
    throw StressFailure(description: "subscription \(channel) ended without a message")
}

let started = Date()
do {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for index in 0..<taskCount {
            group.addTask { try await work(index) }
        }
        for index in 0..<subscriberCount {
            group.addTask { try await subscribeAndPublish(index) }
        }
        try await group.waitForAll()
    }
    let counter = try await client.execute(command("GET", "\(prefix)counter")).int.map { Int($0) } ?? 0
    try check(counter == taskCount * rounds, "counter \(counter) instead of \(taskCount * rounds)")
    let plan = (0..<taskCount).flatMap { index in (0..<rounds).map { (index + $0) % 10 } }
    let transactions = try await client.execute(command("GET", "\(prefix)tx")).int.map { Int($0) } ?? 0
    try check(transactions == 2 * plan.filter { $0 == 1 }.count, "transactions \(transactions)")
    let watched = try await client.execute(command("GET", "\(prefix)watched")).int.map { Int($0) } ?? 0
    try check(watched == plan.filter { $0 == 2 }.count, "watched increments \(watched) (a lost update)")
    let scripted = try await client.execute(command("GET", "\(prefix)scripted")).int.map { Int($0) } ?? 0
    try check(scripted == 2 * plan.filter { $0 == 3 }.count, "script increments \(scripted)")
    var cleanup = RedisCommand("DEL")
    cleanup.appendKeys(contentsOf: ["counter", "tx", "watched", "scripted"].map { prefix + $0 })
    cleanup.appendKeys(contentsOf: (0..<taskCount).map { "\(prefix)task:\($0)" })
    _ = try await client.execute(cleanup)
    await client.shutdown()
    print("ok: \(taskCount) tasks × \(rounds) rounds in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
} catch {
    print("FAILED: \(error)")
    await client.shutdown()
    exit(1)
}
