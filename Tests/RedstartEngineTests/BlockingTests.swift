// Blocking list commands in-process: who is served, in which order, when
// (after the command or the whole EXEC), with what reply, and what happens on
// timeouts, CLIENT UNBLOCK, disconnects, type changes, SWAPDB and inside MULTI.
import Testing

@testable import RedstartEngine

private func blocked(_ h: EngineHarness, _ s: Session, _ arguments: String...) {
    let replies = h.runAll(s, arguments)
    #expect(replies.isEmpty, "\(arguments) should block, replied \(replies)")
    #expect(s.isBlocked)
}

@Test func blpopServesThePushInBlockingOrder() {
    let h = EngineHarness()
    let (a, b, c, pusher) = (h.connect(), h.connect(), h.connect(), h.connect())
    blocked(h, a, "BLPOP", "q", "0")
    blocked(h, b, "BLPOP", "q", "0")
    blocked(h, c, "BRPOP", "q", "0")
    #expect(h.run(pusher, "INFO", "clients").string?.contains("blocked_clients:3") == true)
    #expect(h.run(pusher, "RPUSH", "q", "1", "2") == .integer(2))
    #expect(h.drain(a) == [.array([.bulk("q"), .bulk("1")])])
    #expect(h.drain(b) == [.array([.bulk("q"), .bulk("2")])])
    #expect(h.drain(c) == [])
    #expect(h.run(pusher, "EXISTS", "q") == .integer(0))
    h.run(pusher, "LPUSH", "q", "3")
    #expect(h.drain(c) == [.array([.bulk("q"), .bulk("3")])])
    #expect(!a.isBlocked && !b.isBlocked && !c.isBlocked)
}

@Test func aClientOnSeveralKeysIsServedFromTheKeyThatGetsData() {
    let h = EngineHarness()
    let (s, pusher) = (h.connect(), h.connect())
    blocked(h, s, "BLPOP", "a", "b", "c", "0")
    h.run(pusher, "RPUSH", "c", "x")
    #expect(h.drain(s) == [.array([.bulk("c"), .bulk("x")])])
    // Nothing is left registered on the other keys.
    h.run(pusher, "RPUSH", "a", "y")
    #expect(h.run(pusher, "LLEN", "a") == .integer(1))
}

@Test func dataAlreadyThereIsPoppedAtOnceInKeyOrder() {
    let h = EngineHarness()
    let s = h.connect()
    h.run(s, "RPUSH", "b", "1")
    h.run(s, "RPUSH", "c", "2")
    #expect(h.run(s, "BRPOP", "a", "b", "c", "0") == .array([.bulk("b"), .bulk("1")]))
    h.run(s, "SET", "str", "x")
    #expect(h.run(s, "BLPOP", "a", "str", "c", "0") == .err("WRONGTYPE Operation against a key holding the wrong kind of value"))
    #expect(h.run(s, "BLPOP", "a", "x") == .err("ERR timeout is not a float or out of range"))
    #expect(h.run(s, "BLPOP", "a", "-0.5") == .err("ERR timeout is negative"))
    #expect(h.run(s, "BLPOP", "a", "inf") == .err("ERR timeout is negative"))
}

@Test func keysMadeReadyInsideExecAreServedAfterIt() {
    let h = EngineHarness()
    let (s, t) = (h.connect(), h.connect())
    blocked(h, s, "BLPOP", "q", "0")
    h.run(t, "MULTI")
    h.run(t, "RPUSH", "q", "kept")
    h.run(t, "RPUSH", "q", "popped")
    h.run(t, "RPOP", "q")
    #expect(h.run(t, "EXEC") == .array([.integer(1), .integer(2), .bulk("popped")]))
    #expect(h.drain(s) == [.array([.bulk("q"), .bulk("kept")])])
    // Pushed and popped in the same transaction: the blocked client never sees it.
    blocked(h, s, "BLPOP", "q", "0")
    h.run(t, "MULTI")
    h.run(t, "LPUSH", "q", "gone")
    h.run(t, "LPOP", "q")
    h.run(t, "EXEC")
    #expect(h.drain(s) == [])
    #expect(s.isBlocked)
}

@Test func blockingCommandsInsideMultiDoNotBlock() {
    let h = EngineHarness()
    let s = h.connect()
    h.run(s, "MULTI")
    h.run(s, "BLPOP", "q", "0")
    h.run(s, "BLMOVE", "q", "d", "LEFT", "LEFT", "0")
    h.run(s, "BLMPOP", "0", "1", "q", "LEFT")
    #expect(h.run(s, "EXEC") == .array([.nullArray, .nullBulkString, .nullArray]))
    #expect(!s.isBlocked)
}

@Test func blmoveChainsToClientsBlockedOnItsDestination() {
    let h = EngineHarness()
    let (mover, waiter, pusher) = (h.connect(), h.connect(), h.connect())
    blocked(h, mover, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
    blocked(h, waiter, "BLPOP", "dst", "0")
    h.run(pusher, "RPUSH", "src", "job")
    #expect(h.drain(mover) == [.bulk("job")])
    #expect(h.drain(waiter) == [.array([.bulk("dst"), .bulk("job")])])
    #expect(h.run(pusher, "EXISTS", "src", "dst") == .integer(0))
    // A destination of another type: the blocked client gets WRONGTYPE and nothing moves.
    blocked(h, mover, "BRPOPLPUSH", "src", "str", "0")
    h.run(pusher, "SET", "str", "x")
    h.run(pusher, "RPUSH", "src", "kept")
    #expect(h.drain(mover) == [.err("WRONGTYPE Operation against a key holding the wrong kind of value")])
    #expect(h.run(pusher, "LRANGE", "src", "0", "-1") == .array([.bulk("kept")]))
}

@Test func blmpopServesUpToCount() {
    let h = EngineHarness()
    let (s, pusher) = (h.connect(), h.connect())
    blocked(h, s, "BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2")
    h.run(pusher, "RPUSH", "b", "1", "2", "3")
    #expect(h.drain(s) == [.array([.bulk("b"), .array([.bulk("3"), .bulk("2")])])])
    #expect(h.run(pusher, "LRANGE", "b", "0", "-1") == .array([.bulk("1")]))
}

@Test func aKeyOfAnotherTypeKeepsClientsWaiting() {
    let h = EngineHarness()
    let (s, other) = (h.connect(), h.connect())
    blocked(h, s, "BLPOP", "k", "0")
    h.run(other, "SET", "k", "string")
    #expect(s.isBlocked)
    h.run(other, "DEL", "k")
    h.run(other, "RPUSH", "k", "v")
    #expect(h.drain(s) == [.array([.bulk("k"), .bulk("v")])])
}

@Test func timeoutsReplyANullArray() {
    let h = EngineHarness()
    let (s, resp3) = (h.connect(), h.connect())
    h.run(resp3, "HELLO", "3")
    blocked(h, s, "BLPOP", "q", "0.5")
    blocked(h, resp3, "BLMOVE", "q", "d", "LEFT", "LEFT", "0.25")
    h.clock.advance(milliseconds: 300)
    h.engine.handleBlockingTimeouts()
    #expect(h.raw(resp3, "PING") == "_\r\n+PONG\r\n")
    #expect(s.isBlocked)
    h.clock.advance(milliseconds: 300)
    h.engine.handleBlockingTimeouts()
    #expect(h.raw(s, "PING") == "*-1\r\n+PONG\r\n")
}

@Test func clientUnblockAndDisconnect() {
    let h = EngineHarness()
    let (s, admin) = (h.connect(), h.connect())
    blocked(h, s, "BLPOP", "q", "0")
    #expect(h.run(admin, "CLIENT", "LIST").string?.contains("flags=b") == true)
    #expect(h.run(admin, "CLIENT", "UNBLOCK", "\(s.id)", "TIMEOUT") == .integer(1))
    #expect(h.drain(s) == [.nullArray])
    #expect(h.run(admin, "CLIENT", "UNBLOCK", "\(s.id)") == .integer(0))
    blocked(h, s, "BLPOP", "q", "0")
    #expect(h.run(admin, "CLIENT", "UNBLOCK", "\(s.id)", "ERROR") == .integer(1))
    #expect(h.drain(s) == [.err("UNBLOCKED client unblocked via CLIENT UNBLOCK")])
    #expect(h.run(admin, "CLIENT", "UNBLOCK", "\(s.id)", "NOW") == .err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"))
    // A client that disconnects while blocked takes nothing.
    blocked(h, s, "BLPOP", "q", "0")
    h.engine.closeSession(s)
    h.run(admin, "RPUSH", "q", "v")
    #expect(h.run(admin, "LRANGE", "q", "0", "-1") == .array([.bulk("v")]))
    #expect(h.run(admin, "INFO", "clients").string?.contains("blocked_clients:0") == true)
}

@Test func swapdbAndMoveWakeClientsOnTheKeysTheyBring() {
    let h = EngineHarness()
    let (s, other) = (h.connect(), h.connect())
    blocked(h, s, "BLPOP", "k", "0")
    h.run(other, "SELECT", "1")
    h.run(other, "RPUSH", "k", "from db 1")
    h.run(other, "SWAPDB", "0", "1")
    #expect(h.drain(s) == [.array([.bulk("k"), .bulk("from db 1")])])
    blocked(h, s, "BLPOP", "m", "0")
    h.run(other, "RPUSH", "m", "moved")
    h.run(other, "MOVE", "m", "0")
    #expect(h.drain(s) == [.array([.bulk("m"), .bulk("moved")])])
    blocked(h, s, "BLPOP", "r", "0")
    h.run(other, "SELECT", "0")
    h.run(other, "RPUSH", "tmp", "renamed")
    h.run(other, "RENAME", "tmp", "r")
    #expect(h.drain(s) == [.array([.bulk("r"), .bulk("renamed")])])
}

@Test func servedBlockingCommandsPropagateTheirNonBlockingForm() {
    let h = EngineHarness()
    let sink = RecordingSink()
    h.engine.propagationSink = sink
    let (s, pusher) = (h.connect(), h.connect())
    blocked(h, s, "BLPOP", "q", "0")
    h.run(pusher, "RPUSH", "q", "a", "b")
    h.run(s, "BRPOP", "q", "0")
    blocked(h, s, "BLMOVE", "q", "d", "LEFT", "RIGHT", "0")
    h.run(pusher, "RPUSH", "q", "c")
    h.run(s, "BLMPOP", "0", "1", "d", "LEFT", "COUNT", "5")
    #expect(sink.units == [
        ["0: RPUSH q a b"], ["0: LPOP q"], ["0: RPOP q"], ["0: RPUSH q c"], ["0: LMOVE q d LEFT RIGHT"],
        ["0: LPOP d 1"],
    ])
}

@Test func flushallLeavesClientsWaiting() {
    let h = EngineHarness()
    let (s, other) = (h.connect(), h.connect())
    blocked(h, s, "BLPOP", "k", "0")
    h.run(other, "SET", "k", "string")
    h.run(other, "FLUSHALL")
    #expect(s.isBlocked)
    h.run(other, "LPUSH", "k", "after flush")
    #expect(h.drain(s) == [.array([.bulk("k"), .bulk("after flush")])])
}

@Test func sortedSetBlockingPopsAreServedLikeLists() {
    let h = EngineHarness()
    let (a, b, pusher) = (h.connect(), h.connect(), h.connect())
    blocked(h, a, "BZPOPMIN", "z", "0")
    blocked(h, b, "BZMPOP", "0", "1", "z", "MAX", "COUNT", "5")
    // A list-waiter on the same key is passed over by a sorted set.
    let listWaiter = h.connect()
    blocked(h, listWaiter, "BLPOP", "z", "0")
    h.run(pusher, "ZADD", "z", "1", "one", "2", "two", "3", "three")
    #expect(h.drain(a) == [.array([.bulk("z"), .bulk("one"), .bulk("1")])])
    #expect(h.drain(b) == [.array([.bulk("z"), .array([.array([.bulk("three"), .bulk("3")]), .array([.bulk("two"), .bulk("2")])])])])
    #expect(listWaiter.isBlocked)
    #expect(h.run(pusher, "EXISTS", "z") == .integer(0))
    h.run(pusher, "RPUSH", "z", "item")
    #expect(h.drain(listWaiter) == [.array([.bulk("z"), .bulk("item")])])
    h.run(pusher, "ZADD", "y", "5", "m")
    #expect(h.run(a, "BZPOPMAX", "missing", "y", "0") == .array([.bulk("y"), .bulk("m"), .bulk("5")]))
    h.run(a, "MULTI")
    h.run(a, "BZPOPMIN", "y", "0")
    #expect(h.run(a, "EXEC") == .array([.nullArray]))
}
