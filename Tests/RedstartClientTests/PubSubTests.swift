// Subscriptions as AsyncSequences: channels, patterns and shard channels, several
// streams on one topic, unsubscribing when a stream ends, RESP2 and RESP3 alike.
import RedstartClient
import RedstartRESP
import RedstartTestSupport
import Testing

@Suite struct PubSubTests {
    @Test(arguments: TestServer.allCases, [2, 3])
    func channelsPatternsAndShardChannels(server kind: TestServer, protocolVersion: Int) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let client = try server.client { $0.connection.protocolVersion = protocolVersion }
        let channel = try await client.subscribe(to: ["orders", "payments"])
        let pattern = try await client.subscribe(toPatterns: ["order*"])
        let shard = try await client.subscribe(toShardChannels: ["shard-1"])
        #expect(try await client.execute("PUBLISH", "orders", "o-1") == .integer(2))
        try await client.execute("PUBLISH", "payments", RedisBytes([0, 1, 2]))
        try await client.execute("SPUBLISH", "shard-1", "s-1")
        var channels = channel.makeAsyncIterator()
        let first = await channels.next()
        #expect(first == PubSubMessage(channel: "orders", payload: "o-1"))
        #expect(await channels.next() == PubSubMessage(channel: "payments", payload: RedisBytes([0, 1, 2])))
        var patterns = pattern.makeAsyncIterator()
        #expect(await patterns.next() == PubSubMessage(channel: "orders", pattern: "order*", payload: "o-1"))
        var shards = shard.makeAsyncIterator()
        #expect(await shards.next() == PubSubMessage(channel: "shard-1", isShardMessage: true, payload: "s-1"))
        await client.shutdown()
    }

    @Test(arguments: TestServer.allCases)
    func aTopicIsUnsubscribedWhenItsLastStreamEnds(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        let client = try server.client()
        let task = Task {
            let stream = try await client.subscribe(to: ["short-lived"])
            for await _ in stream { break }
        }
        try await waitUntil {
            try await client.execute("PUBSUB", "NUMSUB", "short-lived") == .array([.bulk("short-lived"), .integer(1)])
        }
        try await client.execute("PUBLISH", "short-lived", "bye")
        try await task.value
        try await waitUntil {
            try await client.execute("PUBSUB", "NUMSUB", "short-lived") == .array([.bulk("short-lived"), .integer(0)])
        }
        await client.shutdown()
    }

    @Test(arguments: TestServer.allCases)
    func aConnectionsPushesAreAnAsyncSequence(server kind: TestServer) async throws {
        let server = try await kind.start()
        defer { withExtendedLifetime(server) {} }  // the server lives until the test ends
        // RESP3: a tracking invalidation arrives as a push, in order, while replies keep flowing.
        let tracked = try await RedstartConnection.connect(configuration: .init(port: server.port))
        #expect(tracked.protocolVersion == 3)
        try await tracked.execute("CLIENT", "TRACKING", "ON")
        #expect(try await tracked.execute("GET", "k") == .null)
        let writer = try server.client()
        try await writer.execute("SET", "k", "v")
        var pushes = tracked.pushes.makeAsyncIterator()
        #expect(await pushes.next() == .push([.bulk("invalidate"), .array([.bulk("k")])]))
        #expect(try await tracked.execute("GET", "k") == .bulk("v"))  // a push is never taken for a reply
        // RESP2: messages nobody asked for (a subscription's) come through the same sequence.
        var settings = RedstartConnection.Configuration(port: server.port)
        settings.protocolVersion = 2
        let subscriber = try await RedstartConnection.connect(configuration: settings)
        subscriber.sendExpectingPushes(RedisCommand(arguments: ["SUBSCRIBE", "news"]))
        var messages = subscriber.pushes.makeAsyncIterator()
        #expect(await messages.next() == .array([.bulk("subscribe"), .bulk("news"), .integer(1)]))
        try await writer.execute("PUBLISH", "news", "hello")
        #expect(await messages.next() == .array([.bulk("message"), .bulk("news"), .bulk("hello")]))
        // The sequence ends when the connection closes.
        try await subscriber.close()
        #expect(await messages.next() == nil)
        try await tracked.close()
        await writer.shutdown()
    }
}
