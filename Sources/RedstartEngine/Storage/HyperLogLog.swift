// Redis's HyperLogLog, byte for byte, so that a value made by either server
// counts the same on the other (it is an ordinary string: DUMP/RESTORE, GET/SET).
//
// Layout: a 16-byte header ("HYLL", the encoding, three unused bytes, the cached
// cardinality as 8 little-endian bytes whose top bit marks it stale), then the
// 16,384 registers. Dense: 6 bits each, packed from the least significant bit
// of each byte (12,288 bytes). Sparse: a run-length code of opcodes, ZERO
// (00xxxxxx: 1–64 zero registers), XZERO (01xxxxxx yyyyyyyy: 1–16,384 zero
// registers) and VAL (1vvvvvxx: 1–4 registers of value 1–32); a register that
// needs more than 32, or a code longer than hll-sparse-max-bytes, turns the
// value dense. The estimate is Ertl's improved estimator, computed exactly as
// Redis computes it (same operations in the same order on doubles).
#if canImport(Glibc)
import Glibc
#endif

/// A HyperLogLog value's bytes and Redis's operations on them.
struct HyperLogLog {
    static let registerCount = 1 << 14
    static let headerSize = 16
    /// Bytes of a dense value: header plus 16,384 six-bit registers.
    static let denseSize = headerSize + registerCount * 6 / 8
    static let denseEncoding: UInt8 = 0
    static let sparseEncoding: UInt8 = 1
    /// The largest register value a sparse VAL opcode holds, and its longest run.
    static let sparseMaxValue: UInt8 = 32
    static let sparseMaxRun = 4
    static let zeroMaxRun = 64
    static let xzeroMaxRun = 16384

    /// The whole value: header and registers.
    var bytes: [UInt8]

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// A new, empty value: sparse, one XZERO opcode covering every register.
    static func empty() -> HyperLogLog {
        var bytes = [UInt8](repeating: 0, count: headerSize + 2)
        bytes[0] = UInt8(ascii: "H")
        bytes[1] = UInt8(ascii: "Y")
        bytes[2] = UInt8(ascii: "L")
        bytes[3] = UInt8(ascii: "L")
        bytes[4] = sparseEncoding
        writeXZero(&bytes, at: headerSize, run: registerCount)
        return HyperLogLog(bytes: bytes)
    }

    /// Whether `bytes` is a HyperLogLog as Redis's isHLLObjectOrReply judges: the magic,
    /// a known encoding, and the dense size for a dense one. (The registers are checked
    /// when they are read.)
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= headerSize, bytes[0] == UInt8(ascii: "H"), bytes[1] == UInt8(ascii: "Y"),
            bytes[2] == UInt8(ascii: "L"), bytes[3] == UInt8(ascii: "L"), bytes[4] <= sparseEncoding
        else { return false }
        return bytes[4] == sparseEncoding || bytes.count == denseSize
    }

    static func isDense(_ bytes: UnsafeRawBufferPointer) -> Bool { bytes[4] == denseEncoding }

    var isDense: Bool { bytes[4] == Self.denseEncoding }

    // MARK: - Hashing

    /// MurmurHash64A with Redis's seed, reading the input as little-endian words.
    static func hash(_ data: UnsafeRawBufferPointer) -> UInt64 {
        let multiplier: UInt64 = 0xc6a4_a793_5bd1_e995
        var h: UInt64 = 0xadc8_3b19 ^ (UInt64(data.count) &* multiplier)
        let wholeWords = data.count & ~7
        var offset = 0
        while offset < wholeWords {
            var k = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            k = k &* multiplier
            k ^= k >> 47
            k = k &* multiplier
            h ^= k
            h = h &* multiplier
            offset += 8
        }
        let tail = data.count & 7
        if tail > 0 {
            for i in stride(from: tail - 1, through: 0, by: -1) {
                h ^= UInt64(data[wholeWords + i]) << (8 * UInt64(i))
            }
            h = h &* multiplier
        }
        h ^= h >> 47
        h = h &* multiplier
        h ^= h >> 47
        return h
    }

    /// The register an element updates and the value it offers: the length of the run of
    /// zero bits (plus the final one) above the 14 index bits of its hash, at most 51.
    static func registerAndRun(_ element: UnsafeRawBufferPointer) -> (index: Int, run: UInt8) {
        let hash = self.hash(element)
        let index = Int(hash & UInt64(registerCount - 1))
        let rest = (hash >> 14) | (1 << 50)
        return (index, UInt8(rest.trailingZeroBitCount + 1))
    }

    // MARK: - Dense registers

    /// Register `index` of a dense value (the header included in `hll`).
    @inline(__always)
    static func denseRegister(_ hll: UnsafeRawBufferPointer, _ index: Int) -> UInt8 {
        let bit = index * 6
        let byte = headerSize + bit >> 3
        let shift = bit & 7
        var word = UInt16(hll[byte])
        if shift > 2 { word |= UInt16(hll[byte + 1]) << 8 }
        return UInt8(truncatingIfNeeded: word >> shift) & 63
    }

    @inline(__always)
    static func setDenseRegister(_ hll: UnsafeMutableRawBufferPointer, _ index: Int, _ value: UInt8) {
        let bit = index * 6
        let byte = headerSize + bit >> 3
        let shift = bit & 7
        let mask = UInt16(63) << shift
        let bits = UInt16(value) << shift
        hll[byte] = (hll[byte] & ~UInt8(truncatingIfNeeded: mask)) | UInt8(truncatingIfNeeded: bits)
        if shift > 2 { hll[byte + 1] = (hll[byte + 1] & ~UInt8(mask >> 8)) | UInt8(bits >> 8) }
    }

    /// Raises register `index` of a dense value to `value`; true when it changed.
    @inline(__always)
    static func raiseDenseRegister(_ hll: UnsafeMutableRawBufferPointer, _ index: Int, to value: UInt8) -> Bool {
        guard value > denseRegister(UnsafeRawBufferPointer(hll), index) else { return false }
        setDenseRegister(hll, index, value)
        return true
    }

    /// Adds an element to a dense value in place; true when a register changed.
    static func denseAdd(_ hll: UnsafeMutableRawBufferPointer, _ element: UnsafeRawBufferPointer) -> Bool {
        let (index, run) = registerAndRun(element)
        return raiseDenseRegister(hll, index, to: run)
    }

    // MARK: - Sparse opcodes

    private static func writeXZero(_ bytes: inout [UInt8], at offset: Int, run: Int) {
        bytes[offset] = UInt8((run - 1) >> 8) | 0x40
        bytes[offset + 1] = UInt8((run - 1) & 0xFF)
    }

    private static func valOpcode(_ value: UInt8, run: Int) -> UInt8 {
        0x80 | (value - 1) << 2 | UInt8(run - 1)
    }

    /// A zero run as one ZERO or XZERO opcode.
    private static func appendZeroRun(_ run: Int, to code: inout [UInt8]) {
        if run > zeroMaxRun {
            code.append(UInt8((run - 1) >> 8) | 0x40)
            code.append(UInt8((run - 1) & 0xFF))
        } else {
            code.append(UInt8(run - 1))
        }
    }

    /// One sparse opcode at `offset`: the registers it covers, its value, its size.
    /// A truncated XZERO reads its second byte as zero.
    private func opcode(at offset: Int) -> (run: Int, value: UInt8, size: Int) {
        let op = bytes[offset]
        if op & 0x80 != 0 { return (Int(op & 3) + 1, (op >> 2) & 0x1F + 1, 1) }
        if op & 0xC0 == 0 { return (Int(op & 0x3F) + 1, 0, 1) }
        let low = offset + 1 < bytes.count ? Int(bytes[offset + 1]) : 0
        return ((Int(op & 0x3F) << 8 | low) + 1, 0, 2)
    }

    /// Calls `body` with each opcode of a sparse value's code: first register, run, value.
    /// Returns the number of registers the code covers.
    @discardableResult
    func forEachSparseRun(_ body: (_ first: Int, _ run: Int, _ value: UInt8) -> Void) -> Int {
        var offset = Self.headerSize
        var register = 0
        while offset < bytes.count {
            let (run, value, size) = opcode(at: offset)
            body(register, run, value)
            register += run
            offset += size
        }
        return register
    }

    // MARK: - Changes

    /// Adds an element: 1 when a register changed, 0 when not, nil when the value is
    /// corrupt. A sparse value may turn dense.
    mutating func add(_ element: UnsafeRawBufferPointer, sparseMaxBytes: Int) -> Int? {
        let (index, run) = Self.registerAndRun(element)
        return raise(index, to: run, sparseMaxBytes: sparseMaxBytes)
    }

    /// Raises register `index` to `value` in either encoding: 1 when it changed, 0 when
    /// not, nil when the value is corrupt.
    mutating func raise(_ index: Int, to value: UInt8, sparseMaxBytes: Int) -> Int? {
        if isDense {
            return bytes.withUnsafeMutableBytes { Self.raiseDenseRegister($0, index, to: value) } ? 1 : 0
        }
        return sparseRaise(index, to: value, sparseMaxBytes: sparseMaxBytes)
    }

    /// Redis's hllSparseSet: finds the opcode covering `index`, replaces it by up to five
    /// opcodes (zeros or the old value before, the new value, zeros or the old value
    /// after), merges equal neighbouring VAL opcodes, and turns the value dense when the
    /// new value does not fit a VAL opcode or the code would pass `sparseMaxBytes`.
    private mutating func sparseRaise(_ index: Int, to value: UInt8, sparseMaxBytes: Int) -> Int? {
        if value > Self.sparseMaxValue { return promoteAndRaise(index, to: value) }
        // Find the opcode that covers the register.
        var offset = Self.headerSize
        var first = 0
        var previous: Int?
        var found: (run: Int, value: UInt8, size: Int)?
        while offset < bytes.count {
            let op = opcode(at: offset)
            if index <= first + op.run - 1 {
                found = op
                break
            }
            previous = offset
            offset += op.size
            first += op.run
        }
        guard let op = found, offset + op.size <= bytes.count else { return nil }
        let isVal = bytes[offset] & 0x80 != 0
        if isVal {
            if op.value >= value { return 0 }
            if op.run == 1 {
                bytes[offset] = Self.valOpcode(value, run: 1)
                mergeAdjacentValues(from: previous ?? Self.headerSize)
                return 1
            }
        } else if op.run == 1 && op.size == 1 {
            bytes[offset] = Self.valOpcode(value, run: 1)
            mergeAdjacentValues(from: previous ?? Self.headerSize)
            return 1
        }
        // Split the opcode around the register.
        let last = first + op.run - 1
        var code: [UInt8] = []
        code.reserveCapacity(5)
        if isVal {
            if index != first { code.append(Self.valOpcode(op.value, run: index - first)) }
            code.append(Self.valOpcode(value, run: 1))
            if index != last { code.append(Self.valOpcode(op.value, run: last - index)) }
        } else {
            if index != first { Self.appendZeroRun(index - first, to: &code) }
            code.append(Self.valOpcode(value, run: 1))
            if index != last { Self.appendZeroRun(last - index, to: &code) }
        }
        if code.count > op.size && bytes.count + code.count - op.size > sparseMaxBytes {
            return promoteAndRaise(index, to: value)
        }
        bytes.replaceSubrange(offset..<offset + op.size, with: code)
        mergeAdjacentValues(from: previous ?? Self.headerSize)
        return 1
    }

    /// Joins neighbouring VAL opcodes of the same value (up to four registers), looking at
    /// five opcodes from `start`; then marks the cached cardinality stale.
    private mutating func mergeAdjacentValues(from start: Int) {
        var offset = start
        var budget = 5
        while offset < bytes.count && budget > 0 {
            budget -= 1
            let op = bytes[offset]
            if op & 0xC0 == 0x40 {
                offset += 2
                continue
            }
            if op & 0xC0 == 0 {
                offset += 1
                continue
            }
            if offset + 1 < bytes.count && bytes[offset + 1] & 0x80 != 0 {
                let next = bytes[offset + 1]
                let value = (op >> 2) & 0x1F
                let run = Int(op & 3) + Int(next & 3) + 2
                if value == (next >> 2) & 0x1F && run <= Self.sparseMaxRun {
                    bytes[offset + 1] = Self.valOpcode(value + 1, run: run)
                    bytes.remove(at: offset)
                    continue
                }
            }
            offset += 1
        }
        invalidateCache()
    }

    /// Turns the value dense, then raises the register there.
    private mutating func promoteAndRaise(_ index: Int, to value: UInt8) -> Int? {
        guard convertToDense() else { return nil }
        return bytes.withUnsafeMutableBytes { Self.raiseDenseRegister($0, index, to: value) } ? 1 : 0
    }

    /// Redis's hllSparseToDense: the same registers in the dense encoding (the header,
    /// cached cardinality included, is kept). False when the sparse code does not cover
    /// exactly 16,384 registers; the value is then unchanged.
    mutating func convertToDense() -> Bool {
        if isDense { return true }
        var dense = [UInt8](repeating: 0, count: Self.denseSize)
        for i in 0..<Self.headerSize { dense[i] = bytes[i] }
        dense[4] = Self.denseEncoding
        var covered = 0
        var overflow = false
        dense.withUnsafeMutableBytes { out in
            var offset = Self.headerSize
            while offset < bytes.count {
                let (run, value, size) = opcode(at: offset)
                if value > 0 {
                    if covered + run > Self.registerCount {
                        overflow = true
                        break
                    }
                    for register in covered..<covered + run { Self.setDenseRegister(out, register, value) }
                }
                covered += run
                offset += size
            }
        }
        guard !overflow && covered == Self.registerCount else { return false }
        bytes = dense
        return true
    }

    // MARK: - Cached cardinality

    var hasValidCache: Bool { bytes[15] & 0x80 == 0 }

    mutating func invalidateCache() { bytes[15] |= 0x80 }

    var cachedCardinality: UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[8 + i]) << (8 * UInt64(i)) }
        return value
    }

    mutating func setCachedCardinality(_ value: UInt64) {
        for i in 0..<8 { bytes[8 + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }

    // MARK: - Counting

    /// How many registers hold each value, or nil when a sparse code does not cover
    /// exactly the 16,384 registers.
    func histogram() -> [Int]? {
        var counts = [Int](repeating: 0, count: 64)
        if isDense {
            bytes.withUnsafeBytes { hll in
                for register in 0..<Self.registerCount { counts[Int(Self.denseRegister(hll, register))] += 1 }
            }
            return counts
        }
        let covered = forEachSparseRun { _, run, value in counts[Int(value)] += run }
        return covered == Self.registerCount ? counts : nil
    }

    /// Raises each of `registers` (one byte per register) to this value's register;
    /// false when a sparse code does not cover exactly the 16,384 registers (the
    /// registers may then be partly raised).
    func merge(into registers: inout [UInt8]) -> Bool {
        if isDense {
            bytes.withUnsafeBytes { hll in
                for register in 0..<Self.registerCount {
                    let value = Self.denseRegister(hll, register)
                    if value > registers[register] { registers[register] = value }
                }
            }
            return true
        }
        // Any run past the last register makes the value corrupt (Redis 7.0.15 as patched
        // for CVE-2025-32023, which redis-server answers INVALIDOBJ for).
        var register = 0
        var offset = Self.headerSize
        while offset < bytes.count {
            let (run, value, size) = opcode(at: offset)
            if register + run > Self.registerCount { return false }
            if value > 0 {
                for i in register..<register + run where value > registers[i] { registers[i] = value }
            }
            register += run
            offset += size
        }
        return register == Self.registerCount
    }

    /// The histogram of registers held one per byte.
    static func histogram(ofRawRegisters registers: [UInt8]) -> [Int] {
        var counts = [Int](repeating: 0, count: 64)
        for value in registers { counts[Int(value)] += 1 }
        return counts
    }

    /// Ertl's estimate from a register histogram, with Redis's arithmetic.
    static func estimate(_ counts: [Int]) -> UInt64 {
        let m = Double(registerCount)
        var z = m * tau((m - Double(counts[51])) / m)
        for j in stride(from: 50, through: 1, by: -1) {
            z += Double(counts[j])
            z *= 0.5
        }
        z += m * sigma(Double(counts[0]) / m)
        let alphaInfinity = 0.721347520444481703680
        return UInt64(llround(alphaInfinity * m * m / z))
    }

    private static func sigma(_ start: Double) -> Double {
        if start == 1 { return .infinity }
        var x = start
        var y = 1.0
        var z = x
        var previous: Double
        repeat {
            x *= x
            previous = z
            z += x * y
            y += y
        } while previous != z
        return z
    }

    private static func tau(_ start: Double) -> Double {
        if start == 0 || start == 1 { return 0 }
        var x = start
        var y = 1.0
        var z = 1 - x
        var previous: Double
        repeat {
            x = x.squareRoot()
            previous = z
            y *= 0.5
            z -= pow(1 - x, 2) * y
        } while previous != z
        return z / 3
    }

    // MARK: - PFDEBUG DECODE

    /// The sparse code as text: `z:<run>`, `Z:<run>`, `v:<value>,<run>`, space-separated.
    func decodedSparseCode() -> String {
        var parts: [String] = []
        var offset = Self.headerSize
        while offset < bytes.count {
            let (run, value, size) = opcode(at: offset)
            if value > 0 {
                parts.append("v:\(value),\(run)")
            } else {
                parts.append(size == 2 ? "Z:\(run)" : "z:\(run)")
            }
            offset += size
        }
        return parts.joined(separator: " ")
    }
}
