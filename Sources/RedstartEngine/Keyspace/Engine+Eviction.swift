// maxmemory: before each command (and from the cron while a long eviction goes
// on), keys are evicted until used memory, less what Redis does not count for
// eviction (the AOF buffer, replicas' output), is under the limit; the victim is chosen as
// maxmemory-policy says (EvictionPool.swift). A round stops after
// maxmemory-eviction-tenacity's time budget and continues on later calls.
// When nothing can be evicted (noeviction, or no candidate), commands flagged
// deny-oom are refused with -OOM, as in Redis's processCommand.
#if canImport(Glibc)
import Glibc
#endif

extension Engine {
    /// What an eviction round achieved.
    enum EvictionResult {
        /// Memory is under the limit (or eviction does not apply now).
        case ok
        /// The time budget ran out with memory still over the limit; later calls go on.
        case running
        /// Memory is over the limit and nothing can be evicted.
        case failed
    }

    static let outOfMemory = ReplyError(code: "OOM", "command not allowed when used memory > 'maxmemory'.")

    /// used_memory: bytes the process has allocated, less the key tables' free entry slots
    /// (memory a malloc would hold as free blocks, ready for the next keys).
    public var usedMemory: Int {
        guard let host else { return 0 }
        return host.usedMemory() - unusedEntryBytes
    }

    /// Bytes of free key-table entry slots in all databases.
    var unusedEntryBytes: Int { databases.reduce(0) { $0 + $1.table.arena.unusedBytes } }

    /// Memory Redis does not count against maxmemory: the AOF buffer and the replicas' part
    /// of the replication buffers (what is held for replicas that are behind).
    var memoryNotCountedForEviction: Int { persistence.aof.bufferLength + (replication?.memory.replicas ?? 0) }

    /// Whether `bytes` more would take the memory counted for maxmemory past it (Redis's
    /// overMaxmemoryAfterAlloc): key tables do not grow then.
    func wouldExceedMaxMemory(adding bytes: Int) -> Bool {
        guard maxMemory > 0 else { return false }
        return max(0, usedMemory - memoryNotCountedForEviction) + bytes > maxMemory
    }

    /// Bytes to free to get under maxmemory, or nil when under it (Redis's getMaxmemoryState).
    func memoryToFree() -> Int? {
        guard maxMemory > 0 else { return nil }
        let reported = usedMemory
        guard reported > maxMemory else { return nil }
        let used = max(0, reported - memoryNotCountedForEviction)
        return used > maxMemory ? used - maxMemory : nil
    }

    /// Evictions are off while loading, during CLIENT PAUSE (the dataset stays as it is)
    /// while a script is paused mid-run, and on a replica with replica-ignore-maxmemory.
    private var mayEvict: Bool {
        persistence.loading == nil && pause == nil && busyScript == nil
            && !(replicationGate.isReplica && replicaIgnoresMaxMemory)
    }

    /// The time one round may take: maxmemory-eviction-tenacity 0…10 is 0…500 µs, then
    /// 15% more per step, 100 is unlimited.
    private var evictionTimeLimitMicros: Int64 {
        if evictionTenacity <= 10 { return Int64(50 * evictionTenacity) }
        if evictionTenacity < 100 { return Int64(500 * pow(1.15, Double(evictionTenacity - 10))) }
        return .max
    }

    /// Milliseconds spent over maxmemory: in all (finished stretches and the current one)
    /// and in the current stretch (INFO total_/current_eviction_exceeded_time).
    var evictionExceededMilliseconds: (total: Int64, current: Int64) {
        let current = evictionExceededSince.map { clock.monotonicMicroseconds - $0 } ?? 0
        return ((stats.evictionExceededMicros + current) / 1000, current / 1000)
    }

    /// Redis's performEvictions.
    func performEvictions() -> EvictionResult {
        guard mayEvict else { return .ok }
        guard let toFree = memoryToFree() else {
            if let since = evictionExceededSince {
                stats.evictionExceededMicros += clock.monotonicMicroseconds - since
                evictionExceededSince = nil
            }
            evictionContinues = false
            return .ok
        }
        if evictionExceededSince == nil { evictionExceededSince = clock.monotonicMicroseconds }
        if evictionPolicy == .noEviction { return .failed }
        let start = clock.monotonicMicroseconds
        let limit = evictionTimeLimitMicros
        var freed = 0
        var evicted = 0
        var result = EvictionResult.ok
        while freed < toFree {
            guard let (db, index) = pickEvictionVictim() else {
                result = .failed
                break
            }
            freed += evict(db, at: index)
            evicted += 1
            if evicted % 16 == 0 {
                // Lazily freed values leave memory on the other thread: look at the real figure.
                if lazyFreeEviction && memoryToFree() == nil { break }
                if clock.monotonicMicroseconds - start > limit {
                    evictionContinues = true
                    break
                }
            }
        }
        if result == .failed && lazyFree.pendingObjects > 0 {
            // Memory may be on its way back from the freeing thread: wait a little for it.
            measuringLatency("eviction-lazyfree") { _ = usleep(UInt32(clamping: min(limit, 100_000))) }
            if memoryToFree() == nil { result = .ok }
        }
        if result != .failed && evictionContinues {
            result = .running
            scheduleEvictionContinuation()
        }
        if result != .running { evictionContinues = false }
        addLatencySampleIfNeeded("eviction-cycle", milliseconds: (clock.monotonicMicroseconds - start) / 1000)
        return result
    }

    /// While a round ran out of time, another runs as soon as the loop has served what is
    /// waiting (Redis's evictionTimeProc, a timer of 0 ms).
    private func scheduleEvictionContinuation() {
        guard !evictionTaskScheduled, let host else { return }
        evictionTaskScheduled = true
        // A strong capture, held only until the task runs: a weak one would give the engine
        // a side table, after which every retain and release of it takes the slow path.
        host.runOnLoopSoon { [self] in
            evictionTaskScheduled = false
            guard evictionContinues else { return }
            _ = performEvictions()
            if !sessionsWithOutput.isEmpty { flushNotedOutput() }
        }
    }

    /// Removes entry `index` of `db` as an eviction: counted, its watchers and caching
    /// clients told, an `evicted` event, and a DEL (UNLINK with lazyfree-lazy-eviction)
    /// propagated as its own unit. Returns the memory the deletion alone freed: what the
    /// invalidation messages and the propagated DEL take is not the keyspace's, and counting
    /// it would evict for the evictions' own output (Redis measures the same way).
    private func evict(_ db: Database, at index: Int32) -> Int {
        stats.evictedKeys += 1
        let key = db.key(at: index)
        let before = usedMemory
        measuringLatency("eviction-del") { deleteKey(db, at: index, lazily: lazyFreeEviction) }
        // The key's bytes go once `key`, kept for the announcements, is released.
        let freed = before - usedMemory + key.heapSize
        announceRemoval(db, key, lazily: lazyFreeEviction, .evicted, "evicted")
        if !pendingPropagation.isEmpty { flushPropagation() }
        return freed
    }

    /// The key to evict next, as the policy chooses it; nil when there is none.
    private func pickEvictionVictim() -> (Database, Int32)? {
        let volatile = evictionPolicy.isVolatile
        if evictionPolicy.isRandom {
            for _ in 0..<databases.count {
                evictionNextDatabase = (evictionNextDatabase + 1) % databases.count
                let db = databases[evictionNextDatabase]
                if let index = volatile ? db.randomExpiringEntry(using: &random) : db.table.randomEntry() {
                    return (db, index)
                }
            }
            return nil
        }
        while true {
            var candidates = 0
            for db in databases {
                let size = volatile ? db.expiresCount : db.count
                guard size > 0 else { continue }
                candidates += size
                sampleEvictionCandidates(db, volatile: volatile)
            }
            guard candidates > 0 else { return nil }
            // The best candidate that still exists (and still has an expiry, for volatile).
            while let best = evictionPool.popBest() {
                let db = databases[best.database]
                if let index = best.key.withUnsafeBytes({ db.table.find($0) }), !volatile || db.expiry(at: index) != nil {
                    return (db, index)
                }
            }
        }
    }

    /// Offers maxmemory-samples random keys of `db` (keys with an expiry for volatile
    /// policies) to the eviction pool, scored by idle time, rarity of use or nearness of
    /// expiry.
    private func sampleEvictionCandidates(_ db: Database, volatile: Bool) {
        for _ in 0..<maxMemorySamples {
            guard let index = volatile ? db.randomExpiringEntry(using: &random) : db.table.randomEntry() else { return }
            let score: UInt64
            switch evictionPolicy {
            case .allKeysLFU, .volatileLFU:
                score = 255 - UInt64(lfuDecayed(db.clock(at: index)))
            case .volatileTTL:
                score = UInt64.max - UInt64(max(0, db.expiry(at: index) ?? 0))
            default:
                score = UInt64(max(0, idleMilliseconds(db, index)))
            }
            evictionPool.offer(db.key(at: index), database: db.index, score: score)
        }
    }

    /// CONFIG SET maxmemory below the memory in use: logs Redis's warning and evicts as soon
    /// as the command is done.
    func maxMemoryChanged() {
        guard maxMemory > 0 else { return }
        let used = usedMemory
        if used > maxMemory {
            log(
                .warning,
                "WARNING: the new maxmemory value set via CONFIG SET (\(maxMemory)) is smaller than the current memory usage (\(used)). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy."
            )
        }
        // As Redis's eviction timer: keys go once the running command (a whole EXEC, a
        // script) is done, not inside it.
        evictionContinues = true
        scheduleEvictionContinuation()
    }
}

extension Database {
    /// A random entry among the keys with an expiry.
    func randomExpiringEntry(using random: inout FastRandom) -> Int32? {
        guard expiresCount > 0 else { return nil }
        return expiringEntry(at: Int(random.next() % UInt64(expiresCount)))
    }
}
