// One of the numbered databases: its key table, the expiry times of its keys
// and the sessions watching its keys. A key whose time has passed is never
// returned: every lookup checks it, and the engine's lookups remove it (lazy
// expiry); the cron removes the rest (Engine+Expiry.swift).
// Values are read and changed in place through entry pointers, valid until the
// next insert or removal in this database.
import DequeModule

/// A numbered database (SELECT n).
public final class Database {
    public let index: Int
    @exclusivity(unchecked) var table = KeyTable()
    @exclusivity(unchecked) var expiring = ExpiryIndex()
    /// Sessions watching keys of this database (WATCH), by key hash.
    @exclusivity(unchecked) var watchers: [UInt64: [WatchedKey]] = [:]
    /// Requests of sessions blocked on keys of this database (BLPOP ...), by key hash,
    /// in the order they blocked.
    @exclusivity(unchecked) var blocked: [UInt64: Deque<BlockedRequest>] = [:]
    /// Told the key of a stream that is removed or replaced while clients are blocked on keys
    /// here (a client blocked in XREADGROUP on it is then answered).
    @exclusivity(unchecked) var streamRemoved: ((ByteString) -> Void)?

    /// The snapshot being written (BGSAVE): told before an entry it has not written yet
    /// changes or goes, so that the file holds the dataset as it was when the save began.
    @exclusivity(unchecked) var snapshot: DatasetSnapshot?

    /// The key table's growth check (KeyTable.mayGrow), kept across FLUSHDB and SWAPDB.
    @exclusivity(unchecked) var tableMayGrow: ((Int) -> Bool)? {
        didSet { table.mayGrow = tableMayGrow }
    }

    public init(index: Int) { self.index = index }

    /// Call before entry `index` changes in any way (value, expiry, removal): a snapshot
    /// in progress writes the entry as it is first.
    @inline(__always)
    func willChange(_ index: Int32) {
        if let snapshot, table.unsaved?.contains(index) == true { snapshot.preserve(self, index) }
    }

    /// The number of keys, counting ones that expired but were not removed yet (as DBSIZE does).
    public var count: Int { table.count }
    /// Keys with an expiry time.
    public var expiresCount: Int { expiring.count }

    /// The entry of the `position`th key with an expiry (0 ..< expiresCount).
    func expiringEntry(at position: Int) -> Int32 { expiring.entries[position] }

    // MARK: - Lookup

    /// The entry of `key` unless it is missing or expired. An expired key is left in
    /// place: commands look keys up through the engine (Engine+Keyspace.swift), which
    /// removes it with all the bookkeeping that goes with an expiry.
    public func find(_ key: UnsafeRawBufferPointer, now: Int64) -> Int32? {
        guard let index = table.find(key), !isExpired(index, now: now) else { return nil }
        return index
    }

    /// Whether `key` is present but its time has passed (it is not removed: Redis's keyIsExpired).
    func isStale(_ key: UnsafeRawBufferPointer, now: Int64) -> Bool {
        guard let index = table.find(key) else { return false }
        return isExpired(index, now: now)
    }

    /// Whether `key` is in the table, expired or not.
    func contains(_ key: UnsafeRawBufferPointer) -> Bool { table.find(key) != nil }

    /// Whether entry `index` has an expiry time at or before `now`.
    func isExpired(_ index: Int32, now: Int64) -> Bool {
        let slot = table.entry(index).pointee.expirySlot
        return slot >= 0 && expiring.time(slot) <= now
    }

    /// The value of entry `index`, to read or change in place.
    public func value(at index: Int32) -> UnsafeMutablePointer<Value> {
        withUnsafeMutablePointer(to: &table.entry(index).pointee.value) { $0 }
    }

    /// The key of entry `index`.
    public func key(at index: Int32) -> ByteString { table.entry(index).pointee.key }

    /// The access clock of entry `index` (LRU or LFU, see Engine+AccessClock.swift).
    func clock(at index: Int32) -> UInt32 { table.entry(index).pointee.clock }

    func setClock(at index: Int32, _ clock: UInt32) { table.entry(index).pointee.clock = clock }

    // MARK: - Changes

    /// Adds a key that does not exist (callers look it up first).
    @discardableResult
    public func add(_ key: UnsafeRawBufferPointer, _ value: Value, clock: UInt32 = 0) -> Int32 {
        table.insert(key, value, clock: clock)
    }

    /// Adds a key given as a ByteString (RENAME, MOVE, COPY).
    @discardableResult
    func add(_ key: ByteString, _ value: Value, clock: UInt32) -> Int32 {
        key.withUnsafeBytes { table.insert(ByteString($0), hash: KeyHash.hash($0), value, clock: clock) }
    }

    /// Replaces the value of an existing entry; its expiry is cleared unless `keepTTL`.
    public func overwrite(at index: Int32, with value: Value, keepTTL: Bool = false) {
        willChange(index)
        if !blocked.isEmpty, table.entry(index).pointee.value.stream != nil { streamRemoved?(key(at: index)) }
        table.entry(index).pointee.value.release()
        table.entry(index).pointee.value = value
        if !keepTTL { setExpiry(at: index, to: 0) }
    }

    /// Replaces the value of entry `index` in place (its expiry kept), releasing the old one.
    func replaceValue(at index: Int32, with value: Value) {
        willChange(index)
        let slot = self.value(at: index)
        slot.pointee.release()
        slot.pointee = value
    }

    /// Removes entry `index` and returns its value, which the caller now owns: it stores it
    /// elsewhere (RENAME, MOVE) or calls `release()` on it (here or on the lazy-free thread).
    @discardableResult
    public func remove(at index: Int32) -> Value {
        willChange(index)
        let slot = table.entry(index).pointee.expirySlot
        if slot >= 0 { dropExpiry(slot) }
        if !blocked.isEmpty, table.entry(index).pointee.value.stream != nil { streamRemoved?(key(at: index)) }
        return table.remove(at: index).value
    }

    /// Removes every key; returns the old table so that it can be freed elsewhere (FLUSH ASYNC).
    /// A snapshot in progress keeps the old table (and its expiry times) to finish writing it.
    public func removeAll() -> KeyTable {
        let old = table
        table = KeyTable()
        table.mayGrow = tableMayGrow
        if let snapshot, old.unsaved != nil {
            snapshot.adopt(old, expiring: expiring)
            expiring = ExpiryIndex()
            return KeyTable()
        }
        expiring.removeAll()
        return old
    }

    /// Exchanges the contents of two databases (SWAPDB).
    public func swapContents(with other: Database) {
        swap(&table, &other.table)
        swap(&expiring, &other.expiring)
        table.mayGrow = tableMayGrow
        other.table.mayGrow = other.tableMayGrow
    }

    // MARK: - Expiry

    /// The expiry time of entry `index` in unix milliseconds, or nil.
    public func expiry(at index: Int32) -> Int64? {
        let slot = table.entry(index).pointee.expirySlot
        return slot < 0 ? nil : expiring.time(slot)
    }

    /// Sets (or with 0 clears) the expiry of entry `index`.
    public func setExpiry(at index: Int32, to when: Int64) {
        willChange(index)
        let entry = table.entry(index)
        let slot = entry.pointee.expirySlot
        if when == 0 {
            if slot >= 0 {
                dropExpiry(slot)
                table.entry(index).pointee.expirySlot = -1
            }
        } else if slot >= 0 {
            expiring.update(slot: slot, time: when)
        } else {
            entry.pointee.expirySlot = expiring.add(entry: index, time: when)
        }
    }

    /// Removes an expiry slot and repoints the entry that moved into it.
    private func dropExpiry(_ slot: Int32) {
        if let moved = expiring.remove(slot: slot) {
            table.entry(moved).pointee.expirySlot = slot
        }
    }

    /// The mean time to live of keys with an expiry, in milliseconds (INFO avg_ttl).
    public func averageTTL(now: Int64) -> Int64 {
        guard expiring.count > 0 else { return 0 }
        let mean = expiring.timeSum / Double(expiring.count) - Double(now)
        return mean > 0 ? Int64(mean) : 0
    }
}

extension Database {
    /// The entry of a key given as text (tests, internal use).
    public func find(_ key: String, now: Int64) -> Int32? {
        Array(key.utf8).withUnsafeBytes { find($0, now: now) }
    }
}
