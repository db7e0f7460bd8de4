// NodeIndex against a dictionary, through growth done a few slots at a time: inserts,
// removals and renumberings while the old table is still being moved, with hashes
// drawn from a small range so that runs are long, wrap around the table's end and
// cross the point the move has reached.
import Testing

@testable import RedstartEngine

@Suite struct NodeIndexTests {
    /// (distinct hashes, operations): 7 hashes make every run long (kept short in length).
    @Test(arguments: [(UInt64(7), 4000), (1 << 20, 60_000)])
    func agreesWithADictionaryThroughIncrementalGrowth(hashRange: UInt64, operations: Int) {
        var random = SplitMix(state: hashRange)
        var index = NodeIndex()
        defer { index.deallocate() }
        // node -> member (the member's hash is what the index files it under)
        var members: [Int32: UInt64] = [:]
        var byMember: [UInt64: Int32] = [:]
        var nextNode: Int32 = 1
        var sawGrowth = false
        // Members are distinct numbers; their hashes collide often (hashRange 7).
        func hash(_ member: UInt64) -> UInt64 { (member % hashRange) &* 0x9E37_79B9 ^ (member % hashRange) }
        let hashOf: (Int32) -> UInt64 = { hash(members[$0]!) }
        for step in 0..<operations {
            let roll = Int.random(in: 0..<10, using: &random)
            if roll < 6 || members.isEmpty {
                let member = UInt64(step) * 3 + 1
                let node = nextNode
                nextNode += 1
                members[node] = member
                byMember[member] = node
                index.insert(node, hash: hash(member), hashOf: hashOf)
            } else if roll < 9 {
                let (node, member) = members.randomElement(using: &random)!
                index.remove(node, hash: hash(member), hashOf: hashOf)
                members[node] = nil
                byMember[member] = nil
            } else {
                // A member moves to a new node number (a set's last member filling a gap).
                let (node, member) = members.randomElement(using: &random)!
                let renumbered = nextNode
                nextNode += 1
                index.renumber(node, to: renumbered, hash: hash(member))
                members[node] = nil
                members[renumbered] = member
                byMember[member] = renumbered
            }
            sawGrowth = sawGrowth || index.isGrowing
            #expect(index.count == members.count)
            if step % 97 == 0 {
                for (member, node) in byMember {
                    let found = index.find(hash: hash(member)) { members[$0] == member }
                    #expect(found == node, "member \(member) at step \(step)")
                }
                let absent = UInt64(step) * 3 + 2
                #expect(index.find(hash: hash(absent)) { members[$0] == absent } == nil)
            }
        }
        #expect(sawGrowth)
    }
}
