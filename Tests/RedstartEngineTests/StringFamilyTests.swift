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

@Test func setVariantsAndMultiKeyCommands() {
    let h = EngineHarness()
    let s = h.connect()
    #expect(h.run(s, "SETNX", "a", "1") == .integer(1))
    #expect(h.run(s, "SETNX", "a", "2") == .integer(0))
    #expect(h.run(s, "SETEX", "b", "10", "v") == .simpleString("OK"))
    #expect(h.run(s, "TTL", "b") == .integer(10))
    #expect(h.run(s, "SETEX", "b", "0", "v") == .err("ERR invalid expire time in 'setex' command"))
    #expect(h.run(s, "PSETEX", "c", "1500", "v") == .simpleString("OK"))
    #expect(h.run(s, "PTTL", "c") == .integer(1500))
    #expect(h.run(s, "PSETEX", "c", "-1", "v") == .err("ERR invalid expire time in 'psetex' command"))
    #expect(h.run(s, "MSET", "x", "1", "y", "2") == .simpleString("OK"))
    #expect(h.run(s, "MSET", "x", "1", "y") == .err("ERR wrong number of arguments for 'mset' command"))
    #expect(h.run(s, "MGET", "x", "nope", "y") == .array([.bulk("1"), .nullBulkString, .bulk("2")]))
    #expect(h.run(s, "MSETNX", "x", "9", "z", "9") == .integer(0))
    #expect(h.run(s, "EXISTS", "z") == .integer(0))
    #expect(h.run(s, "MSETNX", "z", "9", "w", "8") == .integer(1))
    #expect(h.run(s, "GETSET", "z", "10") == .bulk("9"))
    #expect(h.run(s, "GETSET", "fresh", "1") == .nullBulkString)
    #expect(h.run(s, "GETDEL", "z") == .bulk("10"))
    #expect(h.run(s, "GETDEL", "z") == .nullBulkString)
}

@Test func getexChangesTheExpiry() {
    let h = EngineHarness()
    let s = h.connect()
    let now = h.clock.wallMilliseconds
    h.run(s, "SET", "k", "v")
    #expect(h.run(s, "GETEX", "k", "EX", "100") == .bulk("v"))
    #expect(h.run(s, "TTL", "k") == .integer(100))
    #expect(h.run(s, "GETEX", "k", "PERSIST") == .bulk("v"))
    #expect(h.run(s, "TTL", "k") == .integer(-1))
    #expect(h.run(s, "GETEX", "k", "PX", "0") == .err("ERR invalid expire time in 'getex' command"))
    #expect(h.run(s, "GETEX", "k", "EX", "1", "PERSIST") == .err("ERR syntax error"))
    #expect(h.run(s, "GETEX", "k", "PXAT", String(now - 1)) == .bulk("v"))
    #expect(h.run(s, "EXISTS", "k") == .integer(0))
    #expect(h.run(s, "GETEX", "missing", "EX", "5") == .nullBulkString)
}

@Test func appendStrlenAndRanges() {
    let h = EngineHarness()
    let s = h.connect()
    #expect(h.run(s, "APPEND", "k", "hello") == .integer(5))
    #expect(h.run(s, "APPEND", "k", " world") == .integer(11))
    #expect(h.run(s, "STRLEN", "k") == .integer(11))
    #expect(h.run(s, "STRLEN", "missing") == .integer(0))
    #expect(h.run(s, "GETRANGE", "k", "0", "4") == .bulk("hello"))
    #expect(h.run(s, "GETRANGE", "k", "-5", "-1") == .bulk("world"))
    #expect(h.run(s, "GETRANGE", "k", "5", "2") == .bulk(""))
    #expect(h.run(s, "GETRANGE", "k", "-1", "-5") == .bulk(""))
    #expect(h.run(s, "GETRANGE", "k", "0", "1000") == .bulk("hello world"))
    #expect(h.run(s, "SUBSTR", "k", "6", "-1") == .bulk("world"))
    #expect(h.run(s, "GETRANGE", "missing", "0", "1") == .bulk(""))
    #expect(h.run(s, "SETRANGE", "k", "6", "WORLD") == .integer(11))
    #expect(h.run(s, "GET", "k") == .bulk("hello WORLD"))
    #expect(h.run(s, "SETRANGE", "pad", "3", "x") == .integer(4))
    #expect(h.run(s, "GET", "pad") == .bulkString([0, 0, 0, UInt8(ascii: "x")]))
    #expect(h.run(s, "SETRANGE", "k", "-1", "x") == .err("ERR offset is out of range"))
    #expect(h.run(s, "SETRANGE", "k", "536870911", "xx") == .err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"))
    #expect(h.run(s, "SETRANGE", "none", "10", "") == .integer(0))
    #expect(h.run(s, "EXISTS", "none") == .integer(0))
    // Appending to an integer turns it into a string.
    h.run(s, "SET", "n", "12")
    #expect(h.run(s, "APPEND", "n", "3") == .integer(3))
    #expect(h.run(s, "INCR", "n") == .integer(124))
}

@Test func manyAppendsGrowInPlace() {
    let h = EngineHarness()
    let s = h.connect()
    for _ in 0..<1000 { h.run(s, "APPEND", "log", "0123456789") }
    #expect(h.run(s, "STRLEN", "log") == .integer(10000))
    let value = h.run(s, "GET", "log").string ?? ""
    #expect(value == String(repeating: "0123456789", count: 1000))
}

@Test func counters() {
    let h = EngineHarness()
    let s = h.connect()
    #expect(h.run(s, "INCR", "c") == .integer(1))
    #expect(h.run(s, "INCRBY", "c", "10") == .integer(11))
    #expect(h.run(s, "DECR", "c") == .integer(10))
    #expect(h.run(s, "DECRBY", "c", "20") == .integer(-10))
    #expect(h.run(s, "GET", "c") == .bulk("-10"))
    h.run(s, "SET", "big", "9223372036854775807")
    #expect(h.run(s, "INCR", "big") == .err("ERR increment or decrement would overflow"))
    #expect(h.run(s, "DECRBY", "c", "-9223372036854775808") == .err("ERR decrement would overflow"))
    h.run(s, "SET", "s", "abc")
    #expect(h.run(s, "INCR", "s") == .err("ERR value is not an integer or out of range"))
    h.run(s, "SET", "spaced", " 1")
    #expect(h.run(s, "INCR", "spaced") == .err("ERR value is not an integer or out of range"))
    #expect(h.run(s, "INCRBY", "c", "1.5") == .err("ERR value is not an integer or out of range"))
    h.run(s, "SET", "ttl", "1", "EX", "100")
    h.run(s, "INCR", "ttl")
    #expect(h.run(s, "TTL", "ttl") == .integer(100))
}

@Test func incrbyfloatFormatsAsRedis() {
    let h = EngineHarness()
    let s = h.connect()
    #expect(h.run(s, "INCRBYFLOAT", "f", "10.5") == .bulk("10.5"))
    #expect(h.run(s, "INCRBYFLOAT", "f", "0.1") == .bulk("10.6"))
    #expect(h.run(s, "INCRBYFLOAT", "f", "-10.6") == .bulk("0"))
    #expect(h.run(s, "INCRBYFLOAT", "f", "5.0e3") == .bulk("5000"))
    #expect(h.run(s, "INCRBYFLOAT", "f", "abc") == .err("ERR value is not a valid float"))
    #expect(h.run(s, "INCRBYFLOAT", "f", " 1") == .err("ERR value is not a valid float"))
    #expect(h.run(s, "INCRBYFLOAT", "f", "inf") == .err("ERR increment would produce NaN or Infinity"))
    h.run(s, "SET", "i", "3")
    #expect(h.run(s, "INCRBYFLOAT", "i", "1.25") == .bulk("4.25"))
    h.run(s, "SET", "bad", "1.2.3")
    #expect(h.run(s, "INCRBYFLOAT", "bad", "1") == .err("ERR value is not a valid float"))
}

@Test func lcsVariants() {
    let h = EngineHarness()
    let s = h.connect()
    h.run(s, "MSET", "key1", "ohmytext", "key2", "mynewtext")
    #expect(h.run(s, "LCS", "key1", "key2") == .bulk("mytext"))
    #expect(h.run(s, "LCS", "key1", "key2", "LEN") == .integer(6))
    #expect(
        h.run(s, "LCS", "key1", "key2", "IDX")
            == .array([
                .bulk("matches"),
                .array([
                    .array([.array([.integer(4), .integer(7)]), .array([.integer(5), .integer(8)])]),
                    .array([.array([.integer(2), .integer(3)]), .array([.integer(0), .integer(1)])]),
                ]),
                .bulk("len"), .integer(6),
            ]))
    #expect(
        h.run(s, "LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN")
            == .array([
                .bulk("matches"),
                .array([.array([.array([.integer(4), .integer(7)]), .array([.integer(5), .integer(8)]), .integer(4)])]),
                .bulk("len"), .integer(6),
            ]))
    #expect(h.run(s, "LCS", "key1", "key2", "LEN", "IDX") == .err("ERR If you want both the length and indexes, please just use IDX."))
    #expect(h.run(s, "LCS", "key1", "missing") == .bulk(""))
}
