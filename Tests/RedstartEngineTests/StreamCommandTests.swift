// Stream commands in-process: blocking readers (served after the write, FIFO,
// answered when the stream or the group goes), and what the commands hand to
// propagation (the effect form Redis sends to replicas and the AOF).
import RedstartRESP
import Testing

@testable import RedstartEngine

private func blocked(_ h: EngineHarness, _ s: Session, _ arguments: String...) {
    let replies = h.runAll(s, arguments)
    #expect(replies.isEmpty, "\(arguments) should block, replied \(replies)")
    #expect(s.isBlocked)
}

private func entry(_ id: String, _ pairs: String...) -> RESPValue {
    .array([.bulk(id), .array(pairs.map { .bulk($0) })])
}

@Test func blockedXReadIsServedByTheNextAddInOrder() {
    let h = EngineHarness()
    let (a, b, writer) = (h.connect(), h.connect(), h.connect())
    h.run(writer, "XADD", "s", "1-0", "f", "old")
    blocked(h, a, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    blocked(h, b, "XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "other", "s", "0-0", "1-0")
    h.run(writer, "XADD", "s", "2-0", "f", "new")
    #expect(h.drain(a) == [.array([.array([.bulk("s"), .array([entry("2-0", "f", "new")])])])])
    #expect(h.drain(b) == [.array([.array([.bulk("s"), .array([entry("2-0", "f", "new")])])])])
    #expect(!a.isBlocked && !b.isBlocked)
}

@Test func blockedGroupReadersShareNewEntriesAndLearnWhenTheirGroupOrStreamGoes() {
    let h = EngineHarness()
    let (a, b, c, writer) = (h.connect(), h.connect(), h.connect(), h.connect())
    h.run(writer, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    blocked(h, a, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
    blocked(h, b, "XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "s", ">")
    h.run(writer, "XADD", "s", "1-0", "f", "v")
    #expect(h.drain(a) == [.array([.array([.bulk("s"), .array([entry("1-0", "f", "v")])])])])
    #expect(h.drain(b) == [])  // alice took it; bob keeps waiting
    h.run(writer, "XGROUP", "DESTROY", "s", "g")
    #expect(h.drain(b) == [.err("NOGROUP the consumer group this client was blocked on no longer exists")])
    h.run(writer, "XGROUP", "CREATE", "s", "g", "$")
    blocked(h, c, "XREADGROUP", "GROUP", "g", "carol", "BLOCK", "0", "STREAMS", "s", ">")
    h.run(writer, "SET", "s", "not a stream")
    #expect(h.drain(c) == [.err("UNBLOCKED the stream key no longer exists")])
    h.run(writer, "DEL", "s")
    h.run(writer, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    blocked(h, c, "XREADGROUP", "GROUP", "g", "carol", "BLOCK", "0", "STREAMS", "s", ">")
    h.run(writer, "FLUSHALL")
    #expect(h.drain(c) == [.err("UNBLOCKED the stream key no longer exists")])
}

@Test func blockingReadsInsideMultiAnswerAtOnce() {
    let h = EngineHarness()
    let s = h.connect()
    h.run(s, "MULTI")
    h.run(s, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    #expect(h.run(s, "EXEC") == .array([.nullArray]))
    #expect(h.run(s, "XREAD", "BLOCK", "-1", "STREAMS", "s", "$") == .err("ERR timeout is negative"))
    #expect(h.run(s, "XREAD", "BLOCK", "x", "STREAMS", "s", "$") == .err("ERR timeout is not an integer or out of range"))
}

@Test func streamWritesPropagateAsWhatTheyDid() {
    let h = EngineHarness()
    let sink = RecordingSink()
    h.engine.propagationSink = sink
    let s = h.connect()
    h.run(s, "CONFIG", "SET", "stream-node-max-entries", "2")
    h.run(s, "XADD", "s", "5-*", "f", "1")
    h.run(s, "XADD", "s", "6-0", "f", "2")
    h.run(s, "XADD", "s", "MAXLEN", "~", "1", "7-0", "f", "3")
    #expect(sink.units == [["0: XADD s 5-0 f 1"], ["0: XADD s 6-0 f 2"], ["0: XADD s MAXLEN = 1 7-0 f 3"]])
    sink.units = []
    h.run(s, "XGROUP", "CREATE", "s", "g", "0")
    h.run(s, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    #expect(sink.units.count == 2)
    #expect(sink.units[1].first?.hasPrefix("0: XCLAIM s g c 0 7-0 TIME ") == true)
    #expect(sink.units[1].first?.hasSuffix(" RETRYCOUNT 1 FORCE JUSTID LASTID 7-0") == true)
    sink.units = []
    h.run(s, "XADD", "s", "8-0", "f", "4")
    h.run(s, "XREADGROUP", "GROUP", "g", "d", "NOACK", "STREAMS", "s", ">")
    #expect(sink.units.last == [
        "0: MULTI", "0: XGROUP CREATECONSUMER s g d", "0: XGROUP SETID s g 8-0 ENTRIESREAD 4", "0: EXEC",
    ])
    sink.units = []
    h.run(s, "XREADGROUP", "GROUP", "g", "d", "STREAMS", "s", ">")  // nothing new: no change
    h.run(s, "XRANGE", "s", "-", "+")
    #expect(sink.units.isEmpty)
}

@Test func claimsAndAutoclaimsMoveOwnershipAndDropDeletedEntries() {
    let h = EngineHarness()
    let s = h.connect()
    for ms in 1...4 { h.run(s, "XADD", "s", "\(ms)-0", "f", "\(ms)") }
    h.run(s, "XGROUP", "CREATE", "s", "g", "0")
    h.run(s, "XREADGROUP", "GROUP", "g", "dead", "STREAMS", "s", ">")
    h.run(s, "XDEL", "s", "2-0")
    #expect(
        h.run(s, "XAUTOCLAIM", "s", "g", "alive", "0", "0", "COUNT", "2")
            == .array([.bulk("3-0"), .array([entry("1-0", "f", "1")]), .array([.bulk("2-0")])]))
    #expect(h.run(s, "XCLAIM", "s", "g", "alive", "0", "3-0", "4-0", "JUSTID") == .array([.bulk("3-0"), .bulk("4-0")]))
    #expect(
        h.run(s, "XPENDING", "s", "g")
            == .array([.integer(3), .bulk("1-0"), .bulk("4-0"), .array([.array([.bulk("alive"), .bulk("3")])])]))
    #expect(h.run(s, "XCLAIM", "s", "g", "x", "0", "1-0", "BOGUS") == .err("ERR Unrecognized XCLAIM option 'BOGUS'"))
    #expect(h.run(s, "XACK", "s", "g", "1-0", "3-0", "9-0") == .integer(2))
    #expect(h.run(s, "XGROUP", "DELCONSUMER", "s", "g", "alive") == .integer(1))
    #expect(h.run(s, "XPENDING", "s", "g") == .array([.integer(0), .nullBulkString, .nullBulkString, .nullArray]))
}
