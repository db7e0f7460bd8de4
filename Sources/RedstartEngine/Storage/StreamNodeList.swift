// A stream's nodes in ID order, in one block grown with realloc. A stream of a million
// entries has ten thousand nodes; a Deque doubling its storage copied them into a new
// block each time and freed the old one, whose pages then stayed resident in the heap
// until the allocator's decay returned them: about 0.1 bytes per entry of RSS above
// used_memory. realloc lets jemalloc grow a large block in place, leaving nothing
// behind. Trimming takes nodes from the front: the front's free slots are reclaimed
// by moving the rest down once they are half the block. StreamNode is plain data (its
// listpack is an unmanaged pointer the stream frees), so moving and reallocating the
// block moves the nodes bitwise. Only its StreamValue holds and changes the list.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct StreamNodeList: RandomAccessCollection, MutableCollection {
    private var base: UnsafeMutablePointer<StreamNode>?
    /// Slot of the first node.
    private var head = 0
    private(set) var count = 0
    private var capacity = 0

    init() {}

    init(_ nodes: [StreamNode]) {
        reserve(nodes.count)
        for node in nodes { append(node) }
    }

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(position: Int) -> StreamNode {
        @inline(__always) get {
            precondition(position >= 0 && position < count, "stream node index out of range")
            return base![head + position]
        }
        @inline(__always) set {
            precondition(position >= 0 && position < count, "stream node index out of range")
            base![head + position] = newValue
        }
    }

    mutating func append(_ node: StreamNode) {
        if head + count == capacity {
            if head > 0 && head >= capacity / 2 {
                compact()
            } else {
                reserve(Swift.max(8, capacity * 2))
            }
        }
        (base! + head + count).initialize(to: node)
        count += 1
    }

    /// Removes and returns the first node (trimming).
    mutating func removeFirst() -> StreamNode {
        precondition(count > 0, "removeFirst of an empty stream node list")
        let node = (base! + head).move()
        head += 1
        count -= 1
        if count == 0 { head = 0 }
        return node
    }

    /// Removes and returns the node at `position` (XDEL emptied it).
    mutating func remove(at position: Int) -> StreamNode {
        precondition(position >= 0 && position < count, "stream node index out of range")
        let slot = base! + head + position
        let node = slot.move()
        let after = count - position - 1
        if after > 0 { slot.moveInitialize(from: slot + 1, count: after) }
        count -= 1
        if count == 0 { head = 0 }
        return node
    }

    /// Frees the block (not the nodes' listpacks: the stream frees those).
    func deallocate() { free(base) }

    /// Moves the nodes to the front of the block.
    private mutating func compact() {
        guard head > 0, let base else { return }
        if count > 0 { base.moveInitialize(from: base + head, count: count) }
        head = 0
    }

    private mutating func reserve(_ wanted: Int) {
        guard wanted > capacity else { return }
        compact()
        guard let grown = realloc(base, wanted * MemoryLayout<StreamNode>.stride) else {
            fatalError("out of memory growing a stream's node list to \(wanted) nodes")
        }
        base = grown.bindMemory(to: StreamNode.self, capacity: wanted)
        capacity = wanted
    }
}
