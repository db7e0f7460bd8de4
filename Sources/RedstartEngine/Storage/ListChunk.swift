// A run of list elements packed into one buffer, the unit a ChunkedList is made
// of (Redis's listpack inside a quicklist node). Each element is stored as
//   [length, LEB128] [bytes] [length, LEB128 written backwards]
// so the chunk can be walked from either end without an index, and an element
// of a few bytes costs two bytes of overhead. The live bytes sit between `head`
// and `tail` with free room on both sides, so pushes at either end are
// amortized O(1); changes in the middle move bytes within the chunk only.

/// A packed run of list elements.
final class ListChunk {
    @exclusivity(unchecked) private(set) var base: UnsafeMutableRawPointer
    // Sizes and offsets are stored in 32 bits (a chunk is at most 64 KB, or one element
    // of at most 512 MB): the object is 48 bytes, which every list pays once or more.
    @exclusivity(unchecked) private var storedCapacity: Int32
    @exclusivity(unchecked) private var storedHead: Int32
    @exclusivity(unchecked) private var storedTail: Int32
    @exclusivity(unchecked) private var storedCount: Int32 = 0

    private(set) var capacity: Int {
        get { Int(storedCapacity) }
        set { storedCapacity = Int32(newValue) }
    }
    /// Offset of the first element's first byte.
    private(set) var head: Int {
        get { Int(storedHead) }
        set { storedHead = Int32(newValue) }
    }
    /// Offset just past the last element.
    private(set) var tail: Int {
        get { Int(storedTail) }
        set { storedTail = Int32(newValue) }
    }
    /// Number of elements.
    private(set) var count: Int {
        get { Int(storedCount) }
        set { storedCount = Int32(newValue) }
    }

    /// An empty chunk with room for `capacity` bytes, placed for growth at the front
    /// (`atFront`) or at the back.
    init(capacity: Int, growingAtFront atFront: Bool) {
        let size = max(capacity, 16)
        storedCapacity = Int32(size)
        base = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 1)
        storedHead = atFront ? Int32(size) : 0
        storedTail = storedHead
    }

    deinit { base.deallocate() }

    // MARK: - Compression (list-compress-depth)

    // While compressed, `base` holds the LZF bytes and `capacity` is minus their length;
    // `head` and `tail` keep their values (`byteCount` stays right). No field is added
    // for it: the chunk object stays 48 bytes.

    /// Compression was tried on the present contents and did not pay.
    @exclusivity(unchecked) private var resistsCompression = false
    /// Holds one large element and takes no other (Redis's PLAIN quicklist node).
    @exclusivity(unchecked) var isPlain = false

    var isCompressed: Bool { capacity < 0 }

    /// Compresses the elements when that saves more than 8 bytes; a chunk under 48 bytes,
    /// or one that did not shrink since it last changed, is left as it is (Redis's rules).
    func compress() {
        guard capacity >= 0, !resistsCompression, byteCount >= 48 else { return }
        guard let result = LZF.compress(UnsafeRawBufferPointer(start: base + head, count: byteCount)),
            result.count + 8 < byteCount
        else {
            resistsCompression = true
            return
        }
        base.deallocate()
        base = UnsafeMutableRawPointer.allocate(byteCount: result.count, alignment: 1)
        result.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        capacity = -result.count
    }

    /// Brings the elements back into a buffer of their size (plus room to grow), from offset 0.
    func decompress() {
        guard capacity < 0 else { return }
        let used = byteCount
        let restored = LZF.decompress(UnsafeRawBufferPointer(start: base, count: -capacity), length: used)
        precondition(restored != nil, "a list chunk's own compressed bytes did not decompress")
        base.deallocate()
        capacity = max(used + used / 8, 16)
        base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 1)
        restored!.withUnsafeBytes { if used > 0 { base.copyMemory(from: $0.baseAddress!, byteCount: used) } }
        head = 0
        tail = used
        // Unchanged contents: compressing them again pays as it did before.
        resistsCompression = false
    }

    /// The contents are about to change: compression must be judged again.
    @inline(__always)
    private func willChange() {
        assert(capacity >= 0, "a compressed list chunk was changed")
        resistsCompression = false
    }

    /// Bytes used by the elements.
    var byteCount: Int { tail - head }
    var isEmpty: Bool { count == 0 }

    // MARK: - Encoding

    /// Bytes a length takes in LEB128.
    @inline(__always)
    static func lengthSize(_ length: Int) -> Int { LEB128.size(length) }

    /// Bytes an element of `length` bytes occupies.
    @inline(__always)
    static func entrySize(_ length: Int) -> Int { length + 2 * lengthSize(length) }

    /// Writes the element at `offset`; returns the offset past it.
    @discardableResult
    private func writeEntry(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int {
        var position = LEB128.write(bytes.count, to: base, at: offset)
        if let source = bytes.baseAddress, bytes.count > 0 {
            (base + position).copyMemory(from: source, byteCount: bytes.count)
        }
        position += bytes.count
        // The trailing length, read backwards: the last byte holds the lowest 7 bits.
        let size = Self.lengthSize(bytes.count)
        var rest = bytes.count
        for index in 0..<size {
            let more: UInt8 = index == size - 1 ? 0 : 0x80
            base.storeBytes(
                of: UInt8(truncatingIfNeeded: rest & 0x7f) | more, toByteOffset: position + size - 1 - index,
                as: UInt8.self)
            rest >>= 7
        }
        return position + size
    }

    /// The element starting at `offset`: where its bytes are, how many, and where the next begins.
    @inline(__always)
    func entry(at offset: Int) -> (data: Int, length: Int, next: Int) {
        let (length, position) = LEB128.read(from: base, at: offset)
        return (position, length, position + length + Self.lengthSize(length))
    }

    /// The start of the element that ends at `end`.
    @inline(__always)
    func entryStart(endingAt end: Int) -> Int {
        var position = end - 1
        var length = 0
        var shift = 0
        while true {
            let byte = base.load(fromByteOffset: position, as: UInt8.self)
            length |= Int(byte & 0x7f) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
            position -= 1
        }
        return end - Self.entrySize(length)
    }

    /// The bytes of the element starting at `offset`.
    @inline(__always)
    func bytes(at offset: Int) -> UnsafeRawBufferPointer {
        let (data, length, _) = entry(at: offset)
        return UnsafeRawBufferPointer(start: base + data, count: length)
    }

    // MARK: - Room

    /// Makes room for `needed` more bytes at the front or at the back. When the buffer is
    /// at most half full the bytes are moved to its middle instead of growing it (a queue
    /// pushed at one end and popped at the other walks through its buffer); otherwise it
    /// doubles, up to `limit` (the list's chunk budget: a chunk that may hold 8 KB is never
    /// a 16 KB buffer), past which the bytes move within the buffer while it has room.
    /// Either way the growing side gets `needed` plus half of the spare room and the other
    /// side the other half, so alternating ends never starve each other.
    private func reserve(_ needed: Int, atFront: Bool, limit: Int) {
        if atFront ? head >= needed : capacity - tail >= needed { return }
        let used = byteCount
        let recenter = used + needed <= capacity / 2 || (capacity >= limit && used + needed <= capacity)
        let newCapacity = recenter ? capacity : min(max(capacity * 2, used + needed + 16), max(limit, used + needed))
        let spare = newCapacity - used - needed
        let newHead = atFront ? needed + spare / 2 : spare / 2
        if recenter {
            (base + newHead).copyMemory(from: base + head, byteCount: used)
        } else {
            let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 1)
            (newBase + newHead).copyMemory(from: base + head, byteCount: used)
            base.deallocate()
            base = newBase
            capacity = newCapacity
        }
        head = newHead
        tail = newHead + used
    }

    // MARK: - Changes at the ends

    /// Adds an element at the back; `limit` caps the buffer's growth (see `reserve`).
    func append(_ bytes: UnsafeRawBufferPointer, limit: Int = .max) {
        willChange()
        reserve(Self.entrySize(bytes.count), atFront: false, limit: limit)
        tail = writeEntry(bytes, at: tail)
        count += 1
    }

    /// Adds an element at the front; `limit` caps the buffer's growth (see `reserve`).
    func prepend(_ bytes: UnsafeRawBufferPointer, limit: Int = .max) {
        willChange()
        let size = Self.entrySize(bytes.count)
        reserve(size, atFront: true, limit: limit)
        head -= size
        writeEntry(bytes, at: head)
        count += 1
    }

    /// Removes the first `n` elements (at most `count`).
    func removeFirst(_ n: Int) {
        willChange()
        var remaining = min(n, count)
        count -= remaining
        while remaining > 0 {
            head = entry(at: head).next
            remaining -= 1
        }
        if count == 0 { head = tail }
    }

    /// Removes the last `n` elements (at most `count`).
    func removeLast(_ n: Int) {
        willChange()
        var remaining = min(n, count)
        count -= remaining
        while remaining > 0 {
            tail = entryStart(endingAt: tail)
            remaining -= 1
        }
        if count == 0 { tail = head }
    }

    // MARK: - Changes in the middle

    /// Replaces the bytes in `range` (whole elements, `removed` of them) with the
    /// element `bytes`, or with nothing. Moves whichever side of the range is shorter.
    func replace(_ range: Range<Int>, removing removed: Int, with bytes: UnsafeRawBufferPointer?, limit: Int = .max) {
        willChange()
        let newSize = bytes.map { Self.entrySize($0.count) } ?? 0
        let delta = newSize - range.count
        let before = range.lowerBound - head
        let after = tail - range.upperBound
        var start = range.lowerBound
        if delta > 0 && head >= delta && (before < after || capacity - tail < delta) {
            // Grow towards the front: the elements before the range move back by `delta`.
            (base + head - delta).copyMemory(from: base + head, byteCount: before)
            head -= delta
            start -= delta
        } else {
            if delta > 0 && capacity - tail < delta {
                reserve(delta, atFront: false, limit: limit)
                start = head + before
            }
            if delta != 0 && after > 0 {
                (base + start + range.count + delta).copyMemory(from: base + start + range.count, byteCount: after)
            }
            tail += delta
        }
        if let bytes { writeEntry(bytes, at: start) }
        count += (bytes == nil ? 0 : 1) - removed
        if count == 0 { tail = head }
    }

    /// Moves the elements from `offset` to the end into a new chunk (splitting a full chunk).
    func split(at offset: Int, elementsBefore: Int) -> ListChunk {
        willChange()
        let moved = tail - offset
        let other = ListChunk(capacity: moved + 16, growingAtFront: false)
        (other.base).copyMemory(from: base + offset, byteCount: moved)
        other.tail = moved
        other.count = count - elementsBefore
        tail = offset
        count = elementsBefore
        return other
    }

    /// Bytes held, for MEMORY USAGE.
    var allocatedBytes: Int { mallocSize(abs(capacity)) + 64 }
}
