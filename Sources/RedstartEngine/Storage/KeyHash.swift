// The hash of keys: a seeded multiply-and-fold hash over 8-byte words, fast
// for the short keys a keyspace holds. The seed is random per process, so
// clients cannot choose keys that all land in one bucket.

/// Hashes byte strings for the key tables.
public enum KeyHash {
    /// The per-process seed.
    static let seed: UInt64 = UInt64.random(in: 1...UInt64.max)

    @inline(__always)
    private static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    /// The hash of `bytes`.
    @inline(__always)
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        var state = seed ^ (UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15)
        var index = 0
        while index + 16 <= count {
            let a = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let b = bytes.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self)
            state = fold(a ^ 0xA076_1D64_78BD_642F ^ state, b ^ 0xE703_7ED1_A0B4_28DB)
            index += 16
        }
        if index + 8 <= count {
            let a = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            state = fold(a ^ 0xA076_1D64_78BD_642F, state ^ 0x8EBC_6AF0_9C88_C6E3)
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < count {
            tail |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        state = fold(state ^ tail ^ 0x5899_65CC_7537_4CC3, 0x1D8E_4E27_C47D_124F ^ UInt64(truncatingIfNeeded: count))
        return fold(state, 0xA076_1D64_78BD_642F)
    }
}
