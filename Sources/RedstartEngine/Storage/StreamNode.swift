// One node of a stream, in Redis's layout: a listpack that starts with a master
// entry
//     count | deleted | number of fields | field 1 ... field N | 0
// (live and deleted entries in the node, and the field names of its first entry),
// followed by the entries
//     flags | ms - master ms | seq - master seq | values ...              | lp-count
//     flags | ms - master ms | seq - master seq | N | field | value ...   | lp-count
// the first form when the entry has the master entry's fields (flag SAMEFIELDS),
// lp-count being the entry's element count before it. Deleting an entry sets its
// DELETED flag; the node goes when no live entry is left.

import RedstartRESP

/// A stream node: entries that share a first ID and, often, field names. A node is its
/// master ID and its listpack (one bare allocation); everything else (counters, field
/// names, where entries start) is read from the listpack itself when needed, so a node
/// costs its listpack and 24 bytes. The listpack is unmanaged: the stream that holds the
/// node frees it (`deallocate()`).
struct StreamNode {
    static let deletedFlag: Int64 = 1
    static let sameFieldsFlag: Int64 = 2
    /// The largest listpack Redis builds for a node (STREAM_LISTPACK_MAX_SIZE).
    static let maxListpackSize = 1 << 30

    private(set) var listpack: Listpack

    /// The ID of the node's first entry; the other IDs are stored relative to it.
    let masterID: StreamID

    /// Live entries (the master entry's first counter).
    var liveEntries: Int { listpack.withUnsafeBytes { Int(Listpack.integer($0, at: Listpack.firstOffset) ?? 0) } }

    /// Entries marked deleted (the master entry's second counter).
    var deletedEntries: Int {
        listpack.withUnsafeBytes { Int(Listpack.integer($0, at: Listpack.next($0, after: Listpack.firstOffset)) ?? 0) }
    }

    var storedEntries: Int { liveEntries + deletedEntries }

    /// A node whose master entry has the fields of `args` from `first` on (every other one).
    init(masterID: StreamID, args: CommandArguments, fieldsFrom first: Int, fieldCount: Int, maxBytes: Int) {
        self.masterID = masterID
        // Redis reserves up to 4 KB for a new node and shrinks it once it is full.
        listpack = Listpack(reservingCapacity: maxBytes > 0 && maxBytes < 4096 ? maxBytes : 4096)
        listpack.append(integer: 0)
        listpack.append(integer: 0)
        listpack.append(integer: Int64(fieldCount))
        for index in 0..<fieldCount {
            args.withBytes(at: first + index * 2) { listpack.append($0) }
        }
        listpack.append(integer: 0)
    }

    /// A node read back from a DUMP payload or an RDB file (`validate` accepted it).
    init(masterID: StreamID, validated bytes: [UInt8]) {
        self.masterID = masterID
        listpack = Listpack(validated: bytes)
    }

    private init(masterID: StreamID, listpack: Listpack) {
        self.masterID = masterID
        self.listpack = listpack
    }

    /// Frees the node's listpack; no copy of the node may be used afterwards.
    func deallocate() { listpack.deallocate() }

    /// An independent node with the same entries (COPY).
    func copy() -> StreamNode { StreamNode(masterID: masterID, listpack: listpack.copy()) }

    /// Gives back the capacity reserved for more entries (the node is full).
    mutating func shrinkToFit() { listpack.shrinkToFit() }

    /// What the master entry says: how many fields it names, where the entries start.
    private struct Master {
        var fieldCount: Int
        var firstEntry: Int
    }

    private static func master(_ raw: UnsafeRawBufferPointer) -> Master {
        var offset = Listpack.next(raw, after: Listpack.next(raw, after: Listpack.firstOffset))
        let count = Int(Listpack.integer(raw, at: offset) ?? 0)
        offset = Listpack.next(raw, after: offset)
        for _ in 0..<count { offset = Listpack.next(raw, after: offset) }
        return Master(fieldCount: count, firstEntry: Listpack.next(raw, after: offset))  // past the master's 0
    }

    /// Calls `body` with the offsets of the master entry's field names.
    private static func withMasterFields<R>(
        _ raw: UnsafeRawBufferPointer, count: Int, _ body: (UnsafeBufferPointer<Int>) -> R
    ) -> R {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: max(count, 1)) { buffer in
            var offset = Listpack.firstOffset
            for _ in 0..<3 { offset = Listpack.next(raw, after: offset) }
            for index in 0..<count {
                buffer[index] = offset
                offset = Listpack.next(raw, after: offset)
            }
            return body(UnsafeBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// Updates the live and deleted counters of the master entry (they may change size,
    /// moving everything after them).
    private mutating func setCounters(live: Int, deleted: Int) {
        listpack.replaceInteger(at: Listpack.firstOffset, with: Int64(live))
        let deletedOffset = listpack.withUnsafeBytes { Listpack.next($0, after: Listpack.firstOffset) }
        listpack.replaceInteger(at: deletedOffset, with: Int64(deleted))
    }

    // MARK: - Adding

    /// Appends an entry (the caller decided it belongs in this node).
    mutating func append(_ id: StreamID, _ args: CommandArguments, fieldsFrom first: Int, fieldCount: Int) {
        var flags: Int64 = 0
        let same = listpack.withUnsafeBytes { raw in
            let master = StreamNode.master(raw)
            guard master.fieldCount == fieldCount else { return false }
            return StreamNode.withMasterFields(raw, count: fieldCount) { fields in
                (0..<fieldCount).allSatisfy { index in
                    args.withBytes(at: first + index * 2) { Listpack.equals(raw, at: fields[index], $0) }
                }
            }
        }
        if same { flags = StreamNode.sameFieldsFlag }
        let master = masterID
        let (live, deleted) = (liveEntries, deletedEntries)
        listpack.append(integer: flags)
        listpack.append(integer: Int64(bitPattern: id.ms &- master.ms))
        listpack.append(integer: Int64(bitPattern: id.seq &- master.seq))
        if !same { listpack.append(integer: Int64(fieldCount)) }
        for index in 0..<fieldCount {
            if !same { args.withBytes(at: first + index * 2) { listpack.append($0) } }
            args.withBytes(at: first + index * 2 + 1) { listpack.append($0) }
        }
        listpack.append(integer: Int64(same ? fieldCount + 3 : fieldCount * 2 + 4))
        setCounters(live: live + 1, deleted: deleted)
    }

    // MARK: - Walking

    /// Where one stored entry (live or deleted) is.
    struct Layout {
        var flagsOffset: Int
        var id: StreamID
        var flags: Int64
        var fieldCount: Int
        /// The first value (shared fields) or the first field (fields inline).
        var firstElement: Int
        /// The element after the entry.
        var end: Int

        var isDeleted: Bool { flags & StreamNode.deletedFlag != 0 }
        var sharesFields: Bool { flags & StreamNode.sameFieldsFlag != 0 }
    }

    /// The entry whose flags are at `offset`.
    private static func layout(
        _ raw: UnsafeRawBufferPointer, at offset: Int, fieldCount masterFieldCount: Int, masterID: StreamID
    ) -> Layout {
        let flags = Listpack.integer(raw, at: offset) ?? 0
        var position = Listpack.next(raw, after: offset)
        let msDelta = Listpack.integer(raw, at: position) ?? 0
        position = Listpack.next(raw, after: position)
        let seqDelta = Listpack.integer(raw, at: position) ?? 0
        position = Listpack.next(raw, after: position)
        let fieldCount: Int
        if flags & StreamNode.sameFieldsFlag != 0 {
            fieldCount = masterFieldCount
        } else {
            fieldCount = Int(Listpack.integer(raw, at: position) ?? 0)
            position = Listpack.next(raw, after: position)
        }
        let id = StreamID(ms: masterID.ms &+ UInt64(bitPattern: msDelta), seq: masterID.seq &+ UInt64(bitPattern: seqDelta))
        var end = position
        let elements = flags & StreamNode.sameFieldsFlag != 0 ? fieldCount : fieldCount * 2
        for _ in 0..<elements { end = Listpack.next(raw, after: end) }
        end = Listpack.next(raw, after: end)  // lp-count
        return Layout(flagsOffset: offset, id: id, flags: flags, fieldCount: fieldCount, firstElement: position, end: end)
    }

    /// Calls `body` with every stored entry, oldest first, until it returns false.
    private func walk(_ raw: UnsafeRawBufferPointer, _ body: (Layout) -> Bool) {
        let master = StreamNode.master(raw)
        let id = masterID
        var offset = master.firstEntry
        while raw[offset] != 0xFF {
            let entry = StreamNode.layout(raw, at: offset, fieldCount: master.fieldCount, masterID: id)
            if !body(entry) { return }
            offset = entry.end
        }
    }

    /// Calls `body` with every stored entry, newest first, until it returns false: each
    /// entry's lp-count (its last element) says how many elements back its flags are.
    private func walkBackward(_ raw: UnsafeRawBufferPointer, _ body: (Layout) -> Bool) {
        let master = StreamNode.master(raw)
        let id = masterID
        var end = raw.count - 1  // the terminator
        while end > master.firstEntry {
            var offset = Listpack.previous(raw, before: end)
            let elements = Int(Listpack.integer(raw, at: offset) ?? 0)
            for _ in 0..<elements { offset = Listpack.previous(raw, before: offset) }
            let entry = StreamNode.layout(raw, at: offset, fieldCount: master.fieldCount, masterID: id)
            if !body(entry) { return }
            end = offset
        }
    }

    /// Calls `body` with each live entry in `start...end` (newest first with `reverse`);
    /// returns false when `body` asked to stop.
    func forEach(from start: StreamID, to end: StreamID, reverse: Bool, _ body: (StreamEntry) -> Bool) -> Bool {
        listpack.withUnsafeBytes { raw in
            StreamNode.withMasterFields(raw, count: StreamNode.master(raw).fieldCount) { shared in
                func visit(_ entry: Layout) -> Bool {
                    let visible = StreamEntry(
                        id: entry.id, raw: raw, sharedFields: entry.sharesFields ? shared : nil,
                        fieldCount: entry.fieldCount, firstElement: entry.firstElement)
                    return body(visible)
                }
                if !reverse {
                    var keepGoing = true
                    walk(raw) { entry in
                        if entry.id > end { return false }
                        if entry.isDeleted || entry.id < start { return true }
                        keepGoing = visit(entry)
                        return keepGoing
                    }
                    return keepGoing
                }
                var keepGoing = true
                walkBackward(raw) { entry in
                    if entry.id < start { return false }
                    if entry.isDeleted || entry.id > end { return true }
                    keepGoing = visit(entry)
                    return keepGoing
                }
                return keepGoing
            }
        }
    }

    /// The ID of the last stored entry, live or deleted (Redis's lpGetEdgeStreamID): read
    /// backwards from the last entry's lp-count.
    var lastStoredID: StreamID {
        let masterID = self.masterID
        guard storedEntries > 0 else { return masterID }
        return listpack.withUnsafeBytes { raw in
            var offset = Listpack.previous(raw, before: raw.count - 1)
            let elements = Int(Listpack.integer(raw, at: offset) ?? 0)
            for _ in 0..<elements { offset = Listpack.previous(raw, before: offset) }
            offset = Listpack.next(raw, after: offset)
            let msDelta = Listpack.integer(raw, at: offset) ?? 0
            let seqDelta = Listpack.integer(raw, at: Listpack.next(raw, after: offset)) ?? 0
            return StreamID(ms: masterID.ms &+ UInt64(bitPattern: msDelta), seq: masterID.seq &+ UInt64(bitPattern: seqDelta))
        }
    }

    // MARK: - Deleting

    /// Marks the live entry `id` deleted; false when there is none.
    mutating func markDeleted(_ id: StreamID) -> Bool {
        var flagsOffset: Int?
        var flags: Int64 = 0
        listpack.withUnsafeBytes { raw in
            walk(raw) { entry in
                if entry.id > id { return false }
                if entry.id == id && !entry.isDeleted {
                    flagsOffset = entry.flagsOffset
                    flags = entry.flags
                    return false
                }
                return true
            }
        }
        guard let flagsOffset else { return false }
        listpack.setSmallInteger(at: flagsOffset, to: UInt8(flags | StreamNode.deletedFlag))
        setCounters(live: liveEntries - 1, deleted: deletedEntries + 1)
        return true
    }

    /// Marks live entries deleted from the oldest on, until `stop(id, deletedSoFar)` says to
    /// stop (asked for every stored entry); returns how many it marked.
    mutating func markDeletedFromStart(stop: (StreamID, Int) -> Bool) -> Int {
        var offsets: [(Int, Int64)] = []
        listpack.withUnsafeBytes { raw in
            walk(raw) { entry in
                if stop(entry.id, offsets.count) { return false }
                if !entry.isDeleted { offsets.append((entry.flagsOffset, entry.flags)) }
                return true
            }
        }
        guard !offsets.isEmpty else { return 0 }
        for (offset, flags) in offsets {
            listpack.setSmallInteger(at: offset, to: UInt8(flags | StreamNode.deletedFlag))
        }
        setCounters(live: liveEntries - offsets.count, deleted: deletedEntries + offsets.count)
        return offsets.count
    }
}

extension StreamNode {
    /// Whether `bytes` is a well-formed node for a stream (Redis's
    /// streamValidateListpackIntegrity, deep): a listpack whose header agrees with its size,
    /// a master entry, then entries whose shapes and lp-counts agree, nothing after them.
    static func validate(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            guard let elements = Listpack.validatedElements(raw) else { return false }
            var index = 0
            func integer() -> Int64? {
                guard index < elements.count else { return nil }
                defer { index += 1 }
                return Listpack.integer(raw, at: elements[index])
            }
            func skip(_ count: Int64) -> Bool {
                guard count >= 0, count <= Int64(elements.count - index) else { return false }
                index += Int(count)
                return true
            }
            guard let live = integer(), let deleted = integer(), let masterFields = integer(),
                live >= 0, deleted >= 0, skip(masterFields), integer() == 0
            else { return false }
            var entries = live + deleted
            var flaggedDeleted: Int64 = 0
            while entries > 0 {
                entries -= 1
                // Flags are a one-byte integer (as Redis writes them): deleting sets a bit in place.
                guard index < elements.count, raw[elements[index]] & 0x80 == 0 else { return false }
                guard let flags = integer(), integer() != nil, integer() != nil else { return false }
                if flags & StreamNode.deletedFlag != 0 { flaggedDeleted += 1 }
                var fields = masterFields
                var extra: Int64 = 3
                if flags & StreamNode.sameFieldsFlag == 0 {
                    guard let count = integer(), skip(count) else { return false }
                    fields = count
                    extra += count + 1
                }
                guard skip(fields), let lpCount = integer(), lpCount == fields + extra else { return false }
            }
            return index == elements.count && flaggedDeleted == deleted
        }
    }
}
