// Client-side caching against both servers: repeated reads served from the cache
// (the server counts one GET), invalidations pushed when another client writes,
// deletes, flushes or a key expires, commands that must never be cached, and the
// stale-store race decided by tickets (a reply whose key was invalidated while it
// was in flight is not kept).
@testable import RedstartClient
import RedstartRESP
import RedstartTestSupport
import Testing

@Suite struct ClientSideCacheTests {
    /// How many times the server has run `command` (INFO commandstats).
    private func calls(_ command: String, on client: RedstartClient) async throws -> Int {
        let info = try await client.execute("INFO", "commandstats").string ?? ""
        guard let line = info.split(separator: "\r\n").first(where: { $0.hasPrefix("cmdstat_\(command):calls=") }),
            let number = line.split(separator: "=")[1].split(separator: ",").first
        else { return 0 }
        return Int(number) ?? 0
    }

    @Test(arguments: TestServer.allCases)
    func readsAreServedFromTheCacheUntilInvalidated(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let cached = try server.client { $0.clientSideCache = .init() }
        let other = try server.client()
        try await other.set("k", value: "v1")
        #expect(try await cached.get("k")?.string == "v1")
        #expect(try await cached.get("k")?.string == "v1")
        #expect(try await cached.get("k")?.string == "v1")
        // A command given as raw words is the same command: served from the cache too.
        #expect(try await cached.execute("GET", "k") == .bulk("v1"))
        #expect(cached.cacheStatistics.hits == 3 && cached.cacheStatistics.misses == 1)
        #expect(try await calls("get", on: other) == 1)

        // Another client's write invalidates: the next read goes to the server.
        try await other.set("k", value: "v2")
        try await waitUntil { cached.cacheStatistics.invalidations >= 1 }
        #expect(try await cached.get("k")?.string == "v2")

        // Hashes and sets too; a DEL invalidates them.
        try await other.hset("h", fieldValues: [("f", "1")])
        #expect(try await cached.hgetall("h") == ["f": "1"])
        #expect(try await cached.hgetall("h") == ["f": "1"])
        #expect(cached.cacheStatistics.hits == 4)
        try await other.del(["h"])
        try await waitUntil { try await cached.hgetall("h").isEmpty }

        // A flush invalidates everything.
        #expect(try await cached.get("k")?.string == "v2")
        try await other.flushall()
        try await waitUntil { cached.cacheStatistics.entries == 0 }
        #expect(try await cached.get("k") == nil)
        await cached.shutdown()
        await other.shutdown()
    }

    @Test(arguments: TestServer.allCases)
    func expiryInvalidatesAndSomeCommandsAreNeverCached(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let cached = try server.client { $0.clientSideCache = .init() }
        try await cached.set("short", value: "lived")
        #expect(try await cached.get("short")?.string == "lived")
        // A TTL is a write (invalidates); the read after it is cached again (unless the
        // key is already gone), and when the key expires the server deletes it and tells
        // tracking clients: a cache that missed that would serve "lived" forever.
        try await cached.execute("PEXPIRE", "short", 300)
        _ = try await cached.get("short")
        try await waitUntil { try await cached.get("short") == nil }

        // TTL changes without a write: never cached. Nor are multi-key reads.
        try await cached.execute("SET", "t", "x", "EX", 100)
        _ = try await cached.execute("TTL", "t")
        _ = try await cached.execute("TTL", "t")
        _ = try await cached.execute("EXISTS", "t", "short")
        _ = try await cached.execute("EXISTS", "t", "short")
        let before = cached.cacheStatistics
        _ = try await cached.execute("TTL", "t")
        #expect(cached.cacheStatistics.hits == before.hits && cached.cacheStatistics.misses == before.misses)
        #expect(try await calls("ttl", on: cached) == 3)
        await cached.shutdown()
    }

    @Test func aReplyWhoseKeyWasInvalidatedInFlightIsNotKept() {
        let cache = ClientSideCache(configuration: .init())
        let get = RedisCommand.get("k")
        let ticket = cache.ticket()
        // The server's invalidation of k is handled before the task stores the reply.
        cache.handle(push: .push([.bulk("invalidate"), .array([.bulk("k")])]))
        cache.store(.bulk("old"), for: get, ticket: ticket)
        #expect(cache.lookup(get) == nil)
        // An invalidation of another key does not stop the store.
        let second = cache.ticket()
        cache.handle(push: .push([.bulk("invalidate"), .array([.bulk("other")])]))
        cache.store(.bulk("new"), for: get, ticket: second)
        #expect(cache.lookup(get) == .bulk("new"))
        // A flush (null) drops everything and stops every store in flight.
        let third = cache.ticket()
        cache.handle(push: .push([.bulk("invalidate"), .null]))
        cache.store(.bulk("j"), for: RedisCommand.get("j"), ticket: third)
        #expect(cache.lookup(get) == nil && cache.lookup(RedisCommand.get("j")) == nil)
        // A ticket older than the ring of recent invalidations never stores.
        let ancient = cache.ticket()
        for index in 0..<300 { cache.handle(push: .push([.bulk("invalidate"), .array([.bulk("x\(index)")])])) }
        cache.store(.bulk("late"), for: get, ticket: ancient)
        #expect(cache.lookup(get) == nil)
        #expect(cache.statistics.invalidations == 303)
    }
}
