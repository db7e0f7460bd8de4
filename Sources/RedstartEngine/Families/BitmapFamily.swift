// Bit operations on string values: SETBIT/GETBIT, BITCOUNT, BITPOS, BITOP and
// BITFIELD(_RO), with Redis 7.0's rules. Bit 0 is the most significant bit of
// the first byte. A missing key reads as an empty string (all zero bits); a
// write grows the string with zero bytes, in place (see `modifyString`). Bit
// offsets are limited by proto-max-bulk-len as in Redis.
import RedstartRESP

enum BitmapFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init("setbit", arity: 4, flags: [.write, .denyOOM], keys: .first, acl: [.bitmap], group: "bitmap", run: setbit),
            .init("getbit", arity: 3, flags: [.readonly, .fast], keys: .first, acl: [.bitmap], group: "bitmap", run: getbit),
            .init("bitcount", arity: -2, flags: [.readonly], keys: .first, acl: [.bitmap], group: "bitmap", run: bitcount),
            .init("bitpos", arity: -3, flags: [.readonly], keys: .first, acl: [.bitmap], group: "bitmap", run: bitpos),
            .init(
                "bitop", arity: -4, flags: [.write, .denyOOM], keys: KeyPositions(first: 2, last: -1, step: 1),
                acl: [.bitmap], group: "bitmap", run: bitop),
            .init(
                "bitfield", arity: -2, flags: [.write, .denyOOM], keys: .first, acl: [.bitmap], group: "bitmap",
                findKeys: bitfieldKeys, run: bitfield),
            .init(
                "bitfield_ro", arity: -2, flags: [.readonly, .fast], keys: .first, acl: [.bitmap], group: "bitmap",
                run: bitfieldRO),
        ]
    }

    static let invalidFieldType = ReplyError(
        "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
    static let bitArgumentNotZeroOrOne = ReplyError("The bit argument must be 1 or 0.")
    static let readOnlyBitfield = ReplyError("BITFIELD_RO only supports the GET subcommand")

    // MARK: - Shared helpers

    /// A bit offset argument: a non-negative integer whose byte (offset / 8) is below
    /// proto-max-bulk-len. With `fieldBits` > 0 (BITFIELD) `#n` means n * fieldBits; the
    /// product wraps on overflow as Redis's does.
    static func bitOffset(_ cmd: CommandContext, _ index: Int, fieldBits: Int = 0) throws(ReplyError) -> Int {
        let parsed: Int64? = cmd.args.withBytes(at: index) { raw -> Int64? in
            if fieldBits > 0, raw.count > 0, raw[0] == UInt8(ascii: "#") {
                guard let count = parseRedisInteger(UnsafeRawBufferPointer(rebasing: raw[1...])) else { return nil }
                return count &* Int64(fieldBits)
            }
            return parseRedisInteger(raw)
        }
        let limit = Int64(cmd.engine.protocolLimits.maxBulkLength)
        guard let offset = parsed, offset >= 0, (offset >> 3) < limit else { throw .bitOffsetOutOfRange }
        return Int(offset)
    }

    /// BYTE or BIT (any case) at argument `index`: true for BIT, else a syntax error.
    static func unitIsBit(_ cmd: CommandContext, _ index: Int) throws(ReplyError) -> Bool {
        if cmd.argument(index, is: "bit") { return true }
        if cmd.argument(index, is: "byte") { return false }
        throw .syntax
    }

    /// `start...end` in units of a string `total` units long: negative indexes count from
    /// the end, both are clamped into the string; nil when the range is empty.
    static func clampRange(_ start: Int64, _ end: Int64, total: Int64) -> ClosedRange<Int>? {
        var start = start
        var end = end
        if start < 0 { start += total }
        if end < 0 { end += total }
        if start < 0 { start = 0 }
        if end < 0 { end = 0 }
        if end >= total { end = total - 1 }
        return start <= end ? Int(start)...Int(end) : nil
    }

    /// Redis's lookupStringForBitCommand: the string at `key` (created empty when missing)
    /// grown with zeros to at least `byteCount` bytes, changed in place by `body`, then
    /// stored back. `body` learns whether the key was created or grew (Redis's "dirty").
    /// The caller reports the change (keyModified) when there was one.
    private static func modifyString<R>(
        _ cmd: CommandContext, _ key: UnsafeRawBufferPointer, byteCount: Int,
        _ body: (UnsafeMutableRawBufferPointer, _ grew: Bool) -> R
    ) throws(ReplyError) -> R {
        let db = cmd.db
        let engine = cmd.engine
        let index = engine.lookupWrite(db, key)
        var bytes: ByteString
        let grew: Bool
        if let index {
            _ = try cmd.stringValue(db, index)
            bytes = StringFamily.takeMutableString(db, index)
            grew = bytes.count < byteCount
        } else {
            bytes = ByteString()
            grew = true
        }
        let result = bytes.withMutableBytes(minimumCount: byteCount) { body($0, grew) }
        if let index {
            db.value(at: index).pointee = .string(bytes)
        } else {
            engine.addKey(db, key, .string(bytes))
        }
        return result
    }

    /// Set bits in `bytes`, eight bytes at a time.
    static func popcount(_ bytes: UnsafeRawBufferPointer) -> Int {
        var total = 0
        var offset = 0
        while offset + 8 <= bytes.count {
            total += bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self).nonzeroBitCount
            offset += 8
        }
        while offset < bytes.count {
            total += bytes[offset].nonzeroBitCount
            offset += 1
        }
        return total
    }

    /// Set bits among bit positions `bits` (which lie inside `bytes`).
    static func countBits(_ bytes: UnsafeRawBufferPointer, in bits: ClosedRange<Int>) -> Int {
        let firstByte = bits.lowerBound >> 3
        let lastByte = bits.upperBound >> 3
        var total = popcount(UnsafeRawBufferPointer(rebasing: bytes[firstByte...lastByte]))
        // Take off the bits of the edge bytes that lie outside the range.
        let before = UInt8(truncatingIfNeeded: 0xFF00 >> (bits.lowerBound & 7))
        let after = UInt8(0xFF) >> ((bits.upperBound & 7) + 1)
        total -= (bytes[firstByte] & before).nonzeroBitCount
        total -= (bytes[lastByte] & after).nonzeroBitCount
        return total
    }

    /// The first position among `bits` (inside `bytes`) whose bit is `wanted`, or nil.
    static func findBit(_ bytes: UnsafeRawBufferPointer, _ wanted: Bool, in bits: ClosedRange<Int>) -> Int? {
        let skipByte: UInt8 = wanted ? 0x00 : 0xFF
        let skipWord: UInt64 = wanted ? 0 : .max
        let last = bits.upperBound
        var position = bits.lowerBound
        while position <= last {
            if position & 7 == 0 {
                let byte = position >> 3
                if last - position >= 63 && bytes.loadUnaligned(fromByteOffset: byte, as: UInt64.self) == skipWord {
                    position += 64
                    continue
                }
                if last - position >= 7 && bytes[byte] == skipByte {
                    position += 8
                    continue
                }
            }
            let isSet = (bytes[position >> 3] >> (7 - (position & 7))) & 1 == 1
            if isSet == wanted { return position }
            position += 1
        }
        return nil
    }

    // MARK: - SETBIT and GETBIT

    /// SETBIT key offset 0|1 → integer: the bit's previous value.
    static func setbit(_ cmd: CommandContext) throws(ReplyError) {
        let offset = try bitOffset(cmd, 2)
        guard let on = cmd.args.int64(at: 3), on == 0 || on == 1 else { throw .bitNotZeroOrOne }
        let engine = cmd.engine
        let db = cmd.db
        let byte = offset >> 3
        let mask = UInt8(0x80) >> (offset & 7)
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            let (previous, changed) = try modifyString(cmd, key, byteCount: byte + 1) { bytes, grew -> (Bool, Bool) in
                let previous = bytes[byte] & mask != 0
                if on == 1 { bytes[byte] |= mask } else { bytes[byte] &= ~mask }
                return (previous, grew || previous != (on == 1))
            }
            if changed {
                engine.keyModified(db, key)
                engine.notify(.string, "setbit", key, db: db.index)
            }
            cmd.reply.integer(previous ? 1 : 0)
        }
    }

    /// GETBIT key offset → integer: the bit (0 past the end or for a missing key).
    static func getbit(_ cmd: CommandContext) throws(ReplyError) {
        let offset = try bitOffset(cmd, 2)
        let db = cmd.db
        let engine = cmd.engine
        guard let index = cmd.args.withBytes(at: 1, { engine.lookupRead(db, $0) }) else {
            cmd.reply.integer(0)
            return
        }
        let value = try cmd.stringValue(db, index)
        let isSet =
            value.withStringBytes { bytes in
                (offset >> 3) < bytes.count && (bytes[offset >> 3] >> (7 - (offset & 7))) & 1 == 1
            } ?? false
        cmd.reply.integer(isSet ? 1 : 0)
    }

    // MARK: - BITCOUNT and BITPOS

    /// BITCOUNT key [start end [BYTE|BIT]] → integer: the set bits in the range.
    static func bitcount(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        // As Redis: a missing key answers 0 before the arguments are looked at.
        guard let index = cmd.args.withBytes(at: 1, { engine.lookupRead(db, $0) }) else {
            cmd.reply.integer(0)
            return
        }
        let value = try cmd.stringValue(db, index)
        let length = Int64(value.stringLength ?? 0)
        let bitRange: ClosedRange<Int>?
        switch cmd.args.count {
        case 2:
            bitRange = clampRange(0, -1, total: length).map { ($0.lowerBound * 8)...($0.upperBound * 8 + 7) }
        case 4, 5:
            let start = try cmd.integer(2)
            let end = try cmd.integer(3)
            // Checked before the unit, as Redis does.
            if start < 0 && end < 0 && start > end {
                cmd.reply.integer(0)
                return
            }
            var inBits = false
            if cmd.args.count == 5 { inBits = try unitIsBit(cmd, 4) }
            let units = clampRange(start, end, total: inBits ? length * 8 : length)
            bitRange = inBits ? units : units.map { ($0.lowerBound * 8)...($0.upperBound * 8 + 7) }
        default:
            throw .syntax
        }
        guard let range = bitRange else {
            cmd.reply.integer(0)
            return
        }
        cmd.reply.integer(value.withStringBytes { countBits($0, in: range) } ?? 0)
    }

    /// BITPOS key 0|1 [start [end [BYTE|BIT]]] → integer: the first bit with that value,
    /// or -1. Looking for 0 without an explicit end, the string counts as padded with
    /// zeros (the answer may be the bit just past the range); with an end it does not.
    static func bitpos(_ cmd: CommandContext) throws(ReplyError) {
        let bit = try cmd.integer(2)
        guard bit == 0 || bit == 1 else { throw bitArgumentNotZeroOrOne }
        let wanted = bit == 1
        let db = cmd.db
        let engine = cmd.engine
        guard let index = cmd.args.withBytes(at: 1, { engine.lookupRead(db, $0) }) else {
            cmd.reply.integer(wanted ? -1 : 0)
            return
        }
        let value = try cmd.stringValue(db, index)
        let length = Int64(value.stringLength ?? 0)
        var endGiven = false
        let bitRange: ClosedRange<Int>?
        switch cmd.args.count {
        case 3:
            bitRange = clampRange(0, -1, total: length).map { ($0.lowerBound * 8)...($0.upperBound * 8 + 7) }
        case 4, 5, 6:
            // Redis's order: start, then the unit, then end.
            let start = try cmd.integer(3)
            var inBits = false
            if cmd.args.count == 6 { inBits = try unitIsBit(cmd, 5) }
            var end = length - 1
            if cmd.args.count >= 5 {
                end = try cmd.integer(4)
                endGiven = true
            }
            let units = clampRange(start, end, total: inBits ? length * 8 : length)
            bitRange = inBits ? units : units.map { ($0.lowerBound * 8)...($0.upperBound * 8 + 7) }
        default:
            throw .syntax
        }
        guard let range = bitRange else {
            cmd.reply.integer(-1)
            return
        }
        let found: Int? = value.withStringBytes { findBit($0, wanted, in: range) } ?? nil
        if let found {
            cmd.reply.integer(found)
        } else if wanted || endGiven {
            cmd.reply.integer(-1)
        } else {
            cmd.reply.integer(range.upperBound + 1)
        }
    }

    // MARK: - BITOP

    private enum BitOperation { case and, or, xor, not }

    /// BITOP AND|OR|XOR|NOT destkey key [key ...] → integer: the length of the result,
    /// stored at destkey (its TTL cleared); an empty result deletes destkey.
    static func bitop(_ cmd: CommandContext) throws(ReplyError) {
        let operation: BitOperation
        if cmd.argument(1, is: "and") {
            operation = .and
        } else if cmd.argument(1, is: "or") {
            operation = .or
        } else if cmd.argument(1, is: "xor") {
            operation = .xor
        } else if cmd.argument(1, is: "not") {
            operation = .not
        } else {
            throw .syntax
        }
        if operation == .not && cmd.args.count != 4 {
            throw ReplyError("BITOP NOT must be called with a single source key.")
        }
        let db = cmd.db
        let engine = cmd.engine
        var sources: [Int32?] = []
        var maxLength = 0
        for argument in 3..<cmd.args.count {
            let index = cmd.args.withBytes(at: argument) { engine.lookupRead(db, $0) }
            if let index {
                let length = try cmd.stringValue(db, index).stringLength ?? 0
                maxLength = max(maxLength, length)
            }
            sources.append(index)
        }
        var result = ByteString()
        if maxLength > 0 {
            result.withMutableBytes(minimumCount: maxLength) { out in
                for (position, index) in sources.enumerated() {
                    guard let index else {
                        // A missing key is an empty string: it zeroes an AND, changes nothing else.
                        if operation == .and { _ = out.initializeMemory(as: UInt8.self, repeating: 0) }
                        continue
                    }
                    _ = db.value(at: index).pointee.withStringBytes { (source) -> Void in
                        switch operation {
                        case .not: combine(out, source) { _, s in ~s }
                        case _ where position == 0: combine(out, source) { _, s in s }
                        case .and:
                            combine(out, source) { o, s in o & s }
                            // Past its end a source reads as zeros.
                            if source.count < out.count {
                                _ = UnsafeMutableRawBufferPointer(rebasing: out[source.count...])
                                    .initializeMemory(as: UInt8.self, repeating: 0)
                            }
                        case .or: combine(out, source) { o, s in o | s }
                        case .xor: combine(out, source) { o, s in o ^ s }
                        }
                    }
                }
            }
        }
        cmd.args.withBytes(at: 2) { key in
            let existing = engine.lookupWrite(db, key)
            if maxLength > 0 {
                if let existing {
                    db.overwrite(at: existing, with: .string(result))
                } else {
                    engine.addKey(db, key, .string(result))
                }
                engine.keyModified(db, key)
                engine.notify(.string, "set", key, db: db.index)
            } else if let existing {
                engine.deleteKey(db, at: existing, lazily: false)
                engine.keyModified(db, key)
                engine.notify(.generic, "del", key, db: db.index)
            }
        }
        cmd.reply.integer(maxLength)
    }

    /// out[i] = f(out[i], source[i]) over the bytes both have, eight at a time.
    @inline(__always)
    private static func combine(
        _ out: UnsafeMutableRawBufferPointer, _ source: UnsafeRawBufferPointer, _ f: (UInt64, UInt64) -> UInt64
    ) {
        let count = min(out.count, source.count)
        var offset = 0
        while offset + 8 <= count {
            let word = f(
                out.loadUnaligned(fromByteOffset: offset, as: UInt64.self),
                source.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            out.storeBytes(of: word, toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        while offset < count {
            out[offset] = UInt8(truncatingIfNeeded: f(UInt64(out[offset]), UInt64(source[offset])))
            offset += 1
        }
    }

    // MARK: - BITFIELD

    enum OverflowMode { case wrap, saturate, fail }

    /// One GET, SET or INCRBY of a BITFIELD call, as parsed.
    struct FieldOperation {
        enum Kind { case get, set, incrby }
        var kind: Kind
        var signed: Bool
        var bits: Int
        var offset: Int
        /// The SET value or the INCRBY increment.
        var value: Int64
        var overflow: OverflowMode
    }

    /// BITFIELD's key and its flags, as Redis's bitfieldGetKeys: RO access when the
    /// subcommands only read, RW access update once a SET or INCRBY (or anything that
    /// does not parse) appears.
    static func bitfieldKeys(_ arguments: CommandArguments) -> [KeyReference]? {
        var readOnly = true
        var index = 2
        while index < arguments.count {
            let remaining = arguments.count - index - 1
            if arguments.isEqual(at: index, toLowercase: "get") && remaining >= 2 {
                index += 3
            } else if remaining >= 3
                && (arguments.isEqual(at: index, toLowercase: "set")
                    || arguments.isEqual(at: index, toLowercase: "incrby"))
            {
                readOnly = false
                break
            } else if arguments.isEqual(at: index, toLowercase: "overflow") && remaining >= 1 {
                index += 2
            } else {
                readOnly = false
                break
            }
        }
        return [KeyReference(position: 1, flags: readOnly ? ["RO", "access"] : ["RW", "access", "update"])]
    }

    /// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment]
    /// [OVERFLOW WRAP|SAT|FAIL] ... → array: per GET the value, per SET the old value, per
    /// INCRBY the new value; null for a SET/INCRBY that OVERFLOW FAIL refused.
    static func bitfield(_ cmd: CommandContext) throws(ReplyError) {
        try runBitfield(cmd, readOnlyCommand: false)
    }

    /// BITFIELD_RO key [GET type offset ...] → array of the values.
    static func bitfieldRO(_ cmd: CommandContext) throws(ReplyError) {
        try runBitfield(cmd, readOnlyCommand: true)
    }

    private static func runBitfield(_ cmd: CommandContext, readOnlyCommand: Bool) throws(ReplyError) {
        let (operations, highestBit) = try parseFieldOperations(cmd)
        let db = cmd.db
        let engine = cmd.engine
        guard let highestWrittenBit = highestBit else {
            // Only GETs: a read lookup, and a missing key reads as zeros.
            guard let index = cmd.args.withBytes(at: 1, { engine.lookupRead(db, $0) }) else {
                cmd.reply.arrayHeader(operations.count)
                let empty = UnsafeRawBufferPointer(start: nil, count: 0)
                for operation in operations { cmd.reply.integer(fieldValue(empty, operation)) }
                return
            }
            let value = try cmd.stringValue(db, index)
            cmd.reply.arrayHeader(operations.count)
            _ = value.withStringBytes { bytes in
                for operation in operations { cmd.reply.integer(fieldValue(bytes, operation)) }
            }
            return
        }
        if readOnlyCommand { throw readOnlyBitfield }
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            let changes = try modifyString(cmd, key, byteCount: (highestWrittenBit >> 3) + 1) { bytes, grew -> Int in
                cmd.reply.arrayHeader(operations.count)
                var changes = 0
                for operation in operations {
                    if operation.kind == .get {
                        cmd.reply.integer(fieldValue(UnsafeRawBufferPointer(bytes), operation))
                        continue
                    }
                    let (reply, changed) = applyWrite(operation, to: bytes)
                    if let reply {
                        cmd.reply.integer(reply)
                        if grew || changed { changes += 1 }
                    } else {
                        cmd.reply.null()
                    }
                }
                return changes
            }
            if changes > 0 {
                engine.keyModified(db, key, changes: changes)
                engine.notify(.string, "setbit", key, db: db.index)
            }
        }
    }

    /// Parses the subcommands in Redis's order (type, then offset, then value, each
    /// failing on its own error); returns the operations and the highest bit a SET or
    /// INCRBY touches (nil when there is none).
    private static func parseFieldOperations(_ cmd: CommandContext) throws(ReplyError) -> ([FieldOperation], Int?) {
        var operations: [FieldOperation] = []
        var overflow = OverflowMode.wrap
        var highestWrittenBit: Int?
        var index = 2
        let count = cmd.args.count
        while index < count {
            let remaining = count - index - 1
            let kind: FieldOperation.Kind
            if cmd.argument(index, is: "get") && remaining >= 2 {
                kind = .get
            } else if cmd.argument(index, is: "set") && remaining >= 3 {
                kind = .set
            } else if cmd.argument(index, is: "incrby") && remaining >= 3 {
                kind = .incrby
            } else if cmd.argument(index, is: "overflow") && remaining >= 1 {
                if cmd.argument(index + 1, is: "wrap") {
                    overflow = .wrap
                } else if cmd.argument(index + 1, is: "sat") {
                    overflow = .saturate
                } else if cmd.argument(index + 1, is: "fail") {
                    overflow = .fail
                } else {
                    throw ReplyError("Invalid OVERFLOW type specified")
                }
                index += 2
                continue
            } else {
                throw .syntax
            }
            let (signed, bits) = try fieldType(cmd, index + 1)
            let offset = try bitOffset(cmd, index + 2, fieldBits: bits)
            var value: Int64 = 0
            if kind != .get {
                highestWrittenBit = max(highestWrittenBit ?? 0, offset + bits - 1)
                value = try cmd.integer(index + 3)
            }
            operations.append(
                FieldOperation(kind: kind, signed: signed, bits: bits, offset: offset, value: value, overflow: overflow))
            index += kind == .get ? 3 : 4
        }
        return (operations, highestWrittenBit)
    }

    /// A field type: `i` and 1-64 bits or `u` and 1-63 bits (case-sensitive, digits as a
    /// strict integer; like Redis's strlen, the digits end at a NUL byte).
    private static func fieldType(_ cmd: CommandContext, _ index: Int) throws(ReplyError) -> (signed: Bool, bits: Int) {
        let parsed: (Bool, Int)? = cmd.args.withBytes(at: index) { raw -> (Bool, Int)? in
            guard let first = raw.first, first == UInt8(ascii: "i") || first == UInt8(ascii: "u") else { return nil }
            let digits = UnsafeRawBufferPointer(rebasing: raw[1...])
            let end = digits.firstIndex(of: 0) ?? digits.count
            guard let bits = parseRedisInteger(UnsafeRawBufferPointer(rebasing: digits[..<end])) else { return nil }
            let signed = first == UInt8(ascii: "i")
            guard bits >= 1 && bits <= (signed ? 64 : 63) else { return nil }
            return (signed, Int(bits))
        }
        guard let parsed else { throw invalidFieldType }
        return parsed
    }

    /// The `bits`-bit unsigned field at bit `offset`; bits past the end of `bytes` read as 0.
    static func readField(_ bytes: UnsafeRawBufferPointer, offset: Int, bits: Int) -> UInt64 {
        var value: UInt64 = 0
        var position = offset
        for _ in 0..<bits {
            let byte = position >> 3
            let bit: UInt8 = byte < bytes.count ? (bytes[byte] >> (7 - (position & 7))) & 1 : 0
            value = (value << 1) | UInt64(bit)
            position += 1
        }
        return value
    }

    /// Writes the low `bits` bits of `value` at bit `offset` (which must fit in `bytes`).
    static func writeField(_ bytes: UnsafeMutableRawBufferPointer, offset: Int, bits: Int, value: UInt64) {
        var position = offset
        for shift in stride(from: bits - 1, through: 0, by: -1) {
            let byte = position >> 3
            let mask = UInt8(0x80) >> (position & 7)
            if (value >> shift) & 1 == 1 {
                bytes[byte] |= mask
            } else {
                bytes[byte] &= ~mask
            }
            position += 1
        }
    }

    /// `raw` as a two's complement integer of `bits` bits.
    static func signExtend(_ raw: UInt64, bits: Int) -> Int64 {
        if bits < 64 && raw & (1 << (bits - 1)) != 0 { return Int64(bitPattern: raw | (~0 << bits)) }
        return Int64(bitPattern: raw)
    }

    /// The value a GET replies: signed or unsigned per the operation's type.
    static func fieldValue(_ bytes: UnsafeRawBufferPointer, _ operation: FieldOperation) -> Int64 {
        let raw = readField(bytes, offset: operation.offset, bits: operation.bits)
        return operation.signed ? signExtend(raw, bits: operation.bits) : Int64(bitPattern: raw)
    }

    /// Performs a SET or INCRBY on `bytes`: the reply (nil when OVERFLOW FAIL refused the
    /// change, which then writes nothing) and whether the field's value changed.
    static func applyWrite(_ operation: FieldOperation, to bytes: UnsafeMutableRawBufferPointer) -> (Int64?, Bool) {
        let raw = readField(UnsafeRawBufferPointer(bytes), offset: operation.offset, bits: operation.bits)
        let isIncrement = operation.kind == .incrby
        let increment = isIncrement ? operation.value : 0
        let reply: Int64
        let newRaw: UInt64
        let overflowed: Bool
        let changed: Bool
        if operation.signed {
            let old = signExtend(raw, bits: operation.bits)
            let base = isIncrement ? old : operation.value
            let (direction, limit) = signedOverflow(
                base, increment, bits: operation.bits, mode: operation.overflow)
            let new = direction != 0 ? limit : base &+ increment
            overflowed = direction != 0
            reply = isIncrement ? new : old
            newRaw = UInt64(bitPattern: new)
            changed = old != new
        } else {
            let base = isIncrement ? raw : UInt64(bitPattern: operation.value)
            let (direction, limit) = unsignedOverflow(
                base, increment, bits: operation.bits, mode: operation.overflow)
            let new = direction != 0 ? limit : base &+ UInt64(bitPattern: increment)
            overflowed = direction != 0
            reply = Int64(bitPattern: isIncrement ? new : raw)
            newRaw = new
            changed = raw != new
        }
        if overflowed && operation.overflow == .fail { return (nil, false) }
        writeField(bytes, offset: operation.offset, bits: operation.bits, value: newRaw)
        return (reply, changed)
    }

    /// Whether `value + increment` fits an unsigned field of `bits` bits (1-63): direction
    /// 0 when it fits, 1 above, -1 below, with the value to store instead for WRAP
    /// (modulo 2^bits) and SAT (the nearest limit). Redis's checkUnsignedBitfieldOverflow.
    static func unsignedOverflow(_ value: UInt64, _ increment: Int64, bits: Int, mode: OverflowMode) -> (
        direction: Int, limit: UInt64
    ) {
        let maximum: UInt64 = (1 << bits) - 1
        let wrapped = (value &+ UInt64(bitPattern: increment)) & maximum
        if value > maximum || (increment > 0 && increment > Int64(bitPattern: maximum &- value)) {
            return (1, mode == .wrap ? wrapped : maximum)
        }
        if increment < 0 && increment < Int64(bitPattern: 0 &- value) {
            return (-1, mode == .wrap ? wrapped : 0)
        }
        return (0, 0)
    }

    /// Whether `value + increment` fits a signed field of `bits` bits (1-64), as Redis's
    /// checkSignedBitfieldOverflow decides it, including its arithmetic wrapping (a SET of
    /// a value near Int64.min into a narrow field counts as an overflow, not an underflow).
    static func signedOverflow(_ value: Int64, _ increment: Int64, bits: Int, mode: OverflowMode) -> (
        direction: Int, limit: Int64
    ) {
        let maximum: Int64 = bits == 64 ? .max : (1 << (bits - 1)) - 1
        let minimum = -maximum - 1
        let maxIncrement = Int64(bitPattern: UInt64(bitPattern: maximum) &- UInt64(bitPattern: value))
        let minIncrement = minimum &- value
        var wrapped = UInt64(bitPattern: value) &+ UInt64(bitPattern: increment)
        if bits < 64 {
            let signBit: UInt64 = 1 << (bits - 1)
            let high: UInt64 = ~0 << bits
            wrapped = wrapped & signBit != 0 ? wrapped | high : wrapped & ~high
        }
        if value > maximum || (bits != 64 && increment > maxIncrement)
            || (value >= 0 && increment > 0 && increment > maxIncrement)
        {
            return (1, mode == .wrap ? Int64(bitPattern: wrapped) : maximum)
        }
        if value < minimum || (bits != 64 && increment < minIncrement)
            || (value < 0 && increment < 0 && increment < minIncrement)
        {
            return (-1, mode == .wrap ? Int64(bitPattern: wrapped) : minimum)
        }
        return (0, 0)
    }
}
