// One of the numbered databases: keys, their values and their expiry times.
// A key whose time has passed is never returned: every lookup checks it and
// removes it (lazy expiry). The table itself is Swift's Dictionary for now.

/// A numbered database (SELECT n).
public final class Database {
    public let index: Int
    private var entries: [Key: Value] = [:]
    private var expires: [Key: Int64] = [:]

    public init(index: Int) { self.index = index }

    /// The number of keys, counting ones that expired but were not removed yet (as DBSIZE does).
    public var count: Int { entries.count }
    /// The number of keys with an expiry time.
    public var expiresCount: Int { expires.count }

    /// Keys removed because their time had passed (INFO expired_keys).
    public var expiredKeys = 0

    /// The value of `key` unless it is missing or expired (an expired key is removed).
    public func lookup(_ key: Key, now: Int64) -> Value? {
        guard let value = entries[key] else { return nil }
        if !expires.isEmpty, let when = expires[key], when <= now {
            remove(key)
            expiredKeys += 1
            return nil
        }
        return value
    }

    /// True when `key` exists and has not expired.
    public func exists(_ key: Key, now: Int64) -> Bool { lookup(key, now: now) != nil }

    /// Stores `value` under `key`. The expiry is cleared unless `keepTTL`.
    public func set(_ key: Key, _ value: Value, keepTTL: Bool = false) {
        entries[key] = value
        if !keepTTL && !expires.isEmpty { expires.removeValue(forKey: key) }
    }

    /// Sets the expiry of an existing key to `when` (unix milliseconds).
    public func setExpiry(_ key: Key, at when: Int64) {
        expires[key] = when
    }

    /// The expiry time of `key` in unix milliseconds, or nil.
    public func expiry(_ key: Key) -> Int64? { expires.isEmpty ? nil : expires[key] }

    /// Removes `key`; true if it existed.
    @discardableResult
    public func remove(_ key: Key) -> Bool {
        guard entries.removeValue(forKey: key) != nil else { return false }
        if !expires.isEmpty { expires.removeValue(forKey: key) }
        return true
    }

    /// Removes every key.
    public func removeAll() {
        entries = [:]
        expires = [:]
    }

    /// The sum of the expiry times' distance from `now`, for INFO's avg_ttl.
    public func averageTTL(now: Int64) -> Int64 {
        guard !expires.isEmpty else { return 0 }
        var total: Int64 = 0
        var counted: Int64 = 0
        for when in expires.values where when > now {
            total += when - now
            counted += 1
        }
        return counted == 0 ? 0 : total / counted
    }

    /// Every key (KEYS, SCAN until the real table exists).
    public var keys: Dictionary<Key, Value>.Keys { entries.keys }
}
