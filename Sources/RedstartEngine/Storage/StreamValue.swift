// The stream type: entries in nodes of Redis's own layout (a listpack per node,
// keyed by the ID of the node's first entry; see StreamNode), the stream's
// counters (length, last ID, first ID, the largest deleted ID, entries ever
// added) and its consumer groups. New entries go to the last node until it holds
// stream-node-max-entries entries or stream-node-max-bytes bytes, as in Redis, so
// approximate trimming (whole nodes only) removes what Redis would. Nodes live in
// a deque ordered by ID: appends and head trims are O(1), an ID is found by
// binary search over the nodes and a scan of one node.
import RedstartRESP

/// A stream value.
public final class StreamValue {
    /// The nodes, ordered by their first ID.
    @exclusivity(unchecked) private(set) var nodes = StreamNodeList()
    /// Live entries.
    @exclusivity(unchecked) public private(set) var length = 0
    /// The last ID ever added (entries may since have been deleted), or set by XSETID.
    @exclusivity(unchecked) public var lastID = StreamID.zero
    /// The first live entry's ID (0-0 when empty).
    public var firstID: StreamID { firstIDValue }
    @exclusivity(unchecked) var firstIDValue = StreamID.zero
    /// The largest ID deleted by XDEL (or set by XSETID).
    @exclusivity(unchecked) public var maxDeletedID = StreamID.zero
    /// Entries ever added (XSETID may raise it).
    @exclusivity(unchecked) public var entriesAdded: UInt64 = 0
    /// Consumer groups by name.
    @exclusivity(unchecked) public var groups: [ByteString: StreamConsumerGroup] = [:]

    public init() {}

    /// The nodes' listpacks are unmanaged: the stream frees them.
    deinit {
        for node in nodes { node.deallocate() }
        nodes.deallocate()
    }

    /// The consumer groups in name order (the order Redis's radix tree gives).
    public var groupsInOrder: [StreamConsumerGroup] {
        groups.values.sorted { $0.name.lexicographicallyPrecedes($1.name) }
    }

    // MARK: - Adding

    /// Appends an entry with `id` and the field/value pairs of `args` from `first` on (an even
    /// count, `valueBytes` long together). The caller has checked the ID is above `lastID`.
    func append(
        _ id: StreamID, _ args: CommandArguments, fieldsFrom first: Int, valueBytes: Int, nodeMaxBytes: Int,
        nodeMaxEntries: Int
    ) {
        let fieldCount = (args.count - first) / 2
        let maxBytes = nodeMaxBytes <= 0 || nodeMaxBytes > StreamNode.maxListpackSize ? StreamNode.maxListpackSize : nodeMaxBytes
        if !nodes.isEmpty {
            let last = nodes.count - 1
            if nodes[last].listpack.byteCount + valueBytes >= maxBytes
                || (nodeMaxEntries > 0 && nodes[last].storedEntries >= nodeMaxEntries)
            {
                nodes[last].shrinkToFit()
            } else {
                nodes[last].append(id, args, fieldsFrom: first, fieldCount: fieldCount)
                added(id)
                return
            }
        }
        var node = StreamNode(masterID: id, args: args, fieldsFrom: first, fieldCount: fieldCount, maxBytes: nodeMaxBytes)
        node.append(id, args, fieldsFrom: first, fieldCount: fieldCount)
        nodes.append(node)
        added(id)
    }

    private func added(_ id: StreamID) {
        length += 1
        entriesAdded += 1
        lastID = id
        if length == 1 { firstIDValue = id }
    }

    // MARK: - Reading

    /// Index of the node that would hold `id` (the last node whose first ID is <= id), or nil
    /// when `id` is before every node.
    private func nodeIndex(holding id: StreamID) -> Int? {
        var low = 0
        var high = nodes.count
        while low < high {
            let middle = (low + high) / 2
            if nodes[middle].masterID <= id { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : low - 1
    }

    /// Calls `body` for each live entry with an ID in `start...end`, oldest first (or newest
    /// first with `reverse`), until it returns false.
    func forEach(
        from start: StreamID, to end: StreamID, reverse: Bool = false, _ body: (StreamEntry) -> Bool
    ) {
        guard start <= end, !nodes.isEmpty else { return }
        let first = nodeIndex(holding: start) ?? 0
        guard let last = nodeIndex(holding: end) else { return }
        guard first <= last else { return }
        if reverse {
            for index in stride(from: last, through: first, by: -1) {
                if !nodes[index].forEach(from: start, to: end, reverse: true, body) { return }
            }
        } else {
            for index in first...last {
                if !nodes[index].forEach(from: start, to: end, reverse: false, body) { return }
            }
        }
    }

    /// The first stored ID, deleted or not, or the largest ID when there are no nodes
    /// (Redis's streamGetEdgeID without skipping tombstones).
    var firstStoredID: StreamID { nodes.first?.masterID ?? .max }

    /// Whether a live entry with `id` exists.
    public func contains(_ id: StreamID) -> Bool {
        var found = false
        forEach(from: id, to: id) { _ in
            found = true
            return false
        }
        return found
    }

    /// The first (or last) live entry's ID, nil when empty.
    public func edgeID(last: Bool) -> StreamID? {
        var edge: StreamID?
        forEach(from: .zero, to: .max, reverse: last) { entry in
            edge = entry.id
            return false
        }
        return edge
    }

    // MARK: - Removing

    /// Deletes the live entry `id` (XDEL); false when there is none.
    public func delete(_ id: StreamID) -> Bool {
        guard let index = nodeIndex(holding: id), nodes[index].markDeleted(id) else { return false }
        if nodes[index].liveEntries == 0 { nodes.remove(at: index).deallocate() }
        length -= 1
        if id > maxDeletedID { maxDeletedID = id }
        if length == 0 {
            firstIDValue = .zero
        } else if id == firstID {
            firstIDValue = edgeID(last: false) ?? .zero
        }
        return true
    }

    /// How to trim (XADD and XTRIM's MAXLEN / MINID).
    public enum TrimStrategy {
        case maxLength(Int)
        case minimumID(StreamID)
    }

    /// Trims from the oldest entries (Redis's streamTrim): whole nodes while they go
    /// entirely, then, unless `approximate`, entries inside the next node. `limit` (0: none)
    /// bounds the entries removed. Returns how many were.
    public func trim(_ strategy: TrimStrategy, approximate: Bool, limit: Int) -> Int {
        var deleted = 0
        while !nodes.isEmpty {
            if case .maxLength(let maximum) = strategy, length <= maximum { break }
            let entries = nodes[0].liveEntries
            if limit > 0 && deleted + entries > limit { break }
            let removeWhole: Bool
            switch strategy {
            case .maxLength(let maximum): removeWhole = length - entries >= maximum
            case .minimumID(let minimum): removeWhole = nodes[0].lastStoredID < minimum
            }
            if removeWhole {
                nodes.removeFirst().deallocate()
                length -= entries
                deleted += entries
                continue
            }
            if approximate { break }
            let lengthBefore = length
            let removed = nodes[0].markDeletedFromStart { id, marked in
                switch strategy {
                case .maxLength(let maximum): return lengthBefore - marked <= maximum
                case .minimumID(let minimum): return id >= minimum
                }
            }
            length -= removed
            deleted += removed
            break
        }
        if length == 0 {
            firstIDValue = .zero
        } else if deleted > 0 {
            firstIDValue = edgeID(last: false) ?? .zero
        }
        return deleted
    }

    // MARK: - Size and copies

    /// Nodes (XINFO STREAM radix-tree-keys).
    public var nodeCount: Int { nodes.count }

    /// Steps freeing the stream takes (Redis's lazyfreeGetFreeEffort): its nodes, and each
    /// group with (as estimated from the first group) its pending entries.
    var freeEffort: Int {
        var effort = nodes.count
        if let first = groupsInOrder.first { effort += groups.count * (1 + first.pending.count) }
        return effort
    }

    /// A copy that shares nothing mutable (COPY).
    func copy() -> StreamValue {
        let copied = StreamValue(
            nodes: nodes.map { $0.copy() }, length: length,
            lastID: lastID, firstID: firstID, maxDeletedID: maxDeletedID, entriesAdded: entriesAdded)
        for (name, group) in groups { copied.groups[name] = group.copy() }
        return copied
    }

    /// Heap bytes of the entries and groups (MEMORY USAGE), estimated as Redis does from
    /// `samples` nodes.
    public func allocatedBytes(samples: Int) -> Int {
        let nodeBytes = sampledHeapBytes(count: nodes.count, samples: samples) { index in
            nodes[index].listpack.allocatedBytes + 16
        }
        let groupBytes = groups.values.reduce(0) { $0 + $1.allocatedBytes }
        return 96 + nodeBytes + groupBytes
    }

    /// The nodes as (first ID, listpack bytes), oldest first (DUMP and RDB files).
    public var encodedNodes: [(StreamID, [UInt8])] {
        nodes.map { ($0.masterID, $0.listpack.bytes) }
    }

    /// Rebuilds a stream from nodes read from a DUMP payload or an RDB file (already
    /// checked by `StreamNode.validate`) and its counters; the stream owns the nodes.
    init(nodes: [StreamNode], length: Int, lastID: StreamID, firstID: StreamID, maxDeletedID: StreamID, entriesAdded: UInt64) {
        self.nodes = StreamNodeList(nodes)
        self.length = length
        self.lastID = lastID
        self.firstIDValue = firstID
        self.maxDeletedID = maxDeletedID
        self.entriesAdded = entriesAdded
    }
}

/// One live entry met while iterating a node: its ID and where its fields and values are.
public struct StreamEntry {
    public let id: StreamID
    let raw: UnsafeRawBufferPointer
    /// The master entry's field offsets when the entry shares its fields, else nil.
    let sharedFields: UnsafeBufferPointer<Int>?
    public let fieldCount: Int
    /// Offset of the first value (shared fields) or of the first field (fields inline).
    let firstElement: Int

    /// Calls `body` with each field and value, in order.
    public func forEachPair(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        var offset = firstElement
        for index in 0..<fieldCount {
            let fieldOffset: Int
            if let sharedFields {
                fieldOffset = sharedFields[index]
            } else {
                fieldOffset = offset
                offset = Listpack.next(raw, after: offset)
            }
            Listpack.withBytes(raw, at: fieldOffset) { field in
                Listpack.withBytes(raw, at: offset) { value in body(field, value) }
            }
            offset = Listpack.next(raw, after: offset)
        }
    }
}
