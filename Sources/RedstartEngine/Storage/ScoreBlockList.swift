// An order-statistic list of (score, member) pairs, the large encoding of sorted sets.
// Pairs are ordered by score, then by member bytes (shorter first on a common prefix,
// as Redis's sdscmp). The order is kept in blocks of up to 256 entries, each a score
// and a member number, sorted within the block and from block to block; a directory
// holds the blocks and their first scores, and a Fenwick tree of the blocks' counts
// gives ranks. A search is a binary search over the first scores (one contiguous
// array), then one within a block (2 KB of scores): a few cache lines, where a skip
// list follows a pointer, and misses the cache, at every step (at 100k members that
// was two thirds of ZADD's time). Inserting moves at most a block's entries; a full
// block splits in two, and a block that empties goes (or merges with its neighbour
// when both are small), which rebuilds the directory and the tree: O(blocks), once
// per hundred or so changes.
// Members live in `records`, addressed by a number that stays theirs for life: the
// NodeIndex files members by number (ZSCORE, and finding a member's score before
// moving it), ZSCAN walks the numbers, and a block entry names its member by number,
// which it reads only when two scores tie.

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

/// Sorted blocks of (score, member) with ranks.
final class ScoreBlockList {
    static let blockCapacity = 256

    /// A member and its score; a free record's score is NaN (no sorted set holds NaN).
    private struct Record {
        var member: ByteString
        var score: Double
    }

    /// A block's entries in order: scores, then member numbers, in one allocation of
    /// `blockCapacity` entries.
    private struct Block {
        let scores: UnsafeMutablePointer<Double>
        let numbers: UnsafeMutablePointer<Int32>
        var count: Int

        static func allocate() -> Block {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: ScoreBlockList.blockCapacity * 12, alignment: 8)
            let scores = raw.bindMemory(to: Double.self, capacity: ScoreBlockList.blockCapacity)
            let numbers = (raw + ScoreBlockList.blockCapacity * 8).bindMemory(to: Int32.self, capacity: ScoreBlockList.blockCapacity)
            return Block(scores: scores, numbers: numbers, count: 0)
        }

        func deallocate() { UnsafeMutableRawPointer(scores).deallocate() }

        /// Moves entries `from..<count` by `shift` places (room for an insert, or closing a gap).
        func moveEntries(from start: Int, by shift: Int) {
            let moved = count - start
            guard moved > 0 else { return }
            (scores + start + shift).update(from: scores + start, count: moved)
            (numbers + start + shift).update(from: numbers + start, count: moved)
        }
    }

    @exclusivity(unchecked) private var records = SegmentedArray<Record>()
    @exclusivity(unchecked) private var freeRecords: [Int32] = []
    @exclusivity(unchecked) private var index = NodeIndex()
    @exclusivity(unchecked) private var blocks: [Block] = []
    /// Each block's first score, searched without reading the blocks.
    @exclusivity(unchecked) private var firstScores: [Double] = []
    /// Fenwick tree of the blocks' counts (1-based): rank sums in O(log blocks).
    @exclusivity(unchecked) private var tree: [Int] = [0]
    @exclusivity(unchecked) private(set) var count = 0

    /// Record 0 is never a member: the index uses 0 for an empty slot.
    init() {
        records.append(Record(member: ByteString(), score: .nan))
    }

    deinit {
        for block in blocks { block.deallocate() }
        index.deallocate()
        records.deallocate()
    }

    // MARK: - Members

    @inline(__always)
    private func hashOfRecord(_ number: Int32) -> UInt64 { records[Int(number)].member.withUnsafeBytes { KeyHash.hash($0) } }

    /// The score of `member`, or nil when it is not in the list.
    func score(of member: ByteString) -> Double? {
        let number = member.withUnsafeBytes { raw in
            index.find(hash: KeyHash.hash(raw)) { records[Int($0)].member.equals(raw) }
        }
        return number.map { records[Int($0)].score }
    }

    private func allocateRecord(_ member: ByteString, _ score: Double) -> Int32 {
        let record = Record(member: member, score: score)
        let number: Int32
        if let reused = freeRecords.popLast() {
            records[Int(reused)] = record
            number = reused
        } else {
            records.append(record)
            number = Int32(records.count - 1)
        }
        index.insert(number, hash: member.withUnsafeBytes { KeyHash.hash($0) }, hashOf: hashOfRecord)
        return number
    }

    private func freeRecord(_ number: Int32) {
        index.remove(number, hash: hashOfRecord(number), hashOf: hashOfRecord)
        records[Int(number)] = Record(member: ByteString(), score: .nan)
        freeRecords.append(number)
    }

    // MARK: - Order

    /// Whether entry `position` of `block` comes before (score, member) (`orEqual`: or is it).
    @inline(__always)
    private func entryPrecedes(
        _ block: Block, _ position: Int, _ score: Double, _ member: UnsafeRawBufferPointer, orEqual: Bool = false
    ) -> Bool {
        let entryScore = block.scores[position]
        if entryScore != score { return entryScore < score }
        let order = records[Int(block.numbers[position])].member.withUnsafeBytes { compareMembers($0, member) }
        return order < 0 || (orEqual && order == 0)
    }

    /// The block where (score, member) is or belongs: the last whose first pair is not after
    /// it, or the first block.
    private func blockIndex(for score: Double, _ member: UnsafeRawBufferPointer) -> Int {
        var low = 1
        var high = blocks.count
        while low < high {
            let middle = (low + high) / 2
            let first = firstScores[middle]
            let isAtMost = first != score ? first < score : entryPrecedes(blocks[middle], 0, score, member, orEqual: true)
            if isAtMost { low = middle + 1 } else { high = middle }
        }
        return low - 1
    }

    /// The first position of block `at` whose pair is not before (score, member).
    private func lowerBound(in at: Int, _ score: Double, _ member: UnsafeRawBufferPointer) -> Int {
        let block = blocks[at]
        var low = 0
        var high = block.count
        while low < high {
            let middle = (low + high) / 2
            if entryPrecedes(block, middle, score, member) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Where the pair is: its block and position, or nil.
    private func locate(_ member: ByteString, score: Double) -> (block: Int, position: Int)? {
        guard !blocks.isEmpty else { return nil }
        return member.withUnsafeBytes { raw in
            let at = blockIndex(for: score, raw)
            let position = lowerBound(in: at, score, raw)
            let block = blocks[at]
            guard position < block.count, block.scores[position] == score,
                records[Int(block.numbers[position])].member.equals(raw)
            else { return nil }
            return (at, position)
        }
    }

    /// Block and position of 0-based `rank` (in range), down the Fenwick tree.
    private func locate(rank: Int) -> (block: Int, position: Int) {
        var node = 0
        var remaining = rank
        var step = 1
        while step * 2 <= blocks.count { step *= 2 }
        while step > 0 {
            if node + step <= blocks.count && tree[node + step] <= remaining {
                node += step
                remaining -= tree[node]
            }
            step /= 2
        }
        return (node, remaining)
    }

    /// Entries in the blocks before block `at`.
    private func entriesBefore(block at: Int) -> Int {
        var sum = 0
        var node = at
        while node > 0 {
            sum += tree[node]
            node -= node & -node
        }
        return sum
    }

    private func addToCount(ofBlock at: Int, _ delta: Int) {
        blocks[at].count += delta
        addToTree(ofBlock: at, delta)
    }

    /// Adds `delta` to block `at`'s count in the Fenwick tree only.
    private func addToTree(ofBlock at: Int, _ delta: Int) {
        var node = at + 1
        while node < tree.count {
            tree[node] += delta
            node += node & -node
        }
    }

    /// Rebuilds the Fenwick tree after blocks came or went.
    private func rebuildTree() {
        tree.removeAll(keepingCapacity: true)
        tree.append(contentsOf: repeatElement(0, count: blocks.count + 1))
        for node in 1..<tree.count {
            tree[node] += blocks[node - 1].count
            let parent = node + (node & -node)
            if parent < tree.count { tree[parent] += tree[node] }
        }
    }

    // MARK: - Changes

    /// Inserts a pair that is not in the list.
    func insert(_ member: ByteString, score: Double) {
        let number = allocateRecord(member, score)
        place(number, score: score, member: member)
        count += 1
    }

    /// Puts record `number` (score, member) in order.
    private func place(_ number: Int32, score: Double, member: ByteString) {
        if blocks.isEmpty {
            blocks.append(Block.allocate())
            firstScores.append(score)
            rebuildTree()
        }
        var at = 0
        var position = 0
        member.withUnsafeBytes { raw in
            at = blockIndex(for: score, raw)
            position = lowerBound(in: at, score, raw)
        }
        if blocks[at].count == Self.blockCapacity {
            split(at)
            let half = blocks[at].count
            if position > half {
                at += 1
                position -= half
            }
        }
        let block = blocks[at]
        block.moveEntries(from: position, by: 1)
        block.scores[position] = score
        block.numbers[position] = number
        if position == 0 { firstScores[at] = score }
        addToCount(ofBlock: at, 1)
    }

    /// Moves the upper half of full block `at` to a new block after it.
    private func split(_ at: Int) {
        let half = Self.blockCapacity / 2
        var upper = Block.allocate()
        let lower = blocks[at]
        upper.scores.update(from: lower.scores + half, count: Self.blockCapacity - half)
        upper.numbers.update(from: lower.numbers + half, count: Self.blockCapacity - half)
        upper.count = Self.blockCapacity - half
        blocks[at].count = half
        blocks.insert(upper, at: at + 1)
        firstScores.insert(upper.scores[0], at: at + 1)
        rebuildTree()
    }

    /// Takes the entry at `position` of block `at` out of the order (its record stays).
    private func removeEntry(block at: Int, position: Int) {
        let block = blocks[at]
        block.moveEntries(from: position + 1, by: -1)
        addToCount(ofBlock: at, -1)
        let left = blocks[at].count
        if left == 0 {
            block.deallocate()
            blocks.remove(at: at)
            firstScores.remove(at: at)
            rebuildTree()
            return
        }
        if position == 0 { firstScores[at] = block.scores[0] }
        joinIfSmall(at)
    }

    /// Block `at`, when under a quarter full, joins a neighbour with which it fits in half a
    /// block, so that blocks stay at least a quarter full.
    private func joinIfSmall(_ at: Int) {
        let left = blocks[at].count
        guard left < Self.blockCapacity / 4 else { return }
        if at + 1 < blocks.count, left + blocks[at + 1].count <= Self.blockCapacity / 2 {
            merge(at)
        } else if at > 0, left + blocks[at - 1].count <= Self.blockCapacity / 2 {
            merge(at - 1)
        }
    }

    /// Removes the pairs of ascending ranks `range` (in range) a block at a time, each block
    /// moving its entries once and the directory and tree rebuilt once (ZREMRANGEBYRANK,
    /// ZPOPMIN with a count): one at a time, a range from the front moved the rest of its
    /// block for every pair.
    func removeRanks(_ range: ClosedRange<Int>) {
        let (first, start) = locate(rank: range.lowerBound)
        let (last, end) = locate(rank: range.upperBound)
        if first == last {
            dropEntries(block: first, from: start, through: end)
        } else {
            dropEntries(block: first, from: start, through: blocks[first].count - 1)
            for at in (first + 1)..<last { dropEntries(block: at, from: 0, through: blocks[at].count - 1) }
            dropEntries(block: last, from: 0, through: end)
        }
        count -= range.count
        // The emptied blocks are one run: the inner ones, and the first or last if all went.
        let lowest = blocks[first].count == 0 ? first : first + 1
        let highest = blocks[last].count == 0 ? last : last - 1
        if lowest <= highest {
            for at in lowest...highest { blocks[at].deallocate() }
            blocks.removeSubrange(lowest...highest)
            firstScores.removeSubrange(lowest...highest)
            rebuildTree()
        } else if first == last {
            addToTree(ofBlock: first, -range.count)  // one pair popped: no O(blocks) rebuild
        } else {
            addToTree(ofBlock: first, -(range.count - end - 1))
            addToTree(ofBlock: last, -(end + 1))
        }
        if !blocks.isEmpty { joinIfSmall(min(first, blocks.count - 1)) }
    }

    /// Frees the records of entries `from...through` of block `at` and closes the gap (the
    /// caller fixes the tree and removes the block if it emptied).
    private func dropEntries(block at: Int, from start: Int, through end: Int) {
        let block = blocks[at]
        for position in start...end { freeRecord(block.numbers[position]) }
        block.moveEntries(from: end + 1, by: start - end - 1)
        blocks[at].count -= end - start + 1
        if start == 0 && blocks[at].count > 0 { firstScores[at] = block.scores[0] }
    }

    /// Appends block `at + 1` to block `at` and drops it.
    private func merge(_ at: Int) {
        let next = blocks[at + 1]
        let target = blocks[at]
        (target.scores + target.count).update(from: next.scores, count: next.count)
        (target.numbers + target.count).update(from: next.numbers, count: next.count)
        blocks[at].count += next.count
        next.deallocate()
        blocks.remove(at: at + 1)
        firstScores.remove(at: at + 1)
        rebuildTree()
    }

    /// Moves a pair in the list to a new score: changed in place when its neighbours keep
    /// it in order (Redis's zslUpdateScore does the same), else taken out and placed again.
    func changeScore(_ member: ByteString, from old: Double, to new: Double) {
        guard let (at, position) = locate(member, score: old) else { return }
        let block = blocks[at]
        let number = block.numbers[position]
        let previous: Double? = position > 0 ? block.scores[position - 1] : (at > 0 ? blocks[at - 1].scores[blocks[at - 1].count - 1] : nil)
        let next: Double? = position + 1 < block.count ? block.scores[position + 1] : (at + 1 < blocks.count ? firstScores[at + 1] : nil)
        records[Int(number)].score = new
        if (previous.map { $0 < new } ?? true) && (next.map { $0 > new } ?? true) {
            block.scores[position] = new
            if position == 0 { firstScores[at] = new }
            return
        }
        removeEntry(block: at, position: position)
        place(number, score: new, member: member)
    }

    /// Removes the pair; false when it is not there.
    @discardableResult
    func remove(_ member: ByteString, score: Double) -> Bool {
        guard let (at, position) = locate(member, score: score) else { return false }
        let number = blocks[at].numbers[position]
        removeEntry(block: at, position: position)
        freeRecord(number)
        count -= 1
        return true
    }

    // MARK: - Reading

    /// Record numbers, live or free: ZSCAN walks them, as a member keeps its number while
    /// it is in the list.
    var slotCount: Int { records.count }

    /// The pair of record `slot`; nil for record 0 and for free records.
    func pair(inSlot slot: Int) -> (member: ByteString, score: Double)? {
        guard slot > 0, !records[slot].score.isNaN else { return nil }
        return (records[slot].member, records[slot].score)
    }

    /// The 0-based rank of the pair, or nil.
    func rank(of member: ByteString, score: Double) -> Int? {
        guard let (at, position) = locate(member, score: score) else { return nil }
        return entriesBefore(block: at) + position
    }

    /// The pair at 0-based `rank` (in range).
    func element(at rank: Int) -> (member: ByteString, score: Double) {
        let (at, position) = locate(rank: rank)
        let block = blocks[at]
        return (records[Int(block.numbers[position])].member, block.scores[position])
    }

    /// How many leading pairs satisfy `isBefore` (which must hold for a prefix of the order).
    func countLeading(where isBefore: (ByteString, Double) -> Bool) -> Int {
        var low = 0
        var high = blocks.count
        while low < high {
            let middle = (low + high) / 2
            if isBefore(records[Int(blocks[middle].numbers[0])].member, firstScores[middle]) { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return 0 }
        let at = low - 1
        let block = blocks[at]
        var first = 1
        var last = block.count
        while first < last {
            let middle = (first + last) / 2
            if isBefore(records[Int(block.numbers[middle])].member, block.scores[middle]) { first = middle + 1 } else { last = middle }
        }
        return entriesBefore(block: at) + first
    }

    /// Calls `body` with the pairs from `rank` on, in order, until it returns false.
    func walk(from rank: Int, _ body: (ByteString, Double) -> Bool) {
        guard rank < count else { return }
        var (at, position) = locate(rank: rank)
        while at < blocks.count {
            let block = blocks[at]
            while position < block.count {
                guard body(records[Int(block.numbers[position])].member, block.scores[position]) else { return }
                position += 1
            }
            at += 1
            position = 0
        }
    }

    /// Whether the blocks are in order, none is empty, the first scores and the rank tree
    /// match them, and the index finds every member (tests).
    var isConsistent: Bool {
        var total = 0
        var previous: (score: Double, number: Int32)?
        for (at, block) in blocks.enumerated() {
            guard block.count > 0, block.count <= Self.blockCapacity, firstScores[at] == block.scores[0],
                entriesBefore(block: at) == total
            else { return false }
            for position in 0..<block.count {
                let number = block.numbers[position]
                let member = records[Int(number)].member
                guard records[Int(number)].score == block.scores[position], score(of: member) == block.scores[position]
                else { return false }
                if let previous,
                    !pairPrecedes(previous.score, records[Int(previous.number)].member, block.scores[position], member)
                {
                    return false
                }
                previous = (block.scores[position], number)
            }
            total += block.count
        }
        return total == count && index.count == count
    }

    /// Bytes held by the records, blocks, directory and index (MEMORY USAGE).
    var allocatedBytes: Int {
        records.capacity * MemoryLayout<Record>.stride + blocks.count * Self.blockCapacity * 12
            + blocks.capacity * (MemoryLayout<Block>.stride + 16) + index.capacity * 4
    }
}

#if canImport(Glibc)
import Glibc
#endif
