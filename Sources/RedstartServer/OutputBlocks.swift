// Output that waits behind unsent writes, as Redis's reply list holds it: the bytes
// of each loop turn are copied into 16 KB blocks, filled one after the other, and
// go to the channel together once the writes before them are done. Handing the
// channel each turn's reply buffer instead cost a whole buffer per turn (a 1 KB
// buffer for a 100-byte message to a subscriber that does not read: 10x the bytes
// held, and 10x what the output limits and client eviction saw).
import NIOCore

struct OutputBlocks {
    static let blockSize = 16 * 1024

    private var blocks: [ByteBuffer] = []

    var isEmpty: Bool { blocks.isEmpty }

    /// Memory the blocks hold (what the output limits count), and the bytes in them.
    private(set) var memory = 0
    private(set) var bytes = 0

    /// Copies `buffer`'s readable bytes after those already waiting.
    mutating func append(_ buffer: ByteBuffer, allocator: ByteBufferAllocator) {
        var rest = buffer.readableBytesView[...]
        bytes += rest.count
        while !rest.isEmpty {
            if blocks.isEmpty || blocks[blocks.count - 1].writableBytes == 0 {
                blocks.append(allocator.buffer(capacity: Self.blockSize))
                memory += blocks[blocks.count - 1].capacity
            }
            let last = blocks.count - 1
            let count = min(blocks[last].writableBytes, rest.count)
            blocks[last].writeBytes(rest.prefix(count))
            rest = rest.dropFirst(count)
        }
    }

    /// The blocks, oldest first; none wait afterwards.
    mutating func takeAll() -> [ByteBuffer] {
        defer {
            blocks = []
            memory = 0
            bytes = 0
        }
        return blocks
    }
}
