// WATCH, UNWATCH and what makes a watched key "touched" (Redis 7.0's rules):
// - any change reported through keyModified, including removal by expiry;
// - a key whose time had passed when it was watched is not touched by its
//   removal (it was already gone, logically), but is by a new value;
// - at EXEC, a watched key whose time has passed since (still present) fails it;
// - FLUSHDB/FLUSHALL touch the watched keys that exist; SWAPDB those that exist
//   on either side, unless only stale keys are involved.
// A session marked dirty stops watching at once: its EXEC fails anyway.

extension Engine {
    /// Starts watching `key` of `db` for `session` (once per key and database).
    func watch(_ key: UnsafeRawBufferPointer, in db: Database, for session: Session) {
        let hash = KeyHash.hash(key)
        if session.watchedKeys.contains(where: { $0.database === db && $0.matches(key, hash: hash) }) { return }
        let watched = WatchedKey(
            key: ByteString(key), hash: hash, session: session, database: db,
            wasExpired: db.isStale(key, now: commandTime))
        session.watchedKeys.append(watched)
        db.watchers[hash, default: []].append(watched)
    }

    /// Stops watching every key `session` watches.
    func unwatchAll(_ session: Session) {
        guard !session.watchedKeys.isEmpty else { return }
        for watched in session.watchedKeys {
            let db = watched.database
            guard var list = db.watchers[watched.hash] else { continue }
            list.removeAll { $0 === watched }
            db.watchers[watched.hash] = list.isEmpty ? nil : list
        }
        session.watchedKeys.removeAll()
    }

    /// Whether a key `session` watches has expired since it was watched (checked by EXEC).
    func hasExpiredWatchedKey(_ session: Session) -> Bool {
        session.watchedKeys.contains { watched in
            !watched.wasExpired && watched.key.withUnsafeBytes { watched.database.isStale($0, now: commandTime) }
        }
    }

    /// Marks the watchers of `key` in `db` dirty (Redis's touchWatchedKey).
    func touchWatchedKey(_ db: Database, _ key: UnsafeRawBufferPointer) {
        let hash = KeyHash.hash(key)
        guard let list = db.watchers[hash] else { return }
        for watched in list where watched.matches(key, hash: hash) {
            if watched.wasExpired {
                // Removing a key that had already expired changes nothing; from now on it is
                // an ordinary missing key. A new value for it is not seen here (as in Redis 7.0).
                if !db.contains(key) { watched.wasExpired = false }
                continue
            }
            markWatchDirty(watched.session)
        }
    }

    /// Marks the watchers of keys of `emptied` that a flush (`replacement` nil) or a SWAPDB
    /// with `replacement` changes (Redis's touchAllWatchedKeysInDb). Runs before the change.
    func touchWatchedKeys(emptying emptied: Database, replacedWith replacement: Database?) {
        guard !emptied.watchers.isEmpty else { return }
        var dirty: [Session] = []
        for list in emptied.watchers.values {
            for watched in list {
                watched.key.withUnsafeBytes { key in
                    let existsHere = emptied.contains(key)
                    let existsThere = replacement?.contains(key) ?? false
                    guard existsHere || existsThere else { return }
                    if watched.wasExpired {
                        if !existsThere {
                            watched.wasExpired = false
                            return
                        }
                        if replacement!.isStale(key, now: commandTime) { return }
                    } else if !existsHere && replacement!.isStale(key, now: commandTime) {
                        // A missing key replaced by a stale one: still logically missing.
                        watched.wasExpired = true
                        return
                    }
                    dirty.append(watched.session)
                }
            }
        }
        for session in dirty { markWatchDirty(session) }
    }

    private func markWatchDirty(_ session: Session) {
        session.isWatchDirty = true
        unwatchAll(session)
    }
}
