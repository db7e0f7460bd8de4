// Ranges of sorted sets: score ranges (`(` exclusive, -inf/+inf), lex ranges
// (`[`, `(`, `-`, `+`), and the query behind ZRANGE, ZRANGESTORE and the older
// ZRANGEBY*/ZREVRANGE* commands, parsed in Redis's order (options, conflicts,
// then the range, then the key). Every range becomes an ascending rank range.
import RedstartRESP

#if canImport(Glibc)
import Glibc
#endif

/// min/max of ZRANGEBYSCORE and friends.
struct ScoreRange {
    var min: Double, max: Double
    var minExclusive = false, maxExclusive = false

    init(_ cmd: CommandContext, _ minIndex: Int, _ maxIndex: Int) throws(ReplyError) {
        let error = ReplyError("min or max is not a float")
        guard let (min, minEx) = cmd.args.withBytes(at: minIndex, { Self.parseBound($0) }),
            let (max, maxEx) = cmd.args.withBytes(at: maxIndex, { Self.parseBound($0) })
        else { throw error }
        (self.min, self.max, minExclusive, maxExclusive) = (min, max, minEx, maxEx)
    }

    /// One bound as Redis's zslParseRange reads it: strtod over the whole text.
    private static func parseBound(_ raw: UnsafeRawBufferPointer) -> (Double, Bool)? {
        var bytes = Array(raw)
        var exclusive = false
        if bytes.first == UInt8(ascii: "(") {
            exclusive = true
            bytes.removeFirst()
        }
        guard !bytes.contains(0) else { return nil }
        bytes.append(0)
        return bytes.withUnsafeBufferPointer { buffer -> (Double, Bool)? in
            let start = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(start, &end)
            guard let end, end.pointee == 0, !value.isNaN else { return nil }
            return (value, exclusive)
        }
    }

    /// The ascending ranks of the members in range, or nil when none are.
    func ranks(in zset: SortedSetValue) -> ClosedRange<Int>? {
        if min > max || (min == max && (minExclusive || maxExclusive)) { return nil }
        let low = zset.countLeading { _, score in score < min || (minExclusive && score == min) }
        let high = zset.countLeading { _, score in score < max || (!maxExclusive && score == max) } - 1
        return low <= high ? low...high : nil
    }
}

/// min/max of ZRANGEBYLEX and friends.
struct LexRange {
    enum Bound { case minusInfinity, plusInfinity, value([UInt8], exclusive: Bool) }
    var min: Bound, max: Bound

    init(_ cmd: CommandContext, _ minIndex: Int, _ maxIndex: Int) throws(ReplyError) {
        guard let min = cmd.args.withBytes(at: minIndex, { Self.parseBound($0) }),
            let max = cmd.args.withBytes(at: maxIndex, { Self.parseBound($0) })
        else { throw ReplyError("min or max not valid string range item") }
        (self.min, self.max) = (min, max)
    }

    private static func parseBound(_ raw: UnsafeRawBufferPointer) -> Bound? {
        guard let first = raw.first else { return nil }
        switch first {
        case UInt8(ascii: "+"): return raw.count == 1 ? .plusInfinity : nil
        case UInt8(ascii: "-"): return raw.count == 1 ? .minusInfinity : nil
        case UInt8(ascii: "("): return .value(Array(raw.dropFirst()), exclusive: true)
        case UInt8(ascii: "["): return .value(Array(raw.dropFirst()), exclusive: false)
        default: return nil
        }
    }

    /// Whether `member` lies before the bound when the bound is a lower one (`lower`) or
    /// at/before it when it is an upper one.
    private static func isBefore(_ member: ByteString, _ bound: Bound, lower: Bool) -> Bool {
        switch bound {
        case .minusInfinity: return false
        case .plusInfinity: return true
        case .value(let bytes, let exclusive):
            let order = member.withUnsafeBytes { m in bytes.withUnsafeBytes { compareMembers(m, $0) } }
            // Lower bound: members before it are < (or <= when exclusive); upper: <= (or <).
            return lower ? (order < 0 || (exclusive && order == 0)) : (order < 0 || (!exclusive && order == 0))
        }
    }

    func ranks(in zset: SortedSetValue) -> ClosedRange<Int>? {
        let low = zset.countLeading { member, _ in Self.isBefore(member, min, lower: true) }
        let high = zset.countLeading { member, _ in Self.isBefore(member, max, lower: false) } - 1
        return low <= high ? low...high : nil
    }
}

extension SortedSetFamily {
    /// ZRANGE and the commands that are forms of it.
    struct RangeQuery {
        enum Kind { case rank, score, lex }
        var kind: Kind
        var reverse: Bool
        var withScores = false
        var offset: Int64 = 0
        var limit: Int64 = -1
        let store: Bool
        let source: Int
        var rankStart: Int64 = 0, rankStop: Int64 = 0
        var scoreRange: ScoreRange?
        var lexRange: LexRange?

        init(_ cmd: CommandContext, firstKey: Int, kind fixedKind: Kind?, reverse fixedReverse: Bool?, store: Bool)
            throws(ReplyError)
        {
            self.store = store
            source = firstKey
            var kind = fixedKind
            var reverse = fixedReverse
            var index = firstKey + 3
            while index < cmd.args.count {
                let left = cmd.args.count - index - 1
                if !store && cmd.argument(index, is: "withscores") {
                    withScores = true
                } else if cmd.argument(index, is: "limit") && left >= 2 {
                    offset = try cmd.integer(index + 1)
                    limit = try cmd.integer(index + 2)
                    index += 2
                } else if reverse == nil && cmd.argument(index, is: "rev") {
                    reverse = true
                } else if kind == nil && cmd.argument(index, is: "bylex") {
                    kind = .lex
                } else if kind == nil && cmd.argument(index, is: "byscore") {
                    kind = .score
                } else {
                    throw .syntax
                }
                index += 1
            }
            self.kind = kind ?? .rank
            self.reverse = reverse ?? false
            // Redis checks the count, not the option: LIMIT x -1 passes with a rank range.
            if limit != -1 && self.kind == .rank {
                throw ReplyError("syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
            }
            if withScores && self.kind == .lex {
                throw ReplyError("syntax error, WITHSCORES not supported in combination with BYLEX")
            }
            // Reversed score and lex ranges are given max first.
            let swap = self.reverse && self.kind != .rank
            let (minIndex, maxIndex) = swap ? (firstKey + 2, firstKey + 1) : (firstKey + 1, firstKey + 2)
            switch self.kind {
            case .rank:
                rankStart = try cmd.integer(firstKey + 1)
                rankStop = try cmd.integer(firstKey + 2)
            case .score: scoreRange = try ScoreRange(cmd, minIndex, maxIndex)
            case .lex: lexRange = try LexRange(cmd, minIndex, maxIndex)
            }
        }

        /// The ascending ranks selected, in reply order.
        func selectedRanks(_ zset: SortedSetValue) -> [Int] {
            let count = zset.count
            switch kind {
            case .rank:
                guard let range = ListFamily.clampedRange(rankStart, rankStop, count: count) else { return [] }
                return reverse ? range.map { count - 1 - $0 } : Array(range)
            case .score, .lex:
                guard let range = scoreRange?.ranks(in: zset) ?? lexRange?.ranks(in: zset), offset >= 0 else { return [] }
                let ordered: [Int] = reverse ? range.reversed() : Array(range)
                let skipped = ordered.dropFirst(Int(clamping: offset))
                return limit < 0 ? Array(skipped) : Array(skipped.prefix(Int(clamping: limit)))
            }
        }

        func run(_ cmd: CommandContext) throws(ReplyError) {
            let zset = try cmd.sortedSetForRead(source)
            var selected: [(ByteString, Double)] = []
            if let zset {
                for rank in selectedRanks(zset) { selected.append(zset.element(at: rank)) }
            }
            if store {
                var result = SortedSetValue()
                for (member, score) in selected { result.set(member, score: score, limits: cmd.engine.zsetLimits) }
                cmd.reply.integer(result.count)
                cmd.storeSortedSet(result, at: 1, event: "zrangestore")
                return
            }
            cmd.reply.arrayHeader(withScores && cmd.session.protocolVersion == .resp2 ? selected.count * 2 : selected.count)
            for (member, score) in selected { cmd.replyScored(member, score, withScore: withScores) }
        }
    }
}

extension CommandContext {
    /// Replaces the key at argument `argument` with `result` (reporting `event`), or deletes
    /// it when empty (the STORE forms). The key takes `result` over (or it is released):
    /// the caller's copy is not to be used after.
    func storeSortedSet(_ result: consuming SortedSetValue, at argument: Int, event: StaticString) {
        result.shrinkIfFitting(limits: engine.zsetLimits)
        storeResult(.sortedSet(result), isEmpty: result.isEmpty, at: argument, event: .zset, event)
    }
}
