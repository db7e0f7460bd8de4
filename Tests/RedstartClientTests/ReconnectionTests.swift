// A server killed and started again on the same port: the client's next command
// reconnects (with the configured database and name), and subscriptions carry on
// (the hub subscribes again), against both servers.
@testable import RedstartClient
import RedstartRESP
import RedstartTestSupport
import Testing

@Suite struct ReconnectionTests {
    @Test(arguments: TestServer.allCases)
    func commandsReconnectAfterARestart(server kind: TestServer) async throws {
        let first = try await kind.start(port: reservedTCPPort())  // restarted on the same port below
        let port = first.port
        let client = try first.client {
            $0.connection.database = 5
            $0.connection.clientName = "survivor"
        }
        try await client.execute("SET", "k", "before")
        #expect(client.openSharedConnections == 1)
        await first.stopAndWait()
        // A command sent before the client sees the close would be in flight when it
        // closes, and fail (the documented behaviour); the test is about the commands after.
        try await waitUntil { client.openSharedConnections == 0 }
        // While the server is down, a command fails after the reconnect timeout.
        let unreachable = try RedstartClient(configuration: {
            var configuration = RedstartClient.Configuration(port: port)
            configuration.reconnectTimeout = .milliseconds(100)
            return configuration
        }())
        await #expect(throws: (any Error).self) { try await unreachable.execute("PING") }
        await unreachable.shutdown()
        let second = try await kind.start(port: port)
        #expect(try await client.execute("GET", "k") == .null)  // a fresh server: the key is gone
        try await client.execute("SET", "k", "after")
        #expect(try await client.execute("CLIENT", "GETNAME") == .bulk("survivor"))
        let keyspace = try await second.client().execute("INFO", "keyspace").string ?? ""
        #expect(keyspace.contains("db5:keys=1"))
        await client.shutdown()
        await second.stopAndWait()
    }

    @Test(arguments: TestServer.allCases)
    func subscriptionsSurviveARestart(server kind: TestServer) async throws {
        let first = try await kind.start(port: reservedTCPPort())  // restarted on the same port below
        let port = first.port
        let client = try first.client()
        let messages = try await client.subscribe(to: ["news"])
        var iterator = messages.makeAsyncIterator()
        #expect(try await client.execute("PUBLISH", "news", "one") == .integer(1))
        #expect(await iterator.next()?.payload == "one")
        await first.stopAndWait()
        let second = try await kind.start(port: port)
        let publisher = try second.client()
        try await waitUntil {
            try await publisher.execute("PUBSUB", "NUMSUB", "news") == .array([.bulk("news"), .integer(1)])
        }
        try await publisher.execute("PUBLISH", "news", "two")
        let message = await iterator.next()
        #expect(message?.payload == "two" && message?.channel == "news")
        await client.shutdown()
        await publisher.shutdown()
    }

    @Test(arguments: TestServer.allCases)
    func aCommandOnAConnectionTheServerClosedFails(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let victim = try await server.connect()
        let id = try await victim.send("CLIENT", "ID")
        let killer = try await server.connect()
        #expect(try await killer.send("CLIENT", "KILL", "ID", String(id.int ?? -1)) == .integer(1))
        try await waitUntil { !victim.isActive }
        // The write fails before it reaches the reply handler: the reply must fail too.
        await #expect(throws: RedstartClientError.self) { try await victim.execute(RedisCommand.ping()) }
        try await killer.close()
    }
}
