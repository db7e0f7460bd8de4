// Keyspace access with Redis's bookkeeping: reads count keyspace hits and
// misses, every access removes a key whose time has passed, writes bump the
// dirty counter. Handlers use these rather than the Database directly.

extension Engine {
    /// Looks `key` up for reading (counts a keyspace hit or miss); returns its entry.
    public func lookupRead(_ db: Database, _ key: UnsafeRawBufferPointer) -> Int32? {
        let index = db.find(key, now: commandTime)
        if index == nil { stats.keyspaceMisses += 1 } else { stats.keyspaceHits += 1 }
        return index
    }

    /// Looks `key` up before writing it (no hit/miss counting); returns its entry.
    public func lookupWrite(_ db: Database, _ key: UnsafeRawBufferPointer) -> Int32? {
        db.find(key, now: commandTime)
    }

    /// Records `count` changes to the dataset (rdb_changes_since_last_save).
    public func noteChanges(_ count: Int = 1) {
        stats.dirty += count
    }

    /// Keys removed by expiry across all databases.
    public var expiredKeysTotal: Int { databases.reduce(stats.expiredKeys) { $0 + $1.expiredKeys } }
}
