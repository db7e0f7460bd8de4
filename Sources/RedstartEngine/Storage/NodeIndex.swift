// Finds a skip list's node by its member: an open-addressing table (linear
// probing) of 32-bit node numbers, 0 meaning empty (node 0 is the list's head,
// never indexed). The members stay in the nodes; the table holds only numbers,
// so a member costs 8 to 16 bytes here instead of a dictionary entry with a copy
// of the member and the score (about 85 bytes per member of a big sorted set).
// The owner supplies the hash of a node's member and the comparison: removal
// shifts the following entries back (no tombstones), growth re-hashes them.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct NodeIndex {
    private var slots: UnsafeMutablePointer<Int32>?
    private var mask = 0
    private(set) var count = 0

    init() {}

    /// Frees the table (the owner's deinit).
    func deallocate() { free(slots) }

    /// Slots allocated (MEMORY USAGE).
    var capacity: Int { slots == nil ? 0 : mask + 1 }

    /// The node whose member `isMember` accepts, among those filed under `hash`.
    @inline(__always)
    func find(hash: UInt64, _ isMember: (Int32) -> Bool) -> Int32? {
        guard let slots else { return nil }
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let node = slots[slot]
            if node == 0 { return nil }
            if isMember(node) { return node }
            slot = (slot + 1) & mask
        }
    }

    /// Files `node` under `hash`; `hashOf` gives the hash of any indexed node (growth).
    mutating func insert(_ node: Int32, hash: UInt64, hashOf: (Int32) -> UInt64) {
        // At most half full: linear probing's runs stay short (a removal re-hashes its run).
        if (count + 1) * 2 > capacity { grow(hashOf) }
        place(node, hash: hash)
        count += 1
    }

    private func place(_ node: Int32, hash: UInt64) {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots![slot] != 0 { slot = (slot + 1) & mask }
        slots![slot] = node
    }

    private mutating func grow(_ hashOf: (Int32) -> UInt64) {
        let old = slots
        let oldCapacity = capacity
        let newCapacity = max(16, oldCapacity * 2)
        guard let fresh = calloc(newCapacity, MemoryLayout<Int32>.stride) else {
            fatalError("out of memory growing a sorted set's member index to \(newCapacity) slots")
        }
        slots = fresh.bindMemory(to: Int32.self, capacity: newCapacity)
        mask = newCapacity - 1
        if let old {
            for slot in 0..<oldCapacity where old[slot] != 0 { place(old[slot], hash: hashOf(old[slot])) }
            free(old)
        }
    }

    /// Takes `node`, filed under `hash`, out; the entries after it in its run move back
    /// where their own hash allows, so every lookup still finds them.
    mutating func remove(_ node: Int32, hash: UInt64, hashOf: (Int32) -> UInt64) {
        guard let slots else { return }
        var hole = Int(truncatingIfNeeded: hash) & mask
        while slots[hole] != node {
            precondition(slots[hole] != 0, "a sorted set node missing from its index")
            hole = (hole + 1) & mask
        }
        var next = hole
        while true {
            next = (next + 1) & mask
            let moving = slots[next]
            if moving == 0 { break }
            let home = Int(truncatingIfNeeded: hashOf(moving)) & mask
            // `moving` may fill the hole unless its home lies cyclically in (hole, next].
            let homeAfterHole = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !homeAfterHole {
                slots[hole] = moving
                hole = next
            }
        }
        slots[hole] = 0
        count -= 1
    }
}
