// The state behind client-side caching (CLIENT TRACKING), as Redis 7.0 keeps it:
// a table from key names (of any database) to the IDs of the clients that read
// them, and for broadcasting clients a table of prefixes, each with its
// subscribers and the keys under it changed since the last broadcast. A key
// leaves the table when it is invalidated; clients that stopped tracking are
// not removed from it (their IDs are skipped when the key changes), as in Redis.

/// What a tracking client asked for (CLIENT TRACKING ON and its options).
struct TrackingMode {
    /// The client that receives the invalidations (0: this one).
    var redirect: Int64 = 0
    var broadcast = false
    var optIn = false
    var optOut = false
    var noLoop = false
    /// CLIENT CACHING YES (OPTIN) or NO (OPTOUT) for the next command or transaction.
    var caching = false
    /// The redirection client was gone when an invalidation was due.
    var brokenRedirect = false
    /// The broadcast prefixes, in byte order.
    var prefixes: [ByteString] = []
}

/// One broadcast prefix: its subscribers and the keys changed under it since the last
/// broadcast, with the ID of the client that changed each one last (0: none, expiry).
final class BroadcastPrefix {
    var subscribers: [Session] = []
    var changedKeys: [ByteString: Int64] = [:]
}

/// The tracking table and the prefix table.
final class TrackingRegistry {
    /// Key → IDs of the clients that read it since its last invalidation.
    @exclusivity(unchecked) private(set) var readers: [ByteString: [Int64]] = [:]
    /// The table's keys in an array, for picking random ones (tracking-table-max-keys).
    @exclusivity(unchecked) private var keyList: [ByteString] = []
    @exclusivity(unchecked) private var keyPosition: [ByteString: Int] = [:]
    /// Client IDs summed over keys (INFO tracking_total_items).
    @exclusivity(unchecked) private(set) var totalItems = 0
    @exclusivity(unchecked) var prefixes: [ByteString: BroadcastPrefix] = [:]
    /// Clients with tracking on (INFO tracking_clients).
    @exclusivity(unchecked) var clientCount = 0
    /// Raised by the table limit's cleanup when one pass was not enough (Redis's
    /// timeout_counter: the next pass tries harder).
    @exclusivity(unchecked) var limitEffortLevel = 0

    /// Whether a change to a key may concern anyone.
    @inline(__always)
    var isActive: Bool { !readers.isEmpty || !prefixes.isEmpty }

    var keyCount: Int { readers.count }

    /// Records that client `id` read `key`.
    func remember(_ key: ByteString, reader id: Int64) {
        if let position = readers.index(forKey: key) {
            guard !readers.values[position].contains(id) else { return }
            readers.values[position].append(id)
        } else {
            readers[key] = [id]
            keyPosition[key] = keyList.count
            keyList.append(key)
        }
        totalItems += 1
    }

    /// Takes `key` out of the table; returns the IDs that had read it.
    func remove(_ key: ByteString) -> [Int64]? {
        guard let ids = readers.removeValue(forKey: key) else { return nil }
        totalItems -= ids.count
        if let position = keyPosition.removeValue(forKey: key) {
            let last = keyList.removeLast()
            if position < keyList.count {
                keyList[position] = last
                keyPosition[last] = position
            }
        }
        return ids
    }

    /// A random key of the table.
    func randomKey(using random: inout FastRandom) -> ByteString? {
        keyList.isEmpty ? nil : keyList[Int(random.next() % UInt64(keyList.count))]
    }

    /// Forgets every key (FLUSHALL, FLUSHDB).
    func removeAllKeys() {
        readers.removeAll()
        keyList.removeAll()
        keyPosition.removeAll()
        totalItems = 0
    }
}
