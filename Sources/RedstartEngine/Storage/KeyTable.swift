// The key table of a database: a chained hash table over an EntryArena, grown
// and shrunk by incremental rehashing (two bucket arrays while a rehash is in
// progress, a few buckets moved per operation and more per cron tick), so no
// single command pays an O(n) resize. Iteration uses Redis's reverse-binary
// cursor (KeyTable+Scan.swift), which keeps SCAN's guarantee across resizes.
// Invariants: every live entry is in exactly one bucket chain; while
// rehashing, buckets of `tables.0` below `rehashIndex` are empty.

import CRedstartShims

#if canImport(Glibc)
import Glibc
#endif

/// A bucket array: chain heads for a power-of-two size, holding `entry index + 1`
/// (0 = empty), so that zeroed memory from calloc is an empty array with no
/// initializing pass. Pages of a big array are faulted in ahead of use by
/// `prefault` (see KeyTable.growIfNeeded).
struct BucketArray {
    private let heads: UnsafeMutablePointer<Int32>
    let size: Int
    var used = 0

    var mask: Int { size - 1 }

    /// Buckets per 4 KB page.
    static let bucketsPerPage = 4096 / MemoryLayout<Int32>.stride

    init(size: Int) {
        self.size = size
        guard let memory = calloc(size, MemoryLayout<Int32>.stride) else { fatalError("out of memory for \(size) buckets") }
        heads = memory.bindMemory(to: Int32.self, capacity: size)
    }

    /// Touches page `page` so that the kernel maps it now, not at the first random access.
    func prefault(page: Int) {
        heads[page * Self.bucketsPerPage] = 0
    }

    /// The number of pages.
    var pageCount: Int { (size + Self.bucketsPerPage - 1) / Self.bucketsPerPage }

    /// The first entry of bucket `bucket`, or -1.
    @inline(__always)
    subscript(bucket: Int) -> Int32 {
        get { heads[bucket] - 1 }
        nonmutating set { heads[bucket] = newValue + 1 }
    }

    /// Starts loading bucket `bucket`'s cache line.
    @inline(__always)
    func prefetch(bucket: Int) { redstart_prefetch(heads + bucket) }

    func deallocate() { free(heads) }
}

/// Keys and their values, for one database.
public final class KeyTable {
    static let initialSize = 4
    /// Below this fill (percent) the table shrinks, as Redis's HASHTABLE_MIN_FILL.
    static let minimumFillPercent = 10

    /// Random picks for RANDOMKEY and eviction sampling.
    @exclusivity(unchecked) private var random = FastRandom()
    @exclusivity(unchecked) var arena = EntryArena()
    /// The main bucket array, and the one being rehashed into.
    @exclusivity(unchecked) var main: BucketArray?
    @exclusivity(unchecked) var target: BucketArray?
    /// The next bucket of `main` to move, while rehashing.
    @exclusivity(unchecked) var rehashIndex = 0
    /// A big array being faulted in before the rehash into it starts, and how many of its
    /// pages are done: the first random touches of a fresh 64 MB array would otherwise be
    /// thousands of page faults inside a few commands (measured: 20 ms stalls at 8M keys).
    @exclusivity(unchecked) var pending: BucketArray?
    @exclusivity(unchecked) var pendingPages = 0
    @exclusivity(unchecked) var insertsSincePrefault = 0
    /// While a snapshot is written: the entries it has not written yet (see
    /// Persistence/DatasetSnapshot.swift), and the database the table belonged to when
    /// the snapshot began.
    @exclusivity(unchecked) var unsaved: SlotBitmap?
    @exclusivity(unchecked) var snapshotDatabase = 0
    /// Arrays smaller than this many buckets (1 MB) start rehashing at once.
    static let prefaultThreshold = 1 << 18

    /// Asked, with the new bucket array's bytes, before a table not yet over Redis's
    /// HASHTABLE_MAX_LOAD_FACTOR (1.618 keys per bucket) grows: false while the growth
    /// would take the server past maxmemory (Redis's dictExpandAllowed), so that the
    /// rehash does not evict keys. Fuller tables grow regardless.
    @exclusivity(unchecked) var mayGrow: ((Int) -> Bool)?

    public init() {}

    deinit { removeAll() }

    /// The number of keys.
    public var count: Int { (main?.used ?? 0) + (target?.used ?? 0) }

    /// Whether a rehash is in progress (or being prepared).
    public var isRehashing: Bool { target != nil || pending != nil }

    /// The number of buckets (both arrays while rehashing).
    public var bucketCount: Int { (main?.size ?? 0) + (target?.size ?? 0) + (pending?.size ?? 0) }

    // MARK: - Lookup

    /// The index of the entry for `key`, or nil.
    public func find(_ key: UnsafeRawBufferPointer) -> Int32? {
        guard main != nil else { return nil }
        if target != nil { rehash(steps: 1) }
        let hash = KeyHash.hash(key)
        if let index = search(main!, hash: hash, key) { return index }
        if let target, let index = search(target, hash: hash, key) { return index }
        return nil
    }

    @inline(__always)
    private func search(_ table: BucketArray, hash: UInt64, _ key: UnsafeRawBufferPointer) -> Int32? {
        var index = table[Int(truncatingIfNeeded: hash) & table.mask]
        let tag = KeyEntry.tag(hash)
        while index >= 0 {
            let entry = arena.pointer(index)
            if entry.pointee.hashTag == tag && entry.pointee.key.equals(key) { return index }
            index = entry.pointee.next
        }
        return nil
    }

    /// The entry at `index` (from `find` or an insert), for reading and writing in place.
    @inline(__always)
    func entry(_ index: Int32) -> UnsafeMutablePointer<KeyEntry> { arena.pointer(index) }

    // MARK: - Insert and remove

    /// Adds a key that is not in the table yet; returns its entry index.
    @discardableResult
    public func insert(_ key: UnsafeRawBufferPointer, _ value: Value, clock: UInt32 = 0) -> Int32 {
        insert(ByteString(key), hash: KeyHash.hash(key), value, clock: clock)
    }

    /// Adds a key (already hashed) that is not in the table yet.
    func insert(_ key: ByteString, hash: UInt64, _ value: Value, clock: UInt32) -> Int32 {
        if main == nil { main = BucketArray(size: Self.initialSize) }
        if target != nil { rehash(steps: 1) }
        growIfNeeded()
        let index = arena.allocate(
            KeyEntry(key: key, hash: hash, value: value, clock: clock))
        // New keys go to the table being rehashed into, so the old one only empties.
        if target != nil {
            link(index, into: &target!, bucket: Int(truncatingIfNeeded: hash) & target!.mask)
        } else {
            link(index, into: &main!, bucket: Int(truncatingIfNeeded: hash) & main!.mask)
        }
        return index
    }

    /// Sizes an empty table for `count` keys at once (a load's RESIZEDB hint), so that
    /// filling it rehashes nothing.
    func reserve(_ count: Int) {
        guard self.count == 0, target == nil, pending == nil, count > Self.initialSize else { return }
        main?.deallocate()
        main = BucketArray(size: Self.powerOfTwo(atLeast: count))
    }

    /// Starts loading the bucket of `hash` into the cache (a load about to insert the key:
    /// reading the value meanwhile hides the miss).
    @inline(__always)
    func prefetchBucket(hash: UInt64) {
        guard target == nil, let main else { return }
        main.prefetch(bucket: Int(truncatingIfNeeded: hash) & main.mask)
    }

    /// Adds `key` (hashed as `hash`) unless it is there: returns the new entry, or nil (nothing changed) when
    /// the key exists. One hash and one search (loading).
    func insertIfAbsent(_ key: UnsafeRawBufferPointer, hash: UInt64, _ value: Value, clock: UInt32) -> Int32? {
        if main != nil {
            if search(main!, hash: hash, key) != nil { return nil }
            if let target, search(target, hash: hash, key) != nil { return nil }
        }
        return insert(ByteString(key), hash: hash, value, clock: clock)
    }

    @inline(__always)
    private func link(_ index: Int32, into table: inout BucketArray, bucket: Int) {
        arena.pointer(index).pointee.next = table[bucket]
        table[bucket] = index
        table.used += 1
    }

    /// Removes the entry at `index` and returns it (its value may be freed elsewhere).
    @discardableResult
    func remove(at index: Int32) -> KeyEntry {
        let hash = arena.pointer(index).pointee.keyHash
        if !unlink(index, from: &main!, hash: hash) {
            let unlinked = unlink(index, from: &target!, hash: hash)
            precondition(unlinked, "key table entry \(index) is in no bucket")
        }
        let entry = arena.release(index)
        // The last key is gone: give the arena and bucket memory back (all keys of a
        // big dataset expiring must return their memory).
        if count == 0 && main != nil && (main!.size > Self.initialSize || target != nil) { removeAll() }
        return entry
    }

    /// Removes `index` from its chain in `table`; false if it is not there.
    private func unlink(_ index: Int32, from table: inout BucketArray, hash: UInt64) -> Bool {
        let bucket = Int(truncatingIfNeeded: hash) & table.mask
        var previous: Int32 = -1
        var current = table[bucket]
        while current >= 0 {
            if current == index {
                let next = arena.pointer(current).pointee.next
                if previous < 0 { table[bucket] = next } else { arena.pointer(previous).pointee.next = next }
                table.used -= 1
                return true
            }
            previous = current
            current = arena.pointer(current).pointee.next
        }
        return false
    }

    /// A random entry (RANDOMKEY): a random non-empty bucket, then a random entry of its
    /// chain, as Redis's dictGetRandomKey. Nil when empty.
    public func randomEntry() -> Int32? {
        guard count > 0 else { return nil }
        if target != nil { rehash(steps: 1) }
        var bucketHead: Int32 = -1
        while bucketHead < 0 {
            if let target, let main {
                // Buckets of `main` below rehashIndex are empty: skip them.
                let candidates = main.size - rehashIndex + target.size
                let pick = randomBelow(candidates)
                bucketHead = pick < target.size ? target[pick] : main[rehashIndex + pick - target.size]
            } else if let main {
                bucketHead = main[randomBelow(main.size)]
            }
        }
        var length = 0
        var index = bucketHead
        while index >= 0 {
            length += 1
            index = arena.pointer(index).pointee.next
        }
        var chosen = bucketHead
        for _ in 0..<randomBelow(length) { chosen = arena.pointer(chosen).pointee.next }
        return chosen
    }

    /// A random number in 0 ..< bound (bound > 0), without a system call.
    @inline(__always)
    private func randomBelow(_ bound: Int) -> Int { Int(random.next() % UInt64(bound)) }

    /// Calls `body` with every entry once (both arrays while rehashing; SCAN's cursor may
    /// repeat entries then).
    func forEachEntry(_ body: (Int32) -> Void) {
        for table in [main, target].compactMap({ $0 }) {
            for bucket in 0..<table.size {
                var index = table[bucket]
                while index >= 0 {
                    let next = arena.pointer(index).pointee.next
                    body(index)
                    index = next
                }
            }
        }
    }

    /// Removes every key.
    public func removeAll() {
        for table in [main, target].compactMap({ $0 }) {
            for bucket in 0..<table.size {
                var index = table[bucket]
                while index >= 0 {
                    let next = arena.pointer(index).pointee.next
                    arena.release(index).value.release()
                    index = next
                }
            }
            table.deallocate()
        }
        pending?.deallocate()
        pending = nil
        main = nil
        target = nil
        rehashIndex = 0
        arena.deallocateChunks()
    }

    /// Marks every entry as not written yet by the snapshot that begins (for database `index`).
    func beginSnapshot(database index: Int) {
        unsaved = arena.liveSlots()
        snapshotDatabase = index
    }

    // MARK: - Resizing

    /// Starts doubling when there are as many keys as buckets (load factor 1, as Redis).
    private func growIfNeeded() {
        if pending != nil {
            // A page fault costs several microseconds here: one page per 16 inserts keeps
            // that below a microsecond per command; the cron faults in the rest.
            insertsSincePrefault += 1
            if insertsSincePrefault >= 16 {
                insertsSincePrefault = 0
                prefault(pages: 1)
            }
            return
        }
        guard target == nil, let main, main.used >= main.size else { return }
        let size = Self.powerOfTwo(atLeast: main.used + 1)
        if let mayGrow, main.used * 1000 <= main.size * 1618, !mayGrow(size * MemoryLayout<Int32>.stride) { return }
        if size < Self.prefaultThreshold {
            startRehash(to: size)
        } else {
            pending = BucketArray(size: size)
            pendingPages = 0
        }
    }

    /// Faults in up to `pages` pages of the pending array; starts the rehash once all are in.
    /// Returns true while pages remain.
    @discardableResult
    public func prefault(pages: Int) -> Bool {
        guard let array = pending else { return false }
        let end = min(array.pageCount, pendingPages + pages)
        for page in pendingPages..<end { array.prefault(page: page) }
        pendingPages = end
        guard end == array.pageCount else { return true }
        target = array
        pending = nil
        rehashIndex = 0
        return false
    }

    /// Starts shrinking when the table is mostly empty (cron calls this, as Redis's tryResizeHashTables).
    public func shrinkIfNeeded() {
        guard target == nil, pending == nil, let main, main.size > Self.initialSize,
            main.used * 100 / main.size < Self.minimumFillPercent
        else { return }
        startRehash(to: Self.powerOfTwo(atLeast: max(main.used, Self.initialSize)))
    }

    private func startRehash(to size: Int) {
        guard size != main!.size else { return }
        target = BucketArray(size: size)
        rehashIndex = 0
    }

    /// Moves up to `steps` buckets from the old array to the new one (visiting at most
    /// 10 empty buckets per step); returns true while buckets remain.
    @discardableResult
    public func rehash(steps: Int) -> Bool {
        guard target != nil else { return false }
        var remaining = steps
        var emptyVisits = steps * 10
        while remaining > 0 && main!.used > 0 {
            while main![rehashIndex] < 0 {
                rehashIndex += 1
                emptyVisits -= 1
                if emptyVisits == 0 { return true }
            }
            var index = main![rehashIndex]
            while index >= 0 {
                let entry = arena.pointer(index)
                let next = entry.pointee.next
                link(index, into: &target!, bucket: Int(truncatingIfNeeded: entry.pointee.keyHash) & target!.mask)
                main!.used -= 1
                index = next
            }
            main![rehashIndex] = -1
            rehashIndex += 1
            remaining -= 1
        }
        if main!.used == 0 {
            main!.deallocate()
            main = target
            target = nil
            rehashIndex = 0
            return false
        }
        return true
    }

    static func powerOfTwo(atLeast n: Int) -> Int {
        var size = initialSize
        while size < n { size <<= 1 }
        return size
    }

    /// Bytes used by buckets and entries (excluding what values point to).
    public var overheadBytes: Int {
        arena.allocatedBytes + bucketCount * 4
    }
}
