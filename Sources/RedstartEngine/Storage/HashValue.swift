// The hash type's storage. A small hash (at most hash-max-listpack-entries
// fields, no field or value longer than hash-max-listpack-value) is one packed
// buffer of field, value, field, value ... entries (a ListChunk, as Redis's
// listpack), searched linearly and kept in insertion order: a 5-field hash
// is a few hundred bytes. Past either limit it becomes two arrays plus a
// dictionary from field to position (Redis's "hashtable" encoding; never
// converted back), where the last pair fills the gap a removal leaves.

/// A hash value.
public final class HashValue {
    /// The pairs while the hash is small; nil once it is a hashtable.
    @exclusivity(unchecked) private var packed: ListChunk? = ListChunk(capacity: 16, growingAtFront: false, twoSided: false)
    /// The pairs once the hash is a hashtable (a separate object, so that the many small
    /// hashes do not carry its three fields).
    @exclusivity(unchecked) private var table: Table?

    /// The hashtable form: fields and values by position, and each field's position.
    private final class Table {
        @exclusivity(unchecked) var fields: [ByteString] = []
        @exclusivity(unchecked) var values: [ByteString] = []
        @exclusivity(unchecked) var index: [ByteString: Int] = [:]
    }

    public init() {}

    public var count: Int { packed.map { $0.count / 2 } ?? table!.fields.count }
    public var isEmpty: Bool { count == 0 }
    /// OBJECT ENCODING's answer.
    public var encodingName: String { packed == nil ? "hashtable" : "listpack" }

    // MARK: - Packed pairs

    /// Where the pair of `field` sits in the packed buffer: its start, the value's start and
    /// the end of the pair, and its position.
    private func locate(_ field: UnsafeRawBufferPointer, in chunk: ListChunk) -> (start: Int, value: Int, end: Int, position: Int)? {
        var offset = chunk.head
        var position = 0
        while offset < chunk.tail {
            let (data, length, valueOffset) = chunk.entry(at: offset)
            let end = chunk.entry(at: valueOffset).next
            if length == field.count && (length == 0 || memcmp(chunk.base + data, field.baseAddress!, length) == 0) {
                return (offset, valueOffset, end, position)
            }
            offset = end
            position += 1
        }
        return nil
    }

    // MARK: - Reading

    /// The position of `field` (0..<count), or nil.
    func position(of field: UnsafeRawBufferPointer) -> Int? {
        if let packed { return locate(field, in: packed)?.position }
        return table!.index[ByteString(field)]
    }

    /// Lends the value of `field` to `body` (no copy); nil when the field is missing.
    public func withValue<R>(of field: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        if let packed {
            guard let found = locate(field, in: packed) else { return nil }
            return try body(packed.bytes(at: found.value))
        }
        let table = self.table!
        guard let position = table.index[ByteString(field)] else { return nil }
        return try table.values[position].withUnsafeBytes(body)
    }

    /// A copy of the value of `field`.
    public func value(of field: UnsafeRawBufferPointer) -> ByteString? {
        withValue(of: field) { ByteString($0) }
    }

    /// Calls `body` with every field and value, in the hash's order.
    public func forEachPair(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) rethrows {
        if let packed {
            var offset = packed.head
            while offset < packed.tail {
                let valueOffset = packed.entry(at: offset).next
                try body(packed.bytes(at: offset), packed.bytes(at: valueOffset))
                offset = packed.entry(at: valueOffset).next
            }
            return
        }
        let table = self.table!
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

    /// Sizes a new, empty small hash's buffer to exactly `bytes` of entries (HSET with every
    /// pair at once: the buffer is allocated once, without slack).
    func reservePacked(bytes: Int) {
        packed?.reserveExactly(bytes)
    }

    /// Sets `field` to `value`; true when the field is new. `limits` are the listpack limits
    /// (entries, length) past which the hash becomes a hashtable.
    @discardableResult
    public func set(_ field: UnsafeRawBufferPointer, _ value: ByteString, limits: (entries: Int, length: Int)) -> Bool {
        if let packed {
            if field.count > limits.length || value.count > limits.length {
                convertToTable()
                return set(field, value, limits: limits)
            }
            if let found = locate(field, in: packed) {
                value.withUnsafeBytes { packed.replace(found.value..<found.end, removing: 1, with: $0) }
                return false
            }
            if packed.count / 2 + 1 > limits.entries {
                convertToTable()
                return set(field, value, limits: limits)
            }
            packed.append(field)
            value.withUnsafeBytes { packed.append($0) }
            return true
        }
        let table = self.table!
        let key = ByteString(field)
        if let position = table.index[key] {
            table.values[position] = value
            return false
        }
        table.index[key] = table.fields.count
        table.fields.append(key)
        table.values.append(value)
        return true
    }

    /// Removes `field`; false when it was not there.
    @discardableResult
    public func remove(_ field: UnsafeRawBufferPointer) -> Bool {
        if let packed {
            guard let found = locate(field, in: packed) else { return false }
            packed.replace(found.start..<found.end, removing: 2, with: nil)
            return true
        }
        let table = self.table!
        guard let position = table.index.removeValue(forKey: ByteString(field)) else { return false }
        let last = table.fields.count - 1
        if position != last {
            table.fields[position] = table.fields[last]
            table.values[position] = table.values[last]
            table.index[table.fields[position]] = position
        }
        table.fields.removeLast()
        table.values.removeLast()
        return true
    }

    private func convertToTable() {
        guard packed != nil else { return }
        let all = pairs()
        packed = nil
        let table = Table()
        table.fields = all.map(\.field)
        table.values = all.map(\.value)
        table.index.reserveCapacity(all.count + 1)
        for (position, field) in table.fields.enumerated() { table.index[field] = position }
        self.table = table
    }

    /// An independent copy (COPY).
    public func copy() -> HashValue {
        let other = HashValue()
        if let table {
            other.packed = nil
            let copied = Table()
            copied.fields = table.fields
            copied.values = table.values
            copied.index = table.index
            other.table = copied
        } else {
            forEachPair { field, value in
                other.packed!.append(field)
                other.packed!.append(value)
            }
        }
        return other
    }

    /// Bytes held, for MEMORY USAGE.
    public func allocatedBytes(samples: Int) -> Int {
        if let packed { return 32 + packed.allocatedBytes }
        let table = self.table!
        let strings = sampledHeapBytes(count: table.fields.count, samples: samples) {
            table.fields[$0].heapSize + table.values[$0].heapSize
        }
        return 96 + strings + table.fields.capacity * 48 + table.index.capacity * 40
    }
}

#if canImport(Glibc)
import Glibc
#endif
