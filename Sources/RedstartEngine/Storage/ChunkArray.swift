// The chunks of a ChunkedList in order. Most lists are one chunk, so one chunk is
// held directly; a deque (O(1) at both ends, for queues) exists only from the
// second chunk on and goes when the list is back to one. Eight bytes in the list
// object either way.
import DequeModule

struct ChunkArray: RandomAccessCollection {
    private enum Storage {
        case empty
        case one(ListChunk)
        case many(Deque<ListChunk>)
    }

    private var storage = Storage.empty

    var startIndex: Int { 0 }
    var endIndex: Int {
        switch storage {
        case .empty: return 0
        case .one: return 1
        case .many(let chunks): return chunks.count
        }
    }

    subscript(position: Int) -> ListChunk {
        switch storage {
        case .empty: preconditionFailure("no chunk \(position) in an empty list")
        case .one(let chunk):
            precondition(position == 0, "no chunk \(position) in a list of one chunk")
            return chunk
        case .many(let chunks): return chunks[position]
        }
    }

    /// Inserts `chunk` at `position` (0...count).
    mutating func insert(_ chunk: ListChunk, at position: Int) {
        switch storage {
        case .empty:
            storage = .one(chunk)
        case .one(let only):
            storage = .many(position == 0 ? [chunk, only] : [only, chunk])
        case .many(var chunks):
            storage = .empty  // the deque is uniquely held while it changes
            chunks.insert(chunk, at: position)
            storage = .many(chunks)
        }
    }

    mutating func append(_ chunk: ListChunk) { insert(chunk, at: count) }
    mutating func prepend(_ chunk: ListChunk) { insert(chunk, at: 0) }

    /// Removes the chunk at `position`.
    mutating func remove(at position: Int) {
        switch storage {
        case .empty:
            preconditionFailure("no chunk to remove in an empty list")
        case .one:
            precondition(position == 0, "no chunk \(position) in a list of one chunk")
            storage = .empty
        case .many(var chunks):
            storage = .empty
            chunks.remove(at: position)
            storage = chunks.count == 1 ? .one(chunks[0]) : .many(chunks)
        }
    }

    mutating func removeFirst() { remove(at: 0) }
    mutating func removeLast() { remove(at: count - 1) }
}
