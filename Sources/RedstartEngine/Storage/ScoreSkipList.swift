// An order-statistic skip list of (score, member) pairs, the large encoding of
// sorted sets: insert, delete, rank and the element at a rank in O(log n)
// expected. Pairs are ordered by score, then by member bytes (shorter first on
// a common prefix, as Redis's sdscmp). Each level's link carries a span: how
// many elements it skips, so ranks are sums of spans along the search path.
// There are no backward links: a reverse walk asks for each rank.

/// Orders member bytes as Redis does (memcmp, then length).
@inline(__always)
func compareMembers(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let common = min(a.count, b.count)
    if common > 0 {
        let result = memcmp(a.baseAddress!, b.baseAddress!, common)
        if result != 0 { return Int(result) }
    }
    return a.count - b.count
}

/// Whether (score a, member a) comes before (score b, member b).
@inline(__always)
func pairPrecedes(_ scoreA: Double, _ memberA: ByteString, _ scoreB: Double, _ memberB: ByteString) -> Bool {
    if scoreA != scoreB { return scoreA < scoreB }
    return memberA.withUnsafeBytes { a in memberB.withUnsafeBytes { compareMembers(a, $0) < 0 } }
}

final class ScoreSkipNode {
    let member: ByteString
    var score: Double
    var next: [ScoreSkipNode?]
    var span: [Int]

    init(member: ByteString, score: Double, level: Int) {
        self.member = member
        self.score = score
        next = Array(repeating: nil, count: level)
        span = Array(repeating: 0, count: level)
    }
}

/// A skip list of (score, member) with ranks.
final class ScoreSkipList {
    static let maxLevel = 32
    private let head = ScoreSkipNode(member: ByteString(), score: 0, level: ScoreSkipList.maxLevel)
    private var level = 1
    private(set) var count = 0

    private func randomLevel() -> Int {
        var level = 1
        while level < Self.maxLevel && UInt32.random(in: 0..<4) == 0 { level += 1 }
        return level
    }

    /// Inserts a pair that is not in the list.
    func insert(_ member: ByteString, score: Double) {
        var update = [ScoreSkipNode](repeating: head, count: Self.maxLevel)
        var rank = [Int](repeating: 0, count: Self.maxLevel)
        var node = head
        for index in stride(from: level - 1, through: 0, by: -1) {
            rank[index] = index == level - 1 ? 0 : rank[index + 1]
            while let next = node.next[index], pairPrecedes(next.score, next.member, score, member) {
                rank[index] += node.span[index]
                node = next
            }
            update[index] = node
        }
        let newLevel = randomLevel()
        if newLevel > level {
            for index in level..<newLevel {
                rank[index] = 0
                update[index] = head
                head.span[index] = count
            }
            level = newLevel
        }
        let inserted = ScoreSkipNode(member: member, score: score, level: newLevel)
        for index in 0..<newLevel {
            inserted.next[index] = update[index].next[index]
            update[index].next[index] = inserted
            inserted.span[index] = update[index].span[index] - (rank[0] - rank[index])
            update[index].span[index] = rank[0] - rank[index] + 1
        }
        for index in newLevel..<level { update[index].span[index] += 1 }
        count += 1
    }

    /// Removes the pair; false when it is not there.
    @discardableResult
    func remove(_ member: ByteString, score: Double) -> Bool {
        var update = [ScoreSkipNode](repeating: head, count: Self.maxLevel)
        var node = head
        for index in stride(from: level - 1, through: 0, by: -1) {
            while let next = node.next[index], pairPrecedes(next.score, next.member, score, member) { node = next }
            update[index] = node
        }
        guard let target = node.next[0], target.score == score, target.member == member else { return false }
        for index in 0..<level {
            if update[index].next[index] === target {
                update[index].span[index] += target.span[index] - 1
                update[index].next[index] = target.next[index]
            } else {
                update[index].span[index] -= 1
            }
        }
        while level > 1 && head.next[level - 1] == nil { level -= 1 }
        count -= 1
        return true
    }

    /// The 0-based rank of the pair, or nil.
    func rank(of member: ByteString, score: Double) -> Int? {
        var node = head
        var traversed = 0
        for index in stride(from: level - 1, through: 0, by: -1) {
            while let next = node.next[index], !pairPrecedes(score, member, next.score, next.member) {
                traversed += node.span[index]
                node = next
                if next.score == score && next.member == member { return traversed - 1 }
            }
        }
        return nil
    }

    /// The node at 0-based `rank` (in range).
    func node(at rank: Int) -> ScoreSkipNode {
        var node = head
        var traversed = 0
        let target = rank + 1
        for index in stride(from: level - 1, through: 0, by: -1) {
            while let next = node.next[index], traversed + node.span[index] <= target {
                traversed += node.span[index]
                node = next
            }
            if traversed == target { return node }
        }
        return node
    }

    /// How many leading pairs satisfy `isBefore` (which must hold for a prefix of the order).
    func countLeading(where isBefore: (ScoreSkipNode) -> Bool) -> Int {
        var node = head
        var traversed = 0
        for index in stride(from: level - 1, through: 0, by: -1) {
            while let next = node.next[index], isBefore(next) {
                traversed += node.span[index]
                node = next
            }
        }
        return traversed
    }

    /// Calls `body` with the nodes from `rank` on, in order, until it returns false.
    func walk(from rank: Int, _ body: (ScoreSkipNode) -> Bool) {
        guard rank < count else { return }
        var node: ScoreSkipNode? = self.node(at: rank)
        while let current = node, body(current) { node = current.next[0] }
    }
}

#if canImport(Glibc)
import Glibc
#endif
