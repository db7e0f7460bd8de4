// The set type's storage, in one of three forms:
// - integers: a set of integers only, with at most set-max-intset-entries members,
//   is a PackedEntries block of ascending integers of one width (Redis's intset:
//   compact, binary-searched, iterated in ascending order as Redis does);
// - packed: a small set of strings (at most 128 members of at most 64 bytes) is a
//   PackedEntries block of members in insertion order, searched linearly. Redis 7.0
//   keeps such sets in a hashtable, and OBJECT ENCODING says "hashtable" for them as
//   it does on Redis; the packed block is a fifth of the memory;
// - table: a dense array of members plus a dictionary from member to position
//   ("hashtable"; never converted back), which gives O(1) membership, insertion,
//   removal (the last member fills the gap) and random picks (SPOP, SRANDMEMBER).
// The value is the block (16 bytes, held in the key's entry: no object of its own),
// whose place holds the table once there is one, and whose owner mark tells packed
// strings from integers. Ownership as SortedSetValue's: changes through `inout`
// that reach the entry, `release()` by whoever drops the value.
import RedstartRESP

/// A set value.
public struct SetValue {
    private var packed = PackedEntries()

    /// The form, kept in `packed`: the table held in the block's place, else the mark for
    /// packed strings.
    private var form: Form {
        get {
            if let table = packed.heldObject(as: Table.self) { return .table(table) }
            return packed.isMarked ? .packed : .integers
        }
        set {
            switch newValue {
            case .integers: packed.isMarked = false
            case .packed: packed.isMarked = true
            case .table(let table): packed.hold(table)  // the entries were moved to it
            }
        }
    }

    private enum Form {
        case integers
        case packed
        case table(Table)
    }

    /// The hashtable form: members by position, and each member's position.
    private final class Table {
        @exclusivity(unchecked) var members = SegmentedArray<ByteString>()
        @exclusivity(unchecked) var index = PositionIndex()

        deinit {
            index.deallocate()
            members.deallocate()
        }

        /// The position of `member`, or nil.
        @inline(__always)
        func position(of member: UnsafeRawBufferPointer) -> Int? {
            index.position(of: member, hash: KeyHash.hash(member), in: members)
        }

        /// Removes `member`; false when it is not there (hashed once for both steps).
        func remove(_ member: UnsafeRawBufferPointer) -> Bool {
            let hash = KeyHash.hash(member)
            guard let position = index.position(of: member, hash: hash, in: members) else { return false }
            remove(at: position, hash: hash)
            return true
        }

        /// Adds `member`; false when it was there.
        @discardableResult
        func insert(_ member: ByteString) -> Bool {
            let hash = member.withUnsafeBytes { KeyHash.hash($0) }
            if member.withUnsafeBytes({ index.position(of: $0, hash: hash, in: members) }) != nil { return false }
            members.append(member)
            index.addLast(of: members, hash: hash)
            return true
        }

        /// Removes member `position` (whose hash is `hash`, when known): the last member
        /// fills its place.
        func remove(at position: Int, hash: UInt64? = nil) {
            index.remove(position, hash: hash, of: members)
            if position != members.count - 1 { members[position] = members[members.count - 1] }
            members.removeLast()
        }

        /// A table with the same members.
        func copy() -> Table {
            let copied = Table()
            copied.members.reserveCapacity(members.count)
            for member in members { copied.insert(member) }
            return copied
        }
    }

    /// The most members, and the longest member, a packed set of strings holds.
    static let packedEntries = 128
    static let packedLength = 64

    public init() {}

    /// Whether `other` is this same stored set (two keys never share one; both non-empty).
    func isSame(as other: SetValue) -> Bool { packed.base != nil && packed.base == other.packed.base }

    /// Frees the block or the table (the owner dropping the value).
    public func release() { packed.deallocate() }

    public var count: Int {
        if case .table(let table) = form { return table.members.count }
        return packed.count
    }
    public var isEmpty: Bool { count == 0 }
    /// OBJECT ENCODING's answer (Redis 7.0 has no packed form for sets of strings).
    public var encodingName: String {
        if case .integers = form { return "intset" }
        return "hashtable"
    }

    public func contains(_ member: UnsafeRawBufferPointer) -> Bool {
        switch form {
        case .integers:
            guard let number = parseRedisInteger(member) else { return false }
            return packed.searchInteger(number).found
        case .packed:
            return packed.find(member, every: 1) != nil
        case .table(let table):
            return table.position(of: member) != nil
        }
    }

    /// Adds `member`; false when it was there. `maxIntegers` is set-max-intset-entries.
    @discardableResult
    public mutating func add(_ member: UnsafeRawBufferPointer, maxIntegers: Int) -> Bool {
        switch form {
        case .integers:
            if let number = parseRedisInteger(member) {
                let (found, position) = packed.searchInteger(number)
                if found { return false }
                if packed.count < maxIntegers {
                    packed.insertInteger(number, at: position)
                    return true
                }
            }
            convertFromIntegers(adding: member)
            return true
        case .packed:
            if packed.find(member, every: 1) != nil { return false }
            if packed.count < Self.packedEntries && member.count <= Self.packedLength {
                packed.append(member)
            } else {
                convertToTable().insert(ByteString(member))
            }
            return true
        case .table(let table):
            return table.insert(ByteString(member))
        }
    }

    /// Removes `member`; false when it was not there.
    @discardableResult
    public mutating func remove(_ member: UnsafeRawBufferPointer) -> Bool {
        switch form {
        case .integers:
            guard let number = parseRedisInteger(member) else { return false }
            let (found, position) = packed.searchInteger(number)
            if found { packed.removeInteger(at: position) }
            return found
        case .packed:
            guard let (offset, _) = packed.find(member, every: 1) else { return false }
            packed.remove(from: offset, to: packed.next(after: offset), entries: 1)
            return true
        case .table(let table):
            return table.remove(member)
        }
    }

    /// Member `position` (0..<count) as bytes, lent to `body`.
    public func withMember<R>(at position: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch form {
        case .integers:
            var digits = DecimalDigits(packed.integer(at: position))
            return try digits.withBytes(body)
        case .packed:
            return try body(packed.bytes(at: packed.offset(ofEntry: position)))
        case .table(let table):
            return try table.members[position].withUnsafeBytes(body)
        }
    }

    /// Member `position` as a ByteString.
    public func member(at position: Int) -> ByteString {
        withMember(at: position) { ByteString($0) }
    }

    /// Removes member `position`.
    public mutating func removeAt(_ position: Int) {
        switch form {
        case .integers:
            packed.removeInteger(at: position)
        case .packed:
            let offset = packed.offset(ofEntry: position)
            packed.remove(from: offset, to: packed.next(after: offset), entries: 1)
        case .table(let table):
            table.remove(at: position)
        }
    }

    /// The members of an intset as numbers, ascending (RDB writing: no text in between);
    /// nil for the other forms.
    public var integerMembers: [Int64]? {
        guard case .integers = form else { return nil }
        return (0..<packed.count).map { packed.integer(at: $0) }
    }

    /// Calls `body` with every member, in the set's order.
    public func forEach(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        switch form {
        case .integers:
            for position in 0..<packed.count {
                var digits = DecimalDigits(packed.integer(at: position))
                try digits.withBytes(body)
            }
        case .packed:
            try packed.walk { offset in
                try body(packed.bytes(at: offset))
                return true
            }
        case .table(let table):
            for member in table.members { try member.withUnsafeBytes(body) }
        }
    }

    /// An independent copy.
    public func copy() -> SetValue {
        var other = SetValue()
        switch form {
        case .integers, .packed:
            other.packed = packed.copy()
            other.form = form
        case .table(let table):
            other.form = .table(table.copy())
        }
        return other
    }

    /// Bytes held, for MEMORY USAGE.
    public func allocatedBytes(samples: Int) -> Int {
        guard case .table(let table) = form else { return packed.capacity }
        let strings = sampledHeapBytes(count: table.members.count, samples: samples) { table.members[$0].heapSize }
        return 32 + strings + table.members.capacity * 24 + table.index.capacity * 4
    }

    // MARK: - Conversions

    /// An intset gets a member it cannot hold (not an integer, or one too many): it becomes
    /// packed strings when they fit, else a table.
    private mutating func convertFromIntegers(adding member: UnsafeRawBufferPointer) {
        let integers = packed
        packed = PackedEntries()
        defer { integers.deallocate() }
        if integers.count < Self.packedEntries && member.count <= Self.packedLength {
            form = .packed
            for position in 0..<integers.count {
                var digits = DecimalDigits(integers.integer(at: position))
                digits.withBytes { packed.append($0) }
            }
            packed.append(member)
            return
        }
        let table = Table()
        table.members.reserveCapacity(integers.count + 1)
        for position in 0..<integers.count {
            var digits = DecimalDigits(integers.integer(at: position))
            table.insert(digits.withBytes { ByteString($0) })
        }
        table.insert(ByteString(member))
        form = .table(table)
    }

    /// Packed strings become a table.
    private mutating func convertToTable() -> Table {
        let table = Table()
        table.members.reserveCapacity(packed.count + 1)
        packed.walk { offset in
            table.insert(ByteString(packed.bytes(at: offset)))
            return true
        }
        form = .table(table)  // frees the packed block, whose place the table takes
        return table
    }
}
