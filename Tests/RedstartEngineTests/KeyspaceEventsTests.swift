// Keyspace notifications in-process: class masks and K/E channels, Redis 7.0's
// event names and their order within a command (new, the command's event, del),
// expired events from lazy and active expiry, keymiss, CONFIG GET's canonical
// form, blocked clients served, and a client's own events following its reply.
import RedstartRESP
import Testing

@testable import RedstartEngine

/// A listener on every keyspace channel: `events()` gives "channel message" lines.
private struct Listener {
    let h: EngineHarness
    let session: Session

    init(_ h: EngineHarness, flags: String) {
        self.h = h
        session = h.connect()
        h.run(h.connect(), "CONFIG", "SET", "notify-keyspace-events", flags)
        h.run(session, "PSUBSCRIBE", "__key*")
    }

    func events() -> [String] {
        h.drain(session).map { message in
            guard case .array(let parts) = message, parts.count == 4,
                let channel = parts[2].string, let payload = parts[3].string
            else { return "unexpected \(message)" }
            return "\(channel) \(payload)"
        }
    }
}

@Test func notificationsAreOffByDefaultAndNeedKOrE() {
    let h = EngineHarness()
    let listener = h.connect()
    let c = h.connect()
    h.run(listener, "PSUBSCRIBE", "*")
    h.run(c, "SET", "k", "v")
    #expect(h.drain(listener).isEmpty)
    // Classes without K or E publish nothing.
    h.run(c, "CONFIG", "SET", "notify-keyspace-events", "A")
    h.run(c, "SET", "k", "v")
    #expect(h.drain(listener).isEmpty)
}

@Test func keyspaceAndKeyeventChannelsFollowTheClassMask() {
    let h = EngineHarness()
    let l = Listener(h, flags: "KEl")
    let c = h.connect()
    h.run(c, "SET", "foo", "bar")
    h.run(c, "LPUSH", "mylist", "a")
    #expect(l.events() == ["__keyspace@0__:mylist lpush", "__keyevent@0__:lpush mylist"])
    h.run(c, "CONFIG", "SET", "notify-keyspace-events", "Eg$")
    h.run(c, "SELECT", "3")
    h.run(c, "SET", "foo", "bar", "EX", "100")
    h.run(c, "PERSIST", "foo")
    h.run(c, "EXPIRE", "foo", "-1")
    #expect(l.events() == [
        "__keyevent@3__:set foo", "__keyevent@3__:expire foo", "__keyevent@3__:persist foo", "__keyevent@3__:del foo",
    ])
}

@Test func eventsWithinACommandComeInRedisOrder() {
    let h = EngineHarness()
    let l = Listener(h, flags: "EAn")
    let c = h.connect()
    let steps: [([String], [String])] = [
        (["RPUSH", "q", "a", "b"], ["new q", "rpush q"]),
        (["LMOVE", "q", "d", "LEFT", "RIGHT"], ["new d", "rpush d", "lpop q"]),
        (["RPOP", "q"], ["rpop q", "del q"]),
        (["LTRIM", "d", "5", "6"], ["ltrim d", "del d"]),
        (["HSET", "h", "f", "1"], ["new h", "hset h"]),
        (["HINCRBY", "h", "f", "2"], ["hincrby h"]),
        (["HDEL", "h", "nope"], []),
        (["HDEL", "h", "f"], ["hdel h", "del h"]),
        (["SADD", "s", "1", "2"], ["new s", "sadd s"]),
        (["SMOVE", "s", "t", "1"], ["srem s", "new t", "sadd t"]),
        (["SINTERSTORE", "t", "s", "none"], ["del t"]),
        (["SPOP", "s", "5"], ["spop s", "del s"]),
        (["ZADD", "z", "1", "a", "2", "b"], ["new z", "zadd z"]),
        (["ZADD", "z", "1", "a"], []),
        (["ZINCRBY", "z", "1", "a"], ["zincr z"]),
        (["ZREMRANGEBYSCORE", "z", "10", "20"], []),
        (["ZUNIONSTORE", "u", "1", "z"], ["new u", "zunionstore u"]),
        (["ZPOPMAX", "z", "5"], ["zpopmax z", "del z"]),
        (["SET", "k", "1"], ["new k", "set k"]),
        (["INCRBY", "k", "2"], ["incrby k"]),
        (["SETRANGE", "k", "5", "x"], ["setrange k"]),
        (["SETBIT", "b", "1", "0"], ["new b", "setbit b"]),
        (["SETBIT", "b", "1", "0"], []),
        (["RENAME", "k", "k2"], ["new k2", "rename_from k", "rename_to k2"]),
        (["COPY", "k2", "k3"], ["new k3", "copy_to k3"]),
        (["GETDEL", "k3"], ["del k3"]),
        (["DEL", "k2", "none", "u", "b"], ["del k2", "del u", "del b"]),
    ]
    for (command, expected) in steps {
        _ = h.runAll(c, command)
        let seen = l.events().map { String($0.dropFirst("__keyevent@0__:".count)) }
        #expect(seen == expected, "\(command)")
    }
}

@Test func moveReportsInBothDatabases() {
    let h = EngineHarness()
    let l = Listener(h, flags: "KEA")
    let c = h.connect()
    h.run(c, "SET", "k", "v")
    _ = l.events()
    h.run(c, "MOVE", "k", "2")
    #expect(l.events() == [
        "__keyspace@0__:k move_from", "__keyevent@0__:move_from k",
        "__keyspace@2__:k move_to", "__keyevent@2__:move_to k",
    ])
}

@Test func expiredEventsFireOnLazyAndActiveExpiryAndMissesOnReads() {
    let h = EngineHarness()
    let l = Listener(h, flags: "Exm")
    let c = h.connect()
    h.run(c, "PSETEX", "lazy", "100", "v")
    h.run(c, "PSETEX", "active", "100", "v")
    h.clock.advance(milliseconds: 200)
    h.run(c, "GET", "lazy")
    #expect(l.events() == ["__keyevent@0__:expired lazy", "__keyevent@0__:keymiss lazy"])
    h.engine.cron()
    #expect(l.events() == ["__keyevent@0__:expired active"])
    // Writes and OBJECT do not report misses.
    h.run(c, "OBJECT", "ENCODING", "none")
    h.run(c, "LPUSHX", "none", "x")
    #expect(l.events().isEmpty)
}

@Test func servedBlockedClientsReportTheirPops() {
    let h = EngineHarness()
    let l = Listener(h, flags: "El")
    let (waiter, mover, producer) = (h.connect(), h.connect(), h.connect())
    _ = h.runAll(waiter, ["BLPOP", "q", "0"])
    _ = h.runAll(mover, ["BLMOVE", "r", "dst", "RIGHT", "LEFT", "0"])
    h.run(producer, "RPUSH", "q", "job")
    #expect(l.events() == ["__keyevent@0__:rpush q", "__keyevent@0__:lpop q"])
    h.run(producer, "RPUSH", "r", "x")
    #expect(l.events() == ["__keyevent@0__:rpush r", "__keyevent@0__:lpush dst", "__keyevent@0__:rpop r"])
}

@Test func configGetShowsRedisCanonicalForm() {
    let h = EngineHarness()
    let c = h.connect()
    for (given, shown) in [("gKE", "gKE"), ("$lshzxeKE", "$lshzxeKE"), ("KA", "AK"), ("EA", "AE"), ("xKEn", "xnKE"), ("AKEnm", "AKEm")] {
        h.run(c, "CONFIG", "SET", "notify-keyspace-events", given)
        #expect(h.run(c, "CONFIG", "GET", "notify-keyspace-events") == .array([.bulk("notify-keyspace-events"), .bulk(shown)]))
    }
    #expect(h.run(c, "CONFIG", "SET", "notify-keyspace-events", "KEZ") == .err(
        "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."))
    // "A" hides an "n" given with it, which still counts.
    h.run(c, "CONFIG", "SET", "notify-keyspace-events", "EAn")
    let l = h.connect()
    h.run(l, "SUBSCRIBE", "__keyevent@0__:new")
    h.run(c, "SET", "fresh", "1")
    #expect(h.drain(l) == [.array([.bulk("message"), .bulk("__keyevent@0__:new"), .bulk("fresh")])])
}

@Test func aClientsOwnEventsFollowItsReply() {
    let h = EngineHarness()
    let c = h.connect()
    h.run(c, "HELLO", "3")
    h.run(c, "CONFIG", "SET", "notify-keyspace-events", "Ez")
    h.run(c, "SUBSCRIBE", "__keyevent@0__:zpopmin")
    h.run(c, "ZADD", "z", "1", "a", "2", "b")
    let popped: RESPValue = .array([.array([.bulk("a"), .double(1)]), .array([.bulk("b"), .double(2)])])
    let event: RESPValue = .push([.bulk("message"), .bulk("__keyevent@0__:zpopmin"), .bulk("z")])
    #expect(h.runAll(c, ["ZPOPMIN", "z", "2"]) == [popped, event])
    // Inside EXEC the messages follow the whole EXEC reply; CLIENT REPLY OFF keeps them.
    h.run(c, "ZADD", "z", "1", "a")
    h.run(c, "MULTI")
    h.run(c, "ZPOPMIN", "z")
    h.run(c, "PUBLISH", "__keyevent@0__:zpopmin", "hi")
    #expect(h.runAll(c, ["EXEC"]) == [
        .array([.array([.bulk("a"), .double(1)]), .integer(1)]),
        event,
        .push([.bulk("message"), .bulk("__keyevent@0__:zpopmin"), .bulk("hi")]),
    ])
    h.run(c, "ZADD", "z", "1", "a")
    h.run(c, "CLIENT", "REPLY", "OFF")
    #expect(h.runAll(c, ["ZPOPMIN", "z"]) == [event])
}

@Test func aServedBlockedClientsOwnEventsFollowItsReply() {
    let h = EngineHarness()
    let (waiter, producer) = (h.connect(), h.connect())
    h.run(waiter, "HELLO", "3")
    h.run(producer, "CONFIG", "SET", "notify-keyspace-events", "El")
    h.run(waiter, "SUBSCRIBE", "__keyevent@0__:lpush")
    #expect(h.runAll(waiter, ["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"]).isEmpty)
    h.run(producer, "RPUSH", "src", "job")
    #expect(h.drain(waiter) == [
        .bulk("job"),
        .push([.bulk("message"), .bulk("__keyevent@0__:lpush"), .bulk("dst")]),
    ])
}
