// example-optimistic-locking: money moves between two accounts from ten tasks at once.
// Each transfer WATCHes both balances, reads them on its own connection, and sends its
// DECRBY and INCRBY inside MULTI/EXEC; when another transfer changed a balance first, EXEC
// answers null and `watching` runs the body again. The total never changes. Also: a plain
// MULTI/EXEC with `transaction`, and a transfer that runs out of retries. Shown in the
// DocC article Transactions.md; keep the two in step.
//
//   swift run example-optimistic-locking redis://127.0.0.1:6379
//
// The URL is the first argument, else $REDIS_URL. Exits 1 when money appears or vanishes.
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

/// How many times transfer bodies ran, retries included.
actor AttemptCounter {
    private(set) var count = 0
    func increment() { count += 1 }
}

/// Moves `amount` from `source` to `target` unless `source` has less; whether it moved.
func transfer(
    _ amount: Int,
    from source: String,
    to target: String,
    on client: RedstartClient,
    attempts: AttemptCounter
) async throws -> Bool {
    let replies = try await client.watching([source, target]) { connection in
        await attempts.increment()
        // Reads go through the watching connection; nothing is written until EXEC.
        let balance = Int(try await connection.get(source)?.string ?? "") ?? 0
        guard balance >= amount else { return [] }  // an empty MULTI/EXEC: nothing to do
        return [RedisCommand.decrby(source, decrement: amount), RedisCommand.incrby(target, increment: amount)]
    }
    return !replies.isEmpty
}

func optimisticLocking(_ client: RedstartClient) async throws {
    // MULTI … EXEC in one write: both balances are set, or neither.
    let setup = try await client.transaction([
        RedisCommand.set("locking:alice", value: 100),
        RedisCommand.set("locking:bob", value: 100),
    ])
    print("opened two accounts in one transaction: \(setup.count) replies")

    let attempts = AttemptCounter()
    let moved = try await withThrowingTaskGroup(of: Bool.self) { group in
        for number in 0..<10 {
            let (source, target) =
                number.isMultiple(of: 2) ? ("locking:alice", "locking:bob") : ("locking:bob", "locking:alice")
            group.addTask { try await transfer(15, from: source, to: target, on: client, attempts: attempts) }
        }
        return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
    }
    let balances = try await client.mget(["locking:alice", "locking:bob"]).map { Int($0?.string ?? "") ?? 0 }
    let runs = await attempts.count
    print("\(moved) transfers done in \(runs) attempts (\(runs - 10) after a conflict); balances \(balances)")
    try check(balances.reduce(0, +) == 200, "transfers keep the total")
    try check(moved == 10, "every transfer of 15 is covered by a balance of 100 or more")

    // A key that changes on every attempt: out of retries, `watching` throws transactionAborted.
    do {
        _ = try await client.watching(["locking:alice"], retries: 2) { _ in
            try await client.incr("locking:alice")  // another writer, through the shared connection
            return [RedisCommand.set("locking:alice", value: 0)]
        }
        try check(false, "a transfer that always conflicts is aborted")
    } catch let error as RedstartClientError where error == .transactionAborted {
        print("always conflicting: \(error)")
    }
    try await client.del(["locking:alice", "locking:bob"])
}

do {
    let client = try RedstartClient(url: url)
    try await optimisticLocking(client)
    await client.shutdown()
    print("optimistic-locking: ok")
} catch {
    print("optimistic-locking: FAILED: \(error)")
    exit(1)
}
