// Iteration over a KeyTable with Redis's reverse-binary cursor: the cursor's
// bits are incremented from the top, so when the table doubles or halves
// between calls, buckets already visited map onto buckets the cursor has
// already passed. Every key present for the whole iteration is returned at
// least once; some may come twice.

extension KeyTable {
    /// Calls `visit` for every entry of the bucket(s) `cursor` names and returns the
    /// next cursor (0 when the iteration is complete).
    public func scan(_ cursor: UInt64, _ visit: (Int32) -> Void) -> UInt64 {
        guard let main else { return 0 }
        var v = cursor
        if target == nil {
            let mask = UInt64(main.mask)
            visitBucket(main, Int(v & mask), visit)
            v |= ~mask
            return Self.advance(v)
        }
        // While rehashing, visit the small table's bucket, then every bucket of the
        // large table that expands it.
        var small = main
        var large = target!
        if small.size > large.size { swap(&small, &large) }
        let smallMask = UInt64(small.mask)
        let largeMask = UInt64(large.mask)
        visitBucket(small, Int(v & smallMask), visit)
        repeat {
            visitBucket(large, Int(v & largeMask), visit)
            v |= ~largeMask
            v = Self.advance(v)
        } while v & (smallMask ^ largeMask) != 0
        return v
    }

    private func visitBucket(_ table: BucketArray, _ bucket: Int, _ visit: (Int32) -> Void) {
        var index = table[bucket]
        while index >= 0 {
            let next = arena.pointer(index).pointee.next
            visit(index)
            index = next
        }
    }

    /// Increments the reversed cursor.
    private static func advance(_ v: UInt64) -> UInt64 {
        var reversed = v.bitReversed
        reversed &+= 1
        return reversed.bitReversed
    }
}

extension UInt64 {
    /// The bits in reverse order.
    var bitReversed: UInt64 {
        var v = self
        v = ((v >> 1) & 0x5555_5555_5555_5555) | ((v & 0x5555_5555_5555_5555) << 1)
        v = ((v >> 2) & 0x3333_3333_3333_3333) | ((v & 0x3333_3333_3333_3333) << 2)
        v = ((v >> 4) & 0x0F0F_0F0F_0F0F_0F0F) | ((v & 0x0F0F_0F0F_0F0F_0F0F) << 4)
        v = ((v >> 8) & 0x00FF_00FF_00FF_00FF) | ((v & 0x00FF_00FF_00FF_00FF) << 8)
        v = ((v >> 16) & 0x0000_FFFF_0000_FFFF) | ((v & 0x0000_FFFF_0000_FFFF) << 16)
        return (v >> 32) | (v << 32)
    }
}
