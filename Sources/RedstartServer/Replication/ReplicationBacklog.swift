// The replication backlog: the last `repl-backlog-size` bytes of the replication
// stream in a ring, and the stream's offsets. A replica that lost its link asks
// for the bytes after the last one it applied (PSYNC replid offset); while they
// are still here it gets them (+CONTINUE) instead of a whole new copy.
//
// Offsets are Redis's: master_repl_offset counts every byte ever fed; the
// backlog holds the `histlen` bytes ending at it, so its first byte has offset
// master_repl_offset - histlen + 1.

/// The ring of the stream's most recent bytes.
struct ReplicationBacklog {
    private var ring: [UInt8]
    /// Where the next byte goes in `ring`.
    private var writeIndex = 0
    /// Bytes held (at most the ring's size).
    private(set) var historyLength = 0
    /// The offset of the last byte fed (master_repl_offset).
    private(set) var endOffset: Int64

    /// An empty backlog of `size` bytes whose next byte will have offset `endOffset + 1`.
    init(size: Int, endOffset: Int64) {
        ring = [UInt8](repeating: 0, count: max(1, size))
        self.endOffset = endOffset
    }

    var size: Int { ring.count }

    /// The offset of the oldest byte held (repl_backlog_first_byte_offset).
    var firstByteOffset: Int64 { endOffset - Int64(historyLength) + 1 }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        endOffset += Int64(bytes.count)
        var source = bytes
        // Only the last `size` bytes can stay.
        if source.count > ring.count { source = UnsafeRawBufferPointer(rebasing: source[(source.count - ring.count)...]) }
        ring.withUnsafeMutableBytes { ring in
            var remaining = source
            while !remaining.isEmpty {
                let room = ring.count - writeIndex
                let count = min(room, remaining.count)
                UnsafeMutableRawBufferPointer(rebasing: ring[writeIndex..<(writeIndex + count)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: remaining[..<count]))
                writeIndex = (writeIndex + count) % ring.count
                remaining = UnsafeRawBufferPointer(rebasing: remaining[count...])
            }
        }
        historyLength = min(ring.count, historyLength + bytes.count)
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Whether the bytes from `offset` (the first one a replica lacks) to the end are held.
    func holds(from offset: Int64) -> Bool {
        historyLength > 0 ? offset >= firstByteOffset && offset <= endOffset + 1 : offset == endOffset + 1
    }

    /// The bytes from `offset` to the end; `holds(from:)` must be true.
    func bytes(from offset: Int64) -> [UInt8] {
        let count = Int(endOffset + 1 - offset)
        guard count > 0 else { return [] }
        var out = [UInt8]()
        out.reserveCapacity(count)
        let start = (writeIndex - count + ring.count) % ring.count
        if start + count <= ring.count {
            out.append(contentsOf: ring[start..<(start + count)])
        } else {
            out.append(contentsOf: ring[start...])
            out.append(contentsOf: ring[..<(count - (ring.count - start))])
        }
        return out
    }

    /// A new size (CONFIG SET repl-backlog-size): the most recent bytes that fit are kept.
    mutating func resize(_ newSize: Int) {
        let newSize = max(1, newSize)
        guard newSize != ring.count else { return }
        let kept = bytes(from: endOffset + 1 - Int64(min(historyLength, newSize)))
        let end = endOffset
        self = ReplicationBacklog(size: newSize, endOffset: end - Int64(kept.count))
        append(kept)
    }

    /// Bytes of memory the backlog holds (INFO mem_replication_backlog).
    var memory: Int { ring.count }
}
