// The small form of sets, sorted sets and hashes (the part Redis's listpack and
// intset play): byte strings packed one after another in one malloc'd block,
// each as [length, LEB128][bytes], so an entry of up to 127 bytes costs one
// byte more than its bytes and a collection of five short members is one block
// of about a hundred bytes. The block's capacity is malloc's usable size; it
// grows by a quarter through realloc. Walks go forward; a position is a byte
// offset. The same block can instead hold integers of one width
// (PackedEntries+Integers.swift).
//
// A plain struct of 16 bytes, no reference counting: the owning object frees the
// block in its deinit (`deallocate()`), and copies are made with `copy()`. Once a
// collection outgrows the small form, the same 16 bytes hold the reference of its
// large form instead (`hold`, `heldObject`).

import CRedstartShims

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct PackedEntries {
    /// The block, or nil while nothing was ever stored.
    private(set) var base: UnsafeMutableRawPointer?
    /// Bytes used from the start of the block.
    private(set) var used: UInt32 = 0
    /// Entries stored.
    private(set) var entryCount: UInt32 = 0

    init() {}

    var count: Int { Int(entryCount & ~Self.ownerMark) }
    var byteCount: Int { Int(used) }
    var isEmpty: Bool { count == 0 }

    /// A bit of the entry count the owner may set to tell two small forms apart (a set's
    /// strings from its integers); no entry count reaches it, and it survives changes.
    private static let ownerMark: UInt32 = 1 << 31

    /// Whether the owner's mark is set (never while the large form is held).
    var isMarked: Bool {
        get { entryCount != Self.holdingObject && entryCount & Self.ownerMark != 0 }
        set {
            precondition(entryCount != Self.holdingObject, "marking the place of a large form")
            entryCount = newValue ? entryCount | Self.ownerMark : entryCount & ~Self.ownerMark
        }
    }

    /// Bytes the block can hold.
    var capacity: Int { base.map { redstart_malloc_usable_size($0) } ?? 0 }

    /// Frees the block, or releases the large form held in its place (the owner's deinit).
    func deallocate() {
        if entryCount == Self.holdingObject {
            Unmanaged<AnyObject>.fromOpaque(base!).release()
        } else {
            free(base)
        }
    }

    // MARK: - The large form in the block's place

    /// The entry count that marks `base` as a retained object rather than a block.
    private static let holdingObject = UInt32.max

    /// The object held in the block's place (a collection's large form, which has no
    /// packed entries), or nil. Keeping it here rather than in a field of its own keeps the
    /// owning object at 32 bytes, an allocation class of its own (the field would make it 48).
    @inline(__always)
    func heldObject<Object: AnyObject>(as type: Object.Type) -> Object? {
        guard entryCount == Self.holdingObject else { return nil }
        return Unmanaged<Object>.fromOpaque(base!).takeUnretainedValue()
    }

    /// Puts `object` in the block's place (the block, if any, is freed: its entries must have
    /// been moved to the object), or with nil empties the place again.
    mutating func hold(_ object: AnyObject?) {
        deallocate()
        base = object.map { Unmanaged.passRetained($0).toOpaque() }
        used = 0
        entryCount = object == nil ? 0 : Self.holdingObject
    }

    /// An independent copy of the entries.
    func copy() -> PackedEntries {
        var other = PackedEntries()
        guard let base, used > 0 else { return other }
        other.base = malloc(Int(used))
        other.base!.copyMemory(from: base, byteCount: Int(used))
        other.used = used
        other.entryCount = entryCount
        return other
    }

    // MARK: - Encoding

    /// Bytes an entry of `length` bytes occupies.
    @inline(__always)
    static func entrySize(_ length: Int) -> Int { length + LEB128.size(length) }

    /// The entry at `offset`: where its bytes start, their length, and the next entry's offset.
    @inline(__always)
    func entry(at offset: Int) -> (data: Int, length: Int, next: Int) {
        let (length, position) = LEB128.read(from: base!, at: offset)
        return (position, length, position + length)
    }

    /// The bytes of the entry at `offset`.
    @inline(__always)
    func bytes(at offset: Int) -> UnsafeRawBufferPointer {
        let (data, length, _) = entry(at: offset)
        return UnsafeRawBufferPointer(start: base! + data, count: length)
    }

    /// The offset just past the entry at `offset`.
    @inline(__always)
    func next(after offset: Int) -> Int { entry(at: offset).next }

    /// The offset of entry `index` (0..<count), walking from the start.
    func offset(ofEntry index: Int) -> Int {
        var offset = 0
        for _ in 0..<index { offset = next(after: offset) }
        return offset
    }

    /// Whether the entry at `offset` holds exactly `bytes`.
    @inline(__always)
    func entry(at offset: Int, equals bytes: UnsafeRawBufferPointer) -> Bool {
        let (data, length, _) = entry(at: offset)
        return length == bytes.count && (length == 0 || memcmp(base! + data, bytes.baseAddress!, length) == 0)
    }

    /// The first of every `step` entries (a member, a field) that holds `bytes`: its offset
    /// and its position among those entries.
    func find(_ bytes: UnsafeRawBufferPointer, every step: Int) -> (offset: Int, position: Int)? {
        var offset = 0
        var position = 0
        let end = Int(used)
        while offset < end {
            if entry(at: offset, equals: bytes) { return (offset, position) }
            offset = next(after: offset)
            for _ in 1..<step { offset = next(after: offset) }
            position += 1
        }
        return nil
    }

    /// Calls `body` with the offset of every entry, in order, until it returns false.
    @inline(__always)
    func walk(_ body: (Int) throws -> Bool) rethrows {
        var offset = 0
        let end = Int(used)
        while offset < end {
            let following = next(after: offset)
            if try !body(offset) { return }
            offset = following
        }
    }

    // MARK: - Changes

    /// Makes room for `extra` more bytes: the block grows to the bytes plus a quarter.
    mutating func reserve(_ extra: Int) {
        let needed = Int(used) + extra
        guard needed > capacity else { return }
        grow(to: needed + (extra == needed ? 0 : Int(used) / 4))
    }

    /// Sizes an empty block for exactly `bytes` (a collection created with its contents).
    mutating func reserveExactly(_ bytes: Int) {
        guard bytes > capacity else { return }
        grow(to: bytes)
    }

    private mutating func grow(to size: Int) {
        guard let grown = realloc(base, max(size, 8)) else { fatalError("out of memory growing a packed collection to \(size) bytes") }
        base = grown
    }

    /// Gives back room beyond the bytes when it is more than a quarter of them (after removals).
    mutating func shrinkIfSparse() {
        guard let base else { return }
        if used == 0 {
            free(base)
            self.base = nil
            return
        }
        if capacity - Int(used) > max(16, Int(used) / 4), let smaller = realloc(base, Int(used)) { self.base = smaller }
    }

    /// Writes an entry at `offset` (room made); returns the offset past it.
    @discardableResult
    private func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int {
        let position = LEB128.write(bytes.count, to: base!, at: offset)
        if bytes.count > 0 { (base! + position).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        return position + bytes.count
    }

    /// Inserts `first` (and `second`, for a pair) as new entries at `offset`.
    mutating func insert(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer? = nil, at offset: Int) {
        let size = Self.entrySize(first.count) + (second.map { Self.entrySize($0.count) } ?? 0)
        reserve(size)
        let tail = Int(used) - offset
        if tail > 0 { (base! + offset + size).copyMemory(from: base! + offset, byteCount: tail) }
        let middle = write(first, at: offset)
        if let second { write(second, at: middle) }
        used += UInt32(size)
        entryCount += second == nil ? 1 : 2
    }

    /// Adds `first` (and `second`) at the end.
    mutating func append(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer? = nil) {
        insert(first, second, at: Int(used))
    }

    /// Removes the `entries` entries between `start` and `end`.
    mutating func remove(from start: Int, to end: Int, entries: Int) {
        let tail = Int(used) - end
        if tail > 0 { (base! + start).copyMemory(from: base! + end, byteCount: tail) }
        used -= UInt32(end - start)
        entryCount -= UInt32(entries)
        shrinkIfSparse()
    }

    /// Replaces the entry at `offset` with `bytes`.
    mutating func replace(at offset: Int, with bytes: UnsafeRawBufferPointer) {
        let end = next(after: offset)
        let delta = Self.entrySize(bytes.count) - (end - offset)
        if delta > 0 { reserve(delta) }
        let tail = Int(used) - end
        if delta != 0 && tail > 0 { (base! + end + delta).copyMemory(from: base! + end, byteCount: tail) }
        write(bytes, at: offset)
        used = UInt32(Int(used) + delta)
        if delta < 0 { shrinkIfSparse() }
    }

    /// Sets the layout after integers were written in place (PackedEntries+Integers.swift).
    mutating func setIntegerLayout(count: Int, width: Int) {
        entryCount = UInt32(count) | (entryCount & Self.ownerMark)
        used = UInt32(count * width)
    }

    /// Removes every entry (the block stays).
    mutating func removeAll() {
        used = 0
        entryCount &= Self.ownerMark
    }
}
