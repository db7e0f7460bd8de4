// Streams in Redis's RDB encoding (RDB_TYPE_STREAM_LISTPACKS_2, Redis 7.0; the
// older RDB_TYPE_STREAM_LISTPACKS of 5.0-6.2 is read too): the nodes as they
// are (each a 16-byte big-endian master ID and the node's listpack), the
// stream's counters, then each consumer group with its pending entries list
// (raw 16-byte IDs, delivery time, delivery count) and its consumers (name,
// seen time, the IDs they own). Everything read is checked before use: node
// listpacks deeply (StreamNode.validate), counters against the nodes, every
// pending entry owned by exactly one consumer.

extension RDBValueCodec {
    /// Appends the serialization of `stream` (after its type byte).
    static func writeStream(_ stream: StreamValue, compressing: Bool, into out: inout [UInt8]) {
        let nodes = stream.encodedNodes
        writeLength(nodes.count, into: &out)
        for (masterID, bytes) in nodes {
            masterID.keyBytes.withUnsafeBytes { writeString($0, into: &out) }
            bytes.withUnsafeBytes { writeString($0, compressing: compressing, into: &out) }
        }
        writeLength(stream.length, into: &out)
        writeID(stream.lastID, into: &out)
        writeID(stream.firstID, into: &out)
        writeID(stream.maxDeletedID, into: &out)
        writeUnsigned(stream.entriesAdded, into: &out)
        let groups = stream.groupsInOrder
        writeLength(groups.count, into: &out)
        for group in groups {
            group.name.withUnsafeBytes { writeString($0, into: &out) }
            writeID(group.lastID, into: &out)
            writeUnsigned(UInt64(bitPattern: group.entriesRead), into: &out)
            writeLength(group.pending.count, into: &out)
            group.pending.forEach { id, entry in
                out.append(contentsOf: id.keyBytes)
                withUnsafeBytes(of: entry.deliveryTime.littleEndian) { out.append(contentsOf: $0) }
                writeUnsigned(UInt64(bitPattern: entry.deliveryCount), into: &out)
                return true
            }
            let consumers = group.consumersInOrder
            writeLength(consumers.count, into: &out)
            for consumer in consumers {
                consumer.name.withUnsafeBytes { writeString($0, into: &out) }
                withUnsafeBytes(of: consumer.seenTime.littleEndian) { out.append(contentsOf: $0) }
                writeLength(consumer.pending.count, into: &out)
                consumer.pending.forEach { id, _ in
                    out.append(contentsOf: id.keyBytes)
                    return true
                }
            }
        }
    }

    private static func writeID(_ id: StreamID, into out: inout [UInt8]) {
        writeUnsigned(id.ms, into: &out)
        writeUnsigned(id.seq, into: &out)
    }

    /// A length of any 64-bit value (RDB's length encoding).
    private static func writeUnsigned(_ value: UInt64, into out: inout [UInt8]) {
        if value <= UInt64(UInt32.max) {
            writeLength(Int(value), into: &out)
        } else {
            out.append(0x81)
            withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
        }
    }

    /// Reads a stream serialization (after its type byte); nil when anything is malformed.
    static func readStream(_ reader: inout RDBReader, version2: Bool) -> StreamValue? {
        guard let nodeCount = reader.count() else { return nil }
        var nodes: [StreamNode] = []
        // Until a StreamValue owns the nodes, a malformed payload frees them here.
        var nodesOwned = false
        defer { if !nodesOwned { nodes.forEach { $0.deallocate() } } }
        var liveEntries = 0
        for _ in 0..<nodeCount {
            guard let key = reader.string(), key.count == 16, let bytes = reader.string(), StreamNode.validate(bytes)
            else { return nil }
            let masterID = key.withUnsafeBytes { StreamID(keyBytes: $0) }
            if let previous = nodes.last, previous.masterID >= masterID { return nil }  // duplicate or unordered
            let node = StreamNode(masterID: masterID, validated: bytes)
            liveEntries += node.liveEntries
            nodes.append(node)
        }
        guard let length = reader.unsigned(), length == UInt64(liveEntries), let lastID = reader.streamID() else { return nil }
        var firstID = StreamID.zero
        var maxDeletedID = StreamID.zero
        var entriesAdded = length
        if version2 {
            guard let first = reader.streamID(), let maxDeleted = reader.streamID(), let added = reader.unsigned() else {
                return nil
            }
            firstID = first
            maxDeletedID = maxDeleted
            entriesAdded = added
        }
        let stream = StreamValue(
            nodes: nodes, length: liveEntries, lastID: lastID, firstID: firstID, maxDeletedID: maxDeletedID,
            entriesAdded: entriesAdded)
        nodesOwned = true
        if !version2 { stream.refreshFirstID() }
        guard let groupCount = reader.count() else { return nil }
        for _ in 0..<groupCount {
            guard let name = reader.string(), let groupLastID = reader.streamID() else { return nil }
            let entriesRead: Int64
            if version2 {
                guard let read = reader.unsigned() else { return nil }
                entriesRead = Int64(bitPattern: read)
            } else {
                entriesRead = stream.estimatedEntriesRead(upTo: groupLastID)
            }
            let groupName = ByteString(name)
            guard stream.groups[groupName] == nil else { return nil }
            let group = StreamConsumerGroup(name: groupName, lastID: groupLastID, entriesRead: entriesRead)
            // Pending entries come before their owners: keep them aside until a consumer claims each.
            guard let pendingCount = reader.count() else { return nil }
            var unowned: [StreamID: (time: Int64, count: Int64)] = [:]
            var order: [StreamID] = []
            for _ in 0..<pendingCount {
                guard let id = reader.rawStreamID(), let time = reader.milliseconds(), let count = reader.unsigned(),
                    unowned[id] == nil
                else { return nil }
                unowned[id] = (time, Int64(bitPattern: count))
                order.append(id)
            }
            guard let consumerCount = reader.count() else { return nil }
            var owners: [StreamID: StreamConsumer] = [:]
            for _ in 0..<consumerCount {
                guard let consumerName = reader.string(), let seen = reader.milliseconds(), let owned = reader.count()
                else { return nil }
                guard let consumer = consumerName.withUnsafeBytes({ group.createConsumer(named: $0, now: seen) }) else {
                    reader.failure = "Duplicate stream consumer detected."
                    return nil
                }
                for _ in 0..<owned {
                    guard let id = reader.rawStreamID(), unowned[id] != nil, owners[id] == nil else { return nil }
                    owners[id] = consumer
                    consumer.pending[id] = ()
                }
            }
            for id in order {
                guard let owner = owners[id], let info = unowned[id] else { return nil }  // a pending entry nobody owns
                group.pending[id] = PendingEntry(consumer: owner, deliveryTime: info.time, deliveryCount: info.count)
            }
            stream.groups[groupName] = group
        }
        return stream
    }
}

extension RDBReader {
    /// A length of any 64-bit value.
    mutating func unsigned() -> UInt64? {
        guard let (value, encoded) = length(), !encoded else { return nil }
        return value
    }

    /// An ID as two lengths (ms, seq).
    mutating func streamID() -> StreamID? {
        guard let ms = unsigned(), let seq = unsigned() else { return nil }
        return StreamID(ms: ms, seq: seq)
    }

    /// An ID as its 16 raw big-endian bytes.
    mutating func rawStreamID() -> StreamID? {
        take(16).map { StreamID(keyBytes: $0) }
    }

    /// A millisecond time: 8 bytes, little-endian.
    mutating func milliseconds() -> Int64? {
        take(8).map { Int64(bitPattern: CompactEncodings.readLittleEndian($0, at: 0, size: 8)) }
    }
}
