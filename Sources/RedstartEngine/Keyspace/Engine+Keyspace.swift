// Keyspace access with Redis's bookkeeping: reads count keyspace hits and
// misses, every access removes a key whose time has passed and refreshes the
// key's access clock (unless the client asked for NO-TOUCH), and every change
// goes through keyModified (the dirty counter, which decides propagation, and
// WATCH); commands report their keyspace events themselves (KeyspaceEvents.swift),
// while `new`, `expired` and `keymiss` are reported here. Expired keys leave
// through removeExpired, which touches watchers and propagates a DEL.

extension Engine {
    /// Looks `key` up for reading (counts a keyspace hit or miss, and a miss is a `keymiss`
    /// event unless `notifyMiss` is false); returns its entry.
    public func lookupRead(
        _ db: Database, _ key: UnsafeRawBufferPointer, touch: Bool = true, notifyMiss: Bool = true
    ) -> Int32? {
        guard let index = findLive(db, key) else {
            stats.keyspaceMisses += 1
            if notifyMiss { notify(.keyMiss, "keymiss", key, db: db.index) }
            return nil
        }
        stats.keyspaceHits += 1
        if touch && !isNoTouchCall { self.touch(db, index) }
        return index
    }

    /// Looks `key` up before writing it (no hit/miss counting); returns its entry.
    public func lookupWrite(_ db: Database, _ key: UnsafeRawBufferPointer) -> Int32? {
        guard let index = findLive(db, key) else { return nil }
        db.willChange(index)
        if !isNoTouchCall { touch(db, index) }
        return index
    }

    /// The entry of `key` unless it is missing or expired; an expired key is removed
    /// (no hit/miss counting, no access clock update). While clients are paused the
    /// dataset stays as it is: an expired key is only reported missing, unless the
    /// running command writes (it may add the key again, so the old entry must go). While
    /// the dataset loads nothing expires: the AOF's later commands may still use the key.
    public func findLive(_ db: Database, _ key: UnsafeRawBufferPointer) -> Int32? {
        // The table is borrowed, not retained: a lookup does not replace it.
        guard let index = Unmanaged.passUnretained(db.table)._withUnsafeGuaranteedRef({ $0.find(key) }) else { return nil }
        if db.isExpired(index, now: commandTime) && persistence.loading == nil {
            // A replica removes nothing (its primary sends the DEL); its primary's commands
            // still see the key, other clients do not.
            if replicationGate.isReplica {
                if runningSession?.replicationKind == .master { return index }
                // A write (on a writable replica) may add the key again: the old one goes.
                if isWriteCall { removeExpired(db, at: index) }
                return nil
            }
            if pause == nil || isWriteCall { removeExpired(db, at: index) }
            return nil
        }
        return index
    }

    /// Removes a key whose time has passed: counts it and reports `expired` (DEL, or UNLINK
    /// with lazyfree-lazy-expire).
    func removeExpired(_ db: Database, at index: Int32) {
        stats.expiredKeys += 1
        let key = db.key(at: index)
        // The deletion alone is measured, as Redis's deleteExpiredKeyAndPropagate.
        measuringLatency("expire-del") { deleteKey(db, at: index, lazily: lazyFreeExpire) }
        announceRemoval(db, key, lazily: lazyFreeExpire, .expired, "expired")
    }

    /// What follows the removal of a key the server itself dropped (expiry, eviction): its
    /// watchers and the clients caching it are told, its deletion propagates (DEL, or UNLINK
    /// when freed lazily), and `event` of class `type` is reported.
    func announceRemoval(_ db: Database, _ key: ByteString, lazily: Bool, _ type: KeyspaceEvents, _ event: StaticString) {
        key.withUnsafeBytes { raw in
            if !db.watchers.isEmpty { touchWatchedKey(db, raw) }
            if tracking.isActive { invalidateTrackedKey(raw, changedBy: nil) }
            if propagationSink != nil { alsoPropagate(database: db.index, [Self.deletion(lazily: lazily), Array(raw)]) }
            notify(type, event, raw, db: db.index)
        }
    }

    /// Removes a collection a command emptied (Redis keeps no empty lists, hashes, sets or
    /// sorted sets) and reports its `del` event.
    func removeEmptied(_ db: Database, at index: Int32, _ key: UnsafeRawBufferPointer) {
        deleteKey(db, at: index, lazily: false)
        notify(.generic, "del", key, db: db.index)
    }

    /// Adds a new key with a fresh access clock; a new list may serve blocked clients.
    @discardableResult
    public func addKey(_ db: Database, _ key: UnsafeRawBufferPointer, _ value: Value) -> Int32 {
        let index = db.add(key, value, clock: newKeyClock)
        keyAdded(db, key, value)
        return index
    }

    /// What follows the creation of `key`: clients blocked on it may be served, and a `new`
    /// event (RENAME and MOVE add keys without addKey, keeping their access clock).
    func keyAdded(_ db: Database, _ key: UnsafeRawBufferPointer, _ value: Value) {
        if !db.blocked.isEmpty && (value.list != nil || value.sortedSet != nil || value.stream != nil) { signalKeyAsReady(db, key) }
        notify(.newKey, "new", key, db: db.index)
    }

    /// Records a change to `key` of `db`: rdb_changes_since_last_save counts `changes`
    /// (a change also makes the running command propagate), the key's watchers see it
    /// (WATCH) and clients caching it get an invalidation (CLIENT TRACKING).
    public func keyModified(_ db: Database, _ key: UnsafeRawBufferPointer, changes: Int = 1) {
        stats.dirty += changes
        if !db.watchers.isEmpty { touchWatchedKey(db, key) }
        if tracking.isActive { invalidateTrackedKey(key, changedBy: runningSession) }
    }

    /// Records `count` changes to the dataset that are not about one key (FLUSHALL).
    public func noteChanges(_ count: Int = 1) {
        stats.dirty += count
    }

    /// Keys removed by expiry across all databases.
    public var expiredKeysTotal: Int { stats.expiredKeys }
}

extension CommandContext {
    /// The value of entry `index` if it is a string, else `-WRONGTYPE`.
    func stringValue(_ db: Database, _ index: Int32) throws(ReplyError) -> Value {
        let value = db.value(at: index).pointee
        switch value {
        case .string, .longString, .integer: return value
        default: throw .wrongType
        }
    }

    /// Replies a string value as a bulk string.
    func replyString(_ value: Value) {
        _ = value.withStringBytes { reply.bulk($0) }
    }
}
