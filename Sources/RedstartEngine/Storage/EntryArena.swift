// Stable storage for key table entries: fixed-size chunks that never move, so
// an entry keeps its index for life and growing the arena copies nothing (no
// O(n) pause). Freed slots are reused. Live slots are initialized memory,
// free ones are not; the owner (KeyTable) knows which is which.

/// One key of a database: its bytes, value, access clock, expiry slot and bucket
/// chain link. The fields are ordered so that nothing is padding: 64 bytes per
/// entry (the key's 25 bytes, the clock's 3, the link's 4; the value's 26, a hash
/// tag's 2 and the expiry slot's 4).
struct KeyEntry {
    var key: ByteString
    /// High 8 bits of the access clock (LRU seconds or LFU minutes+counter, as Redis's lru field).
    var clockHigh: UInt8
    /// Low 16 bits of the access clock.
    var clockLow: UInt16
    /// The next entry in the same bucket, or -1.
    var next: Int32
    var value: Value
    /// Bits 48-63 of the key's hash: a chain's other keys are told apart without comparing
    /// bytes (the bucket comes from the low bits, which a chain's keys share).
    var hashTag: UInt16
    /// Where the key's expiry time is in its database's ExpiryIndex, or -1 (no expiry).
    var expirySlot: Int32

    init(key: ByteString, hash: UInt64, value: Value, clock: UInt32) {
        self.key = key
        self.clockHigh = UInt8(truncatingIfNeeded: clock >> 16)
        self.clockLow = UInt16(truncatingIfNeeded: clock)
        self.next = -1
        self.value = value
        self.hashTag = Self.tag(hash)
        self.expirySlot = -1
    }

    /// The tag of `hash`.
    @inline(__always)
    static func tag(_ hash: UInt64) -> UInt16 { UInt16(truncatingIfNeeded: hash >> 48) }

    /// The key's hash, computed again (rehashing, removal).
    @inline(__always)
    var keyHash: UInt64 { key.withUnsafeBytes { KeyHash.hash($0) } }

    /// The 24-bit access clock.
    var clock: UInt32 {
        get { UInt32(clockHigh) << 16 | UInt32(clockLow) }
        set {
            clockLow = UInt16(truncatingIfNeeded: newValue)
            clockHigh = UInt8(truncatingIfNeeded: newValue >> 16)
        }
    }
}

/// Chunked storage of KeyEntry values addressed by Int32 index.
struct EntryArena {
    static let chunkShift = 12
    static let chunkSize = 1 << chunkShift
    static let chunkMask = chunkSize - 1

    private var chunks: [UnsafeMutablePointer<KeyEntry>] = []
    private var freeSlots: [Int32] = []
    /// Slots handed out so far in the newest chunk and before.
    private var highWater = 0

    /// The entry at `index` (must be live).
    @inline(__always)
    func pointer(_ index: Int32) -> UnsafeMutablePointer<KeyEntry> {
        chunks[Int(index) >> Self.chunkShift] + (Int(index) & Self.chunkMask)
    }

    /// Stores `entry` in a free slot and returns its index.
    mutating func allocate(_ entry: KeyEntry) -> Int32 {
        let index: Int32
        if let reused = freeSlots.popLast() {
            index = reused
        } else {
            if highWater == chunks.count * Self.chunkSize {
                chunks.append(UnsafeMutablePointer<KeyEntry>.allocate(capacity: Self.chunkSize))
            }
            index = Int32(highWater)
            highWater += 1
        }
        pointer(index).initialize(to: entry)
        return index
    }

    /// Removes the entry at `index` and returns it.
    mutating func release(_ index: Int32) -> KeyEntry {
        let entry = pointer(index).move()
        freeSlots.append(index)
        return entry
    }

    /// Frees the chunks. The caller must have released (or deinitialized) every live entry.
    mutating func deallocateChunks() {
        for chunk in chunks { chunk.deallocate() }
        chunks = []
        freeSlots = []
        highWater = 0
    }

    /// One bit per slot handed out so far, set for the live ones (a snapshot's to-do list).
    func liveSlots() -> SlotBitmap {
        var bitmap = SlotBitmap(count: highWater, filled: true)
        for slot in freeSlots { bitmap.clear(slot) }
        return bitmap
    }

    /// Bytes of slots holding no entry (freed, or not handed out yet): allocated from the
    /// system but free for the next keys, as a malloc keeps freed blocks, so not counted
    /// in used_memory.
    var unusedBytes: Int {
        (chunks.count * Self.chunkSize - highWater + freeSlots.count) * MemoryLayout<KeyEntry>.stride
    }

    /// Bytes held by the arena (INFO / MEMORY).
    var allocatedBytes: Int {
        chunks.count * Self.chunkSize * MemoryLayout<KeyEntry>.stride + freeSlots.capacity * 4
    }
}
