// Finds a member's number (a big sorted set's record, a big set's or hash's position
// + 1) by its bytes: an open-addressing table (linear probing) of 32-bit numbers, 0
// meaning empty (never a member's). The members stay with their owner; the table holds only numbers,
// so a member costs 8 to 16 bytes here instead of a dictionary entry with a copy
// of the member and the score (about 85 bytes per member of a big sorted set).
// The owner supplies the hash of a node's member and the comparison: removal
// shifts the following entries back (no tombstones). Growth is incremental, as
// Redis's rehashing: the table twice the size takes new entries, and each change
// moves the next 64 slots of the old one, so no single command re-hashes a million
// members (that was a 57 ms stall for a sorted set, 180 ms for a set or hash, at
// 1M members). Meanwhile a lookup tries the new table, then the old one, where the
// moved slots (a prefix, empty now) are skipped: a search that would start or wrap
// into them goes on at the first slot not yet moved, since the entries still there
// sit after that point in runs that nothing else breaks (a removal from the old
// table leaves a tombstone instead of shifting entries back).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct NodeIndex {
    private var slots: UnsafeMutablePointer<Int32>?
    private var mask = 0
    /// Entries in both tables.
    private(set) var count = 0
    /// While growing: the previous table, whose entries move to `slots` a few at a time.
    private var previous: UnsafeMutablePointer<Int32>?
    private var previousMask = 0
    /// Slots of `previous` below this one are moved (empty).
    private var moved = 0
    /// Slots of the previous table moved per change.
    static let slotsMovedPerChange = 64

    init() {}

    /// Frees the tables (the owner's deinit).
    func deallocate() {
        free(slots)
        free(previous)
    }

    /// Slots allocated (MEMORY USAGE).
    var capacity: Int { tableSize + (previous == nil ? 0 : previousMask + 1) }

    /// Slots of the table new entries go to.
    private var tableSize: Int { slots == nil ? 0 : mask + 1 }

    /// Whether the previous table is still being moved (tests).
    var isGrowing: Bool { previous != nil }

    /// The node whose member `isMember` accepts, among those filed under `hash`.
    @inline(__always)
    func find(hash: UInt64, _ isMember: (Int32) -> Bool) -> Int32? {
        guard let slots else { return nil }
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let node = slots[slot]
            if node == 0 { break }
            if isMember(node) { return node }
            slot = (slot + 1) & mask
        }
        guard previous != nil else { return nil }
        return previousSlot(of: hash, where: isMember).map { previous![$0] }
    }

    /// A removed entry of the previous table while it is moved.
    private static let tombstone: Int32 = -1

    /// The slot of the previous table holding the entry under `hash` that `matches`
    /// accepts. The search starts at the home slot, or at the first slot not yet moved
    /// when the home was, and wraps from the end to that slot too.
    @inline(__always)
    private func previousSlot(of hash: UInt64, where matches: (Int32) -> Bool) -> Int? {
        guard let previous else { return nil }
        let home = Int(truncatingIfNeeded: hash) & previousMask
        var slot = home < moved ? moved : home
        while true {
            let node = previous[slot]
            if node == 0 { return nil }
            if node != Self.tombstone && matches(node) { return slot }
            slot = slot == previousMask ? moved : slot + 1
        }
    }

    /// Files `node` under `hash`; `hashOf` gives the hash of any indexed node (growth).
    mutating func insert(_ node: Int32, hash: UInt64, hashOf: (Int32) -> UInt64) {
        moveSome(hashOf)
        // At most half full: linear probing's runs stay short (a removal re-hashes its run).
        if (count + 1) * 2 > tableSize { grow(hashOf) }
        place(node, hash: hash, in: slots!, mask: mask)
        count += 1
    }

    @inline(__always)
    private func place(_ node: Int32, hash: UInt64, in table: UnsafeMutablePointer<Int32>, mask: Int) {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while table[slot] != 0 { slot = (slot + 1) & mask }
        table[slot] = node
    }

    /// Starts moving to a table twice the size (after finishing a move still going on, which
    /// the moving rate makes rare).
    private mutating func grow(_ hashOf: (Int32) -> UInt64) {
        while previous != nil { moveSome(hashOf) }
        let newCapacity = max(16, tableSize * 2)
        guard let fresh = calloc(newCapacity, MemoryLayout<Int32>.stride) else {
            fatalError("out of memory growing a member index to \(newCapacity) slots")
        }
        if let old = slots {
            previous = old
            previousMask = mask
            moved = 0
        }
        slots = fresh.bindMemory(to: Int32.self, capacity: newCapacity)
        mask = newCapacity - 1
        moveSome(hashOf)
    }

    /// Moves the next slots of the previous table; frees it once all are moved.
    private mutating func moveSome(_ hashOf: (Int32) -> UInt64) {
        guard let old = previous else { return }
        let end = min(previousMask + 1, moved + Self.slotsMovedPerChange)
        while moved < end {
            let node = old[moved]
            if node != 0 {
                if node != Self.tombstone { place(node, hash: hashOf(node), in: slots!, mask: mask) }
                old[moved] = 0
            }
            moved += 1
        }
        if moved > previousMask {
            free(old)
            previous = nil
            moved = 0
        }
    }

    /// Takes `node`, filed under `hash`, out; the entries after it in its run move back
    /// where their own hash allows, so every lookup still finds them.
    mutating func remove(_ node: Int32, hash: UInt64, hashOf: (Int32) -> UInt64) {
        guard let slots else { return }
        if !remove(node, hash: hash, hashOf) {
            guard let slot = previousSlot(of: hash, where: { $0 == node }) else {
                preconditionFailure("a node missing from its member index")
            }
            previous![slot] = Self.tombstone
        }
        count -= 1
        moveSome(hashOf)
    }

    /// Removes `node` from the table new entries go to; false when it is not there.
    private func remove(_ node: Int32, hash: UInt64, _ hashOf: (Int32) -> UInt64) -> Bool {
        guard let table = slots else { return false }
        var hole = Int(truncatingIfNeeded: hash) & mask
        while table[hole] != node {
            if table[hole] == 0 { return false }
            hole = (hole + 1) & mask
        }
        var next = hole
        while true {
            next = (next + 1) & mask
            let moving = table[next]
            if moving == 0 { break }
            let home = Int(truncatingIfNeeded: hashOf(moving)) & mask
            // `moving` may fill the hole unless its home lies cyclically in (hole, next].
            let homeAfterHole = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !homeAfterHole {
                table[hole] = moving
                hole = next
            }
        }
        table[hole] = 0
        return true
    }

    /// Files `node` where `old`, filed under the same `hash`, was (a member that moved to
    /// another position).
    mutating func renumber(_ old: Int32, to node: Int32, hash: UInt64) {
        if let table = slots {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while table[slot] != 0 {
                if table[slot] == old {
                    table[slot] = node
                    return
                }
                slot = (slot + 1) & mask
            }
        }
        guard let slot = previousSlot(of: hash, where: { $0 == old }) else {
            preconditionFailure("a node missing from its member index")
        }
        previous![slot] = node
    }
}
