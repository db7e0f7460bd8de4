// A replica with replica-read-only off takes writes from its own clients. Keys
// from the primary never expire by themselves here (the primary sends DEL), but
// a key a client of the replica wrote with a TTL has no primary to delete it:
// the replica remembers such keys and removes them once their time passes
// (Redis's slaveKeysWithExpire / expireSlaveKeys).
import RedstartRESP
extension Engine {
    /// After a write by a client of a writable replica: remembers the keys it named that
    /// now carry a TTL.
    func rememberKeysWrittenOnReplica(_ spec: CommandSpec, _ args: CommandArguments, _ session: Session) {
        let db = databases[session.databaseIndex]
        guard let keys = KeySpec.keys(of: spec, specs: catalog.parsedKeySpecs(spec.fullName), in: args) else { return }
        for key in keys where key.position < args.count {
            args.withBytes(at: key.position) { raw in
                guard let index = db.table.find(raw), db.expiry(at: index) != nil else { return }
                replicaWrittenExpiringKeys[db.index, default: []].insert(ByteString(raw))
            }
        }
    }

    /// From the cron of a replica: removes the remembered keys whose time has passed, and
    /// forgets those that are gone or lost their TTL.
    func expireKeysWrittenOnReplica() {
        let now = clock.wallMilliseconds
        for (index, keys) in replicaWrittenExpiringKeys {
            let db = databases[index]
            var kept = Set<ByteString>()
            for key in keys {
                key.withUnsafeBytes { raw in
                    guard let entry = db.table.find(raw), let expiry = db.expiry(at: entry) else { return }
                    if expiry <= now {
                        removeExpired(db, at: entry)
                    } else {
                        kept.insert(key)
                    }
                }
            }
            replicaWrittenExpiringKeys[index] = kept.isEmpty ? nil : kept
        }
    }
}
