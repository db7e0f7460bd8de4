// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD. Inputs may be
// sorted sets or plain sets (every member scoring 1); WEIGHTS multiply
// scores (NaN becomes 0), AGGREGATE SUM|MIN|MAX combines them (a SUM of +inf
// and -inf is 0), as Redis's zunionInterDiffGenericCommand.
import RedstartRESP

extension SortedSetFamily {
    static var algebraCommands: [CommandSpec] {
        let z: ACLCategories = [.sortedSet]
        return [
            .init("zunion", arity: -3, flags: [.readonly, .movableKeys], acl: z, group: "sorted_set", run: zunion),
            .init("zinter", arity: -3, flags: [.readonly, .movableKeys], acl: z, group: "sorted_set", run: zinter),
            .init("zdiff", arity: -3, flags: [.readonly, .movableKeys], acl: z, group: "sorted_set", run: zdiff),
            .init(
                "zunionstore", arity: -4, flags: [.write, .denyOOM, .movableKeys], keys: .first, acl: z,
                group: "sorted_set", run: zunionstore),
            .init(
                "zinterstore", arity: -4, flags: [.write, .denyOOM, .movableKeys], keys: .first, acl: z,
                group: "sorted_set", run: zinterstore),
            .init(
                "zdiffstore", arity: -4, flags: [.write, .denyOOM, .movableKeys], keys: .first, acl: z,
                group: "sorted_set", run: zdiffstore),
            .init("zintercard", arity: -3, flags: [.readonly, .movableKeys], acl: z, group: "sorted_set", run: zintercard),
        ]
    }

    enum Operation { case union, inter, diff }
    enum Aggregate { case sum, min, max }

    static func zunion(_ cmd: CommandContext) throws(ReplyError) { try combine(cmd, .union, numkeysIndex: 1, store: false) }
    static func zinter(_ cmd: CommandContext) throws(ReplyError) { try combine(cmd, .inter, numkeysIndex: 1, store: false) }
    static func zdiff(_ cmd: CommandContext) throws(ReplyError) { try combine(cmd, .diff, numkeysIndex: 1, store: false) }
    static func zunionstore(_ cmd: CommandContext) throws(ReplyError) { try combine(cmd, .union, numkeysIndex: 2, store: true) }
    static func zinterstore(_ cmd: CommandContext) throws(ReplyError) { try combine(cmd, .inter, numkeysIndex: 2, store: true) }
    static func zdiffstore(_ cmd: CommandContext) throws(ReplyError) { try combine(cmd, .diff, numkeysIndex: 2, store: true) }
    static func zintercard(_ cmd: CommandContext) throws(ReplyError) {
        try combine(cmd, .inter, numkeysIndex: 1, store: false, cardinalityOnly: true)
    }

    /// One input: a sorted set, a set (scores of 1), or missing.
    private enum Source {
        case sorted(SortedSetValue), plain(SetValue), missing

        var count: Int {
            switch self {
            case .sorted(let zset): return zset.count
            case .plain(let set): return set.count
            case .missing: return 0
            }
        }

        func score(of member: ByteString) -> Double? {
            switch self {
            case .sorted(let zset): return zset.score(of: member)
            case .plain(let set): return member.withUnsafeBytes { set.contains($0) } ? 1 : nil
            case .missing: return nil
            }
        }

        func forEach(_ body: (ByteString, Double) -> Void) {
            switch self {
            case .sorted(let zset):
                if zset.count > 0 { zset.forEach(in: 0...(zset.count - 1), reverse: false, body) }
            case .plain(let set):
                for position in 0..<set.count { body(set.member(at: position), 1) }
            case .missing: break
            }
        }
    }

    private static func combine(
        _ cmd: CommandContext, _ operation: Operation, numkeysIndex: Int, store: Bool, cardinalityOnly: Bool = false
    ) throws(ReplyError) {
        let numkeys = try cmd.integer(numkeysIndex)
        guard numkeys >= 1 else { throw ReplyError("at least 1 input key is needed for '\(cmd.spec.fullName)' command") }
        guard numkeys <= Int64(cmd.args.count - numkeysIndex - 1) else { throw .syntax }
        var sources: [Source] = []
        let db = cmd.db
        for argument in (numkeysIndex + 1)...(numkeysIndex + Int(numkeys)) {
            guard let index = cmd.args.withBytes(at: argument, { cmd.engine.lookupRead(db, $0) }) else {
                sources.append(.missing)
                continue
            }
            switch db.value(at: index).pointee {
            case .sortedSet(let zset): sources.append(.sorted(zset))
            case .set(let set): sources.append(.plain(set))
            default: throw .wrongType
            }
        }
        var weights = [Double](repeating: 1, count: sources.count)
        var aggregate = Aggregate.sum
        var withScores = false
        var limit = 0
        var index = numkeysIndex + 1 + Int(numkeys)
        while index < cmd.args.count {
            let remaining = cmd.args.count - index
            let general = operation != .diff && !cardinalityOnly
            if general && remaining >= sources.count + 1 && cmd.argument(index, is: "weights") {
                for offset in 0..<sources.count {
                    guard let weight = cmd.args.withBytes(at: index + 1 + offset, { parseScore($0) }) else {
                        throw ReplyError("weight value is not a float")
                    }
                    weights[offset] = weight
                }
                index += 1 + sources.count
            } else if general && remaining >= 2 && cmd.argument(index, is: "aggregate") {
                if cmd.argument(index + 1, is: "sum") {
                    aggregate = .sum
                } else if cmd.argument(index + 1, is: "min") {
                    aggregate = .min
                } else if cmd.argument(index + 1, is: "max") {
                    aggregate = .max
                } else {
                    throw .syntax
                }
                index += 2
            } else if !store && !cardinalityOnly && cmd.argument(index, is: "withscores") {
                withScores = true
                index += 1
            } else if cardinalityOnly && remaining >= 2 && cmd.argument(index, is: "limit") {
                limit = Int(try cmd.nonNegative(index + 1, error: "LIMIT can't be negative"))
                index += 2
            } else {
                throw .syntax
            }
        }
        let result = compute(operation, sources, weights, aggregate, limit: cardinalityOnly ? limit : 0)
        if cardinalityOnly {
            cmd.reply.integer(result.count)
            return
        }
        var zset = SortedSetValue(startingLarge: true)
        for (member, score) in result { zset.insertNew(member, score: score, limits: cmd.engine.zsetLimits) }
        if store {
            let event: StaticString
            switch operation {
            case .union: event = "zunionstore"
            case .inter: event = "zinterstore"
            case .diff: event = "zdiffstore"
            }
            cmd.reply.integer(zset.count)
            cmd.storeSortedSet(zset, at: 1, event: event)
            return
        }
        cmd.reply.arrayHeader(withScores && cmd.session.protocolVersion == .resp2 ? zset.count * 2 : zset.count)
        if zset.count > 0 {
            zset.forEach(in: 0...(zset.count - 1), reverse: false) { cmd.replyScored($0, $1, withScore: withScores) }
        }
        zset.release()
    }

    private static func compute(
        _ operation: Operation, _ sources: [Source], _ weights: [Double], _ aggregate: Aggregate, limit: Int
    ) -> [(ByteString, Double)] {
        func weighted(_ score: Double, _ weight: Double) -> Double {
            let value = score * weight
            return value.isNaN ? 0 : value
        }
        func combined(_ a: Double, _ b: Double) -> Double {
            switch aggregate {
            case .sum:
                let sum = a + b
                return sum.isNaN ? 0 : sum
            case .min: return Swift.min(a, b)
            case .max: return Swift.max(a, b)
            }
        }
        switch operation {
        case .union:
            var order: [ByteString] = []
            var scores: [ByteString: Double] = [:]
            for (offset, source) in sources.enumerated() {
                source.forEach { member, score in
                    let value = weighted(score, weights[offset])
                    if let current = scores[member] {
                        scores[member] = combined(current, value)
                    } else {
                        scores[member] = value
                        order.append(member)
                    }
                }
            }
            return order.map { ($0, scores[$0]!) }
        case .inter:
            if sources.contains(where: { if case .missing = $0 { return true } else { return false } }) { return [] }
            let ordered = sources.indices.sorted { sources[$0].count < sources[$1].count }
            var result: [(ByteString, Double)] = []
            sources[ordered[0]].forEach { member, score in
                if limit > 0 && result.count >= limit { return }
                // Only the walked set's product turns NaN into 0; the others' go to the aggregate
                // as they are (SUM then gives 0, MIN and MAX keep what they had), as in Redis.
                var value = weighted(score, weights[ordered[0]])
                for other in ordered.dropFirst() {
                    guard let otherScore = sources[other].score(of: member) else { return }
                    value = combined(value, otherScore * weights[other])
                }
                result.append((member, value))
            }
            return result
        case .diff:
            var result: [(ByteString, Double)] = []
            sources[0].forEach { member, score in
                if sources.dropFirst().contains(where: { $0.score(of: member) != nil }) { return }
                result.append((member, score))
            }
            return result
        }
    }
}
