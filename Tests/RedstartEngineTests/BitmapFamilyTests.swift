// SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO. Every expected
// value and error text was taken from redis-server 7.0.15's answers to the same commands.
import RedstartRESP
import Testing

@testable import RedstartEngine

@Suite struct BitmapFamilyTests {
    private static let offsetError = RESPValue.err("ERR bit offset is not an integer or out of range")
    private static let typeError = RESPValue.err(
        "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
    private static let notInteger = RESPValue.err("ERR value is not an integer or out of range")
    private static let syntax = RESPValue.err("ERR syntax error")

    /// Runs a command given as raw byte arguments (binary values).
    @discardableResult
    private func runRaw(_ h: EngineHarness, _ s: Session, _ arguments: [[UInt8]]) -> RESPValue {
        _ = h.engine.execute(CommandArguments(arguments), for: s)
        return h.drain(s).first ?? .null
    }

    /// SET key to raw bytes.
    private func setRaw(_ h: EngineHarness, _ s: Session, _ key: String, _ bytes: [UInt8]) {
        #expect(runRaw(h, s, [Array("SET".utf8), Array(key.utf8), bytes]) == .simpleString("OK"))
    }

    /// An array reply of integers, nil standing for a null element.
    private func ints(_ values: Int64?...) -> RESPValue {
        .array(values.map { $0.map(RESPValue.integer) ?? .nullBulkString })
    }

    // MARK: - Command table

    @Test func specsMatchTheReferenceServer() throws {
        let h = EngineHarness()
        let expected: [(String, Int, [String], KeyPositions, [String])] = [
            ("setbit", 4, ["write", "denyoom"], .first, ["@write", "@bitmap", "@slow"]),
            ("getbit", 3, ["readonly", "fast"], .first, ["@read", "@bitmap", "@fast"]),
            ("bitcount", -2, ["readonly"], .first, ["@read", "@bitmap", "@slow"]),
            ("bitpos", -3, ["readonly"], .first, ["@read", "@bitmap", "@slow"]),
            ("bitop", -4, ["write", "denyoom"], KeyPositions(first: 2, last: -1, step: 1), ["@write", "@bitmap", "@slow"]),
            ("bitfield", -2, ["write", "denyoom"], .first, ["@write", "@bitmap", "@slow"]),
            ("bitfield_ro", -2, ["readonly", "fast"], .first, ["@read", "@bitmap", "@fast"]),
        ]
        for (name, arity, flags, keys, acl) in expected {
            let spec = try #require(h.engine.table.command(named: name))
            #expect(spec.arity == arity, "\(name)")
            #expect(spec.flags.reportedNames == flags, "\(name)")
            #expect(spec.keys == keys, "\(name)")
            #expect(spec.aclCategories.reportedNames == acl, "\(name)")
        }
    }

    @Test func bitfieldKeyFlagsDependOnTheSubcommands() {
        let h = EngineHarness()
        let s = h.connect()
        let readOnly = RESPValue.array([.array([.bulk("k"), .array([.simpleString("RO"), .simpleString("access")])])])
        let readWrite = RESPValue.array([
            .array([.bulk("k"), .array([.simpleString("RW"), .simpleString("access"), .simpleString("update")])])
        ])
        let cases: [([String], RESPValue)] = [
            (["get", "u8", "0"], readOnly),
            (["set", "u8", "0", "1"], readWrite),
            (["incrby", "u8", "0", "1"], readWrite),
            (["overflow", "sat", "get", "u8", "0"], readOnly),
            (["overflow", "bad", "get", "u8", "0"], readOnly),
            (["get", "u8", "0", "set"], readWrite),
            (["bogus"], readWrite),
            (["get", "u8"], readWrite),
            (["overflow"], readWrite),
            ([], readOnly),
        ]
        for (subcommands, flags) in cases {
            let reply = h.runAll(s, ["COMMAND", "GETKEYSANDFLAGS", "bitfield", "k"] + subcommands).first
            #expect(reply == flags, "\(subcommands)")
        }
        #expect(h.run(s, "COMMAND", "GETKEYSANDFLAGS", "bitfield_ro", "k", "get", "u8", "0") == readOnly)
        #expect(
            h.run(s, "COMMAND", "GETKEYSANDFLAGS", "bitop", "and", "d", "a")
                == .array([
                    .array([.bulk("d"), .array([.simpleString("OW"), .simpleString("update")])]),
                    .array([.bulk("a"), .array([.simpleString("RO"), .simpleString("access")])]),
                ]))
    }

    // MARK: - SETBIT and GETBIT

    @Test func setbitReturnsThePreviousBitAndGrowsTheString() {
        let h = EngineHarness()
        let s = h.connect()
        #expect(h.run(s, "SETBIT", "k", "7", "1") == .integer(0))
        #expect(h.run(s, "SETBIT", "k", "7", "1") == .integer(1))
        #expect(h.run(s, "SETBIT", "k", "7", "0") == .integer(1))
        #expect(h.run(s, "GETBIT", "k", "7") == .integer(0))
        #expect(h.run(s, "GET", "k") == .bulkString([0]))
        #expect(h.run(s, "SETBIT", "k", "0", "1") == .integer(0))
        #expect(h.run(s, "GET", "k") == .bulkString([0x80]))
        #expect(h.run(s, "SETBIT", "k", "20", "1") == .integer(0))
        #expect(h.run(s, "STRLEN", "k") == .integer(3))
        #expect(h.run(s, "GET", "k") == .bulkString([0x80, 0x00, 0x08]))
        #expect(h.run(s, "GETBIT", "k", "0") == .integer(1))
        #expect(h.run(s, "GETBIT", "k", "20") == .integer(1))
        #expect(h.run(s, "GETBIT", "k", "21") == .integer(0))
        #expect(h.run(s, "GETBIT", "k", "1000") == .integer(0))
        #expect(h.run(s, "GETBIT", "nokey", "100") == .integer(0))
        // A long string grows in place bit by bit.
        for bit in stride(from: 0, to: 800, by: 3) {
            #expect(h.run(s, "SETBIT", "long", String(bit), "1") == .integer(0))
        }
        #expect(h.run(s, "STRLEN", "long") == .integer(100))
        #expect(h.run(s, "BITCOUNT", "long") == .integer(267))
        #expect(h.run(s, "GETBIT", "long", "798") == .integer(1))
        #expect(h.run(s, "GETBIT", "long", "799") == .integer(0))
    }

    @Test func setbitAndGetbitErrors() {
        let h = EngineHarness()
        let s = h.connect()
        for offset in ["-1", "x", "1.5", " 1", "01", "#1", "", "4294967296"] {
            #expect(h.run(s, "SETBIT", "k", offset, "1") == Self.offsetError, "\(offset)")
            #expect(h.run(s, "GETBIT", "k", offset) == Self.offsetError, "\(offset)")
        }
        #expect(h.run(s, "GETBIT", "nokey", "4294967296") == Self.offsetError)
        for bit in ["2", "-1", "x", "", "01"] {
            #expect(h.run(s, "SETBIT", "k", "1", bit) == .err("ERR bit is not an integer or out of range"), "\(bit)")
        }
        // The offset is checked first.
        #expect(h.run(s, "SETBIT", "k", "-1", "5") == Self.offsetError)
        #expect(h.run(s, "EXISTS", "k") == .integer(0))
        #expect(h.run(s, "SETBIT", "k", "1") == .err("ERR wrong number of arguments for 'setbit' command"))
        #expect(h.run(s, "GETBIT", "k") == .err("ERR wrong number of arguments for 'getbit' command"))
    }

    @Test func bitsOfAnIntegerValueAreThoseOfItsText() {
        let h = EngineHarness()
        let s = h.connect()
        h.run(s, "SET", "k", "1")
        #expect(h.run(s, "SETBIT", "k", "7", "0") == .integer(1))
        #expect(h.run(s, "GET", "k") == .bulk("0"))
        h.run(s, "SET", "i", "12345")
        #expect(h.run(s, "GETBIT", "i", "2") == .integer(1))
        #expect(h.run(s, "GETBIT", "i", "0") == .integer(0))
        #expect(h.run(s, "GETBIT", "i", "40") == .integer(0))
        #expect(h.run(s, "SETBIT", "i", "47", "1") == .integer(0))
        #expect(h.run(s, "GET", "i") == .bulkString(Array("12345".utf8) + [1]))
    }

    @Test func setbitCountsOnlyRealChanges() {
        let h = EngineHarness()
        let s = h.connect()
        var dirty = h.engine.stats.dirty
        func changes() -> Int {
            defer { dirty = h.engine.stats.dirty }
            return h.engine.stats.dirty - dirty
        }
        h.run(s, "SETBIT", "d", "3", "1")
        #expect(changes() == 1)
        h.run(s, "SETBIT", "d", "3", "1")
        #expect(changes() == 0)
        h.run(s, "SETBIT", "d", "20", "0")
        #expect(changes() == 1)
        h.run(s, "SETBIT", "d", "20", "0")
        #expect(changes() == 0)
        h.run(s, "SETBIT", "d", "3", "0")
        #expect(changes() == 1)
        h.run(s, "SETBIT", "new", "0", "0")
        #expect(changes() == 1)
        #expect(h.run(s, "EXISTS", "new") == .integer(1))
    }

    @Test func offsetsAreLimitedByProtoMaxBulkLen() {
        let h = EngineHarness()
        let s = h.connect()
        #expect(h.run(s, "CONFIG", "SET", "proto-max-bulk-len", "1048576") == .simpleString("OK"))
        #expect(h.run(s, "SETBIT", "k", "8388608", "1") == Self.offsetError)
        #expect(h.run(s, "GETBIT", "k", "8388608") == Self.offsetError)
        #expect(h.run(s, "SETBIT", "k", "8388607", "1") == .integer(0))
        #expect(h.run(s, "STRLEN", "k") == .integer(1_048_576))
        #expect(h.run(s, "GETBIT", "k", "8388607") == .integer(1))
        #expect(h.run(s, "BITCOUNT", "k") == .integer(1))
        #expect(h.run(s, "BITPOS", "k", "1") == .integer(8_388_607))
        #expect(h.run(s, "BITFIELD", "k", "GET", "u8", "8388608") == Self.offsetError)
        #expect(h.run(s, "BITFIELD", "k", "GET", "u8", "#1048576") == Self.offsetError)
        #expect(h.run(s, "BITFIELD", "k", "GET", "u8", "#1048575") == ints(1))
        // A field may end past the limit: the string grows to hold it, as in Redis.
        #expect(h.run(s, "BITFIELD", "k", "SET", "i64", "8388607", "-1") == ints(Int64.min))
        #expect(h.run(s, "STRLEN", "k") == .integer(1_048_584))
    }

    // MARK: - BITCOUNT

    @Test func bitcountRangesInBytesAndBits() {
        let h = EngineHarness()
        let s = h.connect()
        h.run(s, "SET", "k", "foobar")
        h.run(s, "SET", "e", "")
        h.run(s, "SET", "i", "12345")
        let cases: [([String], Int64)] = [
            ([], 26),
            (["0", "0"], 4),
            (["1", "1"], 6),
            (["1", "1", "byte"], 6),
            (["1", "1", "BYTE"], 6),
            (["5", "30", "bit"], 17),
            (["5", "30", "BIT"], 17),
            (["-1", "-1"], 4),
            (["-1", "-5"], 0),
            (["-1", "-5", "foo"], 0),
            (["0", "-1", "bit"], 26),
            (["-100", "100"], 26),
            (["-9223372036854775808", "9223372036854775807"], 26),
            (["3", "2"], 0),
            (["7", "7", "bit"], 0),
            (["1", "6", "bit"], 4),
            (["9", "9", "bit"], 1),
            (["48", "100", "bit"], 0),
            (["-3", "-1", "bit"], 1),
        ]
        for (range, count) in cases {
            #expect(h.runAll(s, ["BITCOUNT", "k"] + range).first == .integer(count), "\(range)")
        }
        #expect(h.run(s, "BITCOUNT", "e") == .integer(0))
        #expect(h.run(s, "BITCOUNT", "e", "0", "-1") == .integer(0))
        #expect(h.run(s, "BITCOUNT", "i") == .integer(17))
        #expect(h.run(s, "BITCOUNT", "i", "1", "2") == .integer(7))
        // A missing key answers 0 before its arguments are checked.
        #expect(h.run(s, "BITCOUNT", "nokey") == .integer(0))
        #expect(h.run(s, "BITCOUNT", "nokey", "0") == .integer(0))
        #expect(h.run(s, "BITCOUNT", "nokey", "a", "b", "c", "d", "e") == .integer(0))
    }

    @Test func bitcountErrors() {
        let h = EngineHarness()
        let s = h.connect()
        h.run(s, "SET", "k", "foobar")
        #expect(h.run(s, "BITCOUNT", "k", "0") == Self.syntax)
        #expect(h.run(s, "BITCOUNT", "k", "-5", "-1", "foo") == Self.syntax)
        #expect(h.run(s, "BITCOUNT", "k", "0", "1", "bit", "extra") == Self.syntax)
        #expect(h.run(s, "BITCOUNT", "k", "a", "1") == Self.notInteger)
        #expect(h.run(s, "BITCOUNT", "k", "0", "b") == Self.notInteger)
        #expect(h.run(s, "BITCOUNT", "k", "0", "b", "foo") == Self.notInteger)
        #expect(h.run(s, "BITCOUNT") == .err("ERR wrong number of arguments for 'bitcount' command"))
    }

    @Test func bitcountOfLongStrings() {
        let h = EngineHarness()
        let s = h.connect()
        setRaw(h, s, "long", [UInt8](repeating: 0xFF, count: 99) + [0xFE])
        #expect(h.run(s, "BITCOUNT", "long") == .integer(799))
        #expect(h.run(s, "BITCOUNT", "long", "3", "797", "bit") == .integer(795))
        setRaw(h, s, "r1", (0..<37).map { UInt8($0) })
        setRaw(h, s, "r2", (0..<45).map { UInt8(($0 * 7 + 3) % 256) })
        #expect(h.run(s, "BITCOUNT", "r1") == .integer(90))
        #expect(h.run(s, "BITCOUNT", "r2", "5", "40") == .integer(146))
    }

    // MARK: - BITPOS

    @Test func bitposFindsTheFirstBit() {
        let h = EngineHarness()
        let s = h.connect()
        setRaw(h, s, "k", [0xFF, 0xF0, 0x00])
        setRaw(h, s, "f", [0xFF, 0xFF, 0xFF])
        setRaw(h, s, "z", [0x00, 0x00, 0x00])
        h.run(s, "SET", "e", "")
        let cases: [([String], Int64)] = [
            (["k", "0"], 12),
            (["k", "1"], 0),
            (["k", "1", "2"], -1),
            (["k", "0", "1", "1"], 12),
            (["k", "1", "2", "-1"], -1),
            (["k", "1", "0", "1", "byte"], 0),
            (["k", "1", "2", "1"], -1),
            (["k", "0", "-1", "-2"], -1),
            // Looking for 0 without an end: the string is padded with zeros on the right.
            (["f", "0"], 24),
            (["f", "0", "1"], 24),
            (["f", "0", "-1"], 24),
            // With an explicit end it is not.
            (["f", "0", "0", "-1"], -1),
            (["f", "0", "0", "-1", "bit"], -1),
            (["f", "0", "5", "10", "bit"], -1),
            (["f", "1", "5", "10", "bit"], 5),
            (["f", "0", "100"], -1),
            (["f", "0", "100", "200"], -1),
            (["z", "1"], -1),
            (["z", "0"], 0),
            (["z", "1", "0", "-1", "bit"], -1),
            (["z", "0", "3", "10", "bit"], 3),
            (["k", "0", "3", "10", "bit"], -1),
            (["k", "0", "7", "11", "bit"], -1),
            (["k", "0", "12", "13", "bit"], 12),
            (["k", "1", "12", "13", "BIT"], -1),
            (["k", "1", "8", "11", "bit"], 8),
            (["k", "0", "-5", "-1", "bit"], 19),
            // An empty string has no bits at all, a missing key is all zeros.
            (["e", "0"], -1),
            (["e", "1"], -1),
            (["e", "0", "0"], -1),
            (["nokey", "0"], 0),
            (["nokey", "1"], -1),
            (["nokey", "1", "x", "y", "z"], -1),
        ]
        for (arguments, position) in cases {
            #expect(h.runAll(s, ["BITPOS"] + arguments).first == .integer(position), "\(arguments)")
        }
    }

    @Test func bitposOnLongStrings() {
        let h = EngineHarness()
        let s = h.connect()
        setRaw(h, s, "long", [UInt8](repeating: 0xFF, count: 99) + [0xFE])
        #expect(h.run(s, "BITPOS", "long", "0") == .integer(799))
        #expect(h.run(s, "BITPOS", "long", "0", "0", "98") == .integer(-1))
        #expect(h.run(s, "BITPOS", "long", "0", "0", "-1") == .integer(799))
        #expect(h.run(s, "BITPOS", "long", "0", "10", "799", "bit") == .integer(799))
        #expect(h.run(s, "BITPOS", "long", "0", "10", "798", "bit") == .integer(-1))
        #expect(h.run(s, "BITPOS", "long", "1", "793", "bit") == Self.notInteger)
        setRaw(h, s, "zeros", [UInt8](repeating: 0, count: 70) + [0x01])
        #expect(h.run(s, "BITPOS", "zeros", "1") == .integer(567))
        #expect(h.run(s, "BITPOS", "zeros", "1", "3") == .integer(567))
        #expect(h.run(s, "BITPOS", "zeros", "1", "0", "69") == .integer(-1))
        #expect(h.run(s, "BITPOS", "zeros", "0", "5") == .integer(40))
    }

    @Test func bitposErrors() {
        let h = EngineHarness()
        let s = h.connect()
        setRaw(h, s, "k", [0xFF, 0xF0, 0x00])
        let bitError = RESPValue.err("ERR The bit argument must be 1 or 0.")
        #expect(h.run(s, "BITPOS", "nokey", "2") == bitError)
        #expect(h.run(s, "BITPOS", "k", "2") == bitError)
        #expect(h.run(s, "BITPOS", "k", "-1") == bitError)
        #expect(h.run(s, "BITPOS", "k", "x") == Self.notInteger)
        #expect(h.run(s, "BITPOS", "k", "1", "x") == Self.notInteger)
        #expect(h.run(s, "BITPOS", "k", "1", "0", "x") == Self.notInteger)
        #expect(h.run(s, "BITPOS", "k", "1", "0", "1", "foo") == Self.syntax)
        #expect(h.run(s, "BITPOS", "k", "1", "x", "1", "foo") == Self.notInteger)
        #expect(h.run(s, "BITPOS", "k", "1", "0", "x", "foo") == Self.syntax)
        #expect(h.run(s, "BITPOS", "k", "1", "0", "1", "bit", "x") == Self.syntax)
        #expect(h.run(s, "BITPOS", "k") == .err("ERR wrong number of arguments for 'bitpos' command"))
    }

    // MARK: - BITOP

    @Test func bitopOperations() {
        let h = EngineHarness()
        let s = h.connect()
        h.run(s, "SET", "a", "foobar")
        h.run(s, "SET", "b", "abcdefghij")
        h.run(s, "SET", "i", "123")
        #expect(h.run(s, "BITOP", "AND", "d", "a", "b") == .integer(10))
        #expect(h.run(s, "GET", "d") == .bulkString([0x60, 0x62, 0x63, 0x60, 0x61, 0x62, 0, 0, 0, 0]))
        #expect(h.run(s, "BITOP", "or", "d", "a", "b") == .integer(10))
        #expect(h.run(s, "GET", "d") == .bulk("goofevghij"))
        #expect(h.run(s, "BITOP", "Xor", "d", "a", "b") == .integer(10))
        #expect(h.run(s, "GET", "d") == .bulkString([0x07, 0x0D, 0x0C, 0x06, 0x04, 0x14] + Array("ghij".utf8)))
        #expect(h.run(s, "BITOP", "not", "d", "a") == .integer(6))
        #expect(h.run(s, "GET", "d") == .bulkString([0x99, 0x90, 0x90, 0x9D, 0x9E, 0x8D]))
        #expect(h.run(s, "BITOP", "NOT", "d", "i") == .integer(3))
        #expect(h.run(s, "GET", "d") == .bulkString([0xCE, 0xCD, 0xCC]))
        // Missing keys are empty strings.
        #expect(h.run(s, "BITOP", "and", "d", "nokey", "a") == .integer(6))
        #expect(h.run(s, "GET", "d") == .bulkString([UInt8](repeating: 0, count: 6)))
        #expect(h.run(s, "BITOP", "or", "d", "nokey", "a") == .integer(6))
        #expect(h.run(s, "GET", "d") == .bulk("foobar"))
        // The destination may be a source.
        #expect(h.run(s, "BITOP", "not", "a", "a") == .integer(6))
        #expect(h.run(s, "GET", "a") == .bulkString([0x99, 0x90, 0x90, 0x9D, 0x9E, 0x8D]))
    }

    @Test func bitopStoresWithoutTTLAndDeletesOnEmptyResult() {
        let h = EngineHarness()
        let s = h.connect()
        h.run(s, "SET", "a", "foobar")
        h.run(s, "SET", "e", "")
        h.run(s, "SET", "i", "123")
        h.run(s, "SET", "d", "x", "EX", "100")
        #expect(h.run(s, "BITOP", "or", "d", "a") == .integer(6))
        #expect(h.run(s, "TTL", "d") == .integer(-1))
        #expect(h.run(s, "GET", "d") == .bulk("foobar"))
        #expect(h.run(s, "BITOP", "or", "d", "i") == .integer(3))
        #expect(h.run(s, "GET", "d") == .bulk("123"))
        var dirty = h.engine.stats.dirty
        #expect(h.run(s, "BITOP", "not", "d", "e") == .integer(0))
        #expect(h.run(s, "EXISTS", "d") == .integer(0))
        #expect(h.engine.stats.dirty == dirty + 1)
        dirty = h.engine.stats.dirty
        #expect(h.run(s, "BITOP", "and", "d", "nokey") == .integer(0))
        #expect(h.run(s, "BITOP", "or", "d", "e", "nokey") == .integer(0))
        #expect(h.run(s, "BITOP", "not", "d", "nokey") == .integer(0))
        #expect(h.run(s, "EXISTS", "d") == .integer(0))
        #expect(h.engine.stats.dirty == dirty)
        #expect(h.run(s, "BITOP", "or", "d", "a") == .integer(6))
        #expect(h.engine.stats.dirty == dirty + 1)
    }

    @Test func bitopOnLongStrings() {
        let h = EngineHarness()
        let s = h.connect()
        let r1 = (0..<37).map { UInt8($0) }
        let r2 = (0..<45).map { UInt8(($0 * 7 + 3) % 256) }
        setRaw(h, s, "r1", r1)
        setRaw(h, s, "r2", r2)
        let padded = r1 + [UInt8](repeating: 0, count: 8)
        let cases: [(String, (UInt8, UInt8) -> UInt8, Int64)] = [
            ("and", { $0 & $1 }, 38), ("or", { $0 | $1 }, 223), ("xor", { $0 ^ $1 }, 185),
        ]
        for (name, operation, count) in cases {
            #expect(h.run(s, "BITOP", name, "o", "r1", "r2") == .integer(45))
            #expect(h.run(s, "GET", "o") == .bulkString(zip(padded, r2).map { operation($0.0, $0.1) }), "\(name)")
            #expect(h.run(s, "BITCOUNT", "o") == .integer(count), "\(name)")
        }
        #expect(h.run(s, "BITOP", "not", "o", "r2") == .integer(45))
        #expect(h.run(s, "GET", "o") == .bulkString(r2.map { ~$0 }))
        #expect(h.run(s, "BITCOUNT", "o") == .integer(189))
        #expect(h.run(s, "BITOP", "xor", "o", "r1", "r2", "r1") == .integer(45))
        #expect(h.run(s, "GET", "o") == .bulkString(r2))
        #expect(h.run(s, "BITCOUNT", "o") == .integer(171))
    }

    @Test func bitopErrors() {
        let h = EngineHarness()
        let s = h.connect()
        h.run(s, "SET", "a", "foobar")
        #expect(
            h.run(s, "BITOP", "not", "d", "a", "b") == .err("ERR BITOP NOT must be called with a single source key."))
        #expect(h.run(s, "BITOP", "foo", "d", "a") == Self.syntax)
        #expect(h.run(s, "BITOP", "and", "d") == .err("ERR wrong number of arguments for 'bitop' command"))
        #expect(h.run(s, "EXISTS", "d") == .integer(0))
    }

    // MARK: - BITFIELD

    @Test func bitfieldGetSetIncrbyAndOverflow() {
        let h = EngineHarness()
        let s = h.connect()
        #expect(h.run(s, "BITFIELD", "f", "SET", "i8", "0", "100", "GET", "i8", "0", "INCRBY", "i8", "0", "100", "GET", "u8", "0") == ints(0, 100, -56, 200))
        #expect(
            h.runAll(s, ["BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "100", "INCRBY", "i8", "0", "-300",
                "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "-1", "OVERFLOW", "WRAP", "INCRBY", "i8", "0", "-1"]).first
                == ints(44, -128, nil, 127))
        #expect(h.run(s, "GET", "f") == .bulkString([0x7F]))
        #expect(h.run(s, "BITFIELD", "f", "SET", "u8", "0", "-1") == ints(127))
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "SAT", "SET", "u8", "0", "-1") == ints(255))
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "FAIL", "SET", "u8", "0", "-1") == ints(nil))
        #expect(h.run(s, "BITFIELD", "f", "overflow", "fail", "set", "u8", "0", "256", "set", "u8", "0", "255") == ints(nil, 255))
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "SAT", "SET", "i8", "0", "-9223372036854775808") == ints(-1))
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "SAT", "SET", "i8", "0", "-200") == ints(127))
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "WRAP", "SET", "i8", "0", "-9223372036854775808") == ints(-128))
        #expect(
            h.runAll(s, ["BITFIELD", "f", "SET", "i64", "0", "-1", "GET", "i64", "0", "GET", "u63", "0", "GET", "u63", "1",
                "GET", "i1", "0", "GET", "u1", "0"]).first
                == ints(0, -1, 9_223_372_036_854_775_807, 9_223_372_036_854_775_807, -1, 1))
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-9223372036854775808") == ints(Int64.min))
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "WRAP", "INCRBY", "i64", "0", "-9223372036854775808") == ints(0))
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", "u63", "0", "9223372036854775807") == ints(Int64.max))
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", "u63", "0", "-9223372036854775808") == ints(0))
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "WRAP", "INCRBY", "u63", "0", "-9223372036854775808") == ints(0))
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "WRAP", "INCRBY", "u63", "0", "5") == ints(5))
    }

    @Test func bitfieldSignedOverflowEdgesMatchRedis() {
        let h = EngineHarness()
        let s = h.connect()
        // Redis's overflow check wraps for values near Int64.min: SAT stores the maximum.
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "SAT", "SET", "i8", "0", "-9223372036854775808", "GET", "i8", "0") == ints(0, 127))
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "WRAP", "SET", "i8", "0", "-9223372036854775808", "GET", "i8", "0") == ints(127, 0))
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "SAT", "SET", "i8", "0", "-9223372036854775700", "GET", "i8", "0") == ints(0, 127))
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "FAIL", "SET", "i8", "0", "-9223372036854775808", "GET", "i8", "0") == ints(nil, 127))
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "SAT", "SET", "i8", "0", "9223372036854775807", "GET", "i8", "0") == ints(127, 127))
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "WRAP", "SET", "i8", "0", "-129", "GET", "i8", "0") == ints(127, 127))
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "WRAP", "SET", "u8", "0", "9223372036854775807", "GET", "u8", "0") == ints(127, 255))
        #expect(
            h.runAll(s, ["BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1",
                "INCRBY", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-1"]).first
                == ints(9_151_314_442_816_847_871, 9_151_314_442_816_847_872, -72_057_594_037_927_936, Int64.min, Int64.min))
        #expect(
            h.runAll(s, ["BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "i64", "0", "-1", "INCRBY", "i64", "0", "9223372036854775807",
                "INCRBY", "i64", "0", "9223372036854775807"]).first
                == ints(nil, -1, 9_223_372_036_854_775_806))
        #expect(
            h.runAll(s, ["BITFIELD", "f", "OVERFLOW", "WRAP", "INCRBY", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0",
                "9223372036854775807"]).first
                == ints(-3, 9_223_372_036_854_775_804))
        #expect(h.run(s, "GET", "f") == .bulkString([0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFC]))
        // #n offsets count in units of the type's width.
        #expect(h.run(s, "BITFIELD", "f", "GET", "u8", "#1", "SET", "u8", "#2", "7", "GET", "u8", "16", "GET", "i5", "#3") == ints(255, 255, 7, -16))
    }

    @Test func bitfieldHashOffsetsWrapLikeRedis() {
        let h = EngineHarness()
        let s = h.connect()
        setRaw(h, s, "w", [0x01, 0x02])
        // 2305843009213693953 * 8 wraps to 8.
        #expect(h.run(s, "BITFIELD", "w", "GET", "u8", "#2305843009213693953", "GET", "u8", "#1") == ints(2, 2))
        #expect(h.run(s, "BITFIELD", "w2", "SET", "u8", "#2305843009213693953", "255") == ints(0))
        #expect(h.run(s, "GET", "w2") == .bulkString([0x00, 0xFF]))
    }

    @Test func bitfieldErrors() {
        let h = EngineHarness()
        let s = h.connect()
        h.run(s, "SET", "f", "x")
        for type in ["u64", "i65", "i0", "u0", "x8", "u08", "", "U8", "i", "u-1", "i8 "] {
            #expect(h.run(s, "BITFIELD", "f", "GET", type, "0") == Self.typeError, "\(type)")
        }
        for offset in ["-1", "#-1", "#", "#x", "4294967296", "#536870912", "#9223372036854775807",
            "#1152921504606846976", "#1152921504606846975", "##1", " 1", "1.0"]
        {
            #expect(h.run(s, "BITFIELD", "f", "GET", "u8", offset) == Self.offsetError, "\(offset)")
        }
        #expect(h.run(s, "BITFIELD", "f", "GET", "u8", "#536870911") == ints(0))
        #expect(h.run(s, "BITFIELD", "f", "GET", "u8", "4294967295") == ints(0))
        #expect(h.run(s, "BITFIELD", "f", "SET", "u8", "0", "x") == Self.notInteger)
        #expect(h.run(s, "BITFIELD", "f", "SET", "u8", "0") == Self.syntax)
        #expect(h.run(s, "BITFIELD", "f", "GET", "u8") == Self.syntax)
        #expect(h.run(s, "BITFIELD", "f", "bogus") == Self.syntax)
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW") == Self.syntax)
        #expect(h.run(s, "BITFIELD", "f", "OVERFLOW", "bogus", "GET", "u8", "0") == .err("ERR Invalid OVERFLOW type specified"))
        #expect(h.run(s, "BITFIELD", "f", "GET", "u8", "0", "OVERFLOW", "bogus") == .err("ERR Invalid OVERFLOW type specified"))
        // An error anywhere means no reply for the valid operations before it and no change.
        #expect(h.run(s, "BITFIELD", "f", "SET", "u8", "0", "1", "GET", "x1", "0") == Self.typeError)
        #expect(h.run(s, "GET", "f") == .bulk("x"))
        #expect(h.run(s, "BITFIELD") == .err("ERR wrong number of arguments for 'bitfield' command"))
    }

    @Test func bitfieldOnMissingAndIntegerKeys() {
        let h = EngineHarness()
        let s = h.connect()
        #expect(h.run(s, "BITFIELD", "f") == .array([]))
        #expect(h.run(s, "BITFIELD", "nokey", "GET", "u8", "0", "GET", "i64", "1000") == ints(0, 0))
        #expect(h.run(s, "EXISTS", "nokey") == .integer(0))
        // A write creates the key even when OVERFLOW FAIL refuses the change (but counts no change).
        let dirty = h.engine.stats.dirty
        #expect(h.run(s, "BITFIELD", "g", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "10") == ints(nil))
        #expect(h.run(s, "EXISTS", "g") == .integer(1))
        #expect(h.run(s, "GET", "g") == .bulkString([0]))
        #expect(h.engine.stats.dirty == dirty)
        h.run(s, "SET", "i", "123")
        #expect(h.run(s, "BITFIELD", "i", "GET", "u8", "0", "GET", "u8", "8") == ints(49, 50))
        #expect(h.run(s, "BITFIELD", "i", "SET", "u8", "0", "50") == ints(49))
        #expect(h.run(s, "GET", "i") == .bulk("223"))
    }

    @Test func bitfieldCountsChanges() {
        let h = EngineHarness()
        let s = h.connect()
        h.run(s, "SETBIT", "d", "3", "1")
        h.run(s, "SETBIT", "d", "20", "0")
        var dirty = h.engine.stats.dirty
        #expect(h.run(s, "BITFIELD", "d", "SET", "u8", "0", "1", "SET", "u8", "0", "1", "SET", "u8", "8", "0") == ints(16, 1, 0))
        #expect(h.engine.stats.dirty == dirty + 1)
        dirty = h.engine.stats.dirty
        // Growing the string counts every write as a change.
        #expect(h.run(s, "BITFIELD", "d", "SET", "u8", "40", "0", "SET", "u8", "40", "0") == ints(0, 0))
        #expect(h.engine.stats.dirty == dirty + 2)
        #expect(h.run(s, "STRLEN", "d") == .integer(6))
        dirty = h.engine.stats.dirty
        #expect(h.run(s, "BITFIELD", "d", "GET", "u8", "0", "GET", "u8", "1000") == ints(1, 0))
        #expect(h.engine.stats.dirty == dirty)
    }

    @Test func bitfieldROOnlyReads() {
        let h = EngineHarness()
        let s = h.connect()
        h.run(s, "SET", "f", "A")
        let onlyGet = RESPValue.err("ERR BITFIELD_RO only supports the GET subcommand")
        #expect(h.run(s, "BITFIELD_RO", "f", "GET", "u8", "0", "GET", "i4", "4") == ints(65, 1))
        #expect(h.run(s, "BITFIELD_RO", "f", "SET", "u8", "0", "1") == onlyGet)
        #expect(h.run(s, "BITFIELD_RO", "f", "INCRBY", "u8", "0", "1") == onlyGet)
        #expect(h.run(s, "BITFIELD_RO", "f", "OVERFLOW", "SAT", "GET", "u8", "0") == ints(65))
        #expect(h.run(s, "BITFIELD_RO", "f", "SET", "u8", "0", "x") == Self.notInteger)
        #expect(h.run(s, "BITFIELD_RO", "f", "GET", "u64", "0") == Self.typeError)
        #expect(h.run(s, "BITFIELD_RO", "f") == .array([]))
        #expect(h.run(s, "BITFIELD_RO", "f", "bogus") == Self.syntax)
        #expect(h.run(s, "BITFIELD_RO", "nokey", "GET", "u8", "0") == ints(0))
        #expect(h.run(s, "BITFIELD_RO", "nokey", "SET", "u8", "0", "1") == onlyGet)
        #expect(h.run(s, "EXISTS", "nokey") == .integer(0))
        #expect(h.run(s, "GET", "f") == .bulk("A"))
    }
}
