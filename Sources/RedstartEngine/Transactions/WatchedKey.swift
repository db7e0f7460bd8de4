// WATCH bookkeeping. A watched key is held from both sides: by the session
// (to drop everything it watches at once) and by the database's registry,
// keyed by the key's hash (to find the watchers when the key changes, without
// allocating on the write path). A change to a watched key marks its watchers
// dirty, so that their next EXEC fails.

/// One key one session watches in one database.
final class WatchedKey {
    let key: ByteString
    let hash: UInt64
    unowned let session: Session
    let database: Database
    /// The key existed but its time had passed when it was watched: its removal by
    /// expiry is then no change (Redis 7.0's rule for stale keys).
    var wasExpired: Bool

    init(key: ByteString, hash: UInt64, session: Session, database: Database, wasExpired: Bool) {
        self.key = key
        self.hash = hash
        self.session = session
        self.database = database
        self.wasExpired = wasExpired
    }

    /// Whether this is `raw` of `database`.
    func matches(_ raw: UnsafeRawBufferPointer, hash: UInt64) -> Bool {
        self.hash == hash && key.equals(raw)
    }
}
