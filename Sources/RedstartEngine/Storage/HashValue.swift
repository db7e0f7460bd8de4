// The hash type's storage. Small hashes (at most hash-max-listpack-entries
// fields, none longer than hash-max-listpack-value) keep their fields and
// values in two arrays in insertion order and are searched linearly, as
// Redis's listpack; past either limit they gain a dictionary from field to
// position (Redis's "hashtable" encoding; never converted back). Removal from
// a small hash keeps the order; from a large one the last pair fills the gap.

/// A hash value.
public final class HashValue {
    @exclusivity(unchecked) private(set) var fields: [ByteString] = []
    @exclusivity(unchecked) private(set) var values: [ByteString] = []
    /// Field → position, once the hash is large.
    @exclusivity(unchecked) private var index: [ByteString: Int]?

    public init() {}

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }
    /// OBJECT ENCODING's answer.
    public var encodingName: String { index == nil ? "listpack" : "hashtable" }

    /// The position of `field`, or nil.
    func position(of field: UnsafeRawBufferPointer) -> Int? {
        if let index { return index[ByteString(field)] }
        for position in fields.indices where fields[position].equals(field) { return position }
        return nil
    }

    /// The value of `field`.
    public func value(of field: UnsafeRawBufferPointer) -> ByteString? {
        position(of: field).map { values[$0] }
    }

    /// Sets `field` to `value`; true when the field is new. `limits` are the listpack limits
    /// (entries, value length) that decide the conversion to a hashtable.
    @discardableResult
    public func set(_ field: UnsafeRawBufferPointer, _ value: ByteString, limits: (entries: Int, length: Int)) -> Bool {
        if let position = position(of: field) {
            values[position] = value
            if index == nil && value.count > limits.length { buildIndex() }
            return false
        }
        fields.append(ByteString(field))
        values.append(value)
        if let _ = index {
            index![fields[fields.count - 1]] = fields.count - 1
        } else if fields.count > limits.entries || field.count > limits.length || value.count > limits.length {
            buildIndex()
        }
        return true
    }

    /// Removes `field`; false when it was not there.
    @discardableResult
    public func remove(_ field: UnsafeRawBufferPointer) -> Bool {
        guard let position = position(of: field) else { return false }
        removeAt(position)
        return true
    }

    /// Removes the pair at `position`.
    func removeAt(_ position: Int) {
        guard index != nil else {
            fields.remove(at: position)
            values.remove(at: position)
            return
        }
        index![fields[position]] = nil
        let last = fields.count - 1
        if position != last {
            fields[position] = fields[last]
            values[position] = values[last]
            index![fields[position]] = position
        }
        fields.removeLast()
        values.removeLast()
    }

    /// The pair at `position` (0..<count).
    func pair(at position: Int) -> (field: ByteString, value: ByteString) { (fields[position], values[position]) }

    private func buildIndex() {
        var built: [ByteString: Int] = [:]
        built.reserveCapacity(fields.count)
        for (position, field) in fields.enumerated() { built[field] = position }
        index = built
    }

    /// An independent copy (COPY).
    public func copy() -> HashValue {
        let other = HashValue()
        other.fields = fields
        other.values = values
        other.index = index
        return other
    }

    /// Bytes held, for MEMORY USAGE.
    public var allocatedBytes: Int {
        let strings = fields.reduce(0) { $0 + $1.heapSize } + values.reduce(0) { $0 + $1.heapSize }
        return 64 + strings + fields.capacity * 48 + (index.map { $0.capacity * 40 } ?? 0)
    }
}
