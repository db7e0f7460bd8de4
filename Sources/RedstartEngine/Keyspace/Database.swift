// One of the numbered databases: its key table, with expiry. A key whose time
// has passed is never returned: every lookup checks it and removes it (lazy
// expiry). Values are read and written in place through entry pointers that
// stay valid until the next insert or removal in this database.

/// A numbered database (SELECT n).
public final class Database {
    public let index: Int
    let table = KeyTable()
    /// Keys with an expiry time.
    @exclusivity(unchecked) public private(set) var expiresCount = 0
    /// Keys removed because their time had passed (INFO expired_keys).
    @exclusivity(unchecked) public var expiredKeys = 0

    public init(index: Int) { self.index = index }

    /// The number of keys, counting ones that expired but were not removed yet (as DBSIZE does).
    public var count: Int { table.count }

    /// The entry of `key` unless it is missing or expired (an expired key is removed).
    public func find(_ key: UnsafeRawBufferPointer, now: Int64) -> Int32? {
        guard let index = table.find(key) else { return nil }
        let when = table.entry(index).pointee.expireAt
        if when != 0 && when <= now {
            remove(at: index)
            expiredKeys += 1
            return nil
        }
        return index
    }

    /// The value of entry `index`, to read or change in place.
    public func value(at index: Int32) -> UnsafeMutablePointer<Value> {
        withUnsafeMutablePointer(to: &table.entry(index).pointee.value) { $0 }
    }

    /// Replaces the value of an existing entry; its expiry is cleared unless `keepTTL`.
    public func overwrite(at index: Int32, with value: Value, keepTTL: Bool = false) {
        let entry = table.entry(index)
        entry.pointee.value = value
        if !keepTTL { setExpiry(at: index, to: 0) }
    }

    /// Adds a key that does not exist (callers look it up first).
    @discardableResult
    public func add(_ key: UnsafeRawBufferPointer, _ value: Value) -> Int32 {
        table.insert(key, value)
    }

    /// The expiry time of entry `index` in unix milliseconds, or nil.
    public func expiry(at index: Int32) -> Int64? {
        let when = table.entry(index).pointee.expireAt
        return when == 0 ? nil : when
    }

    /// Sets (or with 0 clears) the expiry of entry `index`.
    public func setExpiry(at index: Int32, to when: Int64) {
        let entry = table.entry(index)
        let had = entry.pointee.expireAt != 0
        entry.pointee.expireAt = when
        expiresCount += (when != 0 ? 1 : 0) - (had ? 1 : 0)
    }

    /// Removes entry `index`.
    public func remove(at index: Int32) {
        if table.entry(index).pointee.expireAt != 0 { expiresCount -= 1 }
        table.remove(at: index)
    }

    /// Removes every key.
    public func removeAll() {
        table.removeAll()
        expiresCount = 0
    }

    /// The mean time to live of keys with an expiry, in milliseconds (INFO avg_ttl).
    public func averageTTL(now: Int64) -> Int64 {
        guard expiresCount > 0 else { return 0 }
        var total: Int64 = 0
        var counted: Int64 = 0
        var cursor: UInt64 = 0
        repeat {
            cursor = table.scan(cursor) { index in
                let when = table.entry(index).pointee.expireAt
                if when > now {
                    total += when - now
                    counted += 1
                }
            }
        } while cursor != 0
        return counted == 0 ? 0 : total / counted
    }
}

extension Database {
    /// The entry of a key given as text (tests, internal use).
    public func find(_ key: String, now: Int64) -> Int32? {
        Array(key.utf8).withUnsafeBytes { find($0, now: now) }
    }
}
