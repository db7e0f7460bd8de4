// Pub/Sub in-process: message shapes in RESP2 and RESP3 (pushes), pattern and
// shard delivery, counts in confirmations, subscribed-mode restrictions,
// PUBSUB introspection, CLIENT LIST and INFO, and cleanup on disconnect/RESET.
import Testing

@testable import RedstartEngine

@Test func publishReachesChannelAndPatternSubscribersOncePerSubscription() {
    let h = EngineHarness()
    let (a, b, publisher) = (h.connect(), h.connect(), h.connect())
    #expect(h.runAll(a, ["SUBSCRIBE", "news", "sport"]) == [
        .array([.bulk("subscribe"), .bulk("news"), .integer(1)]),
        .array([.bulk("subscribe"), .bulk("sport"), .integer(2)]),
    ])
    h.run(b, "HELLO", "3")
    h.run(b, "PSUBSCRIBE", "n*")
    h.run(b, "SUBSCRIBE", "news")
    #expect(h.run(publisher, "PUBLISH", "news", "hello") == .integer(3))
    #expect(h.drain(a) == [.array([.bulk("message"), .bulk("news"), .bulk("hello")])])
    #expect(h.drain(b) == [
        .push([.bulk("message"), .bulk("news"), .bulk("hello")]),
        .push([.bulk("pmessage"), .bulk("n*"), .bulk("news"), .bulk("hello")]),
    ])
    #expect(h.run(publisher, "PUBLISH", "nobody", "x") == .integer(1))
    #expect(h.run(publisher, "PUBSUB", "NUMSUB", "news", "none") == .array([.bulk("news"), .integer(2), .bulk("none"), .integer(0)]))
    #expect(h.run(publisher, "PUBSUB", "NUMPAT") == .integer(1))
    #expect(h.run(publisher, "INFO", "stats").string?.contains("pubsub_channels:2") == true)
}

@Test func subscribedRESP2ClientsAreLimitedToSubscriptionCommands() {
    let h = EngineHarness()
    let s = h.connect()
    h.run(s, "SUBSCRIBE", "c")
    #expect(h.run(s, "GET", "k") == .err(
        "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"))
    #expect(h.run(s, "PING") == .array([.bulk("pong"), .bulk("")]))
    #expect(h.run(h.connect(), "CLIENT", "LIST").string?.contains("flags=P db=0 sub=1 psub=0 ssub=0") == true)
    #expect(h.runAll(s, ["UNSUBSCRIBE"]) == [.array([.bulk("unsubscribe"), .bulk("c"), .integer(0)])])
    #expect(h.run(s, "UNSUBSCRIBE") == .array([.bulk("unsubscribe"), .nullBulkString, .integer(0)]))
    #expect(h.run(s, "GET", "k") == .nullBulkString)
    // RESP3 clients may run anything while subscribed.
    h.run(s, "HELLO", "3")
    h.run(s, "SUBSCRIBE", "c")
    #expect(h.run(s, "GET", "k") == .null)
}

@Test func shardChannelsAreSeparate() {
    let h = EngineHarness()
    let (s, publisher) = (h.connect(), h.connect())
    h.run(s, "SUBSCRIBE", "c")
    #expect(h.run(s, "SSUBSCRIBE", "c") == .array([.bulk("ssubscribe"), .bulk("c"), .integer(1)]))
    #expect(h.run(publisher, "SPUBLISH", "c", "m") == .integer(1))
    #expect(h.drain(s) == [.array([.bulk("smessage"), .bulk("c"), .bulk("m")])])
    #expect(h.run(publisher, "PUBSUB", "SHARDCHANNELS") == .array([.bulk("c")]))
}

@Test func disconnectAndResetDropSubscriptions() {
    let h = EngineHarness()
    let (s, t, publisher) = (h.connect(), h.connect(), h.connect())
    h.run(s, "SUBSCRIBE", "c")
    h.run(t, "PSUBSCRIBE", "*")
    h.engine.closeSession(s)
    #expect(h.run(t, "RESET") == .simpleString("RESET"))
    #expect(h.run(publisher, "PUBLISH", "c", "x") == .integer(0))
    #expect(h.run(publisher, "PUBSUB", "CHANNELS") == .array([]))
    #expect(h.run(publisher, "PUBSUB", "NUMPAT") == .integer(0))
}

@Test func subscriptionConfirmationsAndMessagesIgnoreClientReplyOff() {
    let h = EngineHarness()
    let (s, publisher) = (h.connect(), h.connect())
    h.run(s, "HELLO", "3")
    h.run(s, "CLIENT", "REPLY", "OFF")
    #expect(h.run(s, "SUBSCRIBE", "c") == .push([.bulk("subscribe"), .bulk("c"), .integer(1)]))
    #expect(h.runAll(s, ["GET", "k"]) == [])
    h.run(publisher, "PUBLISH", "c", "m")
    #expect(h.drain(s) == [.push([.bulk("message"), .bulk("c"), .bulk("m")])])
    #expect(h.run(s, "UNSUBSCRIBE", "c") == .push([.bulk("unsubscribe"), .bulk("c"), .integer(0)]))
}

@Test func aSubscribersConnectionIsToldOnceUntilItSends() throws {
    let h = EngineHarness()
    let (s, publisher) = (h.connect(), h.connect())
    let transport = try #require(s.transport as? FakeTransport)
    h.run(s, "SUBSCRIBE", "c")
    for _ in 0..<3 { h.run(publisher, "PUBLISH", "c", "m") }
    #expect(transport.outputPendingCalls == 1)
    #expect(h.drain(s).count == 3)
    s.outputSent()
    h.run(publisher, "PUBLISH", "c", "m")
    #expect(transport.outputPendingCalls == 2)
    // A closed session lets go of its connection.
    h.engine.closeSession(s)
    #expect(s.transport == nil)
}
