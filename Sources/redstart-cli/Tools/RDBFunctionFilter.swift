// Cuts a snapshot down to its functions as the stream arrives, for --functions-rdb
// against a server that cannot filter it (REPLCONF rdb-filter-only). What a Redis 7
// RDB holds before its first database is kept byte for byte (the "REDIS0010" header,
// AUX fields, module AUX data, FUNCTION2 libraries); at the first database opcode (or
// the end) the output is closed with the EOF opcode and the CRC-64 of everything before
// it, which is the file `REPLCONF rdb-filter-only functions` makes a server send.
// Items are parsed only for their length; an item is held until it has fully arrived,
// and everything after the cut is dropped, so memory stays at the largest item.

struct RDBFunctionFilter {
    private var pending: [UInt8] = []
    private var checksum = CRC64()
    private(set) var length: UInt64 = 0
    private(set) var isFinished = false
    private var headerDone = false

    /// The bytes to write for `chunk` (possibly none yet).
    mutating func feed(_ chunk: [UInt8]) -> [UInt8] {
        guard !isFinished else { return [] }
        pending += chunk
        var out: [UInt8] = []
        while !isFinished {
            if !headerDone {
                guard pending.count >= 9 else { break }
                headerDone = true
                out += take(9)
                continue
            }
            guard let opcode = pending.first else { break }
            let size: Int?
            switch opcode {
            case 0xFA: size = RDBItemSize.aux(pending)
            case 0xF5: size = RDBItemSize.function(pending)
            case 0xF7: size = RDBItemSize.moduleAux(pending)
            default:
                // A database, a key or the end: the functions are all behind us.
                out += close()
                continue
            }
            guard let size else { break }  // not all there yet
            out += take(size)
        }
        return out
    }

    /// The closing bytes if the stream ended before the filter could close it.
    mutating func finish() -> [UInt8] {
        isFinished ? [] : close()
    }

    private mutating func take(_ count: Int) -> [UInt8] {
        let bytes = Array(pending.prefix(count))
        pending.removeFirst(count)
        checksum.update(bytes)
        length += UInt64(count)
        return bytes
    }

    private mutating func close() -> [UInt8] {
        isFinished = true
        pending = []
        checksum.update([0xFF])
        var out: [UInt8] = [0xFF]
        var value = checksum.value
        for _ in 0..<8 {
            out.append(UInt8(truncatingIfNeeded: value))
            value >>= 8
        }
        length += 9
        return out
    }
}

/// The sizes of the RDB items that come before the databases; nil when `bytes` does not
/// hold the whole item yet.
enum RDBItemSize {
    /// AUX: opcode, key string, value string.
    static func aux(_ bytes: [UInt8]) -> Int? {
        guard let key = string(bytes, at: 1), let value = string(bytes, at: 1 + key) else { return nil }
        return 1 + key + value
    }

    /// FUNCTION2: opcode, the library's code as a string.
    static func function(_ bytes: [UInt8]) -> Int? {
        string(bytes, at: 1).map { 1 + $0 }
    }

    /// MODULE_AUX: opcode, module id, when, then typed values up to the EOF opcode (0).
    static func moduleAux(_ bytes: [UInt8]) -> Int? {
        guard let id = length(bytes, at: 1), let when = length(bytes, at: 1 + id.size) else { return nil }
        var position = 1 + id.size + when.size
        while true {
            guard let opcode = length(bytes, at: position) else { return nil }
            position += opcode.size
            switch opcode.value {
            case 0: return position <= bytes.count ? position : nil
            case 1, 2:  // signed, unsigned integer
                guard let value = length(bytes, at: position) else { return nil }
                position += value.size
            case 3: position += 4  // float
            case 4: position += 8  // double
            case 5:
                guard let value = string(bytes, at: position) else { return nil }
                position += value
            default: return nil
            }
            if position > bytes.count { return nil }
        }
    }

    /// The bytes of a string at `position` (its length encoding included).
    static func string(_ bytes: [UInt8], at position: Int) -> Int? {
        guard position < bytes.count else { return nil }
        let first = bytes[position]
        if first >> 6 == 3 {
            switch first & 0x3F {
            case 0: return fits(bytes, position, 2)  // 8-bit integer
            case 1: return fits(bytes, position, 3)  // 16-bit integer
            case 2: return fits(bytes, position, 5)  // 32-bit integer
            case 3:  // LZF: compressed length, original length, compressed bytes
                guard let compressed = length(bytes, at: position + 1),
                    let original = length(bytes, at: position + 1 + compressed.size)
                else { return nil }
                return fits(bytes, position, 1 + compressed.size + original.size + Int(compressed.value))
            default: return nil
            }
        }
        guard let header = length(bytes, at: position) else { return nil }
        return fits(bytes, position, header.size + Int(header.value))
    }

    /// A length encoding at `position`: its value and how many bytes it takes.
    static func length(_ bytes: [UInt8], at position: Int) -> (value: UInt64, size: Int)? {
        guard position < bytes.count else { return nil }
        let first = bytes[position]
        switch first >> 6 {
        case 0: return (UInt64(first & 0x3F), 1)
        case 1:
            guard position + 1 < bytes.count else { return nil }
            return (UInt64(first & 0x3F) << 8 | UInt64(bytes[position + 1]), 2)
        default:
            let width = first == 0x80 ? 4 : first == 0x81 ? 8 : 0
            guard width > 0, position + width < bytes.count else { return nil }
            let value = bytes[(position + 1)...(position + width)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return (value, 1 + width)
        }
    }

    private static func fits(_ bytes: [UInt8], _ position: Int, _ size: Int) -> Int? {
        position + size <= bytes.count ? size : nil
    }
}

/// CRC-64 as RDB files carry it (Jones polynomial, reflected, initial value 0).
struct CRC64 {
    private(set) var value: UInt64 = 0

    private static let table: [UInt64] = (0..<256).map { index in
        var crc = UInt64(index)
        for _ in 0..<8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ 0x95AC_9329_AC4B_C9B5 : crc >> 1
        }
        return crc
    }

    mutating func update(_ bytes: [UInt8]) {
        for byte in bytes {
            value = Self.table[Int(UInt8(truncatingIfNeeded: value) ^ byte)] ^ (value >> 8)
        }
    }
}
