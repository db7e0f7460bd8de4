// The keys of a database that have an expiry time, as a dense array of (entry,
// time) pairs. Entries point back at their slot (KeyEntry.expirySlot), so
// adding, changing and removing an expiry are O(1) (removal moves the last pair
// into the hole). The active expiry cycle walks the array with a rotating
// cursor; INFO's avg_ttl comes from the running sum of the times.

/// Expiry times of one database.
struct ExpiryIndex {
    private(set) var entries: [Int32] = []
    private(set) var times: [Int64] = []
    /// Where the active expiry cycle continues.
    var cursor = 0
    /// Sum of the times (for the mean TTL); Double so that far-future times cannot overflow.
    private(set) var timeSum: Double = 0

    var count: Int { entries.count }

    /// Appends a pair; returns its slot.
    mutating func add(entry: Int32, time: Int64) -> Int32 {
        entries.append(entry)
        times.append(time)
        timeSum += Double(time)
        return Int32(entries.count - 1)
    }

    /// Changes the time in `slot`.
    mutating func update(slot: Int32, time: Int64) {
        timeSum += Double(time) - Double(times[Int(slot)])
        times[Int(slot)] = time
    }

    /// Removes `slot`; returns the entry moved into it (whose slot changed), if any.
    mutating func remove(slot: Int32) -> Int32? {
        let position = Int(slot)
        timeSum -= Double(times[position])
        let last = entries.count - 1
        if position != last {
            entries[position] = entries[last]
            times[position] = times[last]
        }
        entries.removeLast()
        times.removeLast()
        if entries.isEmpty { timeSum = 0 }
        return position != last ? entries[position] : nil
    }

    /// The time in `slot`.
    func time(_ slot: Int32) -> Int64 { times[Int(slot)] }

    mutating func removeAll() {
        entries.removeAll()
        times.removeAll()
        timeSum = 0
        cursor = 0
    }
}
