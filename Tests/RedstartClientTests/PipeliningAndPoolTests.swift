// Automatic pipelining keeps every task's replies its own; explicit pipelines keep
// order; the exclusive pool's limit and lease timeout; blocking commands on
// connections of their own while shared traffic goes on.
import RedstartClient
import RedstartRESP
import RedstartTestSupport
import Testing

@Suite struct PipeliningAndPoolTests {
    @Test(arguments: TestServer.allCases)
    func concurrentTasksGetTheirOwnReplies(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let client = try server.client()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<200 {
                group.addTask {
                    for round in 0..<20 {
                        let value = "task\(task)-round\(round)"
                        try await client.execute("SET", "key\(task)", value)
                        let reply = try await client.execute("GET", "key\(task)")
                        #expect(reply == .bulk(value))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await client.execute("DBSIZE") == .integer(200))
        await client.shutdown()
    }

    @Test(arguments: TestServer.allCases)
    func explicitPipelinesKeepOrderAndErrorsInPlace(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let client = try server.client()
        var commands: [RedisCommand] = []
        for index in 0..<1000 { commands.append(RedisCommand(arguments: ["RPUSH", "list", String(index)])) }
        commands.append(RedisCommand(arguments: ["INCR", "list"]))
        commands.append(RedisCommand(arguments: ["LLEN", "list"]))
        let replies = try await client.pipeline(commands)
        #expect(replies.count == 1002)
        for index in 0..<1000 { #expect(replies[index] == .integer(Int64(index + 1))) }
        #expect(replies[1000].string?.hasPrefix("WRONGTYPE") == true)
        #expect(replies[1001] == .integer(1000))
        await client.shutdown()
    }

    @Test(arguments: TestServer.allCases)
    func blockingCommandsWaitOnTheirOwnConnections(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let client = try server.client()
        async let popped = client.execute("BLPOP", "jobs", 0)
        // The shared connection stays free while BLPOP waits.
        try await waitUntil {
            let clients = try await client.execute("INFO", "clients").string ?? ""
            return clients.contains("blocked_clients:1")
        }
        #expect(try await client.execute("PING") == .simpleString("PONG"))
        try await client.execute("RPUSH", "jobs", "job-1")
        #expect(try await popped == .array([.bulk("jobs"), .bulk("job-1")]))
        await client.shutdown()
    }

    @Test func leaseWaitsForAFreeConnectionAndTimesOut() async throws {
        let server = try await TestServer.redstart.start()
        let client = try server.client {
            $0.maximumExclusiveConnections = 1
            $0.leaseTimeout = .milliseconds(200)
        }
        let (held, release) = AsyncStream<Void>.makeStream()
        let (leased, signalLeased) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await client.withConnection { connection in
                _ = try await connection.execute(RedisCommand("PING"))
                signalLeased.yield()
                for await _ in held { break }
            }
        }
        for await _ in leased { break }
        let error = await #expect(throws: RedstartClientError.self) {
            try await client.withConnection { try await $0.execute(RedisCommand("PING")) }
        }
        #expect(error?.description.contains("timed out") == true)
        // Once given back, the next lease gets the same connection.
        release.yield()
        try await holder.value
        #expect(try await client.withConnection { try await $0.execute(RedisCommand("PING")) } == .simpleString("PONG"))
        await client.shutdown()
    }

    @Test func commandTimeoutClosesTheConnectionAndTheNextCommandReconnects() async throws {
        let server = try await TestServer.redstart.start(["--enable-debug-command", "yes"])
        let client = try server.client { $0.connection.commandTimeout = .milliseconds(100) }
        #expect(try await client.execute("PING") == .simpleString("PONG"))
        let error = await #expect(throws: RedstartClientError.self) { try await client.execute("DEBUG", "SLEEP", "0.5") }
        #expect(error?.description.contains("timed out") == true)
        // The timed-out connection closes asynchronously; a command after that reconnects.
        try await waitUntil { (try? await client.execute("PING")) == .simpleString("PONG") }
        await client.shutdown()
    }
}
