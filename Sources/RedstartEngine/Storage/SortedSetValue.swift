// The sorted-set type's storage. A small sorted set (at most
// zset-max-listpack-entries members, none longer than zset-max-listpack-value)
// is two parallel arrays kept in (score, member) order, searched linearly as
// Redis's listpack; past either limit it becomes a ScoreSkipList for order and
// ranks plus a dictionary from member to score ("skiplist"). Everything the
// commands need is expressed by rank: a score or lex bound is turned into the
// number of members before it, then ranks are walked.

/// A sorted-set value.
public final class SortedSetValue {
    @exclusivity(unchecked) private var members: [ByteString] = []
    @exclusivity(unchecked) private var scores: [Double] = []
    /// The large encoding, or nil while small.
    @exclusivity(unchecked) private var list: ScoreSkipList?
    @exclusivity(unchecked) private var scoreOf: [ByteString: Double] = [:]

    public init() {}

    /// An empty set that starts in the skip-list encoding (results of ZUNION and friends,
    /// which Redis builds as a skip list and shrinks afterwards: scores such as -0 survive).
    public init(startingLarge: Bool) {
        if startingLarge { list = ScoreSkipList() }
    }

    public var count: Int { list?.count ?? members.count }
    public var isEmpty: Bool { count == 0 }
    public var encodingName: String { list == nil ? "listpack" : "skiplist" }

    /// The score of `member`, or nil.
    public func score(of member: ByteString) -> Double? {
        if list != nil { return scoreOf[member] }
        return members.firstIndex(of: member).map { scores[$0] }
    }

    /// Adds `member` or changes its score; true when it is new. `limits`: the listpack limits.
    @discardableResult
    public func set(_ member: ByteString, score: Double, limits: (entries: Int, length: Int)) -> Bool {
        if let list {
            if let old = scoreOf[member] {
                if old != score {
                    list.remove(member, score: old)
                    list.insert(member, score: score)
                    scoreOf[member] = score
                }
                return false
            }
            list.insert(member, score: score)
            scoreOf[member] = score
            return true
        }
        let existing = members.firstIndex(of: member)
        if let existing {
            if scores[existing] == score { return false }
            members.remove(at: existing)
            scores.remove(at: existing)
        } else if members.count + 1 > limits.entries || member.count > limits.length {
            convertToSkipList()
            return set(member, score: score, limits: limits)
        }
        // Redis's listpack keeps a score as text that it reads back as an integer when it can:
        // -0 comes back as 0 (the skip list keeps -0).
        let stored = score == 0 ? 0 : score
        let position = insertionPoint(member, stored)
        members.insert(member, at: position)
        scores.insert(stored, at: position)
        return existing == nil
    }

    /// Moves `member`, whose score is `old`, to `new` (the caller looked the score up).
    /// The slots ZSCAN walks in a skip-list sorted set (nil for a listpack one).
    var scanSlotCount: Int? { list?.slotCount }

    /// The pair in a slot of a skip-list sorted set, nil for a free one.
    func scanPair(inSlot slot: Int) -> (member: ByteString, score: Double)? { list?.pair(inSlot: slot) }

    public func changeScore(_ member: ByteString, from old: Double, to new: Double, limits: (entries: Int, length: Int)) {
        guard let list else {
            set(member, score: new, limits: limits)
            return
        }
        list.remove(member, score: old)
        list.insert(member, score: new)
        scoreOf[member] = new
    }

    /// Adds a member that is not in the set (the caller looked it up).
    public func insertNew(_ member: ByteString, score: Double, limits: (entries: Int, length: Int)) {
        guard let list else {
            set(member, score: score, limits: limits)
            return
        }
        list.insert(member, score: score)
        scoreOf[member] = score
    }

    /// Removes `member`; false when it was not there.
    @discardableResult
    public func remove(_ member: ByteString) -> Bool {
        if let list {
            guard let score = scoreOf.removeValue(forKey: member) else { return false }
            list.remove(member, score: score)
            return true
        }
        guard let position = members.firstIndex(of: member) else { return false }
        members.remove(at: position)
        scores.remove(at: position)
        return true
    }

    /// The 0-based rank of `member` in ascending order, or nil.
    public func rank(of member: ByteString) -> Int? {
        if let list {
            guard let score = scoreOf[member] else { return nil }
            return list.rank(of: member, score: score)
        }
        return members.firstIndex(of: member)
    }

    /// The member and score at ascending `rank` (in range).
    public func element(at rank: Int) -> (member: ByteString, score: Double) {
        if let list { return list.element(at: rank) }
        return (members[rank], scores[rank])
    }

    /// Calls `body` with the elements of ascending ranks `range`, in order or reversed.
    public func forEach(in range: ClosedRange<Int>, reverse: Bool, _ body: (ByteString, Double) -> Void) {
        if let list {
            if reverse {
                for rank in range.reversed() {
                    let (member, score) = list.element(at: rank)
                    body(member, score)
                }
            } else {
                var remaining = range.count
                list.walk(from: range.lowerBound) { member, score in
                    body(member, score)
                    remaining -= 1
                    return remaining > 0
                }
            }
            return
        }
        if reverse {
            for rank in range.reversed() { body(members[rank], scores[rank]) }
        } else {
            for rank in range { body(members[rank], scores[rank]) }
        }
    }

    /// The number of leading elements for which `isBefore` holds (it must hold for a prefix).
    public func countLeading(where isBefore: (ByteString, Double) -> Bool) -> Int {
        if let list { return list.countLeading(where: isBefore) }
        var count = 0
        while count < members.count && isBefore(members[count], scores[count]) { count += 1 }
        return count
    }

    /// Removes the elements of ascending ranks `range`.
    public func removeRanks(_ range: ClosedRange<Int>) {
        if let list {
            var doomed: [(ByteString, Double)] = []
            forEach(in: range, reverse: false) { doomed.append(($0, $1)) }
            for (member, score) in doomed {
                list.remove(member, score: score)
                scoreOf[member] = nil
            }
            return
        }
        members.removeSubrange(range)
        scores.removeSubrange(range)
    }

    /// Uses the small encoding if the set fits in it (results of the STORE commands).
    public func shrinkIfFitting(limits: (entries: Int, length: Int)) {
        guard let list, list.count <= limits.entries else { return }
        var all: [(ByteString, Double)] = []
        list.walk(from: 0) { member, score in
            all.append((member, score))
            return true
        }
        guard all.allSatisfy({ $0.0.count <= limits.length }) else { return }
        members = all.map(\.0)
        scores = all.map { $0.1 == 0 ? 0 : $0.1 }
        self.list = nil
        scoreOf = [:]
    }

    private func convertToSkipList() {
        let built = ScoreSkipList()
        scoreOf.reserveCapacity(members.count + 1)
        for (member, score) in zip(members, scores) {
            built.insert(member, score: score)
            scoreOf[member] = score
        }
        list = built
        members = []
        scores = []
    }

    /// Where (score, member) goes in the small arrays.
    private func insertionPoint(_ member: ByteString, _ score: Double) -> Int {
        var low = 0
        var high = members.count
        while low < high {
            let middle = (low + high) / 2
            if pairPrecedes(scores[middle], members[middle], score, member) {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }

    /// An independent copy.
    public func copy() -> SortedSetValue {
        let other = SortedSetValue()
        if list == nil {
            other.members = members
            other.scores = scores
        } else {
            forEach(in: 0...max(0, count - 1), reverse: false) { member, score in
                other.list = other.list ?? ScoreSkipList()
                other.list!.insert(member, score: score)
                other.scoreOf[member] = score
            }
        }
        return other
    }

    /// Bytes held, for MEMORY USAGE.
    public func allocatedBytes(samples: Int) -> Int {
        if list == nil { return 64 + members.reduce(0) { $0 + $1.heapSize } + members.capacity * 32 }
        // Members are held twice (skip list node and dictionary key) but share their storage.
        var sampled: [ByteString] = []
        for member in scoreOf.keys {
            if samples != 0 && sampled.count >= samples { break }
            sampled.append(member)
        }
        let strings = sampledHeapBytes(count: scoreOf.count, samples: samples == 0 ? 0 : sampled.count) { sampled[$0].heapSize }
        return 64 + (list?.allocatedBytes ?? 0) + scoreOf.capacity * 40 + strings
    }
}
