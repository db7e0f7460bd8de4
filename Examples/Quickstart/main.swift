// example-quickstart: connect from a URL, SET and GET through the typed methods (options
// as enums), a counter, a hash written with HSET's field-value tuples and read back as a
// dictionary, and a raw command for anything without a typed method. Shown in the DocC
// article GettingStarted.md; keep the two in step.
//
//   swift run example-quickstart redis://127.0.0.1:6379
//
// The URL is the first argument, else $REDIS_URL. Exits 1 when a reply is not the one
// Redis documents.
import Foundation
import RedstartClient

let url =
    CommandLine.arguments.dropFirst().first ?? ProcessInfo.processInfo.environment["REDIS_URL"]
    ?? "redis://127.0.0.1:6379"

/// A reply that is not the documented one: the example exits 1.
struct CheckFailed: Error { let what: String }

func check(_ condition: Bool, _ what: String) throws {
    if !condition { throw CheckFailed(what: what) }
}

func quickstart(_ client: RedstartClient) async throws {
    // Strings: typed SET and GET; GET's reply is `RedisBytes?` (nil: no such key).
    try await client.set("quickstart:greeting", value: "hello")
    let greeting = try await client.get("quickstart:greeting")
    print("GET quickstart:greeting -> \(greeting?.string ?? "(nil)")")
    try check(greeting == "hello", "GET returns what SET stored")

    // Options of SET are enums: only if absent (NX), expiring in 60 seconds (EX 60).
    try await client.set("quickstart:session", value: "token-1", condition: .nx, expiration: .seconds(60))
    let ttl = try await client.ttl("quickstart:session")
    print("TTL quickstart:session -> \(ttl)")
    try check((1...60).contains(ttl), "SET … EX 60 gives a TTL of at most 60 seconds")

    // Counters: INCR and INCRBY reply with the new value as an Int.
    try await client.incr("quickstart:visits")
    let visits = try await client.incrby("quickstart:visits", increment: 10)
    print("INCRBY quickstart:visits 10 -> \(visits)")
    try check(visits == 11, "INCR then INCRBY 10 makes 11")

    // Hashes: HSET takes (field, value) tuples; HGETALL decodes to a dictionary.
    try await client.hset(
        "quickstart:user:1",
        fieldValues: [(field: "name", value: "Ada"), (field: "language", value: "Swift")]
    )
    let user = try await client.hgetall("quickstart:user:1")
    print("HGETALL quickstart:user:1 -> \(user.count) fields, name \(user["name"]?.string ?? "?")")
    try check(user == ["name": "Ada", "language": "Swift"], "HGETALL returns both fields")

    // Any command as words: the reply is a RESPValue, decoded on demand.
    let encoding = try await client.execute("OBJECT", "ENCODING", "quickstart:visits").decoded(as: String.self)
    print("OBJECT ENCODING quickstart:visits -> \(encoding)")
    try check(encoding == "int", "a counter is stored as an integer")

    let removed = try await client.del([
        "quickstart:greeting", "quickstart:session", "quickstart:visits", "quickstart:user:1",
    ])
    try check(removed == 4, "DEL removes the four keys")
}

do {
    let client = try RedstartClient(url: url)
    try await quickstart(client)
    await client.shutdown()
    print("quickstart: ok")
} catch {
    print("quickstart: FAILED: \(error)")
    exit(1)
}
