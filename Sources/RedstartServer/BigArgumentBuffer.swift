// Where a big argument (32 KB or more, Redis's PROTO_MBULK_BIG_ARG) gathers while
// it arrives in pieces. A ByteBuffer grows to powers of two, so a 1 MB value
// growing the query buffer would hold 2 MB, a different amount for each client
// depending on how its bytes happened to arrive. As Redis sizes its query buffer
// to the argument once its length is known, the room for the whole partial
// command is counted at once here, in fixed 64 KB chunks: a client is charged the
// command's size rounded up to a chunk, the same for the same argument. The chunks
// themselves are allocated as the bytes arrive, so a client that announces a
// 500 MB argument and sends nothing holds nothing (Redis allocates the room at
// once). Once the argument is whole the chunks become one buffer again and parsing
// goes on.
import NIOCore

struct BigArgumentBuffer {
    static let threshold = 32 * 1024
    static let chunkSize = 64 * 1024

    private var chunks: [ByteBuffer] = []
    /// Chunks the whole partial command needs, counted as held (CLIENT LIST, client eviction).
    private var reservedChunks = 0
    /// The chunk being filled.
    private var filling = 0
    /// Bytes the argument (with its CRLF) needs to be whole, counted from the command's start.
    private var needed = 0

    /// True while a big argument is being gathered.
    var isGathering: Bool { needed > 0 }
    /// The bytes held.
    private(set) var byteCount = 0
    /// Room left for more input.
    var freeBytes: Int { max(reservedChunks, chunks.count) * Self.chunkSize - byteCount }
    /// Whether the argument has arrived whole.
    var isComplete: Bool { byteCount >= needed }

    /// Starts gathering with the unparsed input so far (which begins with the partial
    /// command), when `missing` more bytes are needed to finish the argument.
    mutating func start(with input: inout ByteBuffer, missing: Int, allocator: ByteBufferAllocator) {
        needed = input.readableBytes + missing
        reservedChunks = (needed + Self.chunkSize - 1) / Self.chunkSize
        chunks = []
        filling = 0
        append(&input, allocator: allocator)
    }

    /// Adds bytes that arrived (those past the argument too: the next arguments or commands).
    mutating func append(_ bytes: inout ByteBuffer, allocator: ByteBufferAllocator) {
        byteCount += bytes.readableBytes
        while bytes.readableBytes > 0 {
            if filling == chunks.count {
                chunks.append(allocator.buffer(capacity: Self.chunkSize))
            }
            let count = min(bytes.readableBytes, chunks[filling].writableBytes)
            var piece = bytes.readSlice(length: count)!
            chunks[filling].writeBuffer(&piece)
            if chunks[filling].writableBytes == 0 { filling += 1 }
        }
    }

    /// The gathered bytes as one buffer; gathering ends.
    mutating func take(allocator: ByteBufferAllocator) -> ByteBuffer {
        var whole = allocator.buffer(capacity: byteCount)
        for var chunk in chunks { whole.writeBuffer(&chunk) }
        chunks = []
        reservedChunks = 0
        filling = 0
        byteCount = 0
        needed = 0
        return whole
    }
}
