// Freeing big things off the command path (Redis's lazyfree): FLUSHALL/FLUSHDB
// ASYNC hand the old key table to a background thread, UNLINK does the same for
// values that are expensive to free. Only whole objects that no command can
// reach any more cross to that thread, so nothing is shared with the engine.
import Synchronization

/// Counters of INFO lazyfree_pending_objects / lazyfreed_objects, shared with the freeing thread.
public final class LazyFreeCounters: Sendable {
    let pending = Atomic<Int>(0)
    let freed = Atomic<Int>(0)

    public var pendingObjects: Int { pending.load(ordering: .relaxed) }
    public var freedObjects: Int { freed.load(ordering: .relaxed) }

    /// CONFIG RESETSTAT starts lazyfreed_objects again from 0 (as Redis's lazyfreeResetStats).
    func resetFreedCount() { freed.store(0, ordering: .relaxed) }
}

/// Moves an object the engine no longer references to the freeing thread; `free` runs
/// there before the last reference goes (a value's blocks outside reference counting).
private final class Handoff<Object>: @unchecked Sendable {
    var object: Object?
    let free: (Object) -> Void
    init(_ object: Object, free: @escaping (Object) -> Void = { _ in }) {
        self.object = object
        self.free = free
    }

    func drop() {
        if let object { free(object) }
        object = nil
    }
}

extension Engine {
    /// Values costing more than this many steps to free go to the background (Redis's LAZYFREE_THRESHOLD).
    static let lazyFreeThreshold = 64

    /// Removes entry `index` of `db`; with `lazily`, a value that is expensive to free is
    /// freed on the background thread (UNLINK, lazyfree-lazy-user-del).
    func deleteKey(_ db: Database, at index: Int32, lazily: Bool) {
        // The value goes straight into the handoff so that no other reference to it is left here.
        let handoff = Handoff(db.remove(at: index)) { $0.release() }
        if lazily && (handoff.object?.freeEffort ?? 0) > Self.lazyFreeThreshold {
            release(handoff, objects: 1)
        } else {
            handoff.drop()
        }
    }

    /// Empties `db`; with `lazily` its old table is freed on the background thread.
    func emptyDatabase(_ db: Database, lazily: Bool) {
        if !db.blocked.isEmpty { signalGroupReaders(db) }
        let count = db.count
        let handoff = Handoff(db.removeAll())
        if lazily && count > 0 {
            release(handoff, objects: count)
        }
    }

    /// Frees a key table nothing else references on the background thread (a table FLUSHDB
    /// left to a snapshot, once the snapshot is done with it).
    func freeInBackground(_ table: consuming KeyTable) {
        let count = table.count
        release(Handoff(table), objects: count)
    }

    /// Drops the last reference to the handed-off object on the background thread (or here,
    /// without a host).
    private func release<Object>(_ handoff: Handoff<Object>, objects: Int) {
        guard let host else { return handoff.drop() }
        let counters = lazyFree
        counters.pending.add(objects, ordering: .relaxed)
        host.runInBackground {
            handoff.drop()
            counters.pending.subtract(objects, ordering: .relaxed)
            counters.freed.add(objects, ordering: .relaxed)
        }
    }
}

extension Value {
    /// How many steps freeing this value takes (1 for strings; collections count elements).
    var freeEffort: Int {
        switch self {
        case .string, .longString, .integer: return 1
        // Redis counts a quicklist's nodes.
        case .list(let list): return list.chunkCount
        // Redis counts a hashtable's entries; a listpack or intset is one allocation.
        case .hash(let hash): return hash.encodingName == "hashtable" ? hash.count : 1
        case .set(let set): return set.encodingName == "hashtable" ? set.count : 1
        case .sortedSet(let zset): return zset.encodingName == "skiplist" ? zset.count : 1
        // Redis counts a stream's nodes plus its groups' pending entries.
        case .stream(let stream): return stream.freeEffort
        }
    }
}
