// SORT and SORT_RO in-process: numeric and ALPHA order with ties, LIMIT
// clamping, BY patterns (string and hash values, missing ones, no `*`), GET,
// STORE (TTL cleared, empty result deletes), errors and the key finder.
import RedstartRESP
import Testing

@testable import RedstartEngine

private func bulks(_ values: String?...) -> RESPValue {
    .array(values.map { $0.map { .bulk($0) } ?? .nullBulkString })
}

@Test func sortOrdersNumbersAndBytes() {
    let h = EngineHarness()
    let c = h.connect()
    h.run(c, "RPUSH", "l", "10", "2", "02", "-1.5", "")
    // Equal numbers (2 and 02) fall back to the bytes; "" reads as 0.
    #expect(h.run(c, "SORT", "l") == bulks("-1.5", "", "02", "2", "10"))
    #expect(h.run(c, "SORT", "l", "DESC", "LIMIT", "1", "2") == bulks("2", "02"))
    #expect(h.run(c, "SORT", "l", "ALPHA") == bulks("", "-1.5", "02", "10", "2"))
    #expect(h.run(c, "SORT", "l", "LIMIT", "-3", "2") == bulks("-1.5", ""))
    #expect(h.run(c, "SORT", "l", "LIMIT", "9", "2") == .array([]))
    h.run(c, "RPUSH", "bad", "1", "x")
    #expect(h.run(c, "SORT", "bad") == .err("ERR One or more scores can't be converted into double"))
    #expect(h.run(c, "SORT", "bad", "ALPHA") == bulks("1", "x"))
}

@Test func sortByAndGetPatterns() {
    let h = EngineHarness()
    let c = h.connect()
    h.run(c, "RPUSH", "ids", "1", "2", "3")
    h.run(c, "MSET", "w_1", "30", "w_2", "10")
    h.run(c, "HSET", "user_1", "name", "ann")
    h.run(c, "HSET", "user_3", "name", "cy")
    // w_3 is missing: it weighs 0.
    #expect(h.run(c, "SORT", "ids", "BY", "w_*") == bulks("3", "2", "1"))
    #expect(h.run(c, "SORT", "ids", "BY", "user_*->name", "ALPHA", "GET", "#", "GET", "user_*->name") == bulks(
        "2", nil, "1", "ann", "3", "cy"))
    // BY without '*' keeps the list's order; DESC reverses it.
    #expect(h.run(c, "SORT", "ids", "BY", "nosort", "DESC") == bulks("3", "2", "1"))
    #expect(h.run(c, "SORT", "ids", "GET", "nostar") == bulks(nil, nil, nil))
}

@Test func sortStoreReplacesOrDeletesTheDestination() {
    let h = EngineHarness()
    let c = h.connect()
    h.run(c, "SADD", "s", "b", "c", "a")
    h.run(c, "SET", "dst", "old", "EX", "100")
    // A set stored without sorting is sorted by bytes, so that every server stores the same list.
    #expect(h.run(c, "SORT", "s", "BY", "nosort", "STORE", "dst") == .integer(3))
    #expect(h.run(c, "LRANGE", "dst", "0", "-1") == bulks("a", "b", "c"))
    #expect(h.run(c, "TTL", "dst") == .integer(-1))
    #expect(h.run(c, "SORT", "missing", "STORE", "dst") == .integer(0))
    #expect(h.run(c, "EXISTS", "dst") == .integer(0))
    #expect(h.run(c, "SORT_RO", "s", "STORE", "dst") == .err("ERR syntax error"))
    h.run(c, "SET", "str", "x")
    #expect(h.run(c, "SORT", "str") == .err("WRONGTYPE Operation against a key holding the wrong kind of value"))
    #expect(h.run(c, "SORT", "s", "LIMIT", "a", "1") == .err("ERR value is not an integer or out of range"))
}

@Test func sortKeysAreTheSortedKeyAndTheLastStore() {
    let keys = SortFamily.sortKeys(CommandArguments(strings: ["SORT", "abc", "LIMIT", "store", "1", "GET", "store", "STORE", "x", "STORE", "y"]))
    #expect(keys?.map(\.position) == [1, 10])
}
