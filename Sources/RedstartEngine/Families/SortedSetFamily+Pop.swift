// ZPOPMIN, ZPOPMAX, ZMPOP, ZRANDMEMBER and ZSCAN.
import RedstartRESP

extension SortedSetFamily {
    static var popCommands: [CommandSpec] {
        let z: ACLCategories = [.sortedSet]
        return [
            .init("zpopmin", arity: -2, flags: [.write, .fast], keys: .first, acl: z, group: "sorted_set", run: zpopmin),
            .init("zpopmax", arity: -2, flags: [.write, .fast], keys: .first, acl: z, group: "sorted_set", run: zpopmax),
            .init("zmpop", arity: -4, flags: [.write, .movableKeys], acl: z, group: "sorted_set", run: zmpop),
            .init("zrandmember", arity: -2, flags: [.readonly], keys: .first, acl: z, group: "sorted_set", run: zrandmember),
            .init("zscan", arity: -3, flags: [.readonly], keys: .first, acl: z, group: "sorted_set", run: zscan),
        ]
    }

    static func zpopmin(_ cmd: CommandContext) throws(ReplyError) { try pop(cmd, max: false) }
    static func zpopmax(_ cmd: CommandContext) throws(ReplyError) { try pop(cmd, max: true) }

    /// ZPOP(MIN|MAX) key [count] → member, score (flat), or with a count the pairs (flat in
    /// RESP2, [member, score] arrays in RESP3).
    private static func pop(_ cmd: CommandContext, max: Bool) throws(ReplyError) {
        guard cmd.args.count <= 3 else { throw .syntax }
        let count: Int? = cmd.args.count == 3 ? try cmd.positiveCount(2) : nil
        let db = cmd.db
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let index = engine.lookupWrite(db, key) else {
                cmd.reply.arrayHeader(0)
                return
            }
            let slot = try cmd.sortedSetSlot(db, index)
            guard count != 0 else {
                cmd.reply.arrayHeader(0)
                return
            }
            let popped = popElements(&slot.pointee.storedSortedSet, count: count ?? 1, max: max)
            let pairs = count != nil && cmd.session.protocolVersion == .resp3
            cmd.reply.arrayHeader(pairs ? popped.count : popped.count * 2)
            for (member, score) in popped { cmd.replyScored(member, score, withScore: true, asPair: pairs) }
            engine.notify(.zset, max ? "zpopmax" : "zpopmin", key, db: db.index)
            if slot.pointee.storedSortedSet.isEmpty { engine.removeEmptied(db, at: index, key) }
            engine.keyModified(db, key, changes: popped.count)
        }
    }

    /// Removes up to `count` lowest (or highest) elements and returns them in pop order.
    static func popElements(_ zset: inout SortedSetValue, count: Int, max: Bool) -> [(ByteString, Double)] {
        let taken = min(count, zset.count)
        guard taken > 0 else { return [] }
        var popped: [(ByteString, Double)] = []
        popped.reserveCapacity(taken)
        let ranks = max ? (zset.count - taken)...(zset.count - 1) : 0...(taken - 1)
        zset.forEach(in: ranks, reverse: max) { popped.append(($0, $1)) }
        zset.removeRanks(ranks)
        return popped
    }

    /// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] → [key, [[member, score], ...]], or a
    /// null array when every key is missing.
    static func zmpop(_ cmd: CommandContext) throws(ReplyError) {
        let request = try MultiPopArguments(cmd, numkeysIndex: 1, ends: ("min", "max"))
        if try !popFirstNonEmpty(cmd, request) { cmd.reply.nullArray() }
    }

    /// Pops from the first key of the request that holds a sorted set; false when none does.
    static func popFirstNonEmpty(_ cmd: CommandContext, _ request: MultiPopArguments) throws(ReplyError) -> Bool {
        let db = cmd.db
        let engine = cmd.engine
        return try cmd.withFirstExistingKey(request.keyIndexes) { (key, index) throws(ReplyError) in
            let slot = try cmd.sortedSetSlot(db, index)
            let elements = popElements(&slot.pointee.storedSortedSet, count: request.count, max: !request.firstEnd)
            cmd.reply.arrayHeader(2)
            cmd.reply.bulk(key)
            cmd.reply.arrayHeader(elements.count)
            for (member, score) in elements { cmd.replyScored(member, score, withScore: true, asPair: true) }
            engine.notify(.zset, request.firstEnd ? "zpopmin" : "zpopmax", key, db: db.index)
            if slot.pointee.storedSortedSet.isEmpty { engine.removeEmptied(db, at: index, key) }
            engine.keyModified(db, key, changes: elements.count)
            engine.propagateRunningCommand(
                as: [Array((request.firstEnd ? "ZPOPMIN" : "ZPOPMAX").utf8), Array(key), Array(String(elements.count).utf8)])
        }
    }

    /// ZRANDMEMBER key [count [WITHSCORES]] → like HRANDFIELD.
    static func zrandmember(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count >= 3 else {
            guard let zset = try cmd.sortedSetForRead(1) else {
                cmd.reply.null()
                return
            }
            zset.element(at: Int.random(in: 0..<zset.count)).member.withUnsafeBytes { cmd.reply.bulk($0) }
            return
        }
        guard let count = cmd.args.int64(at: 2) else { throw .notInteger }
        guard count != .min else {
            throw ReplyError("value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        }
        var withScores = false
        if cmd.args.count > 4 || (cmd.args.count == 4 && !cmd.argument(3, is: "withscores")) { throw .syntax }
        if cmd.args.count == 4 {
            withScores = true
            guard count >= -(Int64.max / 2), count <= Int64.max / 2 else { throw ReplyError("value is out of range") }
        }
        guard let zset = try cmd.sortedSetForRead(1), count != 0 else {
            cmd.reply.arrayHeader(0)
            return
        }
        let picks = RandomPicks(size: zset.count, count: count)
        let pairs = withScores && cmd.session.protocolVersion == .resp3
        cmd.reply.arrayHeader(withScores && !pairs ? picks.total * 2 : picks.total)
        // The whole set comes highest first: Redis walks a sorted set from its tail there.
        picks.forEach(cmd, wholeInReverse: true) { position in
            let (member, score) = zset.element(at: position)
            cmd.replyScored(member, score, withScore: withScores)
        }
    }

    /// ZSCAN key cursor [MATCH pattern] [COUNT count] → [cursor, [member, score, ...]].
    static func zscan(_ cmd: CommandContext) throws(ReplyError) {
        try CollectionScan.run(
            cmd,
            source: { (db, index) throws(ReplyError) -> ScanSource in
                let zset = try cmd.sortedSetValue(db, index)
                if let slots = zset.scanSlotCount {
                    return .positional(count: slots) { slot in
                        zset.scanPair(inSlot: slot).map { [$0.member, ByteString(formatDouble($0.score))] } ?? []
                    }
                }
                var items: [ByteString] = []
                if !zset.isEmpty {
                    zset.forEach(in: 0...(zset.count - 1), reverse: false) { member, score in
                        items.append(member)
                        items.append(ByteString(formatDouble(score)))
                    }
                }
                return .whole(items, pairs: true)
            })
    }
}

extension CommandContext {
    /// Replies a member and its score, as a [member, score] array when `asPair`.
    func replyScored(_ member: ByteString, _ score: Double, withScore: Bool, asPair: Bool) {
        if asPair { reply.arrayHeader(2) }
        member.withUnsafeBytes { reply.bulk($0) }
        if withScore { reply.double(score) }
    }
}
