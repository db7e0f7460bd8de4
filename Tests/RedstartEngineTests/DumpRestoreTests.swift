// DUMP/RESTORE in-process: CRC-64 and LZF against known values, payloads made
// by redis-server 7.0 (LZF string, listpack sorted set, hash and quicklist,
// intset) restored, every type round-tripping with its encoding, and broken
// payloads refused (checksum, truncation, empty or duplicate members).
import RedstartRESP
import Testing

@testable import RedstartEngine

private func bytes(hex: String) -> [UInt8] {
    var result: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        result.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return result
}

/// The payload with its CRC recomputed, so that only the body is judged.
private func resealed(_ payload: [UInt8]) -> [UInt8] {
    var body = Array(payload.dropLast(8))
    let crc = body.withUnsafeBytes { CRC64.checksum($0) }
    withUnsafeBytes(of: crc.littleEndian) { body.append(contentsOf: $0) }
    return body
}

private func restore(_ h: EngineHarness, _ c: Session, _ key: String, _ payload: [UInt8]) -> RESPValue {
    let arguments = CommandArguments([Array("RESTORE".utf8), Array(key.utf8), Array("0".utf8), payload])
    _ = h.engine.execute(arguments, for: c)
    return h.drain(c).first ?? .null
}

@Test func crc64MatchesRedisCheckValue() {
    #expect(Array("123456789".utf8).withUnsafeBytes { CRC64.checksum($0) } == 0xe9c6_d914_c4b8_d9ca)
}

@Test func lzfRefusesWhatDoesNotDecompressExactly() {
    // A literal run of 3 then a back-reference copying 4 bytes from distance 1.
    let compressed: [UInt8] = [0x02, 0x61, 0x62, 0x63, 0x40, 0x00]
    #expect(compressed.withUnsafeBytes { LZF.decompress($0, length: 7) } == Array("abccccc".utf8))
    #expect(compressed.withUnsafeBytes { LZF.decompress($0, length: 6) } == nil)
    #expect([0x40, 0x05].withUnsafeBytes { LZF.decompress($0, length: 3) } == nil)  // reference before the start
}

@Test func restoresPayloadsMadeByRedis() {
    let h = EngineHarness()
    let c = h.connect()
    let cases: [(String, String, [String])] = [
        ("00c30e3c016161e013000062e012000162620a00783579582de3e63f", "GET", [String(repeating: "a", count: 30) + String(repeating: "b", count: 30)]),
        ("111a1a0000000600816302dffd02816102010181620283322e3504ff0a00a68a1ab1a9f2dcc2", "ZRANGE", ["c", "a", "b"]),
        ("1012120000000400816602817602816e020c01ff0a0001369481d35b8974", "HGETALL", ["f", "v", "n", "12"]),
        ("120102101000000003008178020701f1e0b103ff0a000e177fcc1616fe2c", "LRANGE", ["x", "7", "-20000"]),
        ("0b1404000000030000000100000003000000701101000a00499340ed54ef4afa", "SMEMBERS", ["1", "3", "70000"]),
    ]
    for (index, (hex, reader, expected)) in cases.enumerated() {
        let key = "k\(index)"
        #expect(restore(h, c, key, bytes(hex: hex)) == .simpleString("OK"), "\(reader)")
        let arguments = reader == "ZRANGE" || reader == "LRANGE" ? [reader, key, "0", "-1"] : [reader, key]
        let reply = h.runAll(c, arguments).first
        if expected.count == 1 {
            #expect(reply == .bulk(expected[0]))
        } else {
            #expect(reply == .array(expected.map { .bulk($0) }), "\(reader)")
        }
    }
    #expect(h.run(c, "OBJECT", "ENCODING", "k4") == .bulk("intset"))
    #expect(h.run(c, "OBJECT", "ENCODING", "k1") == .bulk("listpack"))
}

@Test func everyTypeRoundTripsWithItsEncoding() throws {
    let h = EngineHarness()
    let c = h.connect()
    h.run(c, "SET", "int", "-123")
    h.run(c, "SET", "big", "12345678901234")
    h.run(c, "SET", "text", String(repeating: "x", count: 100))
    _ = h.runAll(c, ["RPUSH", "list"] + (0..<300).map { String($0) })
    _ = h.runAll(c, ["SADD", "ints", "5", "-70000", "9000000000"])
    _ = h.runAll(c, ["SADD", "words", "a", "b"])
    _ = h.runAll(c, ["ZADD", "small", "1", "a", "-inf", "b"])
    _ = h.runAll(c, ["ZADD", "large"] + (0..<200).flatMap { [String(Double($0) / 7), "m\($0)"] })
    _ = h.runAll(c, ["HSET", "hash", "f", "v", "g", String(repeating: "w", count: 100)])
    for key in ["int", "big", "text", "list", "ints", "words", "small", "large", "hash"] {
        guard case .bulkString(let payload)? = h.runAll(c, ["DUMP", key]).first else {
            Issue.record("no payload for \(key)")
            continue
        }
        #expect(restore(h, c, key + ":copy", payload) == .simpleString("OK"))
        #expect(h.run(c, "OBJECT", "ENCODING", key + ":copy") == h.run(c, "OBJECT", "ENCODING", key), "\(key)")
        let reader: [String]
        switch h.run(c, "TYPE", key) {
        case .simpleString("list"): reader = ["LRANGE", key, "0", "-1"]
        case .simpleString("set"): reader = ["SMEMBERS", key]
        case .simpleString("zset"): reader = ["ZRANGE", key, "0", "-1", "WITHSCORES"]
        case .simpleString("hash"): reader = ["HGETALL", key]
        default: reader = ["GET", key]
        }
        var copyReader = reader
        copyReader[1] = key + ":copy"
        #expect(h.runAll(c, copyReader) == h.runAll(c, reader), "\(key)")
    }
}

@Test func brokenPayloadsAreRefused() {
    let h = EngineHarness()
    let c = h.connect()
    let valid = bytes(hex: "120102101000000003008178020701f1e0b103ff0a000e177fcc1616fe2c")
    var flipped = valid
    flipped[5] ^= 0x01
    #expect(restore(h, c, "a", flipped) == .err("ERR DUMP payload version or checksum are wrong"))
    #expect(restore(h, c, "a", resealed(flipped)) == .err("ERR Bad data format"))
    // A newer RDB version than 7.0's.
    var newer = valid
    newer[newer.count - 10] = 11
    #expect(restore(h, c, "a", resealed(newer)) == .err("ERR DUMP payload version or checksum are wrong"))
    // An empty set, a set with a duplicate member, a truncated list, an unknown type.
    let footer: [UInt8] = [0x0A, 0x00] + [UInt8](repeating: 0, count: 8)
    for body: [UInt8] in [[0x02, 0x00], [0x02, 0x02, 0x01, 0x61, 0x01, 0x61], [0x01, 0x03, 0x01, 0x61], [0x0F, 0x00]] {
        #expect(restore(h, c, "a", resealed(body + footer)) == .err("ERR Bad data format"), "\(body)")
    }
    // Every truncation of a valid body is refused without harm.
    for length in 0..<(valid.count - 10) {
        let reply = restore(h, c, "t\(length)", resealed(Array(valid.prefix(length)) + footer))
        #expect(reply == .err("ERR Bad data format"), "\(length)")
    }
    #expect(h.run(c, "DBSIZE") == .integer(0))
}

@Test func restorePropagatesAnAbsoluteTTLAndReportsRestore() {
    let h = EngineHarness()
    let sink = RecordingSink()
    h.engine.propagationSink = sink
    let c = h.connect()
    let listener = h.connect()
    h.run(c, "CONFIG", "SET", "notify-keyspace-events", "Eg")
    h.run(listener, "SUBSCRIBE", "__keyevent@0__:restore")
    h.run(c, "SET", "k", "v")
    guard case .bulkString(let payload)? = h.runAll(c, ["DUMP", "k"]).first else {
        Issue.record("no payload")
        return
    }
    sink.units = []
    let arguments = CommandArguments([Array("RESTORE".utf8), Array("copy".utf8), Array("5000".utf8), payload])
    _ = h.engine.execute(arguments, for: c)
    #expect(h.drain(c) == [.simpleString("OK")])
    let expected = "0: RESTORE copy \(1_700_000_000_000 + 5000) \(String(decoding: payload, as: UTF8.self)) ABSTTL"
    #expect(sink.units == [[expected]])
    #expect(h.run(c, "PTTL", "copy") == .integer(5000))
    #expect(h.drain(listener) == [.array([.bulk("message"), .bulk("__keyevent@0__:restore"), .bulk("copy")])])
}

@Test func aRelativeTTLPastTheLargestTimeCountsAsExpired() {
    let h = EngineHarness()
    let c = h.connect()
    h.run(c, "SET", "k", "v")
    guard case .bulkString(let payload)? = h.runAll(c, ["DUMP", "k"]).first else {
        Issue.record("no payload")
        return
    }
    let arguments = CommandArguments([Array("RESTORE".utf8), Array("copy".utf8), Array(String(Int64.max).utf8), payload])
    _ = h.engine.execute(arguments, for: c)
    #expect(h.drain(c) == [.simpleString("OK")])
    #expect(h.run(c, "EXISTS", "copy") == .integer(0))
}
