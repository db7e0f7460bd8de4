// A growable array in segments of 2,048 elements, for the members of big sets, the
// fields and values of big hashes and a big sorted set's members. A Swift Array
// doubles by copying all of it: at a million members that is 16 to 70 MB copied (and
// as much of fresh pages touched) inside one SADD, HSET or ZADD, a 12-26 ms stall. Here the first segment grows by doubling up to the
// segment size (a small table stays small) and every later segment is allocated whole,
// so growing never copies more than one segment. An index costs a shift, a mask and
// one more load than an Array's.
//
// The owner (a class) holds it and calls `deallocate()` in its deinit. A copy shares
// the segments: copies only read and write elements in place (a lookup, an iterator),
// never append, remove or free, which change the count and segments of one copy only.

struct SegmentedArray<Element> {
    static var segmentShift: Int { 11 }
    static var segmentSize: Int { 1 << segmentShift }
    static var segmentMask: Int { segmentSize - 1 }

    /// The segments, `segmentCount` of them in a directory of `directoryCapacity` slots.
    private var segments: UnsafeMutablePointer<UnsafeMutablePointer<Element>>?
    private var segmentCount = 0
    private var directoryCapacity = 0
    /// The first segment's room while it is the only one (then every segment is whole).
    private var firstCapacity = 0
    private(set) var count = 0

    init() {}

    /// Elements allocated (MEMORY USAGE).
    var capacity: Int { segmentCount <= 1 ? firstCapacity : segmentCount << Self.segmentShift }

    var isEmpty: Bool { count == 0 }
    var indices: Range<Int> { 0..<count }

    /// Read and written in place (a field of an element changes without copying the
    /// element out and back).
    subscript(position: Int) -> Element {
        @inline(__always) unsafeAddress { UnsafePointer(address(of: position)) }
        @inline(__always) nonmutating unsafeMutableAddress { address(of: position) }
    }

    @inline(__always)
    private func address(of position: Int) -> UnsafeMutablePointer<Element> {
        precondition(position >= 0 && position < count, "index out of range")
        return segments![position >> Self.segmentShift] + (position & Self.segmentMask)
    }

    /// Room for `capacity` elements in the first segment (at most a segment's worth).
    mutating func reserveCapacity(_ capacity: Int) {
        guard segmentCount <= 1 else { return }
        growFirstSegment(to: Swift.min(capacity, Self.segmentSize))
    }

    mutating func append(_ element: Element) {
        let offset = count & Self.segmentMask
        if count == capacity {
            if segmentCount <= 1 && firstCapacity < Self.segmentSize {
                growFirstSegment(to: Swift.min(Self.segmentSize, Swift.max(4, firstCapacity * 2)))
            } else {
                addSegment(UnsafeMutablePointer<Element>.allocate(capacity: Self.segmentSize))
            }
        }
        (segments![count >> Self.segmentShift] + offset).initialize(to: element)
        count += 1
    }

    /// Removes the last element. An emptied segment is freed once the one before it is half
    /// empty too (not the first): removals and additions around a boundary do not allocate
    /// and free a segment each time.
    mutating func removeLast() {
        precondition(count > 0, "removeLast of an empty array")
        count -= 1
        (segments![count >> Self.segmentShift] + (count & Self.segmentMask)).deinitialize(count: 1)
        if segmentCount > 1 && count + Self.segmentSize / 2 <= (segmentCount - 1) << Self.segmentShift {
            segmentCount -= 1
            segments![segmentCount].deallocate()
        }
    }

    /// Drops every element and frees the memory.
    mutating func deallocate() {
        guard let segments else { return }
        for index in 0..<segmentCount {
            let used = Swift.min(Self.segmentSize, count - (index << Self.segmentShift))
            if used > 0 { segments[index].deinitialize(count: used) }
            segments[index].deallocate()
        }
        segments.deallocate()
        self = SegmentedArray()
    }

    private mutating func growFirstSegment(to newCapacity: Int) {
        guard newCapacity > firstCapacity else { return }
        let grown = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        if segmentCount == 1 {
            grown.moveInitialize(from: segments![0], count: count)
            segments![0].deallocate()
            segments![0] = grown
        } else {
            addSegment(grown)
        }
        firstCapacity = newCapacity
    }

    private mutating func addSegment(_ segment: UnsafeMutablePointer<Element>) {
        if segmentCount == directoryCapacity {
            let grown = UnsafeMutablePointer<UnsafeMutablePointer<Element>>.allocate(capacity: Swift.max(4, directoryCapacity * 2))
            if let segments {
                grown.moveInitialize(from: segments, count: segmentCount)
                segments.deallocate()
            }
            segments = grown
            directoryCapacity = Swift.max(4, directoryCapacity * 2)
        }
        (segments! + segmentCount).initialize(to: segment)
        segmentCount += 1
    }
}

extension SegmentedArray: Sequence {
    struct Iterator: IteratorProtocol {
        let array: SegmentedArray
        var position = 0

        mutating func next() -> Element? {
            guard position < array.count else { return nil }
            defer { position += 1 }
            return array[position]
        }
    }

    func makeIterator() -> Iterator { Iterator(array: self) }
}
