// GET, SET (every option), DEL, EXISTS and lazy expiry.
import Testing

@testable import RedstartEngine

@Test func setAndGet() {
    let harness = EngineHarness()
    let s = harness.connect()
    #expect(harness.run(s, "SET", "k", "v") == .simpleString("OK"))
    #expect(harness.run(s, "GET", "k") == .bulk("v"))
    #expect(harness.run(s, "GET", "none") == .nullBulkString)
}

@Test func setNXAndXX() {
    let harness = EngineHarness()
    let s = harness.connect()
    #expect(harness.run(s, "SET", "k", "1", "XX") == .nullBulkString)
    #expect(harness.run(s, "SET", "k", "1", "NX") == .simpleString("OK"))
    #expect(harness.run(s, "SET", "k", "2", "NX") == .nullBulkString)
    #expect(harness.run(s, "SET", "k", "3", "XX") == .simpleString("OK"))
    #expect(harness.run(s, "GET", "k") == .bulk("3"))
    #expect(harness.run(s, "SET", "k", "4", "NX", "XX") == .err("ERR syntax error"))
    #expect(harness.run(s, "SET", "k", "4", "nx", "nx") == .nullBulkString)
}

@Test func setGetReturnsTheOldValue() {
    let harness = EngineHarness()
    let s = harness.connect()
    #expect(harness.run(s, "SET", "k", "a", "GET") == .nullBulkString)
    #expect(harness.run(s, "SET", "k", "b", "GET") == .bulk("a"))
    #expect(harness.run(s, "SET", "k", "c", "NX", "GET") == .bulk("b"))
    #expect(harness.run(s, "GET", "k") == .bulk("b"))
}

@Test func setExpiryOptions() {
    let harness = EngineHarness()
    let s = harness.connect()
    let now = harness.clock.wallMilliseconds
    harness.run(s, "SET", "ex", "v", "EX", "10")
    harness.run(s, "SET", "px", "v", "PX", "500")
    harness.run(s, "SET", "exat", "v", "EXAT", String(now / 1000 + 100))
    harness.run(s, "SET", "pxat", "v", "PXAT", String(now + 2000))
    let db = harness.engine.databases[0]
    let expiry = { (key: String) in db.find(key, now: now).flatMap { db.expiry(at: $0) } }
    #expect(expiry("ex") == now + 10_000)
    #expect(expiry("px") == now + 500)
    #expect(expiry("exat") == (now / 1000 + 100) * 1000)
    #expect(expiry("pxat") == now + 2000)
    harness.clock.advance(milliseconds: 600)
    #expect(harness.run(s, "GET", "px") == .nullBulkString)
    #expect(harness.run(s, "GET", "ex") == .bulk("v"))
    #expect(harness.engine.expiredKeysTotal == 1)
}

@Test func setKeepTTLAndPlainSetClearsTTL() {
    let harness = EngineHarness()
    let s = harness.connect()
    let db = harness.engine.databases[0]
    let now = harness.clock.wallMilliseconds
    harness.run(s, "SET", "k", "v", "EX", "100")
    harness.run(s, "SET", "k", "w", "KEEPTTL")
    #expect(db.expiry(at: db.find("k", now: now)!) != nil)
    #expect(db.expiresCount == 1)
    harness.run(s, "SET", "k", "x")
    #expect(db.expiry(at: db.find("k", now: now)!) == nil)
    #expect(db.expiresCount == 0)
}

@Test func setOptionErrors() {
    let harness = EngineHarness()
    let s = harness.connect()
    #expect(harness.run(s, "SET", "k", "v", "EX", "0") == .err("ERR invalid expire time in 'set' command"))
    #expect(harness.run(s, "SET", "k", "v", "PX", "-5") == .err("ERR invalid expire time in 'set' command"))
    #expect(harness.run(s, "SET", "k", "v", "EX", "x") == .err("ERR value is not an integer or out of range"))
    #expect(harness.run(s, "SET", "k", "v", "EX", "9223372036854775807") == .err("ERR invalid expire time in 'set' command"))
    #expect(harness.run(s, "SET", "k", "v", "EX", "10", "PX", "10") == .err("ERR syntax error"))
    #expect(harness.run(s, "SET", "k", "v", "EX", "10", "KEEPTTL") == .err("ERR syntax error"))
    #expect(harness.run(s, "SET", "k", "v", "KEEPTTL", "EX", "10") == .err("ERR syntax error"))
    #expect(harness.run(s, "SET", "k", "v", "EX") == .err("ERR syntax error"))
    #expect(harness.run(s, "SET", "k", "v", "BOGUS") == .err("ERR syntax error"))
    #expect(harness.run(s, "GET", "k") == .nullBulkString)
}

@Test func delAndExistsCountKeys() {
    let harness = EngineHarness()
    let s = harness.connect()
    harness.run(s, "SET", "a", "1")
    harness.run(s, "SET", "b", "2")
    #expect(harness.run(s, "EXISTS", "a", "b", "a", "c") == .integer(3))
    #expect(harness.run(s, "DEL", "a", "c", "a") == .integer(1))
    #expect(harness.run(s, "EXISTS", "a") == .integer(0))
    #expect(harness.run(s, "DBSIZE") == .integer(1))
}

@Test func keyspaceHitsAndMissesAreCounted() {
    let harness = EngineHarness()
    let s = harness.connect()
    harness.run(s, "SET", "a", "1")
    harness.run(s, "GET", "a")
    harness.run(s, "GET", "b")
    #expect(harness.engine.stats.keyspaceHits == 1)
    #expect(harness.engine.stats.keyspaceMisses == 1)
}

@Test func binarySafeKeysAndValues() {
    let harness = EngineHarness()
    let s = harness.connect()
    let key: [UInt8] = [0, 1, 2, 255]
    let value: [UInt8] = [13, 10, 0, 200]
    _ = harness.engine.execute(.init([Array("SET".utf8), key, value]), for: s)
    _ = harness.drain(s)
    _ = harness.engine.execute(.init([Array("GET".utf8), key]), for: s)
    #expect(harness.drain(s) == [.bulkString(value)])
}
