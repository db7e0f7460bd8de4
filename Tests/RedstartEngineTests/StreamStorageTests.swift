// The stream's storage: Redis's listpack bytes, node layout and splits, trimming
// by whole nodes or inside one, deletion, the ordered pending-entries map, and
// the RDB encoding (round trip, and refusal of damaged payloads).
import RedstartRESP
import Testing

@testable import RedstartEngine

extension StreamValue {
    /// Appends an entry of field/value `strings` (nodes of at most `perNode` entries).
    fileprivate func add(_ id: StreamID, _ strings: String..., perNode: Int = 100) {
        append(
            id, CommandArguments(strings: strings), fieldsFrom: 0, valueBytes: strings.reduce(0) { $0 + $1.utf8.count },
            nodeMaxBytes: 4096, nodeMaxEntries: perNode)
    }
}

/// A stream with entries 1-0 ... n-0, each `f <i>`, nodes of at most `perNode` entries.
private func stream(_ count: Int, perNode: Int = 100) -> StreamValue {
    let stream = StreamValue()
    for index in 1...count {
        stream.add(StreamID(ms: UInt64(index), seq: 0), "f", String(index), perNode: perNode)
    }
    return stream
}

private func ids(_ stream: StreamValue, reverse: Bool = false) -> [UInt64] {
    var out: [UInt64] = []
    stream.forEach(from: .zero, to: .max, reverse: reverse) { entry in
        out.append(entry.id.ms)
        return true
    }
    return out
}

@Test func listpackBytesAreRedisEncodings() {
    var listpack = Listpack()
    defer { listpack.deallocate() }
    listpack.append(integer: 5)
    "hello".utf8CString.dropLast().withUnsafeBytes { listpack.append($0) }
    listpack.append(integer: -100)
    listpack.append(integer: 1 << 40)
    // Header: total bytes (u32 LE), element count (u16 LE); 0xFF ends it.
    let bytes = listpack.bytes
    #expect(Array(bytes[0..<6]) == [UInt8(bytes.count), 0, 0, 0, 4, 0])
    #expect(Array(bytes[6..<8]) == [0x05, 0x01])  // 7-bit integer, back-length 1
    #expect(Array(bytes[8..<15]) == [0x85] + Array("hello".utf8) + [0x06])  // 6-bit string
    #expect(Array(bytes[15..<18]) == [0xDF, 0x9C, 0x02])  // 13-bit integer -100
    #expect(bytes[18] == 0xF4 && bytes.last == 0xFF)  // 64-bit integer
    #expect(bytes.withUnsafeBytes { Listpack.validatedElements($0)?.count } == 4)
    var damaged = bytes
    damaged[7] = 0x85  // a back-length that does not match
    #expect(damaged.withUnsafeBytes { Listpack.validatedElements($0) } == nil)
    #expect([UInt8]([7, 0, 0, 0, 0, 0]).withUnsafeBytes { Listpack.validatedElements($0) } == nil)
}

/// The listpack's block grows past what it reserved, integers are replaced by wider and
/// narrower ones in place (the elements after them move), and a copy is independent:
/// each step's bytes are checked by the listpack's own deep validation and read back.
@Test func listpackGrowsReplacesIntegersInPlaceAndCopiesIndependently() {
    var listpack = Listpack(reservingCapacity: 16)
    defer { listpack.deallocate() }
    let long = [UInt8](repeating: UInt8(ascii: "s"), count: 5000)  // 32-bit length, 2-byte back-length
    let medium = [UInt8](repeating: UInt8(ascii: "m"), count: 100)  // 12-bit length
    listpack.append(integer: 1)
    long.withUnsafeBytes { listpack.append($0) }
    listpack.append(integer: 2)
    medium.withUnsafeBytes { listpack.append($0) }
    listpack.append(integer: 3)
    func elements(_ listpack: Listpack) -> [Int]? { listpack.withUnsafeBytes { Listpack.validatedElements($0) } }
    func integers(_ listpack: Listpack) -> [Int64?] {
        listpack.withUnsafeBytes { raw in (elements(listpack) ?? []).map { Listpack.integer(raw, at: $0) } }
    }
    #expect(listpack.byteCount == 6 + 2 + (5 + 5000 + 2) + 2 + (2 + 100 + 1) + 2 + 1)
    #expect(elements(listpack)?.count == 5)
    #expect(integers(listpack) == [1, nil, 2, nil, 3])

    let copy = listpack.copy()
    defer { copy.deallocate() }
    // Wider: 1 byte -> 13-bit (2 bytes) -> 64-bit (9 bytes); narrower again: back to 1 byte
    // (each with its 1-byte back-length).
    let first = Listpack.firstOffset
    #expect(listpack.replaceInteger(at: first, with: 1000) == 1)
    #expect(integers(listpack) == [1000, nil, 2, nil, 3])
    #expect(listpack.replaceInteger(at: first, with: 1 << 50) == 7)
    #expect(integers(listpack) == [1 << 50, nil, 2, nil, 3])
    let last = elements(listpack)!.last!
    #expect(listpack.replaceInteger(at: last, with: -70000) == 3)
    #expect(integers(listpack) == [1 << 50, nil, 2, nil, -70000])
    #expect(listpack.replaceInteger(at: first, with: 7) == -8)
    #expect(integers(listpack) == [7, nil, 2, nil, -70000])
    listpack.withUnsafeBytes { raw in
        let strings = elements(listpack)!.compactMap { offset -> Int? in
            Listpack.integer(raw, at: offset) == nil ? Listpack.withBytes(raw, at: offset) { $0.count } : nil
        }
        #expect(strings == [5000, 100])
    }
    listpack.shrinkToFit()
    #expect(listpack.allocatedBytes >= listpack.byteCount && elements(listpack)?.count == 5)
    // The copy kept the original bytes.
    #expect(integers(copy) == [1, nil, 2, nil, 3])
}

@Test func entriesSplitIntoNodesAndReadBothWays() {
    let s = stream(25, perNode: 10)
    #expect(s.nodeCount == 3)
    #expect(s.length == 25)
    #expect(ids(s) == Array(1...25))
    #expect(ids(s, reverse: true) == Array((1...25).reversed()))
    var middle: [UInt64] = []
    s.forEach(from: StreamID(ms: 9, seq: 0), to: StreamID(ms: 12, seq: 5)) { entry in
        middle.append(entry.id.ms)
        return true
    }
    #expect(middle == [9, 10, 11, 12])
    #expect(s.radixTreeNodes > s.nodeCount)
}

@Test func entriesWithOtherFieldsKeepTheirOwnNames() {
    let s = StreamValue()
    s.add(StreamID(ms: 1, seq: 0), "a", "1", "b", "2")
    s.add(StreamID(ms: 2, seq: 0), "a", "3", "b", "4")
    s.add(StreamID(ms: 3, seq: 0), "c", "5")
    var seen: [String] = []
    s.forEach(from: .zero, to: .max) { entry in
        entry.forEachPair { field, value in
            seen.append(String(decoding: field, as: UTF8.self) + "=" + String(decoding: value, as: UTF8.self))
        }
        return true
    }
    #expect(seen == ["a=1", "b=2", "a=3", "b=4", "c=5"])
    #expect(StreamNode.validate(s.encodedNodes[0].1))
}

@Test func deletingTheLastLiveEntryOfANodeRemovesTheNode() {
    let s = stream(20, perNode: 10)
    for ms in 1...10 { #expect(s.delete(StreamID(ms: UInt64(ms), seq: 0))) }
    #expect(!s.delete(StreamID(ms: 3, seq: 0)))
    #expect(s.nodeCount == 1)
    #expect(s.length == 10)
    #expect(s.firstID == StreamID(ms: 11, seq: 0))
    #expect(s.maxDeletedID == StreamID(ms: 10, seq: 0))
}

@Test func approximateTrimmingRemovesWholeNodesOnly() {
    let s = stream(25, perNode: 10)
    #expect(s.trim(.maxLength(12), approximate: true, limit: 0) == 10)
    #expect(s.length == 15)
    #expect(s.trim(.maxLength(12), approximate: false, limit: 0) == 3)
    #expect(ids(s).first == 14)
    #expect(s.firstID == StreamID(ms: 14, seq: 0))
    // LIMIT stops before a node that would take it past the limit.
    let limited = stream(30, perNode: 10)
    #expect(limited.trim(.maxLength(0), approximate: true, limit: 15) == 10)
    #expect(limited.trim(.minimumID(StreamID(ms: 25, seq: 0)), approximate: false, limit: 0) == 14)
    #expect(ids(limited) == Array(25...30))
}

@Test func orderedIDMapKeepsOrderThroughRemovalsAndReinserts() {
    var map = OrderedIDMap<Int>()
    for ms in stride(from: 1, through: 300, by: 1) { map[StreamID(ms: UInt64(ms), seq: 0)] = ms }
    for ms in stride(from: 1, through: 300, by: 2) { map.remove(StreamID(ms: UInt64(ms), seq: 0)) }
    map[StreamID(ms: 3, seq: 0)] = 3
    map[StreamID(ms: 0, seq: 7)] = 0
    var order: [UInt64] = []
    map.forEach { id, _ in
        order.append(id.ms)
        return true
    }
    #expect(order == ([0, 3] + stride(from: 2, through: 300, by: 2).map { UInt64($0) }).sorted())
    #expect(map.count == 152)
    #expect(map.first == StreamID(ms: 0, seq: 7))
    #expect(map.last == StreamID(ms: 300, seq: 0))
    #expect(map.firstID(after: StreamID(ms: 3, seq: 0)) == StreamID(ms: 4, seq: 0))
    for ms in stride(from: 2, through: 300, by: 2) { map.remove(StreamID(ms: UInt64(ms), seq: 0)) }
    #expect(map.first == StreamID(ms: 0, seq: 7) && map.last == StreamID(ms: 3, seq: 0))
}

@Test func streamsSurviveTheirRDBEncodingAndDamageIsRefused() {
    let h = EngineHarness()
    let s = h.connect()
    h.run(s, "CONFIG", "SET", "stream-node-max-entries", "4")
    for ms in 1...10 { h.run(s, "XADD", "st", "\(ms)-1", "f", "v\(ms)") }
    h.run(s, "XDEL", "st", "2-1")
    h.run(s, "XGROUP", "CREATE", "st", "g", "0")
    h.run(s, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "st", ">")
    h.run(s, "XGROUP", "CREATECONSUMER", "st", "g", "bob")
    let db = h.engine.databases[0]
    guard let index = "st".utf8CString.dropLast().withUnsafeBytes({ db.find($0, now: 0) }),
        let original = db.value(at: index).pointee.stream
    else {
        Issue.record("no stream")
        return
    }
    var bytes: [UInt8] = []
    RDBValueCodec.write(.stream(original), compressing: false, into: &bytes)
    func load(_ bytes: [UInt8]) -> StreamValue? {
        bytes.withUnsafeBytes { raw in
            var reader = RDBReader(raw)
            let limits = CollectionLimits(listShape: ListShape(fill: -2, compressDepth: 0), hash: (128, 64), setIntegers: 512, zset: (128, 64))
            return RDBValueCodec.read(&reader, limits: limits)?.stream
        }
    }
    guard let copy = load(bytes) else {
        Issue.record("the encoding did not load")
        return
    }
    #expect(ids(copy) == ids(original))
    #expect(copy.length == 9 && copy.lastID == original.lastID && copy.maxDeletedID == StreamID(ms: 2, seq: 1))
    #expect(copy.entriesAdded == 10 && copy.firstID == StreamID(ms: 1, seq: 1))
    let group = copy.groups[ByteString("g")]
    #expect(group?.pending.count == 3 && group?.consumers.count == 2 && group?.lastID == StreamID(ms: 4, seq: 1))
    // Damage anywhere is refused or loads as a stream whose counters agree with its nodes.
    for position in 1..<bytes.count {
        var damaged = bytes
        damaged[position] ^= 0x5A
        if let loaded = load(damaged) {
            var live = 0
            loaded.forEach(from: .zero, to: .max) { _ in
                live += 1
                return true
            }
            #expect(live == loaded.length)
        }
    }
    #expect(load(Array(bytes.dropLast(3))) == nil)
}

@Test func nodeListKeepsOrderThroughGrowthTrimsAndMiddleRemovals() {
    // 3,000 nodes of one entry: the list grows, loses its front to trimming (its free front
    // is reclaimed when it must grow again), and loses nodes in the middle to XDEL.
    let stream = stream(3000, perNode: 1)
    #expect(stream.nodeCount == 3000)
    #expect(stream.trim(.maxLength(1000), approximate: true, limit: 0) == 2000)
    for index in 3001...5000 { stream.add(StreamID(ms: UInt64(index), seq: 0), "f", String(index), perNode: 1) }
    #expect(stream.nodeCount == 3000)
    for index in stride(from: 2100, through: 4900, by: 100) { #expect(stream.delete(StreamID(ms: UInt64(index), seq: 0))) }
    let expected = (2001...5000).filter { $0 < 2100 || $0 > 4900 || $0 % 100 != 0 }.map(UInt64.init)
    #expect(ids(stream) == expected)
    #expect(ids(stream, reverse: true) == expected.reversed())
    #expect(stream.nodeCount == expected.count)
    #expect(stream.length == expected.count)
    let copied = stream.copy()
    #expect(ids(copied) == expected)
}
