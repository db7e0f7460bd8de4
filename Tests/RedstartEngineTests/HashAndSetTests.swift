// Hash and set commands in-process: encodings and their switch-over, reply
// shapes that differ between RESP2 and RESP3, random picks, propagation of
// SPOP and HINCRBYFLOAT, and what the differential test cannot check because
// the reply is random.
import Testing

@testable import RedstartEngine

@Test func hashEncodingSwitchesAtTheListpackLimits() throws {
    let h = try EngineHarness { _ = try $0.set("hash-max-listpack-entries", arguments: ["3"]) }
    let s = h.connect()
    h.run(s, "HSET", "h", "a", "1", "b", "2", "c", "3")
    #expect(h.run(s, "OBJECT", "ENCODING", "h") == .bulk("listpack"))
    // Insertion order while small, also after a deletion.
    h.run(s, "HDEL", "h", "a")
    h.run(s, "HSET", "h", "a", "9")
    #expect(h.run(s, "HKEYS", "h") == .array([.bulk("b"), .bulk("c"), .bulk("a")]))
    h.run(s, "HSET", "h", "d", "4")
    #expect(h.run(s, "OBJECT", "ENCODING", "h") == .bulk("hashtable"))
    h.run(s, "HSET", "long", "f", String(repeating: "x", count: 65))
    #expect(h.run(s, "OBJECT", "ENCODING", "long") == .bulk("hashtable"))
    #expect(h.run(s, "HGET", "h", "d") == .bulk("4"))
    #expect(h.run(s, "HLEN", "h") == .integer(4))
}

@Test func hgetallAndHrandfieldShapesPerProtocol() {
    let h = EngineHarness()
    let (two, three) = (h.connect(), h.connect())
    h.run(three, "HELLO", "3")
    h.run(two, "HSET", "h", "f", "v")
    #expect(h.raw(two, "HGETALL", "h") == "*2\r\n$1\r\nf\r\n$1\r\nv\r\n")
    #expect(h.raw(three, "HGETALL", "h") == "%1\r\n$1\r\nf\r\n$1\r\nv\r\n")
    #expect(h.raw(two, "HRANDFIELD", "h", "-2", "WITHVALUES") == "*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nf\r\n$1\r\nv\r\n")
    #expect(h.raw(three, "HRANDFIELD", "h", "1", "WITHVALUES") == "*1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n")
    #expect(h.run(two, "HRANDFIELD", "h", "5", "BOGUS") == .err("ERR syntax error"))
}

@Test func hrandfieldAndSrandmemberPickDistinctMembersForPositiveCounts() {
    let h = EngineHarness()
    let s = h.connect()
    for index in 0..<50 { h.run(s, "HSET", "h", "f\(index)", "\(index)") }
    for index in 0..<50 { h.run(s, "SADD", "s", "m\(index)") }
    for _ in 0..<20 {
        guard case .array(let fields) = h.run(s, "HRANDFIELD", "h", "10"),
            case .array(let members) = h.run(s, "SRANDMEMBER", "s", "30")
        else {
            Issue.record("not arrays")
            return
        }
        #expect(fields.count == 10 && Set(fields.map { $0.string ?? "" }).count == 10)
        #expect(members.count == 30 && Set(members.map { $0.string ?? "" }).count == 30)
    }
    guard case .array(let repeats) = h.run(s, "SRANDMEMBER", "s", "-200") else { return }
    #expect(repeats.count == 200)
    #expect(h.run(s, "SCARD", "s") == .integer(50))
}

@Test func setEncodingsAndOrder() throws {
    let h = try EngineHarness { _ = try $0.set("set-max-intset-entries", arguments: ["4"]) }
    let s = h.connect()
    h.run(s, "SADD", "s", "30", "-2", "7")
    #expect(h.run(s, "OBJECT", "ENCODING", "s") == .bulk("intset"))
    #expect(h.run(s, "SMEMBERS", "s") == .array([.bulk("-2"), .bulk("7"), .bulk("30")]))
    h.run(s, "SADD", "s", "1", "2")
    #expect(h.run(s, "OBJECT", "ENCODING", "s") == .bulk("hashtable"))
    h.run(s, "SADD", "t", "007")
    #expect(h.run(s, "OBJECT", "ENCODING", "t") == .bulk("hashtable"))
    #expect(h.run(s, "SISMEMBER", "s", "30") == .integer(1))
    #expect(h.run(s, "SCARD", "s") == .integer(5))
}

@Test func spopTakesEveryMemberOnceAndPropagatesSrem() {
    let h = EngineHarness()
    let sink = RecordingSink()
    h.engine.propagationSink = sink
    let s = h.connect()
    h.run(s, "SADD", "s", "a", "b", "c")
    var seen: Set<String> = []
    for _ in 0..<3 {
        guard let member = h.run(s, "SPOP", "s").string else { return }
        seen.insert(member)
    }
    #expect(seen == ["a", "b", "c"])
    #expect(h.run(s, "EXISTS", "s") == .integer(0))
    #expect(sink.units.count == 4)
    #expect(sink.units.dropFirst().allSatisfy { $0.count == 1 && $0[0].hasPrefix("0: SREM s ") })
    h.run(s, "HSET", "h", "f", "1.5")
    h.run(s, "HINCRBYFLOAT", "h", "f", "0.25")
    #expect(sink.units.last == ["0: HSET h f 1.75"])
}

@Test func storeFormsReplaceOrDeleteTheDestination() {
    let h = EngineHarness()
    let s = h.connect()
    h.run(s, "SADD", "a", "1", "2", "3")
    h.run(s, "SADD", "b", "2", "3", "4")
    h.run(s, "SET", "dst", "string")
    h.run(s, "EXPIRE", "dst", "100")
    #expect(h.run(s, "SINTERSTORE", "dst", "a", "b") == .integer(2))
    #expect(h.run(s, "TTL", "dst") == .integer(-1))
    #expect(h.run(s, "SMEMBERS", "dst") == .array([.bulk("2"), .bulk("3")]))
    #expect(h.run(s, "SDIFFSTORE", "dst", "a", "a") == .integer(0))
    #expect(h.run(s, "EXISTS", "dst") == .integer(0))
    #expect(h.run(s, "SUNIONSTORE", "dst", "a", "b", "missing") == .integer(4))
    #expect(h.run(s, "SINTERCARD", "2", "a", "b", "LIMIT", "1") == .integer(1))
    h.run(s, "SET", "str", "x")
    #expect(h.run(s, "SUNION", "a", "str") == .err("WRONGTYPE Operation against a key holding the wrong kind of value"))
    #expect(h.run(s, "HGET", "str", "f") == .err("WRONGTYPE Operation against a key holding the wrong kind of value"))
}

@Test func copyOfAHashOrSetIsIndependent() {
    let h = EngineHarness()
    let s = h.connect()
    h.run(s, "HSET", "h", "f", "v")
    h.run(s, "SADD", "s", "m")
    h.run(s, "COPY", "h", "h2")
    h.run(s, "COPY", "s", "s2")
    h.run(s, "HSET", "h2", "f", "changed")
    h.run(s, "SADD", "s2", "n")
    #expect(h.run(s, "HGET", "h", "f") == .bulk("v"))
    #expect(h.run(s, "SCARD", "s") == .integer(1))
}

@Test func smoveTouchesTheDestinationOnlyWhenItAddsTheMember() {
    let h = EngineHarness()
    let (s, other) = (h.connect(), h.connect())
    h.run(s, "SADD", "src", "a", "b")
    h.run(s, "SADD", "dst", "a")
    h.run(s, "WATCH", "dst")
    #expect(h.run(other, "SMOVE", "src", "dst", "a") == .integer(1))
    h.run(s, "MULTI")
    h.run(s, "SCARD", "dst")
    #expect(h.run(s, "EXEC") == .array([.integer(1)]))
    h.run(s, "WATCH", "dst")
    h.run(other, "SMOVE", "src", "dst", "b")
    h.run(s, "MULTI")
    h.run(s, "SCARD", "dst")
    #expect(h.run(s, "EXEC") == .nullArray)
}

/// Walks a SSCAN/HSCAN to cursor 0, running `between` after each call; returns the names seen.
private func scanAll(_ h: EngineHarness, _ s: Session, _ command: String, _ key: String, count: Int,
                     between: () -> Void = {}) -> (names: Set<String>, calls: Int) {
    var cursor = "0"
    var names = Set<String>()
    var calls = 0
    repeat {
        guard case .array(let reply) = h.run(s, command, key, cursor, "COUNT", String(count)), reply.count == 2,
            let next = reply[0].string, case .array(let items) = reply[1]
        else {
            Issue.record("not a scan reply")
            return (names, calls)
        }
        let step = command == "HSCAN" ? 2 : 1
        for index in stride(from: 0, to: items.count, by: step) { names.insert(items[index].string ?? "") }
        cursor = next
        calls += 1
        between()
    } while cursor != "0" && calls < 10_000
    return (names, calls)
}

@Test func compactCollectionsScanWholeAndHashtablesByCursor() {
    let h = EngineHarness()
    let s = h.connect()
    _ = h.runAll(s, ["HSET", "small", "a", "1", "b", "2"])
    #expect(h.run(s, "HSCAN", "small", "0") == .array([.bulk("0"), .array([.bulk("a"), .bulk("1"), .bulk("b"), .bulk("2")])]))
    for index in 0..<600 { h.run(s, "HSET", "h", "f\(index)", "v") }
    #expect(h.run(s, "OBJECT", "ENCODING", "h") == .bulk("hashtable"))
    let hash = scanAll(h, s, "HSCAN", "h", count: 10)
    #expect(hash.names.count == 600)
    #expect(hash.calls == 60)
}

@Test func aHashtableScanReturnsEveryMemberPresentThroughoutUnderWrites() {
    let h = EngineHarness()
    let s = h.connect()
    let writer = h.connect()
    _ = h.runAll(s, ["SADD", "s"] + (0..<2000).map { "m\($0)" })
    #expect(h.run(s, "OBJECT", "ENCODING", "s") == .bulk("hashtable"))
    // Between calls: remove some members, add new ones; the members never removed must all come back.
    var removed = Set<String>()
    var step = 0
    let result = scanAll(h, s, "SSCAN", "s", count: 25) {
        step += 1
        let victim = "m\((step * 37) % 2000)"
        if h.run(writer, "SREM", "s", victim) == .integer(1) { removed.insert(victim) }
        h.run(writer, "SADD", "s", "new\(step)")
    }
    let survivors = Set((0..<2000).map { "m\($0)" }).subtracting(removed)
    #expect(survivors.isSubset(of: result.names))
    #expect(!removed.isEmpty)
    // Without writes a scan returns exactly the members.
    guard case .integer(let cardinality) = h.run(s, "SCARD", "s") else {
        Issue.record("no cardinality")
        return
    }
    #expect(scanAll(h, s, "SSCAN", "s", count: 100).names.count == Int(cardinality))
}
