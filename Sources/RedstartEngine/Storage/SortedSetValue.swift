// The sorted-set type's storage. A small sorted set (at most
// zset-max-listpack-entries members, none longer than zset-max-listpack-value)
// is one PackedEntries block of member, score, member, score ... entries (the
// score in as few bytes as keep it exact: PackedScore) kept in (score, member)
// order and searched linearly, as Redis's listpack; past either limit it becomes a
// ScoreBlockList for order and ranks, which also finds a member's score (Redis's
// "skiplist" encoding, the name OBJECT ENCODING keeps). Everything the
// commands need is expressed by rank: a score or lex bound is turned into the
// number of members before it, then ranks are walked.
//
// The value is 16 bytes held in the key's entry itself, no object of its own: the
// block, whose place holds the large form's reference once there is one. So it
// has one owner, the entry (or a local that is stored or released): changes go
// through `inout` and reach the entry (Value.storedSortedSet), copies that
// outlive a change are not kept, and whoever drops it calls `release()` (the key
// table as it removes or overwrites the key, the lazy-free thread).

/// A sorted-set value.
public struct SortedSetValue {
    /// The pairs while small; the large encoding in their place once it is one.
    private var packed = PackedEntries()
    /// The large encoding, or nil while small.
    private var large: Large? {
        @inline(__always) get { packed.heldObject(as: Large.self) }
        set { packed.hold(newValue) }
    }

    /// The large form ("skiplist"): order, ranks and each member's score.
    private final class Large {
        let list = ScoreBlockList()

        func insert(_ member: ByteString, score: Double) { list.insert(member, score: score) }
        func score(of member: ByteString) -> Double? { list.score(of: member) }
    }

    public init() {}

    /// An empty set that starts in the large encoding (results of ZUNION and friends,
    /// which Redis builds as a skip list and shrinks afterwards: scores such as -0 survive).
    public init(startingLarge: Bool) {
        if startingLarge { large = Large() }
    }

    /// Frees the block or the large form (the owner dropping the value).
    public func release() { packed.deallocate() }

    public var count: Int { large?.list.count ?? packed.count / 2 }
    public var isEmpty: Bool { count == 0 }
    public var encodingName: String { large == nil ? "listpack" : "skiplist" }

    // MARK: - The packed form

    /// The score stored in the entry at `offset`.
    @inline(__always)
    private func packedScore(at offset: Int) -> Double {
        PackedScore.decode(packed.bytes(at: offset))
    }

    /// The member and score of the pair at `offset`, and the offset past it.
    @inline(__always)
    private func packedPair(at offset: Int) -> (member: UnsafeRawBufferPointer, score: Double, next: Int) {
        let scoreOffset = packed.next(after: offset)
        return (packed.bytes(at: offset), packedScore(at: scoreOffset), packed.next(after: scoreOffset))
    }

    /// The offset of the pair of ascending `rank`.
    private func packedOffset(ofRank rank: Int) -> Int { packed.offset(ofEntry: rank * 2) }

    /// Where `member` is: its pair's offset, the offset past the pair, and its rank.
    private func packedLocate(_ member: ByteString) -> (offset: Int, end: Int, rank: Int)? {
        guard let (offset, rank) = member.withUnsafeBytes({ packed.find($0, every: 2) }) else { return nil }
        return (offset, packed.next(after: packed.next(after: offset)), rank)
    }

    /// Adds the pair at its place in (score, member) order.
    private mutating func packedInsert(_ member: ByteString, _ score: Double) {
        var offset = 0
        let end = packed.byteCount
        member.withUnsafeBytes { bytes in
            while offset < end {
                let pair = packedPair(at: offset)
                if pair.score > score || (pair.score == score && compareMembers(pair.member, bytes) > 0) { break }
                offset = pair.next
            }
            PackedScore.withBytes(of: score) { packed.insert(bytes, $0, at: offset) }
        }
    }

    // MARK: - Reading and changing

    /// The score of `member`, or nil.
    public func score(of member: ByteString) -> Double? {
        if let large { return large.score(of: member) }
        return packedLocate(member).map { packedScore(at: packed.next(after: $0.offset)) }
    }

    /// Adds `member` or changes its score; true when it is new. `limits`: the listpack limits.
    @discardableResult
    public mutating func set(_ member: ByteString, score: Double, limits: (entries: Int, length: Int)) -> Bool {
        if let large {
            if let old = large.score(of: member) {
                if old != score { large.list.changeScore(member, from: old, to: score) }
                return false
            }
            large.insert(member, score: score)
            return true
        }
        let existing = packedLocate(member)
        if let existing {
            if packedScore(at: packed.next(after: existing.offset)) == score { return false }
            packed.remove(from: existing.offset, to: existing.end, entries: 2)
        } else if count + 1 > limits.entries || member.count > limits.length {
            convertToLargeForm()
            return set(member, score: score, limits: limits)
        }
        // Redis's listpack keeps a score as text that it reads back as an integer when it can:
        // -0 comes back as 0 (the large form keeps -0).
        packedInsert(member, score == 0 ? 0 : score)
        return existing == nil
    }

    /// The slots ZSCAN walks in a large sorted set (nil for a listpack one).
    var scanSlotCount: Int? { large?.list.slotCount }

    /// The pair in a slot of a large sorted set, nil for a free one.
    func scanPair(inSlot slot: Int) -> (member: ByteString, score: Double)? { large?.list.pair(inSlot: slot) }

    /// Moves `member`, whose score is `old`, to `new` (the caller looked the score up).
    public mutating func changeScore(_ member: ByteString, from old: Double, to new: Double, limits: (entries: Int, length: Int)) {
        guard let large else {
            set(member, score: new, limits: limits)
            return
        }
        large.list.changeScore(member, from: old, to: new)
    }

    /// Sizes a new, empty sorted set's small block for exactly these members and scores,
    /// when they keep it small (ZADD creating the key: the block is allocated once, without
    /// the slack of growing member by member).
    mutating func reservePacked(_ pairs: some Sequence<(length: Int, score: Double)>, limits: (entries: Int, length: Int)) {
        guard large == nil, packed.isEmpty else { return }
        var bytes = 0, count = 0
        for (length, score) in pairs {
            count += 1
            guard length <= limits.length, count <= limits.entries else { return }
            bytes += PackedEntries.entrySize(length) + PackedEntries.entrySize(PackedScore.encode(score).count)
        }
        packed.reserveExactly(bytes)
    }

    /// Adds a member that is not in the set (the caller looked it up).
    public mutating func insertNew(_ member: ByteString, score: Double, limits: (entries: Int, length: Int)) {
        guard let large else {
            set(member, score: score, limits: limits)
            return
        }
        large.insert(member, score: score)
    }

    /// Removes `member`; false when it was not there.
    @discardableResult
    public mutating func remove(_ member: ByteString) -> Bool {
        if let large {
            guard let score = large.score(of: member) else { return false }
            large.list.remove(member, score: score)
            return true
        }
        guard let found = packedLocate(member) else { return false }
        packed.remove(from: found.offset, to: found.end, entries: 2)
        return true
    }

    /// The 0-based rank of `member` in ascending order, or nil.
    public func rank(of member: ByteString) -> Int? {
        if let large {
            guard let score = large.score(of: member) else { return nil }
            return large.list.rank(of: member, score: score)
        }
        return packedLocate(member)?.rank
    }

    /// The member and score at ascending `rank` (in range).
    public func element(at rank: Int) -> (member: ByteString, score: Double) {
        if let large { return large.list.element(at: rank) }
        let pair = packedPair(at: packedOffset(ofRank: rank))
        return (ByteString(pair.member), pair.score)
    }

    /// Calls `body` with the elements of ascending ranks `range`, in order or reversed.
    public func forEach(in range: ClosedRange<Int>, reverse: Bool, _ body: (ByteString, Double) -> Void) {
        if let large {
            if reverse {
                for rank in range.reversed() {
                    let (member, score) = large.list.element(at: rank)
                    body(member, score)
                }
            } else {
                var remaining = range.count
                large.list.walk(from: range.lowerBound) { member, score in
                    body(member, score)
                    remaining -= 1
                    return remaining > 0
                }
            }
            return
        }
        var offset = packedOffset(ofRank: range.lowerBound)
        if reverse {
            var offsets: [Int] = []
            offsets.reserveCapacity(range.count)
            for _ in range {
                offsets.append(offset)
                offset = packedPair(at: offset).next
            }
            for start in offsets.reversed() {
                let pair = packedPair(at: start)
                body(ByteString(pair.member), pair.score)
            }
        } else {
            for _ in range {
                let pair = packedPair(at: offset)
                body(ByteString(pair.member), pair.score)
                offset = pair.next
            }
        }
    }

    /// Every member and score in ascending order, the member's bytes valid only inside
    /// `body`: nothing is copied (RDB writing).
    public func forEachRaw(_ body: (UnsafeRawBufferPointer, Double) -> Void) {
        if let large {
            large.list.walk(from: 0) { member, score in
                member.withUnsafeBytes { body($0, score) }
                return true
            }
            return
        }
        guard count > 0 else { return }
        var offset = packedOffset(ofRank: 0)
        for _ in 0..<count {
            let pair = packedPair(at: offset)
            body(pair.member, pair.score)
            offset = pair.next
        }
    }

    /// The number of leading elements for which `isBefore` holds (it must hold for a prefix).
    public func countLeading(where isBefore: (ByteString, Double) -> Bool) -> Int {
        if let large { return large.list.countLeading(where: isBefore) }
        var count = 0
        var offset = 0
        let end = packed.byteCount
        while offset < end {
            let pair = packedPair(at: offset)
            guard isBefore(ByteString(pair.member), pair.score) else { break }
            count += 1
            offset = pair.next
        }
        return count
    }

    /// Removes the elements of ascending ranks `range`.
    public mutating func removeRanks(_ range: ClosedRange<Int>) {
        if let large {
            large.list.removeRanks(range)
            return
        }
        let start = packedOffset(ofRank: range.lowerBound)
        var end = start
        for _ in range { end = packedPair(at: end).next }
        packed.remove(from: start, to: end, entries: range.count * 2)
    }

    /// Uses the small encoding if the set fits in it (results of the STORE commands).
    public mutating func shrinkIfFitting(limits: (entries: Int, length: Int)) {
        guard let large, large.list.count <= limits.entries else { return }
        var fits = true
        var bytes = 0
        large.list.walk(from: 0) { member, score in
            fits = member.count <= limits.length
            bytes += PackedEntries.entrySize(member.count) + PackedEntries.entrySize(PackedScore.encode(score == 0 ? 0 : score).count)
            return fits
        }
        guard fits else { return }
        self.large = nil  // the block's place is free again; `large` still holds the list
        packed.reserveExactly(bytes)
        large.list.walk(from: 0) { member, score in
            let stored = score == 0 ? 0 : score
            member.withUnsafeBytes { bytes in PackedScore.withBytes(of: stored) { packed.append(bytes, $0) } }
            return true
        }
    }

    private mutating func convertToLargeForm() {
        let built = Large()
        var offset = 0
        let end = packed.byteCount
        while offset < end {
            let pair = packedPair(at: offset)
            built.insert(ByteString(pair.member), score: pair.score)
            offset = pair.next
        }
        large = built  // frees the packed block, whose place the list takes
    }

    /// An independent copy.
    public func copy() -> SortedSetValue {
        var other = SortedSetValue()
        guard let large else {
            other.packed = packed.copy()
            return other
        }
        let copied = Large()
        large.list.walk(from: 0) { member, score in
            copied.insert(member, score: score)
            return true
        }
        other.large = copied
        return other
    }

    /// Bytes held, for MEMORY USAGE.
    public func allocatedBytes(samples: Int) -> Int {
        guard let large else { return packed.capacity }
        var sampled = 0
        var strings = 0
        large.list.walk(from: 0) { member, _ in
            strings += member.heapSize
            sampled += 1
            return samples == 0 || sampled < samples
        }
        return 48 + 16 + large.list.allocatedBytes + (sampled == 0 ? 0 : strings * count / sampled)
    }
}
