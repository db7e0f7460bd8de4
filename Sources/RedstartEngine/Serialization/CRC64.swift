// CRC-64 as Redis computes it for DUMP payloads and RDB files: the "Jones"
// polynomial 0xad93d23594c935a9, reflected input and output, initial value 0,
// no final xor (check value for "123456789": 0xe9c6d914c4b8d9ca). Table-driven,
// one byte at a time.

public enum CRC64 {
    /// The polynomial with its bits reversed, for the right-shifting (reflected) form.
    private static let reflectedPolynomial: UInt64 = {
        let polynomial: UInt64 = 0xad93_d235_94c9_35a9
        var reversed: UInt64 = 0
        for bit in 0..<64 where polynomial & (1 << UInt64(bit)) != 0 { reversed |= 1 << UInt64(63 - bit) }
        return reversed
    }()

    private static let table: [UInt64] = (0..<256).map { index in
        var value = UInt64(index)
        for _ in 0..<8 { value = value & 1 != 0 ? (value >> 1) ^ reflectedPolynomial : value >> 1 }
        return value
    }

    /// `crc` continued over `bytes` (for callers outside the engine: RDB files).
    public static func update(_ crc: UInt64, with bytes: UnsafeRawBufferPointer) -> UInt64 {
        checksum(bytes, continuing: crc)
    }

    /// The checksum of `bytes`, continuing from `crc`.
    static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt64 = 0) -> UInt64 {
        var value = crc
        table.withUnsafeBufferPointer { table in
            for byte in bytes { value = table[Int(UInt8(truncatingIfNeeded: value) ^ byte)] ^ (value >> 8) }
        }
        return value
    }
}
