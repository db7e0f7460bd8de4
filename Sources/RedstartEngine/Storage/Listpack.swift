// Redis's listpack format, built and read in place: a 6-byte header (total bytes
// u32, element count u16, 65535 meaning "count them"), the elements, and 0xFF.
// An element is an encoding byte (or two), its data, and a back-length (its size
// again, readable from the right) so the list can be walked both ways. Strings
// that are canonical 64-bit integers are stored as integers, in the smallest of
// seven widths. Streams keep their nodes in this format byte for byte, so that
// node sizes (and so node splits and approximate trimming) are Redis's, and RDB
// files carry them as they are.

#if canImport(Glibc)
import Glibc
#endif
import CRedstartShims
import RedstartRESP

/// A listpack in one bare malloc'ed block of its bytes and spare room, nothing in front
/// of them: a stream node fills its listpack up to stream-node-max-bytes (4 KB by
/// default), and an array's header before those 4 KB would put every full node in
/// jemalloc's 5 KB size class, a quarter more memory per entry than Redis. Its size is
/// its header's total-bytes field and its room what the allocator says
/// (malloc_usable_size), so the handle is one pointer.
///
/// Unmanaged, like an UnsafeMutablePointer: copies of a `Listpack` are the same bytes,
/// and whoever makes one calls `deallocate()` once when done (a stream's nodes are freed
/// by their StreamValue; a temporary by a `defer`). `copy()` makes an independent one.
struct Listpack {
    private(set) var base: UnsafeMutableRawPointer

    /// An empty listpack with room reserved for `capacity` bytes.
    init(reservingCapacity capacity: Int = 0) {
        base = Listpack.allocate(max(capacity, 7))
        for (offset, byte) in [7, 0, 0, 0, 0, 0, 0xFF as UInt8].enumerated() {
            base.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
        }
    }

    /// A listpack over bytes already checked to be one (RESTORE, RDB).
    init(validated bytes: [UInt8]) {
        precondition(bytes.count >= 7, "not a listpack")
        base = Listpack.allocate(bytes.count)
        bytes.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
    }

    private static func allocate(_ size: Int) -> UnsafeMutableRawPointer {
        guard let memory = malloc(size) else { fatalError("out of memory allocating a listpack") }
        return memory
    }

    /// Frees the bytes; no copy of this listpack may be used afterwards.
    func deallocate() { free(base) }

    /// An independent listpack with the same bytes.
    func copy() -> Listpack { withUnsafeBytes { Listpack(validated: Array($0)) } }

    /// The listpack's size in bytes (its header's total).
    var byteCount: Int { Int(UInt32(littleEndian: base.loadUnaligned(as: UInt32.self))) }

    /// Heap bytes the listpack holds: its block, spare room included.
    var allocatedBytes: Int { redstart_malloc_usable_size(base) }

    /// A copy of the listpack's bytes (DUMP, RDB files).
    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Calls `body` with the listpack's bytes (offsets count from its header).
    @inline(__always)
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: byteCount))
    }

    /// Offset of the first element (the terminator when empty).
    static let firstOffset = 6

    /// Makes room for `total` bytes, doubling the block when it grows so that appends
    /// stay amortised O(1).
    private mutating func reserve(_ total: Int) {
        let capacity = redstart_malloc_usable_size(base)
        guard total > capacity else { return }
        guard let memory = realloc(base, max(total, capacity * 2)) else { fatalError("out of memory growing a listpack") }
        base = memory
    }

    /// Gives back the room beyond the bytes (a stream node that is full).
    mutating func shrinkToFit() {
        let count = byteCount
        if redstart_malloc_usable_size(base) > count + 16, let memory = realloc(base, count) { base = memory }
    }

    @inline(__always)
    private func store(_ byte: UInt8, at offset: Int) { base.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self) }

    @inline(__always)
    private func load(_ offset: Int) -> UInt8 { base.load(fromByteOffset: offset, as: UInt8.self) }

    // MARK: - Appending

    mutating func append(integer value: Int64) {
        let start = byteCount - 1  // over the terminator
        reserve(start + 9 + 5 + 1)
        let size = Listpack.encodeInteger(value, to: base + start)
        finishAppend(at: start, size: size)
    }

    /// Appends a string, as an integer when it is one (Redis's lpAppend).
    mutating func append(_ raw: UnsafeRawBufferPointer) {
        if raw.count < 21, let number = parseRedisInteger(raw) {
            append(integer: number)
            return
        }
        let start = byteCount - 1  // over the terminator
        reserve(start + 5 + raw.count + 5 + 1)
        var size: Int
        if raw.count < 64 {
            store(0x80 | UInt8(raw.count), at: start)
            size = 1
        } else if raw.count < 4096 {
            store(0xE0 | UInt8(raw.count >> 8), at: start)
            store(UInt8(raw.count & 0xFF), at: start + 1)
            size = 2
        } else {
            store(0xF0, at: start)
            for index in 0..<4 { store(UInt8(truncatingIfNeeded: raw.count >> (index * 8)), at: start + 1 + index) }
            size = 5
        }
        if let source = raw.baseAddress, raw.count > 0 { (base + start + size).copyMemory(from: source, byteCount: raw.count) }
        size += raw.count
        finishAppend(at: start, size: size)
    }

    /// Ends an element of `size` bytes written at `start`: its back-length, the
    /// terminator, the header.
    private func finishAppend(at start: Int, size: Int) {
        let end = start + size + Listpack.writeBackLength(size, to: base + start + size)
        store(0xFF, at: end)
        updateHeader(total: end + 1, elementDelta: 1)
    }

    private func updateHeader(total: Int, elementDelta: Int) {
        base.storeBytes(of: UInt32(truncatingIfNeeded: total).littleEndian, as: UInt32.self)
        let count = Int(load(4)) | Int(load(5)) << 8
        if count != 65535 && elementDelta != 0 {
            let updated = count + elementDelta
            let stored = updated >= 65535 ? 65535 : updated
            store(UInt8(stored & 0xFF), at: 4)
            store(UInt8(stored >> 8), at: 5)
        }
    }

    /// Replaces the integer element at `offset` by `value` (the element may change size);
    /// returns how many bytes later the elements after it now start.
    @discardableResult
    mutating func replaceInteger(at offset: Int, with value: Int64) -> Int {
        // The common case: a 7-bit integer replaced by another (one byte, back-length 1).
        if value >= 0 && value < 128 && load(offset) & 0x80 == 0 {
            store(UInt8(value), at: offset)
            return 0
        }
        let total = byteCount
        let oldSize = withUnsafeBytes { Listpack.elementSize($0, at: offset) }
        return withUnsafeTemporaryAllocation(byteCount: 16, alignment: 1) { scratch in
            let encodedSize = Listpack.encodeInteger(value, to: scratch.baseAddress!)
            let size = encodedSize + Listpack.writeBackLength(encodedSize, to: scratch.baseAddress! + encodedSize)
            if size != oldSize {
                reserve(total + size - oldSize)
                memmove(base + offset + size, base + offset + oldSize, total - offset - oldSize)
            }
            (base + offset).copyMemory(from: scratch.baseAddress!, byteCount: size)
            if size != oldSize { updateHeader(total: total + size - oldSize, elementDelta: 0) }
            return size - oldSize
        }
    }

    /// Overwrites the one-byte integer element at `offset` (0...127) with another one.
    mutating func setSmallInteger(at offset: Int, to value: UInt8) {
        precondition(value < 128 && load(offset) & 0x80 == 0, "not a one-byte integer element")
        store(value, at: offset)
    }

    // MARK: - Encoding

    /// Writes `value`'s integer encoding (at most 9 bytes) at `out`; returns its size.
    static func encodeInteger(_ value: Int64, to out: UnsafeMutableRawPointer) -> Int {
        func littleEndian(_ tag: UInt8, bytes count: Int) -> Int {
            out.storeBytes(of: tag, as: UInt8.self)
            for index in 0..<count {
                out.storeBytes(of: UInt8(truncatingIfNeeded: value >> Int64(index * 8)), toByteOffset: 1 + index, as: UInt8.self)
            }
            return 1 + count
        }
        switch value {
        case 0...127:
            out.storeBytes(of: UInt8(value), as: UInt8.self)
            return 1
        case -4096...4095:
            let v = value < 0 ? value + (1 << 13) : value
            out.storeBytes(of: 0xC0 | UInt8(v >> 8), as: UInt8.self)
            out.storeBytes(of: UInt8(v & 0xFF), toByteOffset: 1, as: UInt8.self)
            return 2
        case -32768...32767: return littleEndian(0xF1, bytes: 2)
        case -8_388_608...8_388_607: return littleEndian(0xF2, bytes: 3)
        case -2_147_483_648...2_147_483_647: return littleEndian(0xF3, bytes: 4)
        default: return littleEndian(0xF4, bytes: 8)
        }
    }

    /// Writes the back-length of an element of `length` bytes (encoding and data) at
    /// `out`, so it can be read from its last byte (7 bits a byte, the high bit set where
    /// more follow); returns its size (at most 5).
    static func writeBackLength(_ length: Int, to out: UnsafeMutableRawPointer) -> Int {
        let size = backLengthSize(length)
        let l = UInt64(length)
        for index in 0..<size {
            let shift = UInt64(7 * (size - 1 - index))
            var byte = UInt8(truncatingIfNeeded: (l >> shift) & 127)
            if index > 0 { byte |= 128 }
            out.storeBytes(of: byte, toByteOffset: index, as: UInt8.self)
        }
        return size
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
            let matches = withUnsafeTemporaryAllocation(byteCount: 8, alignment: 1) { expected in
                _ = writeBackLength(size, to: expected.baseAddress!)
                return (0..<backLength).allSatisfy { raw[offset + size + $0] == expected[$0] }
            }
            guard matches else { return nil }
            offsets.append(offset)
            offset += size + backLength
        }
        guard offset == end else { return nil }
        if declared != 65535 && declared != offsets.count { return nil }
        return offsets
    }
}
