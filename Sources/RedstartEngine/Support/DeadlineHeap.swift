// A binary min-heap of (deadline, item): the earliest deadline on top. Items
// are not removed when they stop waiting; the owner skips stale entries when
// they surface (cheaper than finding them in the heap).

/// Items ordered by deadline, earliest first.
struct DeadlineHeap<Item: AnyObject> {
    private var entries: [(deadline: Int64, item: Item)] = []

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }
    /// The earliest entry.
    var first: (deadline: Int64, item: Item)? { entries.first }

    mutating func insert(_ item: Item, deadline: Int64) {
        entries.append((deadline, item))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry.
    @discardableResult
    mutating func removeFirst() -> (deadline: Int64, item: Item)? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let top = entries.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < entries.count && entries[left].deadline < entries[smallest].deadline { smallest = left }
            if right < entries.count && entries[right].deadline < entries[smallest].deadline { smallest = right }
            if smallest == parent { break }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }

    /// Drops entries for which `isStale` holds (when too many have piled up).
    mutating func removeAll(where isStale: (Item) -> Bool) {
        let kept = entries.filter { !isStale($0.item) }
        entries = []
        for entry in kept { insert(entry.item, deadline: entry.deadline) }
    }
}
