// Where each byte string of an array sits, found by its bytes: a NodeIndex of
// positions + 1 filed under the strings' hashes (4 to 8 bytes a string, no second
// copy of it, grown a few slots at a time). The array stays its owner's (a big set's
// members, a big hash's fields) and is handed to every call; a removal moves the last
// string into the hole, as the owners do.

struct PositionIndex {
    private var nodes = NodeIndex()

    /// Frees the table (the owner's deinit).
    func deallocate() { nodes.deallocate() }

    /// Slots allocated (MEMORY USAGE), 4 bytes each.
    var capacity: Int { nodes.capacity }

    /// The position in `strings` of `bytes`, whose hash is `hash`, or nil.
    @inline(__always)
    func position(of bytes: UnsafeRawBufferPointer, hash: UInt64, in strings: SegmentedArray<ByteString>) -> Int? {
        nodes.find(hash: hash) { strings[Int($0) - 1].equals(bytes) }.map { Int($0) - 1 }
    }

    /// Files the last of `strings` (just appended), whose hash is `hash`.
    mutating func addLast(of strings: SegmentedArray<ByteString>, hash: UInt64) {
        nodes.insert(Int32(strings.count), hash: hash) { Self.hash(strings, $0) }
    }

    /// Takes `position` out and files the last string there: the owner then moves it.
    /// `hash` is the string's at `position` when the caller has it (it just looked it up).
    mutating func remove(_ position: Int, hash: UInt64? = nil, of strings: SegmentedArray<ByteString>) {
        let hash = hash ?? Self.hash(strings, Int32(position + 1))
        nodes.remove(Int32(position + 1), hash: hash) { Self.hash(strings, $0) }
        let last = strings.count - 1
        if position != last {
            nodes.renumber(Int32(last + 1), to: Int32(position + 1), hash: Self.hash(strings, Int32(last + 1)))
        }
    }

    private static func hash(_ strings: SegmentedArray<ByteString>, _ node: Int32) -> UInt64 {
        strings[Int(node) - 1].withUnsafeBytes { KeyHash.hash($0) }
    }
}
