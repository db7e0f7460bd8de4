// A map from stream IDs to values that also keeps the IDs in order: what a
// consumer group's pending entries list (and each consumer's) needs. Lookups
// go through a hash table (O(1)); order comes from a sorted array of IDs, so
// ranges are a binary search plus a walk. Pending entries arrive in ID order
// almost always (XREADGROUP delivers new entries), so inserting is an append;
// removal leaves the ID in the array as a tombstone (skipped by walks), and the
// array is compacted when tombstones outnumber live IDs.

/// IDs in order, each with a value.
struct OrderedIDMap<Value> {
    private(set) var values: [StreamID: Value] = [:]
    /// Every live ID and some removed ones (tombstones), sorted, from `head` on; the
    /// first and the last are always live.
    private var ids: [StreamID] = []
    private var head = 0
    private var tombstones = 0

    var count: Int { values.count }
    var isEmpty: Bool { values.isEmpty }

    subscript(id: StreamID) -> Value? {
        get { values[id] }
        set {
            if let newValue { insert(id, newValue) } else { remove(id) }
        }
    }

    /// Sets the value of `id`, adding the ID if it is new; returns the value it replaced.
    @discardableResult
    mutating func insert(_ id: StreamID, _ value: Value) -> Value? {
        if let previous = values.updateValue(value, forKey: id) { return previous }
        if head == ids.count || ids[ids.count - 1] < id {
            ids.append(id)
            return nil
        }
        let position = lowerBound(id)
        if position < ids.count && ids[position] == id {
            tombstones -= 1  // the ID was a tombstone: alive again
        } else {
            ids.insert(id, at: position)
        }
        return nil
    }

    /// Removes `id`; returns its value.
    @discardableResult
    mutating func remove(_ id: StreamID) -> Value? {
        guard let value = values.removeValue(forKey: id) else { return nil }
        tombstones += 1
        if values.isEmpty {
            ids.removeAll()
            head = 0
            tombstones = 0
            return value
        }
        // Entries are mostly acknowledged oldest first: keep the front (and the back) free
        // of tombstones. Only removing the first or the last ID can leave one there.
        if ids[head] == id {
            repeat {
                head += 1
                tombstones -= 1
            } while head < ids.count && values[ids[head]] == nil
        }
        if ids.last == id {
            repeat {
                ids.removeLast()
                tombstones -= 1
            } while ids.count > head && values[ids[ids.count - 1]] == nil
        }
        if (tombstones > 64 && tombstones > values.count) || (head > 1024 && head > ids.count / 2) {
            compact()
        }
        return value
    }

    /// Drops tombstones and the consumed front of the array.
    private mutating func compact() {
        ids = ids[head...].filter { values[$0] != nil }
        head = 0
        tombstones = 0
    }

    /// The index of the first ID at or after `id`.
    private func lowerBound(_ id: StreamID) -> Int {
        var low = head
        var high = ids.count
        while low < high {
            let middle = (low + high) / 2
            if ids[middle] < id { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The smallest live ID.
    var first: StreamID? {
        var index = head
        while index < ids.count {
            if values[ids[index]] != nil { return ids[index] }
            index += 1
        }
        return nil
    }

    /// The largest live ID.
    var last: StreamID? {
        var index = ids.count - 1
        while index >= head {
            if values[ids[index]] != nil { return ids[index] }
            index -= 1
        }
        return nil
    }

    /// Calls `body` with each live ID from `start` on, in order, until it returns false.
    func forEach(from start: StreamID = .zero, _ body: (StreamID, Value) -> Bool) {
        var index = lowerBound(start)
        while index < ids.count {
            let id = ids[index]
            if let value = values[id], !body(id, value) { return }
            index += 1
        }
    }

    /// The first live ID after `id` (a cursor's next position).
    func firstID(after id: StreamID) -> StreamID? {
        guard let next = id.next else { return nil }
        var found: StreamID?
        forEach(from: next) { candidate, _ in
            found = candidate
            return false
        }
        return found
    }

    /// Heap bytes, roughly (MEMORY USAGE).
    var allocatedBytes: Int { values.capacity * (MemoryLayout<StreamID>.stride + MemoryLayout<Value>.stride + 8) + ids.capacity * 16 }
}
