// Keyspace access with Redis's bookkeeping: reads count keyspace hits and
// misses, every access removes a key whose time has passed and refreshes the
// key's access clock (unless the client asked for NO-TOUCH), and every change
// goes through keyModified (the dirty counter now; WATCH and keyspace events
// hook in there later).

extension Engine {
    /// Looks `key` up for reading (counts a keyspace hit or miss); returns its entry.
    public func lookupRead(_ db: Database, _ key: UnsafeRawBufferPointer, touch: Bool = true) -> Int32? {
        guard let index = db.find(key, now: commandTime) else {
            stats.keyspaceMisses += 1
            return nil
        }
        stats.keyspaceHits += 1
        if touch && !isNoTouchCall { self.touch(db, index) }
        return index
    }

    /// Looks `key` up before writing it (no hit/miss counting); returns its entry.
    public func lookupWrite(_ db: Database, _ key: UnsafeRawBufferPointer) -> Int32? {
        guard let index = db.find(key, now: commandTime) else { return nil }
        if !isNoTouchCall { touch(db, index) }
        return index
    }

    /// Adds a new key with a fresh access clock.
    @discardableResult
    public func addKey(_ db: Database, _ key: UnsafeRawBufferPointer, _ value: Value) -> Int32 {
        db.add(key, value, clock: newKeyClock)
    }

    /// Records a change to `key` of `db` (rdb_changes_since_last_save counts `changes`).
    public func keyModified(_ db: Database, _ key: UnsafeRawBufferPointer, changes: Int = 1) {
        stats.dirty += changes
    }

    /// Records `count` changes to the dataset that are not about one key (FLUSHALL).
    public func noteChanges(_ count: Int = 1) {
        stats.dirty += count
    }

    /// Keys removed by expiry across all databases.
    public var expiredKeysTotal: Int { databases.reduce(stats.expiredKeys) { $0 + $1.expiredKeys } }
}

extension CommandContext {
    /// The value of entry `index` if it is a string, else `-WRONGTYPE`.
    func stringValue(_ db: Database, _ index: Int32) throws(ReplyError) -> Value {
        let value = db.value(at: index).pointee
        switch value {
        case .string, .integer: return value
        }
    }

    /// Replies a string value as a bulk string.
    func replyString(_ value: Value) {
        _ = value.withStringBytes { reply.bulk($0) }
    }
}
