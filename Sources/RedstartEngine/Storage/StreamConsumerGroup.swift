// Consumer groups (Redis's streamCG): a group remembers the last entry it
// delivered and how many entries it has read (for XINFO's lag), its consumers,
// and its pending entries list (PEL): every entry delivered to a consumer and
// not acknowledged yet, with its owner, last delivery time and delivery count.
// Each consumer has the IDs it owns in a PEL of its own; an entry is in the
// group's PEL and in exactly one consumer's.

/// A delivered, unacknowledged entry of a group (Redis's streamNACK).
struct PendingEntry {
    /// The consumer it was delivered to.
    var consumer: StreamConsumer
    /// Unix milliseconds of the last delivery.
    var deliveryTime: Int64
    var deliveryCount: Int64
}

/// A consumer of a group.
public final class StreamConsumer {
    public let name: ByteString
    /// Unix milliseconds of its last read or claim (XINFO CONSUMERS idle).
    var seenTime: Int64
    /// The IDs it owns.
    var pending = OrderedIDMap<Void>()

    init(name: ByteString, seenTime: Int64) {
        self.name = name
        self.seenTime = seenTime
    }
}

/// A consumer group of a stream.
public final class StreamConsumerGroup {
    /// Redis's SCG_INVALID_ENTRIES_READ: the group's read counter is unknown.
    static let invalidEntriesRead: Int64 = -1

    public let name: ByteString
    /// The last entry delivered to the group (XREADGROUP `>` reads after it).
    var lastID: StreamID
    /// How many entries the group has read, or `invalidEntriesRead`.
    var entriesRead: Int64
    var pending = OrderedIDMap<PendingEntry>()
    var consumers: [ByteString: StreamConsumer] = [:]

    init(name: ByteString, lastID: StreamID, entriesRead: Int64) {
        self.name = name
        self.lastID = lastID
        self.entriesRead = entriesRead
    }

    /// Consumers in name order (the order of Redis's radix tree).
    var consumersInOrder: [StreamConsumer] {
        consumers.values.sorted { $0.name.lexicographicallyPrecedes($1.name) }
    }

    /// The consumer named `name`, refreshing its seen time unless `refresh` is false.
    func consumer(named name: UnsafeRawBufferPointer, now: Int64, refresh: Bool = true) -> StreamConsumer? {
        guard let consumer = consumers[ByteString(name)] else { return nil }
        if refresh { consumer.seenTime = now }
        return consumer
    }

    /// Adds a consumer; nil when one of that name exists.
    func createConsumer(named name: UnsafeRawBufferPointer, now: Int64) -> StreamConsumer? {
        let key = ByteString(name)
        guard consumers[key] == nil else { return nil }
        let consumer = StreamConsumer(name: key, seenTime: now)
        consumers[key] = consumer
        return consumer
    }

    /// Removes a consumer and its pending entries; returns how many it had.
    func deleteConsumer(_ consumer: StreamConsumer) -> Int {
        let count = consumer.pending.count
        consumer.pending.forEach { id, _ in
            pending.remove(id)
            return true
        }
        consumers[consumer.name] = nil
        return count
    }

    /// Records a delivery of `id` to `consumer` (XREADGROUP): a new pending entry, or one
    /// another consumer had moves to this one with its count restarted.
    func deliver(_ id: StreamID, to consumer: StreamConsumer, now: Int64) -> PendingEntry {
        let entry = PendingEntry(consumer: consumer, deliveryTime: now, deliveryCount: 1)
        if let previous = pending.insert(id, entry), previous.consumer !== consumer {
            previous.consumer.pending.remove(id)
        }
        consumer.pending.insert(id, ())
        return entry
    }

    /// Acknowledges `id`; false when it was not pending.
    func acknowledge(_ id: StreamID) -> Bool {
        guard let entry = pending.remove(id) else { return false }
        entry.consumer.pending.remove(id)
        return true
    }

    /// Heap bytes, roughly (MEMORY USAGE).
    var allocatedBytes: Int {
        64 + name.count + pending.allocatedBytes
            + consumers.values.reduce(0) { $0 + 64 + $1.name.count + $1.pending.allocatedBytes }
    }

    /// A copy with its own consumers and pending entries (COPY).
    func copy() -> StreamConsumerGroup {
        let group = StreamConsumerGroup(name: name, lastID: lastID, entriesRead: entriesRead)
        for (name, consumer) in consumers {
            let copied = StreamConsumer(name: name, seenTime: consumer.seenTime)
            copied.pending = consumer.pending
            group.consumers[name] = copied
        }
        pending.forEach { id, entry in
            var copied = entry
            copied.consumer = group.consumers[entry.consumer.name]!
            group.pending[id] = copied
            return true
        }
        return group
    }
}
