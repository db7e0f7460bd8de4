// CRC-64 as Redis computes it for DUMP payloads and RDB files: the "Jones"
// polynomial 0xad93d23594c935a9, reflected input and output, initial value 0,
// no final xor (check value for "123456789": 0xe9c6d914c4b8d9ca). Table-driven,
// eight bytes at a time (slicing-by-8).

public enum CRC64 {
    /// The polynomial with its bits reversed, for the right-shifting (reflected) form.
    private static let reflectedPolynomial: UInt64 = {
        let polynomial: UInt64 = 0xad93_d235_94c9_35a9
        var reversed: UInt64 = 0
        for bit in 0..<64 where polynomial & (1 << UInt64(bit)) != 0 { reversed |= 1 << UInt64(63 - bit) }
        return reversed
    }()

    /// Eight tables for slicing-by-8: `tables[k][b]` is the CRC of byte `b` followed by k zero bytes.
    private static let tables: [UInt64] = {
        var tables = [UInt64](repeating: 0, count: 8 * 256)
        for index in 0..<256 {
            var value = UInt64(index)
            for _ in 0..<8 { value = value & 1 != 0 ? (value >> 1) ^ reflectedPolynomial : value >> 1 }
            tables[index] = value
        }
        for slice in 1..<8 {
            for index in 0..<256 {
                let previous = tables[(slice - 1) * 256 + index]
                tables[slice * 256 + index] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    /// The checksum of `bytes`, continuing from `crc`: eight bytes per step (slicing-by-8),
    /// then one at a time.
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt64 = 0) -> UInt64 {
        var value = crc
        let count = bytes.count
        tables.withUnsafeBufferPointer { t in
            var index = 0
            while index + 8 <= count {
                value ^= UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                value = t[7 * 256 + Int(value & 0xFF)] ^ t[6 * 256 + Int((value >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((value >> 16) & 0xFF)] ^ t[4 * 256 + Int((value >> 24) & 0xFF)]
                    ^ t[3 * 256 + Int((value >> 32) & 0xFF)] ^ t[2 * 256 + Int((value >> 40) & 0xFF)]
                    ^ t[256 + Int((value >> 48) & 0xFF)] ^ t[Int(value >> 56)]
                index += 8
            }
            while index < count {
                value = t[Int(UInt8(truncatingIfNeeded: value) ^ bytes[index])] ^ (value >> 8)
                index += 1
            }
        }
        return value
    }
}
