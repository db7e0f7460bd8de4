// A sorted set's score inside its packed form, in as few bytes as keep it exact
// (Redis's listpack keeps scores as short text for the same reason): 0 is no
// bytes, an integer of up to 24 bits is 1 to 3 bytes, a score a Float holds
// exactly (0.5, 2.75, 1e10) is 4, an integer of up to 56 bits (a millisecond
// timestamp) 5 to 7, anything else the 8 bytes of its Double. The entry's length
// says which.

enum PackedScore {
    /// The encoding of `score` (never -0: the packed form stores it as 0): its bytes,
    /// little-endian in a word, and how many of them there are.
    static func encode(_ score: Double) -> (bits: UInt64, count: Int) {
        if score == 0 { return (0, 0) }
        if score == score.rounded(), abs(score) < 0x80_0000_0000_0000 {
            let integer = Int64(score)
            let width = bytesNeeded(integer)
            if width <= 3 { return (UInt64(bitPattern: integer), width) }
            if Double(Float(score)) != score { return (UInt64(bitPattern: integer), max(width, 5)) }
        }
        let single = Float(score)
        if Double(single) == score { return (UInt64(single.bitPattern), 4) }
        return (score.bitPattern, 8)
    }

    /// The score stored in `bytes`.
    @inline(__always)
    static func decode(_ bytes: UnsafeRawBufferPointer) -> Double {
        switch bytes.count {
        case 0: return 0
        case 4: return Double(Float(bitPattern: bytes.loadUnaligned(as: UInt32.self)))
        case 8: return bytes.loadUnaligned(as: Double.self)
        default:
            var word: UInt64 = 0
            for index in 0..<bytes.count { word |= UInt64(bytes[index]) << (8 * index) }
            let unused = 64 - 8 * bytes.count
            return Double(Int64(bitPattern: word << unused) >> unused)
        }
    }

    /// Bytes a two's-complement `integer` needs (1 to 8).
    private static func bytesNeeded(_ integer: Int64) -> Int {
        var width = 1
        while width < 8 {
            let limit = Int64(1) << (8 * width - 1)
            if integer >= -limit && integer < limit { return width }
            width += 1
        }
        return 8
    }

    /// Calls `body` with the encoded bytes of `score`.
    @inline(__always)
    static func withBytes<R>(of score: Double, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var (bits, count) = encode(score)
        bits = bits.littleEndian
        return withUnsafeBytes(of: &bits) { body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }
}
