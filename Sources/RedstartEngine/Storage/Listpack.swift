// Redis's listpack format, built and read in place: a 6-byte header (total bytes
// u32, element count u16, 65535 meaning "count them"), the elements, and 0xFF.
// An element is an encoding byte (or two), its data, and a back-length (its size
// again, readable from the right) so the list can be walked both ways. Strings
// that are canonical 64-bit integers are stored as integers, in the smallest of
// seven widths. Streams keep their nodes in this format byte for byte, so that
// node sizes (and so node splits and approximate trimming) are Redis's, and RDB
// files carry them as they are.

import RedstartRESP

/// A listpack as bytes, with the operations streams need. Its storage starts with a
/// 16-byte prefix that belongs to the owner (a stream node keeps its master ID there, so
/// a node is one allocation of one word); offsets given to and returned by the listpack
/// count from the listpack's own first byte.
struct Listpack {
    /// Bytes before the listpack, the owner's.
    static let prefixSize = 16
    private var prefixSize: Int { Listpack.prefixSize }

    /// The prefix, then the listpack.
    private(set) var storage: [UInt8]

    /// An empty listpack after `prefix` (16 bytes; zeros by default), with room reserved
    /// for `capacity` listpack bytes.
    init(prefix: [UInt8] = [UInt8](repeating: 0, count: Listpack.prefixSize), reservingCapacity capacity: Int = 0) {
        precondition(prefix.count == Listpack.prefixSize)
        storage = prefix
        storage.reserveCapacity(prefix.count + max(capacity, 7))
        storage += [7, 0, 0, 0, 0, 0, 0xFF]
    }

    /// A listpack over bytes already checked to be one (RESTORE, RDB), after `prefix`.
    init(prefix: [UInt8], validated bytes: [UInt8]) {
        precondition(prefix.count == Listpack.prefixSize)
        storage = prefix + bytes
    }

    /// The listpack's size in bytes.
    var byteCount: Int { storage.count - prefixSize }

    /// A copy of the listpack's bytes (DUMP, RDB files).
    var bytes: [UInt8] { Array(storage[prefixSize...]) }

    /// Calls `body` with the listpack's bytes (offsets count from its header).
    @inline(__always)
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[prefixSize...])) }
    }

    /// Calls `body` with the owner's prefix.
    @inline(__always)
    func withPrefix<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<prefixSize])) }
    }

    /// Offset of the first element (the terminator when empty).
    static let firstOffset = 6

    /// Gives back the capacity beyond the bytes (a stream node that is full).
    mutating func shrinkToFit() {
        if storage.capacity > storage.count + 16 { storage = storage.withUnsafeBufferPointer { Array($0) } }
    }

    // MARK: - Appending

    mutating func append(integer value: Int64) {
        storage.removeLast()  // the terminator
        let start = storage.count
        Listpack.encodeInteger(value, into: &storage)
        finishAppend(from: start)
    }

    /// Appends a string, as an integer when it is one (Redis's lpAppend).
    mutating func append(_ raw: UnsafeRawBufferPointer) {
        if raw.count < 21, let number = parseRedisInteger(raw) {
            append(integer: number)
            return
        }
        storage.removeLast()  // the terminator
        let start = storage.count
        if raw.count < 64 {
            storage.append(0x80 | UInt8(raw.count))
        } else if raw.count < 4096 {
            storage.append(0xE0 | UInt8(raw.count >> 8))
            storage.append(UInt8(raw.count & 0xFF))
        } else {
            storage.append(0xF0)
            for shift in stride(from: 0, to: 32, by: 8) { storage.append(UInt8(truncatingIfNeeded: raw.count >> shift)) }
        }
        storage.append(contentsOf: raw)
        finishAppend(from: start)
    }

    /// Ends an element written from `start` on: its back-length, the terminator, the header.
    private mutating func finishAppend(from start: Int) {
        Listpack.appendBackLength(storage.count - start, into: &storage)
        storage.append(0xFF)
        updateHeader(elementDelta: 1)
    }

    private mutating func updateHeader(elementDelta: Int) {
        let total = UInt32(truncatingIfNeeded: byteCount)
        for index in 0..<4 { storage[prefixSize + index] = UInt8(truncatingIfNeeded: total >> UInt32(index * 8)) }
        let count = Int(storage[prefixSize + 4]) | Int(storage[prefixSize + 5]) << 8
        if count != 65535 && elementDelta != 0 {
            let updated = count + elementDelta
            let stored = updated >= 65535 ? 65535 : updated
            storage[prefixSize + 4] = UInt8(stored & 0xFF)
            storage[prefixSize + 5] = UInt8(stored >> 8)
        }
    }

    /// Replaces the integer element at `offset` by `value` (the element may change size);
    /// returns how many bytes later the elements after it now start.
    @discardableResult
    mutating func replaceInteger(at offset: Int, with value: Int64) -> Int {
        // The common case: a 7-bit integer replaced by another (one byte, back-length 1).
        let at = prefixSize + offset
        if value >= 0 && value < 128 && storage[at] & 0x80 == 0 {
            storage[at] = UInt8(value)
            return 0
        }
        var encoded: [UInt8] = []
        Listpack.encodeInteger(value, into: &encoded)
        Listpack.appendBackLength(encoded.count, into: &encoded)
        let oldSize = withUnsafeBytes { Listpack.elementSize($0, at: offset) }
        if oldSize == encoded.count {
            for index in 0..<encoded.count { storage[at + index] = encoded[index] }
            return 0
        }
        storage.replaceSubrange(at..<(at + oldSize), with: encoded)
        updateHeader(elementDelta: 0)
        return encoded.count - oldSize
    }

    /// Overwrites the one-byte integer element at `offset` (0...127) with another one.
    mutating func setSmallInteger(at offset: Int, to value: UInt8) {
        precondition(value < 128 && storage[prefixSize + offset] & 0x80 == 0, "not a one-byte integer element")
        storage[prefixSize + offset] = value
    }

    // MARK: - Encoding

    static func encodeInteger(_ value: Int64, into out: inout [UInt8]) {
        func littleEndian(_ v: Int64, bytes count: Int) {
            for index in 0..<count { out.append(UInt8(truncatingIfNeeded: v >> Int64(index * 8))) }
        }
        switch value {
        case 0...127:
            out.append(UInt8(value))
        case -4096...4095:
            let v = value < 0 ? value + (1 << 13) : value
            out.append(0xC0 | UInt8(v >> 8))
            out.append(UInt8(v & 0xFF))
        case -32768...32767:
            out.append(0xF1)
            littleEndian(value, bytes: 2)
        case -8_388_608...8_388_607:
            out.append(0xF2)
            littleEndian(value, bytes: 3)
        case -2_147_483_648...2_147_483_647:
            out.append(0xF3)
            littleEndian(value, bytes: 4)
        default:
            out.append(0xF4)
            littleEndian(value, bytes: 8)
        }
    }

    /// The back-length of an element of `length` bytes (encoding and data), written so it
    /// can be read from its last byte (7 bits a byte, high bit set where more follow).
    static func appendBackLength(_ length: Int, into out: inout [UInt8]) {
        let l = UInt64(length)
        if l <= 127 {
            out.append(UInt8(l))
        } else if l < 16383 {
            out.append(UInt8(l >> 7))
            out.append(UInt8(l & 127) | 128)
        } else if l < 2_097_151 {
            out.append(UInt8(l >> 14))
            out.append(UInt8((l >> 7) & 127) | 128)
            out.append(UInt8(l & 127) | 128)
        } else if l < 268_435_455 {
            out.append(UInt8(l >> 21))
            out.append(UInt8((l >> 14) & 127) | 128)
            out.append(UInt8((l >> 7) & 127) | 128)
            out.append(UInt8(l & 127) | 128)
        } else {
            out.append(UInt8(truncatingIfNeeded: l >> 28))
            out.append(UInt8((l >> 21) & 127) | 128)
            out.append(UInt8((l >> 14) & 127) | 128)
            out.append(UInt8((l >> 7) & 127) | 128)
            out.append(UInt8(l & 127) | 128)
        }
    }

    static func backLengthSize(_ length: Int) -> Int {
        if length <= 127 { return 1 }
        if length < 16383 { return 2 }
        if length < 2_097_151 { return 3 }
        if length < 268_435_455 { return 4 }
        return 5
    }

    // MARK: - Reading (bytes known to be a valid listpack)

    /// Encoding plus data size of the element at `offset`.
    @inline(__always)
    static func encodedSize(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Int {
        let first = raw[offset]
        if first & 0x80 == 0 { return 1 }
        if first & 0xC0 == 0x80 { return 1 + Int(first & 0x3F) }
        if first & 0xE0 == 0xC0 { return 2 }
        if first & 0xF0 == 0xE0 { return 2 + (Int(first & 0x0F) << 8 | Int(raw[offset + 1])) }
        switch first {
        case 0xF0: return 5 + Int(CompactEncodings.readLittleEndian(raw, at: offset + 1, size: 4))
        case 0xF1: return 3
        case 0xF2: return 4
        case 0xF3: return 5
        default: return 9  // 0xF4
        }
    }

    /// Whole size (encoding, data, back-length) of the element at `offset`.
    @inline(__always)
    static func elementSize(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Int {
        let size = encodedSize(raw, at: offset)
        return size + backLengthSize(size)
    }

    /// Offset of the element after the one at `offset` (the terminator's offset at the end).
    @inline(__always)
    static func next(_ raw: UnsafeRawBufferPointer, after offset: Int) -> Int {
        offset + elementSize(raw, at: offset)
    }

    /// Offset of the element before the one (or the terminator) at `offset`.
    static func previous(_ raw: UnsafeRawBufferPointer, before offset: Int) -> Int {
        var position = offset - 1
        var length = 0
        var shift = 0
        while true {
            let byte = raw[position]
            length |= Int(byte & 127) << shift
            if byte & 128 == 0 { break }
            shift += 7
            position -= 1
        }
        return position - length
    }

    /// Whether the element at `offset` is an integer, and its value.
    @inline(__always)
    static func integer(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Int64? {
        let first = raw[offset]
        if first & 0x80 == 0 { return Int64(first) }
        if first & 0xE0 == 0xC0 {
            let v = Int64(first & 0x1F) << 8 | Int64(raw[offset + 1])
            return v >= 1 << 12 ? v - (1 << 13) : v
        }
        let width: Int
        switch first {
        case 0xF1: width = 2
        case 0xF2: width = 3
        case 0xF3: width = 4
        case 0xF4: width = 8
        default: return nil
        }
        let value = CompactEncodings.readLittleEndian(raw, at: offset + 1, size: width)
        let shift = UInt64(64 - width * 8)
        return Int64(bitPattern: value << shift) >> Int64(shift)
    }

    /// Calls `body` with the element's bytes (an integer as its decimal text).
    @inline(__always)
    static func withBytes<R>(_ raw: UnsafeRawBufferPointer, at offset: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let number = integer(raw, at: offset) {
            var digits = DecimalDigits(number)
            return digits.withBytes(body)
        }
        let first = raw[offset]
        let header: Int
        if first & 0xC0 == 0x80 { header = 1 } else if first & 0xF0 == 0xE0 { header = 2 } else { header = 5 }
        let size = encodedSize(raw, at: offset)
        return body(UnsafeRawBufferPointer(rebasing: raw[(offset + header)..<(offset + size)]))
    }

    /// Whether the element at `offset` holds exactly `other` (Redis's lpCompare).
    static func equals(_ raw: UnsafeRawBufferPointer, at offset: Int, _ other: UnsafeRawBufferPointer) -> Bool {
        withBytes(raw, at: offset) { $0.elementsEqual(other) }
    }

    // MARK: - Validation (bytes from outside)

    /// The offsets of the elements of `raw` if it is a well-formed listpack (the header's
    /// size and count agree, every element fits and its back-length matches, 0xFF ends it),
    /// else nil. Redis's lpValidateIntegrity, deep.
    static func validatedElements(_ raw: UnsafeRawBufferPointer) -> [Int]? {
        guard raw.count >= 7, raw[raw.count - 1] == 0xFF else { return nil }
        let total = Int(CompactEncodings.readLittleEndian(raw, at: 0, size: 4))
        guard total == raw.count else { return nil }
        let declared = Int(raw[4]) | Int(raw[5]) << 8
        var offsets: [Int] = []
        var offset = firstOffset
        let end = raw.count - 1
        while offset < end {
            let first = raw[offset]
            // The encoding's own header must fit before its size is read.
            let headerSize: Int
            if first & 0x80 == 0 || first & 0xC0 == 0x80 {
                headerSize = 1
            } else if first & 0xE0 == 0xC0 || first & 0xF0 == 0xE0 {
                headerSize = 2
            } else {
                switch first {
                case 0xF0: headerSize = 5
                case 0xF1, 0xF2, 0xF3, 0xF4: headerSize = 1
                default: return nil
                }
            }
            guard end - offset >= headerSize else { return nil }
            let size = encodedSize(raw, at: offset)
            let backLength = backLengthSize(size)
            guard size <= end - offset, backLength <= end - offset - size else { return nil }
            // The back-length, read from its last byte, must give the size again.
            var expected: [UInt8] = []
            appendBackLength(size, into: &expected)
            for index in 0..<backLength where raw[offset + size + index] != expected[index] { return nil }
            offsets.append(offset)
            offset += size + backLength
        }
        guard offset == end else { return nil }
        if declared != 65535 && declared != offsets.count { return nil }
        return offsets
    }
}
