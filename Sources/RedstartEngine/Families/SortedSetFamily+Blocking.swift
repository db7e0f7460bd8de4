// BZPOPMIN, BZPOPMAX and BZMPOP: with data they pop at once (and propagate as
// ZPOPMIN/ZPOPMAX); without, they block like the list commands
// (Engine+Blocking.swift), with the same timeouts, fairness and MULTI rules.
import RedstartRESP

extension SortedSetFamily {
    static var blockingCommands: [CommandSpec] {
        let z: ACLCategories = [.sortedSet]
        return [
            .init(
                "bzpopmin", arity: -3, flags: [.write, .noScript, .fast, .blocking],
                keys: KeyPositions(first: 1, last: -2, step: 1), acl: z, group: "sorted_set", run: bzpopmin),
            .init(
                "bzpopmax", arity: -3, flags: [.write, .noScript, .fast, .blocking],
                keys: KeyPositions(first: 1, last: -2, step: 1), acl: z, group: "sorted_set", run: bzpopmax),
            .init("bzmpop", arity: -5, flags: [.write, .blocking, .movableKeys], acl: z, group: "sorted_set", run: bzmpop),
        ]
    }

    static func bzpopmin(_ cmd: CommandContext) throws(ReplyError) { try blockingPop(cmd, max: false) }
    static func bzpopmax(_ cmd: CommandContext) throws(ReplyError) { try blockingPop(cmd, max: true) }

    /// BZPOP(MIN|MAX) key [key ...] timeout → [key, member, score], or a null array at the timeout.
    private static func blockingPop(_ cmd: CommandContext, max: Bool) throws(ReplyError) {
        let deadline = try cmd.blockingDeadline(cmd.args.count - 1)
        let db = cmd.db
        let engine = cmd.engine
        let popped = try cmd.withFirstExistingKey(1..<(cmd.args.count - 1)) { (key, index) throws(ReplyError) in
            // A stored sorted set is never empty.
            let slot = try cmd.sortedSetSlot(db, index)
            let (member, score) = popElements(&slot.pointee.storedSortedSet, count: 1, max: max)[0]
            cmd.reply.arrayHeader(3)
            cmd.reply.bulk(key)
            member.withUnsafeBytes { cmd.reply.bulk($0) }
            cmd.reply.double(score)
            engine.notify(.zset, max ? "zpopmax" : "zpopmin", key, db: db.index)
            if slot.pointee.storedSortedSet.isEmpty { engine.removeEmptied(db, at: index, key) }
            engine.keyModified(db, key)
            engine.propagateRunningCommand(as: [Array((max ? "ZPOPMAX" : "ZPOPMIN").utf8), Array(key)])
        }
        if popped { return }
        try ListFamily.waitForData(cmd, keys: 1..<(cmd.args.count - 1), operation: .zpop(max: max), deadline: deadline)
    }

    /// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count] → [key, [[member, score], ...]].
    static func bzmpop(_ cmd: CommandContext) throws(ReplyError) {
        let request = try MultiPopArguments(cmd, numkeysIndex: 2, ends: ("min", "max"))
        let deadline = try cmd.blockingDeadline(1)
        if try popFirstNonEmpty(cmd, request) { return }
        try ListFamily.waitForData(
            cmd, keys: request.keyIndexes, operation: .zpopMany(max: !request.firstEnd, count: request.count), deadline: deadline)
    }
}
