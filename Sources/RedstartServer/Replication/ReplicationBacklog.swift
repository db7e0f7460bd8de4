// The replication backlog, as Redis 7.0 keeps it: the stream's recent bytes in
// blocks of 16 KB, shared by the backlog and by the replicas that still need
// them. A replica that lost its link asks for the bytes after the last one it
// applied (PSYNC replid offset); while they are here it gets them (+CONTINUE)
// instead of a whole new copy.
//
// The backlog keeps at least `repl-backlog-size` bytes; a block older than that
// goes only once no replica needs it: a replica receiving its copy needs the
// stream from where its copy began, an online replica what it has not been
// sent yet. So while a slow replica holds data the history grows past
// repl-backlog-size (and a replica may continue from it), and the bytes are
// kept once however many replicas wait for them.
//
// Offsets are Redis's: the last byte fed is master_repl_offset; the first held
// is master_repl_offset - histlen + 1.
import DequeModule

/// The stream's recent bytes.
struct ReplicationBacklog {
    private struct Block {
        /// The offset of its first byte.
        let start: Int64
        var bytes: [UInt8]
    }

    /// 16 KB allocations: the block's bytes and the array's header.
    static let blockSize = 16 * 1024 - 32
    private var blocks = Deque<Block>()
    /// The offset of the last byte fed (master_repl_offset).
    private(set) var endOffset: Int64
    /// repl-backlog-size: the history kept whether replicas need it or not.
    var size: Int

    /// An empty backlog whose next byte will have offset `endOffset + 1`.
    init(size: Int, endOffset: Int64) {
        self.size = max(1, size)
        self.endOffset = endOffset
    }

    /// The offset of the oldest byte held (repl_backlog_first_byte_offset).
    var firstByteOffset: Int64 { blocks.first?.start ?? endOffset + 1 }

    /// Bytes held (repl_backlog_histlen).
    var historyLength: Int { Int(endOffset + 1 - firstByteOffset) }

    /// Memory the blocks hold (mem_total_replication_buffers): their allocations, and the
    /// list's (which grows by doubling).
    var memory: Int {
        guard !blocks.isEmpty else { return 0 }
        let list = (1 << (Int.bitWidth - (blocks.count - 1).leadingZeroBitCount)) * MemoryLayout<Block>.stride
        return blocks.count * (Self.blockSize + 32) + list
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while !rest.isEmpty {
            if blocks.isEmpty || blocks[blocks.count - 1].bytes.count == Self.blockSize {
                var block = Block(start: endOffset + 1, bytes: [])
                block.bytes.reserveCapacity(Self.blockSize)
                blocks.append(block)
            }
            let last = blocks.count - 1
            let count = min(Self.blockSize - blocks[last].bytes.count, rest.count)
            blocks[last].bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[..<count]))
            endOffset += Int64(count)
            rest = UnsafeRawBufferPointer(rebasing: rest[count...])
        }
    }

    /// Whether the first block may go: the rest still holds `size` bytes.
    var hasSurplus: Bool {
        guard let first = blocks.first else { return false }
        return historyLength - first.bytes.count >= size
    }

    /// Drops the oldest blocks beyond `size` that hold no byte at or after `needed` (the
    /// first byte some replica still needs, if any).
    mutating func trim(keepingFrom needed: Int64?) {
        while hasSurplus, let first = blocks.first {
            let end = first.start + Int64(first.bytes.count)
            if let needed, needed < end { return }
            blocks.removeFirst()
        }
    }

    /// Whether the bytes from `offset` (the first one a replica lacks) to the end are held.
    func holds(from offset: Int64) -> Bool {
        offset >= firstByteOffset && offset <= endOffset + 1
    }

    /// Calls `body` with the bytes from `offset` (held) to the end of its block, at most
    /// `limit`; returns how many it passed.
    func withBytes(from offset: Int64, upTo limit: Int, _ body: (UnsafeRawBufferPointer) -> Void) -> Int {
        guard offset <= endOffset, let first = blocks.first, offset >= first.start else { return 0 }
        var index = Int((offset - first.start) / Int64(Self.blockSize))
        while index + 1 < blocks.count && blocks[index + 1].start <= offset { index += 1 }
        while index > 0 && blocks[index].start > offset { index -= 1 }
        let block = blocks[index]
        let skip = Int(offset - block.start)
        let count = min(limit, block.bytes.count - skip)
        block.bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[skip..<skip + count])) }
        return count
    }

    /// The bytes from `offset` to the end; `holds(from:)` must be true.
    func bytes(from offset: Int64) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(Int(endOffset + 1 - offset))
        for block in blocks {
            let end = block.start + Int64(block.bytes.count)
            guard end > offset else { continue }
            let skip = Int(max(0, offset - block.start))
            out.append(contentsOf: block.bytes[skip...])
        }
        return out
    }
}
