// The hash type's storage. A small hash (at most hash-max-listpack-entries
// fields, no field or value longer than hash-max-listpack-value) is one
// PackedEntries block of field, value, field, value ... entries (as Redis's
// listpack), searched linearly and kept in insertion order: a 5-field hash
// is a block of about a hundred bytes, and the 16 bytes that point to it live in
// the key's entry (no object of its own; ownership as SortedSetValue's: changes
// through `inout` that reach the entry, `release()` by whoever drops the value).
// Past either limit
// it becomes two arrays plus a dictionary from field to position (Redis's
// "hashtable" encoding; never converted back), where the last pair fills the
// gap a removal leaves.

/// A hash value.
public struct HashValue {
    /// The pairs while the hash is small; once it is a hashtable, the table in their place.
    private var packed = PackedEntries()
    /// The pairs once the hash is a hashtable (a separate object, so that the many small
    /// hashes do not carry its three fields).
    private var table: Table? {
        @inline(__always) get { packed.heldObject(as: Table.self) }
        set { packed.hold(newValue) }
    }

    /// The hashtable form: fields and values by position, and each field's position.
    private final class Table {
        @exclusivity(unchecked) var fields = SegmentedArray<ByteString>()
        @exclusivity(unchecked) var values = SegmentedArray<ByteString>()
        @exclusivity(unchecked) var index = PositionIndex()

        deinit {
            index.deallocate()
            fields.deallocate()
            values.deallocate()
        }

        /// The position of `field`, or nil.
        @inline(__always)
        func position(of field: UnsafeRawBufferPointer) -> Int? {
            index.position(of: field, hash: KeyHash.hash(field), in: fields)
        }

        /// Sets `field` to `value`; true when the field is new.
        func set(_ field: UnsafeRawBufferPointer, _ value: ByteString) -> Bool {
            let hash = KeyHash.hash(field)
            if let position = index.position(of: field, hash: hash, in: fields) {
                values[position] = value
                return false
            }
            append(ByteString(field), value, hash: hash)
            return true
        }

        /// Adds a field known to be new.
        func append(_ field: ByteString, _ value: ByteString, hash: UInt64? = nil) {
            fields.append(field)
            values.append(value)
            index.addLast(of: fields, hash: hash ?? field.withUnsafeBytes { KeyHash.hash($0) })
        }

        /// Removes the pair of `field`; false when it is not there (hashed once for both steps).
        func remove(_ field: UnsafeRawBufferPointer) -> Bool {
            let hash = KeyHash.hash(field)
            guard let position = index.position(of: field, hash: hash, in: fields) else { return false }
            index.remove(position, hash: hash, of: fields)
            let last = fields.count - 1
            if position != last {
                fields[position] = fields[last]
                values[position] = values[last]
            }
            fields.removeLast()
            values.removeLast()
            return true
        }

        /// A table with the same pairs.
        func copy() -> Table {
            let copied = Table()
            copied.fields.reserveCapacity(fields.count)
            copied.values.reserveCapacity(fields.count)
            for position in fields.indices { copied.append(fields[position], values[position]) }
            return copied
        }
    }

    public init() {}

    /// Frees the block or the table (the owner dropping the value).
    public func release() { packed.deallocate() }

    public var count: Int { table?.fields.count ?? packed.count / 2 }
    public var isEmpty: Bool { count == 0 }
    /// OBJECT ENCODING's answer.
    public var encodingName: String { table == nil ? "listpack" : "hashtable" }

    // MARK: - Packed pairs

    /// Where the pair of `field` sits in the packed block: its start, the value's start and
    /// the end of the pair, and its position.
    private func locate(_ field: UnsafeRawBufferPointer) -> (start: Int, value: Int, end: Int, position: Int)? {
        guard let (start, position) = packed.find(field, every: 2) else { return nil }
        let value = packed.next(after: start)
        return (start, value, packed.next(after: value), position)
    }

    // MARK: - Reading

    /// The position of `field` (0..<count), or nil.
    func position(of field: UnsafeRawBufferPointer) -> Int? {
        guard let table else { return locate(field)?.position }
        return table.position(of: field)
    }

    /// Lends the value of `field` to `body` (no copy); nil when the field is missing.
    public func withValue<R>(of field: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard let table else {
            guard let found = locate(field) else { return nil }
            return try body(packed.bytes(at: found.value))
        }
        guard let position = table.position(of: field) else { return nil }
        return try table.values[position].withUnsafeBytes(body)
    }

    /// A copy of the value of `field`.
    public func value(of field: UnsafeRawBufferPointer) -> ByteString? {
        withValue(of: field) { ByteString($0) }
    }

    /// Calls `body` with every field and value, in the hash's order.
    public func forEachPair(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) rethrows {
        guard let table else {
            var offset = 0
            let end = packed.byteCount
            while offset < end {
                let valueOffset = packed.next(after: offset)
                try body(packed.bytes(at: offset), packed.bytes(at: valueOffset))
                offset = packed.next(after: valueOffset)
            }
            return
        }
        for position in table.fields.indices {
            try table.fields[position].withUnsafeBytes { field in
                try table.values[position].withUnsafeBytes { try body(field, $0) }
            }
        }
    }

    /// The number of positions of a hashtable-encoded hash (nil for a listpack one), whose
    /// pairs keep their positions except the last, which fills the hole of a removal.
    var positionCount: Int? { table?.fields.count }

    /// The pair at `position` of a hashtable-encoded hash.
    func pair(at position: Int) -> (field: ByteString, value: ByteString) {
        (table!.fields[position], table!.values[position])
    }

    /// Every pair, in the hash's order (for random picks by position).
    public func pairs() -> [(field: ByteString, value: ByteString)] {
        var all: [(field: ByteString, value: ByteString)] = []
        all.reserveCapacity(count)
        forEachPair { all.append((ByteString($0), ByteString($1))) }
        return all
    }

    // MARK: - Changes

    /// Sizes a new, empty small hash's block to exactly `bytes` of entries (HSET with every
    /// pair at once: the block is allocated once, without slack).
    mutating func reservePacked(bytes: Int) {
        if table == nil { packed.reserveExactly(bytes) }
    }

    /// Bytes a field or value of `length` bytes takes in the small form.
    static func packedSize(_ length: Int) -> Int { PackedEntries.entrySize(length) }

    /// Sets `field` to `value`; true when the field is new. `limits` are the listpack limits
    /// (entries, length) past which the hash becomes a hashtable.
    @discardableResult
    public mutating func set(_ field: UnsafeRawBufferPointer, _ value: ByteString, limits: (entries: Int, length: Int)) -> Bool {
        guard let table else {
            if field.count > limits.length || value.count > limits.length {
                return convertToTable().set(field, value)
            }
            if let found = locate(field) {
                value.withUnsafeBytes { packed.replace(at: found.value, with: $0) }
                return false
            }
            if packed.count / 2 + 1 > limits.entries {
                return convertToTable().set(field, value)
            }
            value.withUnsafeBytes { packed.append(field, $0) }
            return true
        }
        return table.set(field, value)
    }

    /// Removes `field`; false when it was not there.
    @discardableResult
    public mutating func remove(_ field: UnsafeRawBufferPointer) -> Bool {
        guard let table else {
            guard let found = locate(field) else { return false }
            packed.remove(from: found.start, to: found.end, entries: 2)
            return true
        }
        return table.remove(field)
    }

    private mutating func convertToTable() -> Table {
        let all = pairs()
        let table = Table()
        table.fields.reserveCapacity(all.count + 1)
        table.values.reserveCapacity(all.count + 1)
        for pair in all { table.append(pair.field, pair.value) }
        self.table = table  // frees the packed block, whose place the table takes
        return table
    }

    /// An independent copy (COPY).
    public func copy() -> HashValue {
        var other = HashValue()
        guard let table else {
            other.packed = packed.copy()
            return other
        }
        other.table = table.copy()
        return other
    }

    /// Bytes held, for MEMORY USAGE.
    public func allocatedBytes(samples: Int) -> Int {
        guard let table else { return packed.capacity }
        let strings = sampledHeapBytes(count: table.fields.count, samples: samples) {
            table.fields[$0].heapSize + table.values[$0].heapSize
        }
        return 96 + strings + table.fields.capacity * 48 + table.index.capacity * 4
    }
}
