// The compact forms the memory table depends on: a key entry of 64 bytes, the
// PackedEntries block (lengths of one to three bytes, insert/replace/remove in the
// middle, integers that widen), and the small forms of sets, sorted sets and hashes
// with their switch-overs, checked against plain Swift models.
import Testing

@testable import RedstartEngine

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

private func strings(_ entries: PackedEntries) -> [String] {
    var all: [String] = []
    entries.walk { offset in
        all.append(String(decoding: entries.bytes(at: offset), as: UTF8.self))
        return true
    }
    return all
}

@Test func aKeyEntryIs64Bytes() {
    #expect(MemoryLayout<KeyEntry>.stride == 64)
}

@Test func packedEntriesKeepLongAndShortEntriesThroughChangesInTheMiddle() {
    var packed = PackedEntries()
    defer { packed.deallocate() }
    let long = String(repeating: "x", count: 200)
    let longer = String(repeating: "y", count: 20000)
    var model: [String] = []
    for text in ["a", long, "", "ccc"] {
        bytes(text).withUnsafeBytes { packed.append($0) }
        model.append(text)
    }
    #expect(strings(packed) == model)
    // Insert a pair before the second entry.
    let second = packed.offset(ofEntry: 1)
    bytes("p").withUnsafeBytes { p in bytes(longer).withUnsafeBytes { packed.insert(p, $0, at: second) } }
    model.insert(contentsOf: ["p", longer], at: 1)
    #expect(strings(packed) == model)
    #expect(packed.count == 6)
    // Replace with longer and shorter bytes.
    bytes(long).withUnsafeBytes { packed.replace(at: packed.offset(ofEntry: 0), with: $0) }
    model[0] = long
    bytes("z").withUnsafeBytes { packed.replace(at: packed.offset(ofEntry: 2), with: $0) }
    model[2] = "z"
    #expect(strings(packed) == model)
    // Find every second entry, remove a pair.
    #expect(bytes("z").withUnsafeBytes { packed.find($0, every: 2) }?.position == 1)
    #expect(bytes(long).withUnsafeBytes { packed.find($0, every: 2) }?.position == 0)
    #expect(bytes("nope").withUnsafeBytes { packed.find($0, every: 2) } == nil)
    let start = packed.offset(ofEntry: 2)
    packed.remove(from: start, to: packed.offset(ofEntry: 4), entries: 2)
    model.removeSubrange(2..<4)
    #expect(strings(packed) == model)
    let copy = packed.copy()
    defer { copy.deallocate() }
    packed.removeAll()
    #expect(strings(copy) == model)
    #expect(packed.isEmpty)
}

@Test func packedIntegersStaySortedAndWidenAsNeeded() {
    var packed = PackedEntries()
    defer { packed.deallocate() }
    var model: [Int64] = []
    for number: Int64 in [5, -3, 300, Int64(Int16.max) + 1, -70000, Int64.max, Int64.min, 0] {
        let (found, position) = packed.searchInteger(number)
        #expect(!found)
        packed.insertInteger(number, at: position)
        model.append(number)
        model.sort()
        #expect((0..<packed.count).map { packed.integer(at: $0) } == model)
    }
    #expect(packed.integerWidth == 8)
    #expect(packed.searchInteger(300) == (true, model.firstIndex(of: 300)!))
    packed.removeInteger(at: 0)
    model.removeFirst()
    #expect((0..<packed.count).map { packed.integer(at: $0) } == model)
}

@Test func aSetMovesFromIntegersToPackedStringsToATable() {
    var set = SetValue()
    defer { set.release() }
    for number in 1...10 { bytes(String(number)).withUnsafeBytes { _ = set.add($0, maxIntegers: 512) } }
    #expect(set.encodingName == "intset")
    bytes("a").withUnsafeBytes { _ = set.add($0, maxIntegers: 512) }
    #expect(set.encodingName == "hashtable")
    #expect(set.count == 11)
    #expect(bytes("7").withUnsafeBytes { set.contains($0) })
    #expect(bytes("7").withUnsafeBytes { set.remove($0) })
    #expect(!bytes("7").withUnsafeBytes { set.contains($0) })
    let copy = set.copy()
    defer { copy.release() }
    // Past 128 members or 64 bytes the packed strings become a table; nothing is lost.
    bytes(String(repeating: "m", count: 65)).withUnsafeBytes { _ = set.add($0, maxIntegers: 512) }
    for number in 100..<300 { bytes("member:\(number)").withUnsafeBytes { _ = set.add($0, maxIntegers: 512) } }
    #expect(set.count == 211)
    var seen = Set<String>()
    set.forEach { seen.insert(String(decoding: $0, as: UTF8.self)) }
    #expect(seen.count == 211 && seen.contains("a") && seen.contains("member:299") && !seen.contains("7"))
    #expect(copy.count == 10)
    #expect(!bytes("member:100").withUnsafeBytes { copy.contains($0) })
}

@Test func aSmallSortedSetKeepsScoreThenMemberOrder() {
    var zset = SortedSetValue()
    defer { zset.release() }
    let limits = (entries: 128, length: 64)
    var model: [(String, Double)] = []
    for (member, score) in [("b", 1.0), ("a", 1.0), ("c", -2.5), ("d", 7), ("e", 1.0)] {
        zset.set(ByteString(member), score: score, limits: limits)
        model.append((member, score))
    }
    func sorted() -> [String] {
        model.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.map(\.0)
    }
    var order: [String] = []
    zset.forEach(in: 0...4, reverse: false) { member, _ in order.append(String(decoding: member.bytes, as: UTF8.self)) }
    #expect(order == sorted())
    zset.set(ByteString("a"), score: 10, limits: limits)
    model[1].1 = 10
    order = []
    zset.forEach(in: 0...4, reverse: true) { member, _ in order.append(String(decoding: member.bytes, as: UTF8.self)) }
    #expect(order == sorted().reversed())
    #expect(zset.rank(of: ByteString("a")) == 4)
    #expect(zset.score(of: ByteString("c")) == -2.5)
    zset.removeRanks(1...2)
    #expect(zset.count == 3)
    #expect(zset.element(at: 1).member == ByteString("d"))
    #expect(zset.encodingName == "listpack")
    zset.set(ByteString(String(repeating: "x", count: 65)), score: 0, limits: limits)
    #expect(zset.encodingName == "skiplist")
    #expect(zset.count == 4)
}

@Test func aSmallHashReplacesValuesOfAnyLength() {
    var hash = HashValue()
    defer { hash.release() }
    let limits = (entries: 128, length: 64)
    bytes("f").withUnsafeBytes { _ = hash.set($0, ByteString("short"), limits: limits) }
    bytes("g").withUnsafeBytes { _ = hash.set($0, ByteString("2"), limits: limits) }
    bytes("f").withUnsafeBytes { _ = hash.set($0, ByteString(String(repeating: "v", count: 60)), limits: limits) }
    #expect(bytes("f").withUnsafeBytes { hash.value(of: $0) } == ByteString(String(repeating: "v", count: 60)))
    #expect(bytes("g").withUnsafeBytes { hash.value(of: $0) } == ByteString("2"))
    bytes("f").withUnsafeBytes { _ = hash.set($0, ByteString(""), limits: limits) }
    #expect(bytes("f").withUnsafeBytes { hash.value(of: $0) } == ByteString(""))
    #expect(bytes("f").withUnsafeBytes { hash.remove($0) })
    #expect(hash.count == 1 && hash.encodingName == "listpack")
    bytes("h").withUnsafeBytes { _ = hash.set($0, ByteString(String(repeating: "w", count: 65)), limits: limits) }
    #expect(hash.encodingName == "hashtable")
    #expect(bytes("g").withUnsafeBytes { hash.value(of: $0) } == ByteString("2"))
}

@Test func packedScoresComeBackExactInAsFewBytesAsPossible() {
    let cases: [(Double, Int)] = [
        (0, 0), (1, 1), (-128, 1), (127, 1), (128, 2), (-8_388_608, 3), (0.5, 4), (1e10, 4), (-2.75, 4),
        (1_733_000_000_123, 6), (Double(-(1 << 52) - 1), 7), (0.1, 8), (Double.pi, 8), (.infinity, 4), (-.infinity, 4),
        (Double(1 << 60), 4), (Double(1 << 60) + 4096, 8), (123_456_789, 5),
    ]
    for (score, width) in cases {
        let (_, count) = PackedScore.encode(score)
        #expect(count == width, "\(score)")
        let back = PackedScore.withBytes(of: score) { PackedScore.decode($0) }
        #expect(back == score, "\(score)")
    }
}
