// Sorted sets: the large form and the listpack arrays against a simple model
// (random inserts, score changes, deletes, rank and range queries), the
// switch-over between encodings, and reply shapes per protocol.
import Testing

@testable import RedstartEngine

private struct Model {
    var scores: [String: Double] = [:]
    var ordered: [(String, Double)] {
        scores.sorted { $0.value != $1.value ? $0.value < $1.value : Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            .map { ($0.key, $0.value) }
    }
}

// Few distinct scores make ties (a score change moves the node); many make most changes
// keep the order (changed in place).
@Test(arguments: [(4, 1000, 50), (4, 1000, 1_000_000), (128, 64, 50)])
func sortedSetMatchesAModel(limit: Int, operations: Int, scores: Int) {
    var state: UInt64 = 12345
    func next(_ n: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(n))
    }
    let limits = (entries: limit, length: 64)
    var zset = SortedSetValue()
    defer { zset.release() }
    var model = Model()
    for step in 0..<(operations * 3) {
        let member = "m\(next(operations))"
        switch next(5) {
        case 0, 1:
            let score = Double(next(scores)) / 2
            let isNew = zset.set(ByteString(member), score: score, limits: limits)
            #expect(isNew == (model.scores[member] == nil))
            model.scores[member] = score
        case 2:
            #expect(zset.remove(ByteString(member)) == (model.scores.removeValue(forKey: member) != nil))
        case 3:
            guard zset.count > 0 else { break }
            let rank = next(zset.count)
            let expected = model.ordered[rank]
            let popped = zset.element(at: rank)
            zset.removeRanks(rank...rank)
            #expect(popped.member == ByteString(expected.0) && popped.score == expected.1, "step \(step)")
            model.scores[expected.0] = nil
        default:
            let ordered = model.ordered
            #expect(zset.count == ordered.count, "step \(step)")
            if let rank = ordered.firstIndex(where: { $0.0 == member }) {
                #expect(zset.rank(of: ByteString(member)) == rank)
                #expect(zset.element(at: rank).member == ByteString(member))
            } else {
                #expect(zset.rank(of: ByteString(member)) == nil)
            }
            let bound = Double(next(50)) / 2
            #expect(zset.countLeading { _, score in score < bound } == ordered.filter { $0.1 < bound }.count)
        }
    }
    let ordered = model.ordered
    guard !ordered.isEmpty else { return }
    var walked: [(String, Double)] = []
    zset.forEach(in: 0...(zset.count - 1), reverse: false) { walked.append((String(decoding: $0.bytes, as: UTF8.self), $1)) }
    #expect(walked.map(\.0) == ordered.map(\.0))
    #expect(walked.map(\.1) == ordered.map(\.1))
    let middle = zset.count / 2
    zset.removeRanks(0...middle)
    #expect(zset.count == ordered.count - middle - 1)
    if zset.count > 0 { #expect(zset.element(at: 0).member == ByteString(ordered[middle + 1].0)) }
}

@Test func sortedSetEncodingsAndShapes() throws {
    let h = try EngineHarness { _ = try $0.set("zset-max-listpack-entries", arguments: ["2"]) }
    let (two, three) = (h.connect(), h.connect())
    h.run(three, "HELLO", "3")
    h.run(two, "ZADD", "z", "1.5", "a", "2", "b")
    #expect(h.run(two, "OBJECT", "ENCODING", "z") == .bulk("listpack"))
    #expect(h.raw(two, "ZRANGE", "z", "0", "0", "WITHSCORES") == "*2\r\n$1\r\na\r\n$3\r\n1.5\r\n")
    #expect(h.raw(three, "ZRANGE", "z", "0", "0", "WITHSCORES") == "*1\r\n*2\r\n$1\r\na\r\n,1.5\r\n")
    #expect(h.raw(three, "ZSCORE", "z", "b") == ",2\r\n")
    h.run(two, "ZADD", "z", "0.1", "c")
    #expect(h.run(two, "OBJECT", "ENCODING", "z") == .bulk("skiplist"))
    #expect(h.run(two, "ZSCORE", "z", "c") == .bulk("0.10000000000000001"))
    // A STORE result small enough goes back to the compact encoding.
    h.run(two, "ZRANGESTORE", "small", "z", "0", "0")
    #expect(h.run(two, "OBJECT", "ENCODING", "small") == .bulk("listpack"))
    #expect(h.run(two, "ZADD", "z", "nan", "x") == .err("ERR value is not a valid float"))
    #expect(h.run(two, "ZINCRBY", "z", "inf", "a") == .bulk("inf"))
    #expect(h.run(two, "ZINCRBY", "z", "-inf", "a") == .err("ERR resulting score is not a number (NaN)"))
    // The whole set comes highest first, as Redis walks it from the tail.
    #expect(h.run(two, "ZRANDMEMBER", "small", "5") == .array([.bulk("c")]))
    #expect(h.run(two, "ZRANDMEMBER", "z", "10") == .array([.bulk("a"), .bulk("b"), .bulk("c")]))
}

@Test func aNumkeysNearTheLargestIntegerIsASyntaxError() {
    let h = EngineHarness()
    let c = h.connect()
    let huge = String(Int64.max)
    for command in [["ZMPOP", huge, "a", "MIN"], ["LMPOP", huge, "a", "LEFT"], ["BZMPOP", "0", huge, "a", "MIN"],
                    ["BLMPOP", "0", huge, "a", "LEFT"], ["ZUNION", huge, "a"], ["ZUNIONSTORE", "d", huge, "a"]] {
        #expect(h.runAll(c, command) == [.err("ERR syntax error")], "\(command)")
    }
}

@Test func aLargeSortedSetZscanReturnsEveryMemberPresentThroughoutUnderWrites() {
    let h = EngineHarness()
    let s = h.connect()
    let writer = h.connect()
    _ = h.runAll(s, ["ZADD", "z"] + (0..<1000).flatMap { [String($0), "m\($0)"] })
    #expect(h.run(s, "OBJECT", "ENCODING", "z") == .bulk("skiplist"))
    var cursor = "0"
    var seen: [String: String] = [:]
    var removed = Set<String>()
    var step = 0
    repeat {
        guard case .array(let reply) = h.run(s, "ZSCAN", "z", cursor, "COUNT", "20"), reply.count == 2,
            let next = reply[0].string, case .array(let items) = reply[1]
        else {
            Issue.record("not a scan reply")
            return
        }
        for index in stride(from: 0, to: items.count, by: 2) { seen[items[index].string ?? ""] = items[index + 1].string }
        cursor = next
        // Between calls: a score change, a removal and a new member.
        step += 1
        h.run(writer, "ZINCRBY", "z", "0.5", "m\((step * 13) % 1000)")
        let victim = "m\((step * 29 + 7) % 1000)"
        if h.run(writer, "ZREM", "z", victim) == .integer(1) { removed.insert(victim) }
        h.run(writer, "ZADD", "z", "5", "new\(step)")
    } while cursor != "0" && step < 1000
    #expect(cursor == "0")
    let survivors = Set((0..<1000).map { "m\($0)" }).subtracting(removed)
    #expect(survivors.isSubset(of: Set(seen.keys)))
    #expect(seen["m1"] == "1" || seen["m1"] == "1.5")
}
