// MULTI/EXEC in one write, WATCH with the retry helper under a real conflict,
// EXECABORT thrown; scripts by EVALSHA with the NOSCRIPT fallback to EVAL.
import RedstartClient
import RedstartRESP
import RedstartTestSupport
import Testing

@Suite struct TransactionAndScriptTests {
    @Test(arguments: TestServer.allCases)
    func transactions(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let client = try server.client()
        let replies = try await client.transaction([
            RedisCommand(arguments: ["SET", "a", "1"]), RedisCommand(arguments: ["INCR", "a"]),
            RedisCommand(arguments: ["LPUSH", "a", "x"]),
        ])
        #expect(replies.count == 3)
        #expect(replies[0] == .simpleString("OK") && replies[1] == .integer(2))
        #expect(replies[2].string?.hasPrefix("WRONGTYPE") == true)
        let aborted = await #expect(throws: RedisServerError.self) {
            try await client.transaction([RedisCommand(arguments: ["SET", "a"])])
        }
        #expect(aborted?.code == "EXECABORT")
        await client.shutdown()
    }

    @Test(arguments: TestServer.allCases)
    func watchRetriesAfterAConflict(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let client = try server.client()
        try await client.execute("SET", "balance", 100)
        let other = try server.client()
        let attempts = Counter()
        let replies = try await client.watching(["balance"]) { connection in
            let balance = try await connection.execute(RedisCommand(arguments: ["GET", "balance"]), as: String.self)
            if await attempts.increment() == 1 {
                try await other.execute("INCRBY", "balance", 50)  // a concurrent writer: EXEC must fail
            }
            return [RedisCommand(arguments: ["SET", "balance", String(Int(balance)! - 30)])]
        }
        #expect(replies == [.simpleString("OK")])
        #expect(await attempts.value == 2)
        #expect(try await client.execute("GET", "balance") == .bulk("120"))
        // Out of retries: transactionAborted.
        await #expect(throws: RedstartClientError.transactionAborted) {
            try await client.watching(["balance"], retries: 2) { _ in
                try await other.execute("INCR", "balance")
                return [RedisCommand(arguments: ["SET", "balance", "0"])]
            }
        }
        await client.shutdown()
        await other.shutdown()
    }

    @Test(arguments: TestServer.allCases)
    func scriptsFallBackToEvalOnNoscript(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let client = try server.client()
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        #expect(try await client.run(script, keys: ["counter"], arguments: [5]) == .integer(5))
        #expect(try await client.run(script, keys: ["counter"], arguments: [2]) == .integer(7))
        #expect(try await client.execute("SCRIPT", "EXISTS", script.sha1) == .array([.integer(1)]))
        try await client.execute("SCRIPT", "FLUSH")
        #expect(try await client.run(script, keys: ["counter"], arguments: [1]) == .integer(8))
        let stats = try await client.execute("INFO", "commandstats").string ?? ""
        #expect(stats.contains("cmdstat_eval:calls=2"))
        #expect(stats.contains("cmdstat_evalsha:calls=3"))
        let readOnly = RedisScript("return redis.call('GET', KEYS[1])")
        #expect(try await client.run(readOnly, keys: ["counter"], readOnly: true) == .bulk("8"))
        await client.shutdown()
    }
}

/// A counter tasks can share.
actor Counter {
    private(set) var value = 0
    func increment() -> Int {
        value += 1
        return value
    }
}
