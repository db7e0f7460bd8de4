// The active expiry cycle: keys whose time has passed are removed even if
// nobody reads them. Every cron tick each database's expiring keys are checked
// in batches from a rotating cursor; a batch that found more than the
// acceptable share of expired keys is followed by another, within a time budget
// of about a quarter of the tick (Redis's slow cycle, scaled by
// active-expire-effort). Nothing expires while clients are paused.

extension Engine {
    /// One active expiry cycle over all databases.
    func activeExpireCycle() {
        guard pause == nil, !replicationGate.isReplica else { return }
        let effort = max(0, activeExpireEffort - 1)
        let keysPerBatch = 20 + 20 / 4 * effort
        let acceptableStale = 10 - effort
        let budget = Int64((25 + 2 * effort) * 1_000_000 / max(1, hz) / 100)
        let start = clock.monotonicMicroseconds
        let now = clock.wallMilliseconds
        for offset in 0..<databases.count {
            let db = databases[(expireCursorDatabase + offset) % databases.count]
            while db.expiresCount > 0 {
                let (checked, expired) = db.expireBatch(now: now, limit: keysPerBatch) { index in
                    removeExpired(db, at: index)
                    // Each expiry is its own unit: a DEL, never wrapped with others.
                    flushPropagation()
                }
                if expired * 100 <= checked * acceptableStale { break }
                if clock.monotonicMicroseconds - start > budget {
                    expireCursorDatabase = (expireCursorDatabase + offset) % databases.count
                    return
                }
            }
        }
        expireCursorDatabase = (expireCursorDatabase + 1) % max(1, databases.count)
    }

    /// Moves incremental rehashing forward for about a millisecond per database that needs it,
    /// and starts shrinking tables that became mostly empty (Redis's databasesCron).
    func rehashDatabases() {
        for db in databases {
            db.table.shrinkIfNeeded()
            guard isActiveRehashing && db.table.isRehashing else { continue }
            let start = clock.monotonicMicroseconds
            while db.table.prefault(pages: 32) && clock.monotonicMicroseconds - start < 1000 {}
            while db.table.rehash(steps: 100) && clock.monotonicMicroseconds - start < 1000 {}
        }
    }
}

extension Database {
    /// Checks up to `limit` keys with an expiry from the rotating cursor and calls `remove`
    /// for each expired one (which must remove it); returns (checked, removed).
    func expireBatch(now: Int64, limit: Int, remove: (Int32) -> Void) -> (Int, Int) {
        var checked = 0
        var removed = 0
        while checked < limit && expiring.count > 0 {
            if expiring.cursor >= expiring.count { expiring.cursor = 0 }
            let slot = Int32(expiring.cursor)
            checked += 1
            if expiring.time(slot) <= now {
                // The last pair moves into this slot: check the same position again next.
                remove(expiring.entries[Int(slot)])
                removed += 1
            } else {
                expiring.cursor += 1
            }
        }
        return (checked, removed)
    }
}
