// An order-statistic skip list of (score, member) pairs, the large encoding of
// sorted sets: insert, delete, rank and the element at a rank in O(log n)
// expected. Pairs are ordered by score, then by member bytes (shorter first on
// a common prefix, as Redis's sdscmp). Each level's link carries a span: how
// many elements it skips, so ranks are sums of spans along the search path.
// Nodes and their links live in two segmented arrays addressed by index (freed
// slots are reused), so walking the list costs no reference counting, and growing
// it never copies more than a segment (a flat array's growth copied 70 MB at a
// million members: a 26 ms ZADD). There are no backward links: a reverse walk asks
// for each rank.

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

/// A skip list of (score, member) with ranks.
final class ScoreSkipList {
    static let maxLevel = 32

    private struct Node {
        var member: ByteString
        var score: Double
        /// Index of this node's first link in `links`; its links are consecutive.
        var firstLink: Int32
        var level: Int32
    }

    /// A link also holds where the next node's links start and its score, so a search reads
    /// only links (one cache line per step) until two scores tie.
    private struct Link {
        var next: Int32
        var nextBase: Int32
        var span: Int
        var nextScore: Double
    }

    @exclusivity(unchecked) private var nodes = SegmentedArray<Node>()
    @exclusivity(unchecked) private var links = SegmentedArray<Link>()
    @exclusivity(unchecked) private var freeNodes: [Int32] = []
    /// Freed link blocks by level (index = level - 1).
    @exclusivity(unchecked) private var freeLinks = [[Int32]](repeating: [], count: ScoreSkipList.maxLevel)
    @exclusivity(unchecked) private var level = 1
    @exclusivity(unchecked) private(set) var count = 0
    /// xorshift state for node levels (the system generator costs a system call).
    @exclusivity(unchecked) private var seed = UInt64.random(in: 1...UInt64.max)
    /// Per level during a search: the links base of the last node before the target.
    @exclusivity(unchecked) private var update = [Int32](repeating: 0, count: ScoreSkipList.maxLevel)
    @exclusivity(unchecked) private var rankAt = [Int](repeating: 0, count: ScoreSkipList.maxLevel)
    /// After a search: the node just before the target on level 0 (0: the head).
    @exclusivity(unchecked) private var predecessor: Int32 = 0
    /// Each member's node (ZSCORE, and finding a member's score before moving it).
    @exclusivity(unchecked) private var index = NodeIndex()

    private static let emptyLink = Link(next: -1, nextBase: 0, span: 0, nextScore: 0)

    /// Node 0 is the head, with a link on every level, its links starting at 0.
    init() {
        nodes.append(Node(member: ByteString(), score: 0, firstLink: 0, level: Int32(Self.maxLevel)))
        for _ in 0..<Self.maxLevel { links.append(Self.emptyLink) }
    }

    deinit {
        index.deallocate()
        nodes.deallocate()
        links.deallocate()
    }

    /// The hash the index files a member under.
    @inline(__always)
    private static func hash(_ member: ByteString) -> UInt64 { member.withUnsafeBytes { KeyHash.hash($0) } }

    @inline(__always)
    private func hashOfNode(_ node: Int32) -> UInt64 { Self.hash(nodes[Int(node)].member) }

    /// The score of `member`, or nil when it is not in the list.
    func score(of member: ByteString) -> Double? {
        let node = member.withUnsafeBytes { raw in
            index.find(hash: KeyHash.hash(raw)) { nodes[Int($0)].member.equals(raw) }
        }
        return node.map { nodes[Int($0)].score }
    }

    /// Whether the node a link points to comes before (score, member) (`orEqual`: or is it).
    @inline(__always)
    private func targetPrecedes(_ link: Link, _ score: Double, _ member: ByteString, orEqual: Bool = false) -> Bool {
        if link.nextScore != score { return link.nextScore < score }
        let order = nodes[Int(link.next)].member.withUnsafeBytes { a in member.withUnsafeBytes { compareMembers(a, $0) } }
        return order < 0 || (orEqual && order == 0)
    }

    private func randomLevel() -> Int {
        seed ^= seed << 13
        seed ^= seed >> 7
        seed ^= seed << 17
        // Each further level with probability 1/4: count pairs of zero bits.
        var bits = seed
        var level = 1
        while level < Self.maxLevel && bits & 3 == 0 {
            level += 1
            bits >>= 2
        }
        return level
    }

    private func allocateNode(_ member: ByteString, _ score: Double, level: Int) -> (node: Int32, base: Int32) {
        let firstLink: Int32
        if let reused = freeLinks[level - 1].popLast() {
            firstLink = reused
        } else {
            firstLink = Int32(links.count)
            for _ in 0..<level { links.append(Self.emptyLink) }
        }
        let node = Node(member: member, score: score, firstLink: firstLink, level: Int32(level))
        if let slot = freeNodes.popLast() {
            nodes[Int(slot)] = node
            return (slot, firstLink)
        }
        nodes.append(node)
        return (Int32(nodes.count - 1), firstLink)
    }

    /// Fills `update` (and with `ranks`, `rankAt`) with the last node before (score, member)
    /// on every level, and `predecessor`: the search insert, remove and changeScore start
    /// with, on raw buffers.
    private func descend(to score: Double, _ member: ByteString, ranks: Bool) {
        let top = level
        let links = self.links
        update.withUnsafeMutableBufferPointer { update in
            rankAt.withUnsafeMutableBufferPointer { rankAt in
                var base = 0
                var rank = 0
                var node: Int32 = 0
                for index in stride(from: top - 1, through: 0, by: -1) {
                    while true {
                        let current = links[base + index]
                        guard current.next >= 0, targetPrecedes(current, score, member) else { break }
                        rank += current.span
                        base = Int(current.nextBase)
                        node = current.next
                    }
                    update[index] = Int32(base)
                    if ranks { rankAt[index] = rank }
                }
                predecessor = node
            }
        }
    }

    /// Inserts a pair that is not in the list.
    func insert(_ member: ByteString, score: Double) {
        let newLevel = randomLevel()
        let (inserted, mine) = allocateNode(member, score, level: newLevel)
        index.insert(inserted, hash: Self.hash(member), hashOf: hashOfNode)
        link(inserted, base: mine, score: score, member: member)
        count += 1
    }

    /// Links node `node` (links at `mine`, not in the list) at the place of (score, member).
    private func link(_ node: Int32, base mine: Int32, score: Double, member: ByteString) {
        let newLevel = Int(nodes[Int(node)].level)
        descend(to: score, member, ranks: true)
        if newLevel > level {
            for index in level..<newLevel {
                rankAt[index] = 0
                update[index] = 0
                links[index].span = count
            }
            level = newLevel
        }
        for index in 0..<newLevel {
            let before = Int(update[index]) + index
            let own = Int(mine) + index
            links[own].next = links[before].next
            links[own].nextBase = links[before].nextBase
            links[own].nextScore = links[before].nextScore
            links[own].span = links[before].span - (rankAt[0] - rankAt[index])
            links[before].next = node
            links[before].nextBase = mine
            links[before].nextScore = score
            links[before].span = rankAt[0] - rankAt[index] + 1
        }
        for index in newLevel..<level { links[Int(update[index]) + index].span += 1 }
    }

    /// Moves a pair in the list to a new score, keeping its node (Redis's zslUpdateScore):
    /// changed in place when the order does not change, else taken out and linked again.
    func changeScore(_ member: ByteString, from old: Double, to new: Double) {
        descend(to: old, member, ranks: false)
        let first = links[Int(update[0])]
        let target = first.next
        guard target >= 0, first.nextScore == old, nodes[Int(target)].member == member else { return }
        let targetBase = first.nextBase
        let following = links[Int(targetBase)]
        if (predecessor == 0 || nodes[Int(predecessor)].score < new) && (following.next < 0 || following.nextScore > new) {
            nodes[Int(target)].score = new
            for index in 0..<level where links[Int(update[index]) + index].next == target {
                links[Int(update[index]) + index].nextScore = new
            }
            return
        }
        detach(target, base: targetBase)
        nodes[Int(target)].score = new
        link(target, base: targetBase, score: new, member: member)
    }

    /// Removes the pair; false when it is not there.
    @discardableResult
    func remove(_ member: ByteString, score: Double) -> Bool {
        descend(to: score, member, ranks: false)
        let first = links[Int(update[0])]
        let target = first.next
        guard target >= 0, first.nextScore == score, nodes[Int(target)].member == member else { return false }
        unlink(target, base: first.nextBase)
        return true
    }

    /// Removes the pair at 0-based `rank` (in range) and returns it: the search follows the
    /// spans, comparing no members (ZPOPMIN, ZPOPMAX, ZREMRANGEBYRANK).
    @discardableResult
    func remove(rank: Int) -> (member: ByteString, score: Double) {
        let target = rank + 1
        var traversed = 0
        var base = 0
        for index in stride(from: level - 1, through: 0, by: -1) {
            while true {
                let current = links[base + index]
                guard current.next >= 0, traversed + current.span < target else { break }
                traversed += current.span
                base = Int(current.nextBase)
            }
            update[index] = Int32(base)
        }
        let first = links[Int(update[0])]
        let node = nodes[Int(first.next)]
        let pair = (node.member, node.score)
        unlink(first.next, base: first.nextBase)
        return pair
    }

    /// Takes node `target` (whose links start at `targetBase`) out of the list; `update`
    /// holds the last node before it on every level.
    private func unlink(_ target: Int32, base targetBase: Int32) {
        detach(target, base: targetBase)
        freeLinks[Int(nodes[Int(target)].level) - 1].append(targetBase)
        index.remove(target, hash: hashOfNode(target), hashOf: hashOfNode)
        nodes[Int(target)].member = ByteString()
        nodes[Int(target)].level = 0  // marks the slot free
        freeNodes.append(target)
        count -= 1
    }

    /// Takes node `target` out of the links of every level (`update` as for `unlink`).
    private func detach(_ target: Int32, base targetBase: Int32) {
        for index in 0..<level {
            let before = Int(update[index]) + index
            if links[before].next == target {
                let own = Int(targetBase) + index
                links[before].span += links[own].span - 1
                links[before].next = links[own].next
                links[before].nextBase = links[own].nextBase
                links[before].nextScore = links[own].nextScore
            } else {
                links[before].span -= 1
            }
        }
        while level > 1 && links[level - 1].next < 0 { level -= 1 }
    }

    /// Node slots, live or free: ZSCAN walks them, as a node keeps its slot while it is in
    /// the list (a score change frees the slot and takes it back at once).
    var slotCount: Int { nodes.count }

    /// The pair in `slot`; nil for the head and for free slots.
    func pair(inSlot slot: Int) -> (member: ByteString, score: Double)? {
        guard slot > 0, nodes[slot].level > 0 else { return nil }
        return (nodes[slot].member, nodes[slot].score)
    }

    /// The 0-based rank of the pair, or nil.
    func rank(of member: ByteString, score: Double) -> Int? {
        var base: Int32 = 0
        var node: Int32 = 0
        var traversed = 0
        for index in stride(from: level - 1, through: 0, by: -1) {
            while true {
                let current = links[Int(base) + index]
                guard current.next >= 0, targetPrecedes(current, score, member, orEqual: true) else { break }
                traversed += current.span
                base = current.nextBase
                node = current.next
            }
            if node != 0 && nodes[Int(node)].score == score && nodes[Int(node)].member == member { return traversed - 1 }
        }
        return nil
    }

    /// The index of the node at 0-based `rank` (in range).
    private func nodeIndex(at rank: Int) -> Int32 {
        var base: Int32 = 0
        var node: Int32 = 0
        var traversed = 0
        let target = rank + 1
        for index in stride(from: level - 1, through: 0, by: -1) {
            while true {
                let current = links[Int(base) + index]
                guard current.next >= 0, traversed + current.span <= target else { break }
                traversed += current.span
                base = current.nextBase
                node = current.next
            }
            if traversed == target { return node }
        }
        return node
    }

    /// The pair at 0-based `rank` (in range).
    func element(at rank: Int) -> (member: ByteString, score: Double) {
        let node = nodes[Int(nodeIndex(at: rank))]
        return (node.member, node.score)
    }

    /// How many leading pairs satisfy `isBefore` (which must hold for a prefix of the order).
    func countLeading(where isBefore: (ByteString, Double) -> Bool) -> Int {
        var base: Int32 = 0
        var traversed = 0
        for index in stride(from: level - 1, through: 0, by: -1) {
            while true {
                let current = links[Int(base) + index]
                guard current.next >= 0, isBefore(nodes[Int(current.next)].member, current.nextScore) else { break }
                traversed += current.span
                base = current.nextBase
            }
        }
        return traversed
    }

    /// Calls `body` with the pairs from `rank` on, in order, until it returns false.
    func walk(from rank: Int, _ body: (ByteString, Double) -> Bool) {
        guard rank < count else { return }
        var node = nodeIndex(at: rank)
        while node >= 0, body(nodes[Int(node)].member, nodes[Int(node)].score) {
            node = links[Int(nodes[Int(node)].firstLink)].next
        }
    }

    /// Bytes held by the nodes and links (MEMORY USAGE).
    var allocatedBytes: Int {
        nodes.capacity * MemoryLayout<Node>.stride + links.capacity * MemoryLayout<Link>.stride + index.capacity * 4
    }
}

#if canImport(Glibc)
import Glibc
#endif
