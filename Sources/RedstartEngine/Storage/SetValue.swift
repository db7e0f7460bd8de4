// The set type's storage. A set of integers only, with at most
// set-max-intset-entries members, is a sorted array of Int64 (Redis's intset:
// compact, and iterated in ascending order as Redis does); any other member or
// more members turn it into a dense array of members plus a dictionary from
// member to position ("hashtable"; never converted back), which gives O(1)
// membership, insertion, removal (the last member fills the gap) and random
// picks (SPOP, SRANDMEMBER).
import RedstartRESP

/// A set value.
public final class SetValue {
    /// The members while the set is an intset, ascending; nil once it is a hashtable.
    @exclusivity(unchecked) private var integers: [Int64]? = []
    @exclusivity(unchecked) private var members: [ByteString] = []
    @exclusivity(unchecked) private var index: [ByteString: Int] = [:]

    public init() {}

    public var count: Int { integers?.count ?? members.count }
    public var isEmpty: Bool { count == 0 }
    /// OBJECT ENCODING's answer.
    public var encodingName: String { integers == nil ? "hashtable" : "intset" }

    public func contains(_ member: UnsafeRawBufferPointer) -> Bool {
        if let integers {
            guard let number = parseRedisInteger(member) else { return false }
            return Self.search(integers, number).found
        }
        return index[ByteString(member)] != nil
    }

    /// Adds `member`; false when it was there. `maxIntegers` is set-max-intset-entries.
    @discardableResult
    public func add(_ member: UnsafeRawBufferPointer, maxIntegers: Int) -> Bool {
        if integers != nil {
            if let number = parseRedisInteger(member) {
                let (found, position) = Self.search(integers!, number)
                if found { return false }
                if integers!.count < maxIntegers {
                    integers!.insert(number, at: position)
                    return true
                }
            }
            convertToTable()
        }
        let key = ByteString(member)
        if index[key] != nil { return false }
        index[key] = members.count
        members.append(key)
        return true
    }

    /// Removes `member`; false when it was not there.
    @discardableResult
    public func remove(_ member: UnsafeRawBufferPointer) -> Bool {
        if integers != nil {
            guard let number = parseRedisInteger(member) else { return false }
            let (found, position) = Self.search(integers!, number)
            if found { integers!.remove(at: position) }
            return found
        }
        guard let position = index[ByteString(member)] else { return false }
        removeAt(position)
        return true
    }

    /// Member `position` (0..<count) as bytes, lent to `body`.
    public func withMember<R>(at position: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let integers {
            var digits = DecimalDigits(integers[position])
            return try digits.withBytes(body)
        }
        return try members[position].withUnsafeBytes(body)
    }

    /// Member `position` as a ByteString.
    public func member(at position: Int) -> ByteString {
        withMember(at: position) { ByteString($0) }
    }

    /// Removes member `position`.
    public func removeAt(_ position: Int) {
        if integers != nil {
            integers!.remove(at: position)
            return
        }
        index[members[position]] = nil
        let last = members.count - 1
        if position != last {
            members[position] = members[last]
            index[members[position]] = position
        }
        members.removeLast()
    }

    /// Calls `body` with every member, in the set's order.
    public func forEach(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        for position in 0..<count { try withMember(at: position, body) }
    }

    /// An independent copy.
    public func copy() -> SetValue {
        let other = SetValue()
        other.integers = integers
        other.members = members
        other.index = index
        return other
    }

    /// Bytes held, for MEMORY USAGE.
    public func allocatedBytes(samples: Int) -> Int {
        if let integers { return 64 + integers.capacity * 8 }
        let strings = sampledHeapBytes(count: members.count, samples: samples) { members[$0].heapSize }
        return 64 + strings + members.capacity * 24 + index.capacity * 40
    }

    private func convertToTable() {
        guard let numbers = integers else { return }
        integers = nil
        members.reserveCapacity(numbers.count + 1)
        for number in numbers {
            var digits = DecimalDigits(number)
            let key = digits.withBytes { ByteString($0) }
            index[key] = members.count
            members.append(key)
        }
    }

    /// Binary search: whether `number` is in `sorted`, and where it is or would go.
    private static func search(_ sorted: [Int64], _ number: Int64) -> (found: Bool, position: Int) {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < number {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return (low < sorted.count && sorted[low] == number, low)
    }
}
