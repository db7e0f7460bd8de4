// The size of a client's reply buffer, as Redis 7.0 sizes its static reply buffer:
// a new client's buffer is small (1 KB), replies grow it as they need, and about once
// a second (clientsCron's rule) an empty buffer whose peak since the last reset
// filled less than half of it shrinks to the peak, one the peak filled doubles, up to
// 16 KB. A buffer that grew past that size for a turn's replies goes back to it once
// they are handed to the socket (Redis's overflow goes to reply-list nodes, freed once
// written). So an idle connection holds 1 KB, not 16 KB, and output that came and went
// leaves no memory behind (evictions' invalidation messages, say, which would otherwise
// count as memory to evict for).
import NIOCore

extension Session {
    /// Redis's PROTO_REPLY_MIN_BYTES: the smallest reply buffer, and a new client's.
    public static let replyBufferMinimum = 1024
    /// Redis's PROTO_REPLY_CHUNK_BYTES: the largest reply buffer kept between replies.
    public static let replyBufferMaximum = 16 * 1024

    /// Resizes the empty reply buffer to what the peak says the client uses.
    func resizeReplyBuffer() {
        guard reply.buffer.readableBytes == 0 else { return }
        let size = replyBufferSize
        var newSize = size
        if size > Self.replyBufferMaximum {
            newSize = Self.replyBufferMaximum
        } else if size > Self.replyBufferMinimum && replyPeak < size / 2 {
            newSize = max(Self.replyBufferMinimum, replyPeak + 1)
        } else if size < Self.replyBufferMaximum && replyPeak >= size {
            newSize = min(Self.replyBufferMaximum, max(size * 2, Self.replyBufferMinimum))
        }
        if newSize != size || reply.buffer.capacity != newSize {
            reply.buffer = ByteBufferAllocator().buffer(capacity: newSize)
            replyBufferSize = reply.buffer.capacity
        }
    }
}
