// A fixed-size bitmap over entry slots: what a snapshot still has to write of
// a key table (Persistence/DatasetSnapshot.swift). Slots past the end read as
// clear, so entries added after the bitmap was made are never in it.

/// One bit per entry slot.
struct SlotBitmap {
    private var words: [UInt64]
    let count: Int

    init(count: Int, filled: Bool) {
        self.count = count
        words = [UInt64](repeating: filled ? .max : 0, count: (count + 63) / 64)
        if filled && count % 64 != 0 { words[words.count - 1] = (1 << UInt64(count % 64)) - 1 }
    }

    @inline(__always)
    func contains(_ slot: Int32) -> Bool {
        let index = Int(slot)
        guard index < count else { return false }
        return words[index >> 6] & (1 << UInt64(index & 63)) != 0
    }

    @inline(__always)
    mutating func clear(_ slot: Int32) {
        let index = Int(slot)
        guard index < count else { return }
        words[index >> 6] &= ~(1 << UInt64(index & 63))
    }

    /// The last set slot below `end`, or nil.
    func previous(before end: Int) -> Int32? {
        guard end > 0 else { return nil }
        let last = min(end, count) - 1
        guard last >= 0 else { return nil }
        var word = last >> 6
        var bits = words[word] & (UInt64.max >> UInt64(63 - (last & 63)))
        while true {
            if bits != 0 { return Int32(word << 6 + 63 - bits.leadingZeroBitCount) }
            word -= 1
            guard word >= 0 else { return nil }
            bits = words[word]
        }
    }

    /// Bytes held.
    var allocatedBytes: Int { words.capacity * 8 }
}
