// Readers for the packed blobs Redis writes inside RDB values (listpacks, 7.0's
// small lists, hashes and sorted sets and quicklist nodes, are read with Listpack
// in place): ziplist (the same before 7.0), zipmap (hashes before 2.6) and intset
// (small integer sets). Each yields its entries as
// bytes, integers in their decimal text, as Redis reads them back. Every
// length and offset is checked against the blob: a malformed one gives nil.

enum CompactEncodings {
    /// The entries of a ziplist: total bytes (u32), tail offset (u32), count (u16), entries
    /// (previous length, encoding, data), 0xFF.
    static func ziplistEntries(_ blob: UnsafeRawBufferPointer) -> [[UInt8]]? {
        guard blob.count >= 11, readLittleEndian(blob, at: 0, size: 4) == UInt64(blob.count) else { return nil }
        let declared = Int(readLittleEndian(blob, at: 8, size: 2))
        var entries: [[UInt8]] = []
        var position = 10
        var previousStart = -1
        var previousLength = 0
        while true {
            guard position < blob.count else { return nil }
            if blob[position] == 0xFF { break }
            // The previous entry's length, which must be the true one (walking back relies on it).
            let start = position
            let recorded: Int
            if blob[position] == 0xFE {
                guard position + 5 <= blob.count else { return nil }
                recorded = Int(readLittleEndian(blob, at: position + 1, size: 4))
                position += 5
            } else {
                recorded = Int(blob[position])
                position += 1
            }
            guard recorded == previousLength else { return nil }
            guard position < blob.count else { return nil }
            let encoding = blob[position]
            switch encoding >> 6 {
            case 0, 1, 2:
                let length: Int
                if encoding >> 6 == 0 {
                    length = Int(encoding & 0x3F)
                    position += 1
                } else if encoding >> 6 == 1 {
                    guard position + 1 < blob.count else { return nil }
                    length = (Int(encoding & 0x3F) << 8) | Int(blob[position + 1])
                    position += 2
                } else {
                    guard encoding == 0x80, position + 5 <= blob.count else { return nil }
                    length = (1...4).reduce(0) { ($0 << 8) | Int(blob[position + $1]) }
                    position += 5
                }
                guard let bytes = slice(blob, position, length) else { return nil }
                entries.append(bytes)
                position += length
                previousStart = start
                previousLength = position - start
            default:
                let size: Int
                switch encoding {
                case 0xC0: size = 2
                case 0xD0: size = 4
                case 0xE0: size = 8
                case 0xF0: size = 3
                case 0xFE: size = 1
                case 0xF1...0xFD:
                    entries.append(decimal(Int64(encoding & 0x0F) - 1))
                    position += 1
                    previousStart = start
                    previousLength = position - start
                    continue
                default: return nil
                }
                guard position + 1 + size <= blob.count else { return nil }
                entries.append(decimal(signExtend(readLittleEndian(blob, at: position + 1, size: size), bytes: size)))
                position += 1 + size
                previousStart = start
                previousLength = position - start
            }
        }
        let tail = Int(readLittleEndian(blob, at: 4, size: 4))
        guard position == blob.count - 1, declared == 65535 || declared == entries.count,
            tail == (previousStart < 0 ? 10 : previousStart)
        else { return nil }
        return entries
    }

    /// The members of an intset: width (u32: 2, 4 or 8), count (u32), sorted integers.
    static func intsetMembers(_ blob: UnsafeRawBufferPointer) -> [[UInt8]]? {
        guard blob.count >= 8 else { return nil }
        let width = Int(readLittleEndian(blob, at: 0, size: 4))
        let count = Int(readLittleEndian(blob, at: 4, size: 4))
        guard [2, 4, 8].contains(width), blob.count == 8 + width * count else { return nil }
        return (0..<count).map { index in
            decimal(signExtend(readLittleEndian(blob, at: 8 + index * width, size: width), bytes: width))
        }
    }

    // MARK: - Helpers

    /// The fields and values of a zipmap (the hash encoding of Redis before 2.6): a count
    /// byte, then per entry a length, the field, a length, a free-bytes count, the value and
    /// that many unused bytes; 255 ends it. A length is one byte below 254, else 254 and a
    /// 4-byte little-endian length.
    static func zipmapEntries(_ blob: UnsafeRawBufferPointer) -> [[UInt8]]? {
        guard blob.count >= 2 else { return nil }
        var offset = 1
        var entries: [[UInt8]] = []
        func length() -> Int? {
            guard offset < blob.count else { return nil }
            let first = blob[offset]
            if first < 254 {
                offset += 1
                return Int(first)
            }
            guard first == 254, offset + 5 <= blob.count else { return nil }
            let value = Int(readLittleEndian(blob, at: offset + 1, size: 4))
            offset += 5
            return value
        }
        while offset < blob.count && blob[offset] != 255 {
            guard let fieldLength = length(), let field = slice(blob, offset, fieldLength) else { return nil }
            offset += fieldLength
            guard let valueLength = length(), offset < blob.count else { return nil }
            let free = Int(blob[offset])
            offset += 1
            guard let value = slice(blob, offset, valueLength) else { return nil }
            offset += valueLength + free
            entries.append(field)
            entries.append(value)
        }
        guard offset == blob.count - 1, !entries.isEmpty else { return nil }
        return entries
    }

    static func readLittleEndian(_ blob: UnsafeRawBufferPointer, at offset: Int, size: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in (0..<size).reversed() { value = (value << 8) | UInt64(blob[offset + index]) }
        return value
    }

    private static func signExtend(_ value: UInt64, bytes: Int) -> Int64 {
        let shift = UInt64(64 - bytes * 8)
        return Int64(bitPattern: value << shift) >> Int64(shift)
    }

    private static func slice(_ blob: UnsafeRawBufferPointer, _ start: Int, _ length: Int) -> [UInt8]? {
        guard length >= 0, start >= 0, start + length <= blob.count else { return nil }
        return Array(UnsafeRawBufferPointer(rebasing: blob[start..<(start + length)]))
    }

    static func decimal(_ value: Int64) -> [UInt8] { Array(String(value).utf8) }
}
