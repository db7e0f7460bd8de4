// The list type's storage (Redis's quicklist): a deque of packed chunks
// (ListChunk). Pushes and pops at either end touch one chunk; an index is found
// by skipping whole chunks by their counts, then walking one chunk from its
// nearer end. Reading never allocates: elements are lent to a closure as bytes
// inside the chunk. A chunk holds up to `list-max-listpack-size` (negative: a
// byte budget of 4 KB << (-n - 1); positive: that many elements, at most 8 KB),
// fixed when the list is created, as Redis does. With `list-compress-depth` n > 0
// every chunk more than n chunks away from both ends is kept LZF-compressed:
// an operation opens (decompresses) the chunks it needs, and `settle` compresses
// again the inside ones it opened, as Redis's quicklist does with its nodes.
// An element of `packedThreshold` bytes or more gets a chunk of its own that
// takes no other element (Redis's plain nodes).
import DequeModule

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A list value.
public final class ChunkedList {
    @exclusivity(unchecked) private var chunks = ChunkArray()
    @exclusivity(unchecked) public private(set) var count = 0
    /// The settings the list was created with (shared with the engine's other lists).
    let shape: ListShape

    /// list-max-listpack-size when the list was created.
    var fill: Int { shape.fill }
    /// list-compress-depth when the list was created: chunks kept plain at each end (0: all).
    var compressDepth: Int { shape.compressDepth }

    public init(shape: ListShape) {
        self.shape = shape
    }

    /// A list with settings of its own.
    public convenience init(fill: Int, compressDepth: Int = 0) {
        self.init(shape: ListShape(fill: fill, compressDepth: compressDepth))
    }

    public var isEmpty: Bool { count == 0 }
    /// Number of chunks (Redis's quicklist nodes; the cost of freeing the list).
    public var chunkCount: Int { chunks.count }
    /// Chunks held compressed (list-compress-depth).
    var compressedChunkCount: Int { chunks.reduce(0) { $0 + ($1.isCompressed ? 1 : 0) } }

    /// Elements of this many bytes or more live alone in a plain chunk: Redis's
    /// packed_threshold (1 GB; DEBUG QUICKLIST-PACKED-THRESHOLD changes it, for tests).
    nonisolated(unsafe) static var packedThreshold = 1 << 30

    /// Whether an element of `length` bytes gets a plain chunk of its own.
    @inline(__always)
    static func isLarge(_ length: Int) -> Bool { length >= packedThreshold }

    /// A new chunk whose first element is `length` bytes long. In a list of two chunks or
    /// more it gets the whole budget at once: growing it by doubling would leave the freed
    /// smaller buffers as holes that no later full-size chunk fits in (measured: 5 bytes of
    /// RSS per element of a 1M-element list).
    private func newChunk(for length: Int, growingAtFront: Bool) -> ListChunk {
        let capacity = chunks.count >= 2 ? max(byteBudget, ListChunk.entrySize(length)) : firstCapacity(length)
        let chunk = ListChunk(capacity: capacity, growingAtFront: growingAtFront)
        chunk.isPlain = Self.isLarge(length)
        return chunk
    }

    /// Bytes of the chunk budget for `fill` (byte budget for negative, a safety cap for positive):
    /// 4 KB to 64 KB less 16 bytes, so that a full chunk's buffer and malloc's header fill
    /// a round size (8 KB for the default -2) and two fit exactly where a freed 16 KB
    /// buffer was. A budget of exactly 8 KB makes 8,208-byte blocks that leave an 8 KB
    /// hole no other chunk fits in each time one takes half of a freed 16 KB block
    /// (measured: 5 bytes of RSS per element of a 1M-element list).
    private var byteBudget: Int {
        (fill < 0 ? 4096 << min(4, -fill - 1) : 8192) - 16
    }

    /// Whether `chunk` can take one more element of `length` bytes.
    @inline(__always)
    private func accepts(_ chunk: ListChunk, length: Int) -> Bool {
        if chunk.isPlain || Self.isLarge(length) { return false }
        let size = ListChunk.entrySize(length)
        if chunk.byteCount + size > byteBudget { return chunk.isEmpty }
        return fill < 0 || chunk.count < max(fill, 1)
    }

    /// Capacity of a new chunk for a first element of `length` bytes.
    private func firstCapacity(_ length: Int) -> Int {
        min(max(ListChunk.entrySize(length) * 2, 32), max(byteBudget, ListChunk.entrySize(length)))
    }

    // MARK: - Compression

    /// Chunk `index`, decompressed for use (an operation's every access to a chunk's bytes
    /// goes through here).
    @inline(__always)
    private func open(_ index: Int) -> ListChunk {
        let chunk = chunks[index]
        if chunk.isCompressed {
            chunk.decompress()
            shape.opened.append(chunk)
        }
        return chunk
    }

    /// Whether chunk `index` lies deeper than `compressDepth` from both ends.
    @inline(__always)
    private func isInside(_ index: Int) -> Bool {
        compressDepth > 0 && index >= compressDepth && index < chunks.count - compressDepth
    }

    /// A walk is done with chunk `index`: compressed again if it lies inside.
    @inline(__always)
    private func close(_ index: Int) {
        if isInside(index) { chunks[index].compress() }
    }

    /// A chunk the operation created in the middle of the list: `settle` judges it.
    private func created(_ chunk: ListChunk) {
        if compressDepth > 0 { shape.opened.append(chunk) }
    }

    /// Ends an operation: the chunks near the ends are plain, the first inside ones and
    /// every inside chunk the operation opened or created are compressed.
    private func settle() {
        guard compressDepth > 0 else { return }
        let total = chunks.count
        let depth = min(compressDepth, total)
        for index in 0..<depth {
            chunks[index].decompress()
            chunks[total - 1 - index].decompress()
        }
        if total > 2 * compressDepth {
            chunks[compressDepth].compress()
            chunks[total - 1 - compressDepth].compress()
            for chunk in shape.opened where !chunk.isCompressed {
                let nearEnd = (0..<compressDepth).contains { chunks[$0] === chunk || chunks[total - 1 - $0] === chunk }
                if !nearEnd { chunk.compress() }
            }
        }
        shape.opened.removeAll(keepingCapacity: true)
    }

    // MARK: - Ends

    /// Adds an element at the front or at the back: into the end chunk while it has room,
    /// else into a new chunk there.
    public func push(_ bytes: UnsafeRawBufferPointer, atFront: Bool) {
        defer { settle() }
        if !chunks.isEmpty, case let end = open(atFront ? 0 : chunks.count - 1), accepts(end, length: bytes.count) {
            if atFront { end.prepend(bytes, limit: byteBudget) } else { end.append(bytes, limit: byteBudget) }
        } else {
            let chunk = newChunk(for: bytes.count, growingAtFront: atFront)
            if atFront {
                chunk.prepend(bytes)
                chunks.prepend(chunk)
            } else {
                chunk.append(bytes)
                chunks.append(chunk)
            }
        }
        count += 1
    }

    /// Sizes the first chunk of a new, empty list for elements of `lengths` pushed at once
    /// (an RPUSH with its elements): one buffer of exactly their size, not one that doubled
    /// its way there. Nothing happens when they would not share one chunk.
    public func reserveFirstChunk(forLengths lengths: some Sequence<Int>, atFront: Bool) {
        guard chunks.isEmpty else { return }
        var bytes = 0
        var elements = 0
        for length in lengths {
            if Self.isLarge(length) { return }
            bytes += ListChunk.entrySize(length)
            elements += 1
        }
        guard bytes > 0, bytes <= byteBudget, fill < 0 || elements <= fill else { return }
        chunks.append(ListChunk(capacity: bytes, growingAtFront: atFront))
    }

    public func pushFront(_ bytes: UnsafeRawBufferPointer) { push(bytes, atFront: true) }
    public func pushBack(_ bytes: UnsafeRawBufferPointer) { push(bytes, atFront: false) }

    /// Removes the first (or last) element after lending its bytes to `body`.
    @discardableResult
    public func pop<R>(fromFront: Bool, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard !chunks.isEmpty else { return nil }
        defer { settle() }
        let chunk = open(fromFront ? 0 : chunks.count - 1)
        let offset = fromFront ? chunk.head : chunk.entryStart(endingAt: chunk.tail)
        let result = try body(chunk.bytes(at: offset))
        if fromFront { chunk.removeFirst(1) } else { chunk.removeLast(1) }
        count -= 1
        if chunk.isEmpty {
            if fromFront { chunks.removeFirst() } else { chunks.removeLast() }
        }
        return result
    }

    /// Removes the first (or last) element and returns a copy of it.
    public func pop(fromFront: Bool) -> [UInt8]? {
        pop(fromFront: fromFront) { Array($0) }
    }

    // MARK: - Positions

    /// Where element `index` (0-based, in range) is: its chunk and byte offset.
    private func locate(_ index: Int) -> (chunk: Int, offset: Int) {
        var chunkIndex: Int
        var within: Int
        if index < count / 2 {
            chunkIndex = 0
            within = index
            while within >= chunks[chunkIndex].count {
                within -= chunks[chunkIndex].count
                chunkIndex += 1
            }
        } else {
            chunkIndex = chunks.count - 1
            var fromEnd = count - 1 - index
            while fromEnd >= chunks[chunkIndex].count {
                fromEnd -= chunks[chunkIndex].count
                chunkIndex -= 1
            }
            within = chunks[chunkIndex].count - 1 - fromEnd
        }
        return (chunkIndex, offset(of: within, in: open(chunkIndex)))
    }

    /// The byte offset of element `within` of `chunk`, walked from the nearer end.
    private func offset(of within: Int, in chunk: ListChunk) -> Int {
        if within <= chunk.count / 2 {
            var offset = chunk.head
            for _ in 0..<within { offset = chunk.entry(at: offset).next }
            return offset
        }
        var end = chunk.tail
        for _ in 0..<(chunk.count - within) { end = chunk.entryStart(endingAt: end) }
        return end
    }

    /// An index of a command (negative counts from the end) as a position, or nil outside the list.
    public func normalizedIndex(_ index: Int64) -> Int? {
        let resolved = index < 0 ? Int64(count) + index : index
        return resolved >= 0 && resolved < Int64(count) ? Int(resolved) : nil
    }

    // MARK: - Reading

    /// Lends element `index` (0-based, in range) to `body`.
    public func withElement<R>(at index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        defer { settle() }
        let (chunk, offset) = locate(index)
        return try body(chunks[chunk].bytes(at: offset))
    }

    /// Lends the elements `range` (in bounds) to `body`, in order.
    public func forEach(in range: ClosedRange<Int>, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        defer { settle() }
        var (chunkIndex, offset) = locate(range.lowerBound)
        var remaining = range.count
        var isFirst = true
        while remaining > 0 {
            let chunk = open(chunkIndex)
            // Opening a compressed chunk moves its bytes: a later chunk's start is read after.
            if !isFirst { offset = chunk.head }
            isFirst = false
            while remaining > 0 && offset < chunk.tail {
                let (data, length, next) = chunk.entry(at: offset)
                try body(UnsafeRawBufferPointer(start: chunk.base + data, count: length))
                offset = next
                remaining -= 1
            }
            close(chunkIndex)
            chunkIndex += 1
        }
    }

    /// Walks the elements from the front (or the back) with their indexes until `body` returns false.
    public func scan(fromFront: Bool, _ body: (Int, UnsafeRawBufferPointer) throws -> Bool) rethrows {
        defer { settle() }
        if fromFront {
            var index = 0
            for chunkIndex in chunks.indices {
                let chunk = open(chunkIndex)
                defer { close(chunkIndex) }
                var offset = chunk.head
                while offset < chunk.tail {
                    let (data, length, next) = chunk.entry(at: offset)
                    if try !body(index, UnsafeRawBufferPointer(start: chunk.base + data, count: length)) { return }
                    offset = next
                    index += 1
                }
            }
        } else {
            var index = count - 1
            for chunkIndex in chunks.indices.reversed() {
                let chunk = open(chunkIndex)
                defer { close(chunkIndex) }
                var end = chunk.tail
                while end > chunk.head {
                    let start = chunk.entryStart(endingAt: end)
                    if try !body(index, chunk.bytes(at: start)) { return }
                    end = start
                    index -= 1
                }
            }
        }
    }

    // MARK: - Changes in the middle

    /// Replaces element `index` (in range) with `bytes` (LSET).
    public func replace(at index: Int, with bytes: UnsafeRawBufferPointer) {
        defer { settle() }
        let (chunkIndex, offset) = locate(index)
        let chunk = chunks[chunkIndex]
        let next = chunk.entry(at: offset).next
        if Self.isLarge(bytes.count) && chunk.count > 1 {
            // A large element among others: out of this chunk, into one of its own there.
            chunk.replace(offset..<next, removing: 1, with: nil)
            count -= 1
            insert(bytes, chunk: chunkIndex, offset: offset)
            return
        }
        chunk.replace(offset..<next, removing: 1, with: bytes, limit: byteBudget)
        // A chunk of one element is plain or packed as that element is now.
        chunk.isPlain = Self.isLarge(bytes.count)
    }

    /// Inserts `bytes` before or after the first element equal to `pivot` (LINSERT);
    /// false when there is no such element.
    public func insert(_ bytes: UnsafeRawBufferPointer, relativeTo pivot: UnsafeRawBufferPointer, after: Bool) -> Bool {
        defer { settle() }
        var found: (chunk: Int, offset: Int)?
        search: for chunkIndex in chunks.indices {
            let chunk = open(chunkIndex)
            var offset = chunk.head
            while offset < chunk.tail {
                let (data, length, next) = chunk.entry(at: offset)
                if length == pivot.count && equalBytes(chunk.base + data, pivot) {
                    found = (chunkIndex, after ? next : offset)
                    break search
                }
                offset = next
            }
            close(chunkIndex)
        }
        guard let found else { return false }
        insert(bytes, chunk: found.chunk, offset: found.offset)
        return true
    }

    /// Inserts an element at byte `offset` of chunk `chunkIndex`, splitting a full chunk.
    private func insert(_ bytes: UnsafeRawBufferPointer, chunk chunkIndex: Int, offset: Int) {
        let chunk = open(chunkIndex)
        count += 1
        if accepts(chunk, length: bytes.count) {
            chunk.replace(offset..<offset, removing: 0, with: bytes, limit: byteBudget)
            return
        }
        if offset == chunk.head {
            // At the front of a full chunk: the end of the previous chunk, or a new chunk.
            if chunkIndex > 0, accepts(chunks[chunkIndex - 1], length: bytes.count) {
                open(chunkIndex - 1).append(bytes, limit: byteBudget)
            } else {
                let fresh = newChunk(for: bytes.count, growingAtFront: false)
                fresh.append(bytes)
                chunks.insert(fresh, at: chunkIndex)
                created(fresh)
            }
            return
        }
        if offset == chunk.tail {
            if chunkIndex + 1 < chunks.count, accepts(chunks[chunkIndex + 1], length: bytes.count) {
                open(chunkIndex + 1).prepend(bytes, limit: byteBudget)
            } else {
                let fresh = newChunk(for: bytes.count, growingAtFront: true)
                fresh.prepend(bytes)
                chunks.insert(fresh, at: chunkIndex + 1)
                created(fresh)
            }
            return
        }
        // In the middle: split the chunk there, then add the element to the end of the first half.
        var before = 0
        var walk = chunk.head
        while walk < offset {
            walk = chunk.entry(at: walk).next
            before += 1
        }
        let second = chunk.split(at: offset, elementsBefore: before)
        chunks.insert(second, at: chunkIndex + 1)
        created(second)
        if Self.isLarge(bytes.count) {
            // A large element goes between the halves, alone.
            let fresh = newChunk(for: bytes.count, growingAtFront: false)
            fresh.append(bytes)
            chunks.insert(fresh, at: chunkIndex + 1)
            created(fresh)
        } else {
            chunk.append(bytes, limit: byteBudget)
        }
    }

    /// Removes up to `limit` elements equal to `value` (0: all), from the front or the back (LREM).
    public func removeAll(equalTo value: UnsafeRawBufferPointer, limit: Int, fromFront: Bool) -> Int {
        defer { settle() }
        var removed = 0
        var chunkIndex = fromFront ? 0 : chunks.count - 1
        while chunkIndex >= 0 && chunkIndex < chunks.count && (limit == 0 || removed < limit) {
            let chunk = open(chunkIndex)
            if fromFront {
                var offset = chunk.head
                while offset < chunk.tail && (limit == 0 || removed < limit) {
                    let (data, length, next) = chunk.entry(at: offset)
                    if length == value.count && equalBytes(chunk.base + data, value) {
                        chunk.replace(offset..<next, removing: 1, with: nil)
                        removed += 1
                        // The bytes behind moved forward: the next element now starts at `offset`.
                    } else {
                        offset = next
                    }
                }
            } else {
                var end = chunk.tail
                while end > chunk.head && (limit == 0 || removed < limit) {
                    let start = chunk.entryStart(endingAt: end)
                    let (data, length, _) = chunk.entry(at: start)
                    if length == value.count && equalBytes(chunk.base + data, value) {
                        // Only the bytes behind move: the walk goes on from `start`.
                        chunk.replace(start..<end, removing: 1, with: nil)
                        removed += 1
                    }
                    end = start
                }
            }
            if chunk.isEmpty {
                chunks.remove(at: chunkIndex)
                if fromFront { continue }
            } else {
                close(chunkIndex)
            }
            chunkIndex += fromFront ? 1 : -1
        }
        count -= removed
        return removed
    }

    /// Removes `front` elements from the front and `back` from the back (LTRIM, LPOP count).
    public func removeEnds(front: Int, back: Int) {
        defer { settle() }
        var remaining = min(front, count)
        count -= remaining
        while remaining > 0, !chunks.isEmpty {
            let first = chunks[0]
            if first.count <= remaining {
                remaining -= first.count
                chunks.removeFirst()
            } else {
                open(0).removeFirst(remaining)
                remaining = 0
            }
        }
        remaining = min(back, count)
        count -= remaining
        while remaining > 0, !chunks.isEmpty {
            let last = chunks[chunks.count - 1]
            if last.count <= remaining {
                remaining -= last.count
                chunks.removeLast()
            } else {
                open(chunks.count - 1).removeLast(remaining)
                remaining = 0
            }
        }
    }

    // MARK: - Whole list

    /// Lines describing the chunks (DEBUG QUICKLIST), with every element when `full`.
    func describe(full: Bool) -> [String] {
        var lines = ["{count : \(count)}", "{len : \(chunks.count)}", "{fill : \(fill)}", "{compress : \(compressDepth)}"]
        for index in chunks.indices {
            let chunk = chunks[index]
            lines.append("{quicklist node(\(index))")
            lines.append(
                "{container : \(chunk.isPlain ? "PLAIN" : "PACKED"), compressed : \(chunk.isCompressed ? 1 : 0), "
                    + "count : \(chunk.count), bytes : \(chunk.byteCount)}")
            if full {
                let unpacked = open(index)
                var offset = unpacked.head
                var position = 0
                while offset < unpacked.tail {
                    let (data, length, next) = unpacked.entry(at: offset)
                    let bytes = UnsafeRawBufferPointer(start: unpacked.base + data, count: length)
                    lines.append("\t{index : \(position), len : \(length), value : \(String(decoding: bytes, as: UTF8.self))}")
                    offset = next
                    position += 1
                }
                close(index)
            }
            lines.append("}")
        }
        settle()
        return lines
    }

    /// An independent copy (COPY).
    public func copy() -> ChunkedList {
        let other = ChunkedList(shape: shape)
        scan(fromFront: true) { _, bytes in
            other.pushBack(bytes)
            return true
        }
        return other
    }

    /// Bytes held by the list, for MEMORY USAGE.
    public var allocatedBytes: Int {
        48 + chunks.reduce(0) { $0 + $1.allocatedBytes } + mallocSize(chunks.count * 8 + 32)
    }
}

/// Whether `count` bytes at `pointer` equal `other`.
@inline(__always)
private func equalBytes(_ pointer: UnsafeMutableRawPointer, _ other: UnsafeRawBufferPointer) -> Bool {
    guard let start = other.baseAddress, other.count > 0 else { return true }
    return memcmp(pointer, start, other.count) == 0
}
