// Sorted-set commands (Redis 7.0's t_zset.c behaviour): ZADD and its flags,
// scores, ranks, and the range family (ZRANGE with BYSCORE/BYLEX/REV/LIMIT,
// the older ZRANGEBY*/ZREVRANGE* forms, ZCOUNT, ZLEXCOUNT, ZREMRANGEBY*,
// ZRANGESTORE). Pops, random members, set algebra and ZSCAN are in
// SortedSetFamily+Pop.swift and SortedSetFamily+Algebra.swift. A sorted set
// left without members is deleted. Scores reply as doubles (RESP3) or their
// %.17g text (RESP2).
import RedstartRESP

#if canImport(Glibc)
import Glibc
#endif

enum SortedSetFamily: CommandFamily {
    static var commands: [CommandSpec] {
        let z: ACLCategories = [.sortedSet]
        return [
            .init("zadd", arity: -4, flags: [.write, .denyOOM, .fast], keys: .first, acl: z, group: "sorted_set", run: zadd),
            .init("zincrby", arity: 4, flags: [.write, .denyOOM, .fast], keys: .first, acl: z, group: "sorted_set", run: zincrby),
            .init("zrem", arity: -3, flags: [.write, .fast], keys: .first, acl: z, group: "sorted_set", run: zrem),
            .init("zcard", arity: 2, flags: [.readonly, .fast], keys: .first, acl: z, group: "sorted_set", run: zcard),
            .init("zscore", arity: 3, flags: [.readonly, .fast], keys: .first, acl: z, group: "sorted_set", run: zscore),
            .init("zmscore", arity: -3, flags: [.readonly, .fast], keys: .first, acl: z, group: "sorted_set", run: zmscore),
            .init("zrank", arity: 3, flags: [.readonly, .fast], keys: .first, acl: z, group: "sorted_set", run: zrank),
            .init("zrevrank", arity: 3, flags: [.readonly, .fast], keys: .first, acl: z, group: "sorted_set", run: zrevrank),
            .init("zcount", arity: 4, flags: [.readonly, .fast], keys: .first, acl: z, group: "sorted_set", run: zcount),
            .init("zlexcount", arity: 4, flags: [.readonly, .fast], keys: .first, acl: z, group: "sorted_set", run: zlexcount),
            .init("zrange", arity: -4, flags: [.readonly], keys: .first, acl: z, group: "sorted_set", run: zrange),
            .init(
                "zrangestore", arity: -5, flags: [.write, .denyOOM], keys: KeyPositions(first: 1, last: 2, step: 1), acl: z,
                group: "sorted_set", run: zrangestore),
            .init("zrevrange", arity: -4, flags: [.readonly], keys: .first, acl: z, group: "sorted_set", run: zrevrange),
            .init("zrangebyscore", arity: -4, flags: [.readonly], keys: .first, acl: z, group: "sorted_set", run: zrangebyscore),
            .init(
                "zrevrangebyscore", arity: -4, flags: [.readonly], keys: .first, acl: z, group: "sorted_set",
                run: zrevrangebyscore),
            .init("zrangebylex", arity: -4, flags: [.readonly], keys: .first, acl: z, group: "sorted_set", run: zrangebylex),
            .init("zrevrangebylex", arity: -4, flags: [.readonly], keys: .first, acl: z, group: "sorted_set", run: zrevrangebylex),
            .init("zremrangebyrank", arity: 4, flags: [.write], keys: .first, acl: z, group: "sorted_set", run: zremrangebyrank),
            .init("zremrangebyscore", arity: 4, flags: [.write], keys: .first, acl: z, group: "sorted_set", run: zremrangebyscore),
            .init("zremrangebylex", arity: 4, flags: [.write], keys: .first, acl: z, group: "sorted_set", run: zremrangebylex),
        ] + popCommands + algebraCommands + blockingCommands
    }

    // MARK: - ZADD

    static func zadd(_ cmd: CommandContext) throws(ReplyError) { try add(cmd, incrementOnly: false) }
    static func zincrby(_ cmd: CommandContext) throws(ReplyError) { try add(cmd, incrementOnly: true) }

    /// ZADD's options and pairs (the members are arguments `firstPair + 1`, `+ 3`, ...).
    private struct AddRequest {
        var nx = false, xx = false, gt = false, lt = false, ch = false, incr = false
        var firstPair = 2
        var scores: [Double] = []
    }

    /// What a ZADD did.
    private struct AddOutcome {
        var added = 0, updated = 0, processed = 0
        var lastScore = 0.0
    }

    /// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...] → members added
    /// (or changed, with CH), or with INCR the new score (null when a condition stopped it).
    private static func add(_ cmd: CommandContext, incrementOnly: Bool) throws(ReplyError) {
        var request = AddRequest(incr: incrementOnly)
        var index = 2
        if !incrementOnly {
            while index < cmd.args.count {
                if cmd.argument(index, is: "nx") { request.nx = true }
                else if cmd.argument(index, is: "xx") { request.xx = true }
                else if cmd.argument(index, is: "ch") { request.ch = true }
                else if cmd.argument(index, is: "incr") { request.incr = true }
                else if cmd.argument(index, is: "gt") { request.gt = true }
                else if cmd.argument(index, is: "lt") { request.lt = true }
                else { break }
                index += 1
            }
        }
        request.firstPair = index
        let remaining = cmd.args.count - index
        guard remaining > 0 && remaining % 2 == 0 else { throw .syntax }
        if request.nx && request.xx { throw ReplyError("XX and NX options at the same time are not compatible") }
        if (request.gt && request.nx) || (request.lt && request.nx) || (request.gt && request.lt) {
            throw ReplyError("GT, LT, and/or NX options at the same time are not compatible")
        }
        if request.incr && remaining > 2 { throw ReplyError("INCR option supports a single increment-element pair") }
        for pair in stride(from: index, to: cmd.args.count, by: 2) {
            guard let score = cmd.args.withBytes(at: pair, { parseScore($0) }) else { throw .notFloat }
            request.scores.append(score)
        }
        let db = cmd.db
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            let existing = engine.lookupWrite(db, key)
            let slot = try existing.map { (index) throws(ReplyError) in try cmd.sortedSetSlot(db, index) }
            if existing == nil && request.xx {
                if request.incr { cmd.reply.null() } else { cmd.reply.integer(0) }
                return
            }
            var outcome = AddOutcome()
            if let slot {
                try apply(request, cmd, to: &slot.pointee.storedSortedSet, &outcome)
            } else {
                var zset = SortedSetValue()
                let lengths = request.scores.indices.lazy.map { cmd.args.withBytes(at: index + 1 + 2 * $0) { $0.count } }
                zset.reservePacked(zip(lengths, request.scores).lazy.map { (length: $0, score: $1) }, limits: engine.zsetLimits)
                do throws(ReplyError) { try apply(request, cmd, to: &zset, &outcome) } catch {
                    zset.release()
                    throw error
                }
                if zset.isEmpty { zset.release() } else { engine.addKey(db, key, .sortedSet(zset)) }
            }
            let changes = outcome.added + outcome.updated
            if changes > 0 {
                engine.keyModified(db, key, changes: changes)
                engine.notify(.zset, request.incr ? "zincr" : "zadd", key, db: db.index)
            }
            if request.incr {
                if outcome.processed > 0 { cmd.reply.double(outcome.lastScore) } else { cmd.reply.null() }
            } else {
                cmd.reply.integer(request.ch ? changes : outcome.added)
            }
        }
    }

    /// Adds or updates the request's pairs in `zset`, counting in `outcome`.
    private static func apply(
        _ request: AddRequest, _ cmd: CommandContext, to zset: inout SortedSetValue, _ outcome: inout AddOutcome
    ) throws(ReplyError) {
        let limits = cmd.engine.zsetLimits
        for (offset, score) in request.scores.enumerated() {
            let member = cmd.args.withBytes(at: request.firstPair + 1 + 2 * offset) { ByteString($0) }
            var newScore = score
            if let old = zset.score(of: member) {
                if request.nx { continue }
                if request.incr {
                    newScore = old + score
                    if newScore.isNaN { throw ReplyError("resulting score is not a number (NaN)") }
                }
                if (request.gt && newScore <= old) || (request.lt && newScore >= old) { continue }
                outcome.processed += 1
                outcome.lastScore = newScore
                if newScore != old {
                    zset.changeScore(member, from: old, to: newScore, limits: limits)
                    outcome.updated += 1
                }
            } else {
                if request.xx { continue }
                zset.insertNew(member, score: newScore, limits: limits)
                outcome.added += 1
                outcome.processed += 1
                outcome.lastScore = newScore
            }
        }
    }

    // MARK: - Members

    /// ZREM key member [member ...] → integer: members removed.
    static func zrem(_ cmd: CommandContext) throws(ReplyError) {
        try cmd.removeMembers(event: .zset, "zrem") { (db, index) throws(ReplyError) in
            let slot = try cmd.sortedSetSlot(db, index)
            return ({ slot.pointee.storedSortedSet.remove(ByteString($0)) }, { slot.pointee.storedSortedSet.isEmpty })
        }
    }

    /// ZCARD key → integer.
    static func zcard(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.integer(try cmd.sortedSetForRead(1)?.count ?? 0)
    }

    /// ZSCORE key member → the score, or null.
    static func zscore(_ cmd: CommandContext) throws(ReplyError) {
        let zset = try cmd.sortedSetForRead(1)
        if let score = zset?.score(of: cmd.args.withBytes(at: 2) { ByteString($0) }) {
            cmd.reply.double(score)
        } else {
            cmd.reply.null()
        }
    }

    /// ZMSCORE key member [member ...] → scores and nulls.
    static func zmscore(_ cmd: CommandContext) throws(ReplyError) {
        let zset = try cmd.sortedSetForRead(1)
        cmd.reply.arrayHeader(cmd.args.count - 2)
        for argument in 2..<cmd.args.count {
            if let score = zset?.score(of: cmd.args.withBytes(at: argument) { ByteString($0) }) {
                cmd.reply.double(score)
            } else {
                cmd.reply.null()
            }
        }
    }

    static func zrank(_ cmd: CommandContext) throws(ReplyError) { try rank(cmd, reverse: false) }
    static func zrevrank(_ cmd: CommandContext) throws(ReplyError) { try rank(cmd, reverse: true) }

    /// Z[REV]RANK key member → the 0-based rank, or null.
    private static func rank(_ cmd: CommandContext, reverse: Bool) throws(ReplyError) {
        guard let zset = try cmd.sortedSetForRead(1),
            let rank = zset.rank(of: cmd.args.withBytes(at: 2) { ByteString($0) })
        else {
            cmd.reply.null()
            return
        }
        cmd.reply.integer(reverse ? zset.count - 1 - rank : rank)
    }

    // MARK: - Ranges

    /// ZCOUNT key min max → integer: members with a score in the range.
    static func zcount(_ cmd: CommandContext) throws(ReplyError) {
        let range = try ScoreRange(cmd, 2, 3)
        guard let zset = try cmd.sortedSetForRead(1) else {
            cmd.reply.integer(0)
            return
        }
        cmd.reply.integer(range.ranks(in: zset)?.count ?? 0)
    }

    /// ZLEXCOUNT key min max → integer: members in the lexicographical range.
    static func zlexcount(_ cmd: CommandContext) throws(ReplyError) {
        let range = try LexRange(cmd, 2, 3)
        guard let zset = try cmd.sortedSetForRead(1) else {
            cmd.reply.integer(0)
            return
        }
        cmd.reply.integer(range.ranks(in: zset)?.count ?? 0)
    }

    static func zrange(_ cmd: CommandContext) throws(ReplyError) {
        try RangeQuery(cmd, firstKey: 1, kind: nil, reverse: nil, store: false).run(cmd)
    }
    static func zrangestore(_ cmd: CommandContext) throws(ReplyError) {
        try RangeQuery(cmd, firstKey: 2, kind: nil, reverse: nil, store: true).run(cmd)
    }
    static func zrevrange(_ cmd: CommandContext) throws(ReplyError) {
        try RangeQuery(cmd, firstKey: 1, kind: .rank, reverse: true, store: false).run(cmd)
    }
    static func zrangebyscore(_ cmd: CommandContext) throws(ReplyError) {
        try RangeQuery(cmd, firstKey: 1, kind: .score, reverse: false, store: false).run(cmd)
    }
    static func zrevrangebyscore(_ cmd: CommandContext) throws(ReplyError) {
        try RangeQuery(cmd, firstKey: 1, kind: .score, reverse: true, store: false).run(cmd)
    }
    static func zrangebylex(_ cmd: CommandContext) throws(ReplyError) {
        try RangeQuery(cmd, firstKey: 1, kind: .lex, reverse: false, store: false).run(cmd)
    }
    static func zrevrangebylex(_ cmd: CommandContext) throws(ReplyError) {
        try RangeQuery(cmd, firstKey: 1, kind: .lex, reverse: true, store: false).run(cmd)
    }

    static func zremrangebyrank(_ cmd: CommandContext) throws(ReplyError) {
        let start = try cmd.integer(2)
        let stop = try cmd.integer(3)
        try removeRange(cmd, event: "zremrangebyrank") { ListFamily.clampedRange(start, stop, count: $0.count) }
    }

    static func zremrangebyscore(_ cmd: CommandContext) throws(ReplyError) {
        let range = try ScoreRange(cmd, 2, 3)
        try removeRange(cmd, event: "zremrangebyscore") { range.ranks(in: $0) }
    }

    static func zremrangebylex(_ cmd: CommandContext) throws(ReplyError) {
        let range = try LexRange(cmd, 2, 3)
        try removeRange(cmd, event: "zremrangebylex") { range.ranks(in: $0) }
    }

    /// ZREMRANGEBY*: removes the ranks `ranks` finds (reporting `event`); replies how many.
    private static func removeRange(
        _ cmd: CommandContext, event: StaticString, _ ranks: (SortedSetValue) -> ClosedRange<Int>?
    ) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let index = engine.lookupWrite(db, key) else {
                cmd.reply.integer(0)
                return
            }
            guard let range = ranks(try cmd.sortedSetValue(db, index)) else {
                cmd.reply.integer(0)
                return
            }
            let slot = try cmd.sortedSetSlot(db, index)
            slot.pointee.storedSortedSet.removeRanks(range)
            engine.notify(.zset, event, key, db: db.index)
            if slot.pointee.storedSortedSet.isEmpty { engine.removeEmptied(db, at: index, key) }
            engine.keyModified(db, key, changes: range.count)
            cmd.reply.integer(range.count)
        }
    }

    /// A score as ZADD reads it (Redis's strtod rules: no spaces, no NaN, no overflow).
    static func parseScore(_ raw: UnsafeRawBufferPointer) -> Double? {
        guard let first = raw.first, !(first == 32 || (first >= 9 && first <= 13)), raw.count < 1024 else { return nil }
        var text = [CChar](repeating: 0, count: raw.count + 1)
        for (offset, byte) in raw.enumerated() { text[offset] = CChar(bitPattern: byte) }
        return text.withUnsafeBufferPointer { chars -> Double? in
            var end: UnsafeMutablePointer<CChar>?
            errno = 0
            let value = strtod(chars.baseAddress!, &end)
            guard let end, end - UnsafeMutablePointer(mutating: chars.baseAddress!) == raw.count, !value.isNaN else {
                return nil
            }
            if errno == ERANGE && (value.isInfinite || value == 0) { return nil }
            return value
        }
    }
}

extension Engine {
    /// zset-max-listpack-entries and zset-max-listpack-value.
    var zsetLimits: (entries: Int, length: Int) { (zsetMaxEntries, zsetMaxValue) }
}

extension CommandContext {
    /// The sorted set of entry `index`, else `-WRONGTYPE`.
    func sortedSetValue(_ db: Database, _ index: Int32) throws(ReplyError) -> SortedSetValue {
        guard let zset = db.value(at: index).pointee.sortedSet else { throw .wrongType }
        return zset
    }

    /// The value slot of entry `index`, whose sorted set is changed in place through
    /// `storedSortedSet`, else `-WRONGTYPE`.
    func sortedSetSlot(_ db: Database, _ index: Int32) throws(ReplyError) -> UnsafeMutablePointer<Value> {
        let slot = db.value(at: index)
        guard slot.pointee.sortedSet != nil else { throw .wrongType }
        return slot
    }

    /// The sorted set at argument `argument` looked up for reading, nil when missing.
    func sortedSetForRead(_ argument: Int) throws(ReplyError) -> SortedSetValue? {
        let db = self.db
        guard let index = args.withBytes(at: argument, { engine.lookupRead(db, $0) }) else { return nil }
        return try sortedSetValue(db, index)
    }

    /// Replies a member and, with `withScore`, its score (one pair of a range reply).
    func replyScored(_ member: ByteString, _ score: Double, withScore: Bool) {
        if withScore && session.protocolVersion == .resp3 { reply.arrayHeader(2) }
        member.withUnsafeBytes { reply.bulk($0) }
        if withScore { reply.double(score) }
    }
}
