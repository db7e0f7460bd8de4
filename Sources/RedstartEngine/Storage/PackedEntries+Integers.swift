// A PackedEntries block holding integers instead of byte strings (the small form of a
// set of integers, Redis's intset): ascending, all of one width, 2, 4 or 8 bytes,
// the narrowest that holds them all (a set of five six-digit numbers is 20 bytes).
// The width is not stored: it is the bytes used over the count.

extension PackedEntries {
    /// The width of the integers held (2 while empty).
    var integerWidth: Int { count == 0 ? 2 : Int(used) / count }

    /// The narrowest width that holds `number`.
    static func integerWidth(for number: Int64) -> Int {
        if number >= Int64(Int16.min) && number <= Int64(Int16.max) { return 2 }
        if number >= Int64(Int32.min) && number <= Int64(Int32.max) { return 4 }
        return 8
    }

    /// Integer `index` (0..<count).
    @inline(__always)
    func integer(at index: Int) -> Int64 {
        integer(at: index, width: integerWidth)
    }

    @inline(__always)
    private func integer(at index: Int, width: Int) -> Int64 {
        let pointer = base! + index * width
        switch width {
        case 2: return Int64(pointer.loadUnaligned(as: Int16.self))
        case 4: return Int64(pointer.loadUnaligned(as: Int32.self))
        default: return pointer.loadUnaligned(as: Int64.self)
        }
    }

    @inline(__always)
    private func store(_ number: Int64, at index: Int, width: Int) {
        let pointer = base! + index * width
        switch width {
        case 2: pointer.storeBytes(of: Int16(number), as: Int16.self)
        case 4: pointer.storeBytes(of: Int32(number), as: Int32.self)
        default: pointer.storeBytes(of: number, as: Int64.self)
        }
    }

    /// Binary search: whether `number` is held, and where it is or would go.
    func searchInteger(_ number: Int64) -> (found: Bool, position: Int) {
        let width = integerWidth
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if integer(at: middle, width: width) < number {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return (low < count && integer(at: low, width: width) == number, low)
    }

    /// Inserts `number` at `position` (from `searchInteger`), widening all if it needs more room.
    mutating func insertInteger(_ number: Int64, at position: Int) {
        let oldWidth = integerWidth
        let width = max(oldWidth, Self.integerWidth(for: number))
        let total = count + 1
        reserve(total * width - byteCount)
        if width != oldWidth {
            // From the end down, so no integer is overwritten before it is read.
            for index in stride(from: count - 1, through: 0, by: -1) {
                let value = integer(at: index, width: oldWidth)
                store(value, at: index + (index >= position ? 1 : 0), width: width)
            }
        } else if position < count {
            (base! + (position + 1) * width).copyMemory(from: base! + position * width, byteCount: (count - position) * width)
        }
        store(number, at: position, width: width)
        setIntegerLayout(count: total, width: width)
    }

    /// Removes integer `position`.
    mutating func removeInteger(at position: Int) {
        let width = integerWidth
        remove(from: position * width, to: (position + 1) * width, entries: 1)
    }

    /// Appends `number`, which is above every integer held (a set built in order).
    mutating func appendInteger(_ number: Int64) {
        insertInteger(number, at: count)
    }
}
