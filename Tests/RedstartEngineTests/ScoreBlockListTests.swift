// The sorted blocks of a large sorted set against a sorted array: enough members for
// blocks to split, empty and merge, few distinct scores so that ties order by member,
// every operation checked against the model and the structure's invariants checked
// as it changes.
import Testing

@testable import RedstartEngine

private struct OrderModel {
    var pairs: [(member: ByteString, score: Double)] = []
    var scores: [ByteString: Double] = [:]

    func position(_ member: ByteString, _ score: Double) -> Int {
        var low = 0
        var high = pairs.count
        while low < high {
            let middle = (low + high) / 2
            if pairPrecedes(pairs[middle].score, pairs[middle].member, score, member) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    mutating func insert(_ member: ByteString, _ score: Double) {
        pairs.insert((member, score), at: position(member, score))
        scores[member] = score
    }

    mutating func remove(_ member: ByteString) {
        guard let score = scores.removeValue(forKey: member) else { return }
        pairs.remove(at: position(member, score))
    }
}

@Test(arguments: [(3, 40_000), (1_000_000, 40_000), (1, 6_000)])
func scoreBlocksMatchASortedArray(distinctScores: Int, operations: Int) {
    var random = SplitMix(state: UInt64(distinctScores))
    let list = ScoreBlockList()
    var model = OrderModel()
    let members = 3_000
    for step in 0..<operations {
        let member = ByteString("member:\(random.below(members))")
        let score = Double(random.below(distinctScores)) - 1.5
        switch random.below(8) {
        case 0, 1, 2:
            if let old = model.scores[member] {
                list.changeScore(member, from: old, to: score)
                model.remove(member)
            } else {
                list.insert(member, score: score)
            }
            model.insert(member, score)
        case 3:
            #expect(list.remove(member, score: model.scores[member] ?? score) == (model.scores[member] != nil))
            model.remove(member)
        case 4:
            // Ranges from either end and from the middle, as ZPOPMIN, ZPOPMAX and
            // ZREMRANGEBYRANK: one pair, a few, or more than a block.
            guard list.count > 0 else { break }
            let length = min(list.count, [1, 1 + random.below(20), 1 + random.below(700)][random.below(3)])
            let lower = [0, list.count - length, random.below(list.count - length + 1)][random.below(3)]
            list.removeRanks(lower...(lower + length - 1))
            for (member, _) in model.pairs[lower..<(lower + length)] { model.scores[member] = nil }
            model.pairs.removeSubrange(lower..<(lower + length))
        case 5:
            if let score = model.scores[member] {
                let rank = model.position(member, score)
                #expect(list.rank(of: member, score: score) == rank, "step \(step)")
                #expect(list.element(at: rank).member == member)
            } else {
                #expect(list.rank(of: member, score: score) == nil)
                #expect(list.score(of: member) == nil)
            }
        case 6:
            let bound = Double(random.below(distinctScores)) - 1.5
            #expect(list.countLeading { _, score in score < bound } == model.pairs.filter { $0.score < bound }.count)
            #expect(list.countLeading { member, score in pairPrecedes(score, member, bound, ByteString("member:15")) }
                == model.pairs.filter { pairPrecedes($0.score, $0.member, bound, ByteString("member:15")) }.count)
        default:
            guard list.count > 0 else { break }
            let start = random.below(list.count)
            var walked: [ByteString] = []
            list.walk(from: start) { member, _ in
                walked.append(member)
                return walked.count < 300
            }
            let matches = walked == model.pairs[start..<min(start + 300, model.pairs.count)].map(\.member)
            #expect(matches, "the walk from rank \(start) differs at step \(step)")
        }
        #expect(list.count == model.pairs.count)
        if step % 97 == 0 { #expect(list.isConsistent, "step \(step)") }
    }
    #expect(list.isConsistent)
    // ZSCAN's view: every member once, in some record slot, with its score.
    var scanned: [ByteString: Double] = [:]
    for slot in 0..<list.slotCount {
        if let (member, score) = list.pair(inSlot: slot) {
            #expect(scanned.updateValue(score, forKey: member) == nil)
        }
    }
    #expect(scanned == model.scores)
    // Emptied a pair at a time from the front, the blocks go one by one; then all at once.
    for _ in 0..<min(list.count, 600) { list.removeRanks(0...0) }
    #expect(list.isConsistent)
    if list.count > 0 { list.removeRanks(0...(list.count - 1)) }
    #expect(list.isConsistent && list.count == 0)
    list.insert(ByteString("again"), score: 1)
    #expect(list.rank(of: ByteString("again"), score: 1) == 0 && list.isConsistent)
}
