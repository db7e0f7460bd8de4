// The per-key access clock behind OBJECT IDLETIME and OBJECT FREQ, kept as
// Redis keeps its 24-bit lru field: under an LRU (or no) eviction policy the
// unix seconds of the last access; under an LFU policy 16 bits of minutes and
// an 8-bit logarithmic access counter that decays with lfu-decay-time.

extension Engine {
    /// LFU counter of a new key (Redis's LFU_INIT_VAL).
    static let lfuInitialValue: UInt32 = 5
    static let lruClockMax: UInt32 = (1 << 24) - 1

    /// The LRU clock now: unix seconds, 24 bits.
    var lruClock: UInt32 { UInt32(truncatingIfNeeded: commandTime / 1000) & Self.lruClockMax }

    /// The LFU minutes clock now, 16 bits.
    var lfuMinutes: UInt32 { UInt32(truncatingIfNeeded: commandTime / 60_000) & 0xFFFF }

    /// The clock of a key created now.
    var newKeyClock: UInt32 {
        usesLFU ? (lfuMinutes << 8) | Self.lfuInitialValue : lruClock
    }

    /// Records an access to entry `index` of `db`.
    func touch(_ db: Database, _ index: Int32) {
        if usesLFU {
            let counter = lfuLogIncrement(lfuDecayed(db.clock(at: index)))
            db.setClock(at: index, (lfuMinutes << 8) | counter)
        } else {
            db.setClock(at: index, lruClock)
        }
    }

    /// Milliseconds since the last access of entry `index` (OBJECT IDLETIME), as Redis estimates it.
    func idleMilliseconds(_ db: Database, _ index: Int32) -> Int64 {
        idleMilliseconds(clock: db.clock(at: index))
    }

    /// Milliseconds since an LRU clock's time.
    func idleMilliseconds(clock then: UInt32) -> Int64 {
        let now = lruClock
        let seconds = now >= then ? now - then : now + (Self.lruClockMax - then)
        return Int64(seconds) * 1000
    }

    /// The access frequency counter of entry `index` after decay (OBJECT FREQ).
    func accessFrequency(_ db: Database, _ index: Int32) -> UInt32 {
        lfuDecayed(db.clock(at: index))
    }

    /// The counter of an LFU clock, decreased by one per lfu-decay-time minutes since its last access.
    func lfuDecayed(_ clock: UInt32) -> UInt32 {
        let lastAccess = clock >> 8
        var counter = clock & 255
        let now = lfuMinutes
        let elapsed = now >= lastAccess ? now - lastAccess : 65535 - lastAccess + now
        let periods = lfuDecayTime > 0 ? elapsed / UInt32(lfuDecayTime) : 0
        counter = periods > counter ? 0 : counter - periods
        return counter
    }

    /// Increments a counter with probability 1 / ((counter - 5) * lfu-log-factor + 1), saturating at 255.
    private func lfuLogIncrement(_ counter: UInt32) -> UInt32 {
        guard counter < 255 else { return 255 }
        let base = max(0, Double(counter) - Double(Self.lfuInitialValue))
        let probability = 1.0 / (base * Double(lfuLogFactor) + 1)
        return Double(random.next() >> 11) * 0x1.0p-53 < probability ? counter + 1 : counter
    }
}
