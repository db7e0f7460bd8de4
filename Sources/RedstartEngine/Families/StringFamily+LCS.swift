// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common
// subsequence by the classic dynamic-programming table, walked back from the end
// to build the string and the matching ranges exactly as Redis reports them
// (including its rule that a match which does not continue a range closes the
// range without starting a new one).

extension StringFamily {
    static func lcs(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        var texts: [[UInt8]] = []
        for argument in 1...2 {
            guard let index = cmd.args.withBytes(at: argument, { engine.lookupRead(db, $0) }) else {
                texts.append([])
                continue
            }
            guard let value = try? cmd.stringValue(db, index) else {
                throw ReplyError("The specified keys must contain string values")
            }
            texts.append(value.withStringBytes { Array($0) } ?? [])
        }
        var wantLength = false
        var wantIndexes = false
        var withMatchLength = false
        var minimumMatch: Int64 = 0
        var position = 3
        while position < cmd.args.count {
            let more = cmd.args.count - 1 - position
            if cmd.argument(position, is: "idx") {
                wantIndexes = true
            } else if cmd.argument(position, is: "len") {
                wantLength = true
            } else if cmd.argument(position, is: "withmatchlen") {
                withMatchLength = true
            } else if cmd.argument(position, is: "minmatchlen") && more > 0 {
                minimumMatch = max(0, try cmd.integer(position + 1))
                position += 1
            } else {
                throw .syntax
            }
            position += 1
        }
        if wantLength && wantIndexes {
            throw ReplyError("If you want both the length and indexes, please just use IDX.")
        }
        let a = texts[0]
        let b = texts[1]
        guard a.count < Int(UInt32.max) - 1, b.count < Int(UInt32.max) - 1 else {
            throw ReplyError("String too long for LCS")
        }
        let width = b.count + 1
        let cells = (a.count + 1) * width
        guard cells * 4 <= engine.protocolLimits.maxBulkLength else {
            throw ReplyError("Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
        }
        var table = [UInt32](repeating: 0, count: cells)
        for i in 1...max(1, a.count) where a.count > 0 {
            for j in 1...max(1, b.count) where b.count > 0 {
                if a[i - 1] == b[j - 1] {
                    table[i * width + j] = table[(i - 1) * width + j - 1] + 1
                } else {
                    table[i * width + j] = max(table[(i - 1) * width + j], table[i * width + j - 1])
                }
            }
        }
        let total = Int(table[a.count * width + b.count])
        if wantLength {
            cmd.reply.integer(total)
            return
        }
        var result = [UInt8](repeating: 0, count: total)
        var ranges: [(a: (Int, Int), b: (Int, Int), length: Int)] = []
        var remaining = total
        var i = a.count
        var j = b.count
        let unset = a.count  // "no range open", as Redis uses alen
        var aStart = unset, aEnd = 0, bStart = 0, bEnd = 0
        while i > 0 && j > 0 {
            var emit = false
            if a[i - 1] == b[j - 1] {
                result[remaining - 1] = a[i - 1]
                if aStart == unset {
                    aStart = i - 1
                    aEnd = i - 1
                    bStart = j - 1
                    bEnd = j - 1
                } else if aStart == i && bStart == j {
                    aStart -= 1
                    bStart -= 1
                } else {
                    emit = true
                }
                if aStart == 0 || bStart == 0 { emit = true }
                remaining -= 1
                i -= 1
                j -= 1
            } else {
                if table[(i - 1) * width + j] > table[i * width + j - 1] { i -= 1 } else { j -= 1 }
                if aStart != unset { emit = true }
            }
            if emit {
                let matchLength = aEnd - aStart + 1
                if minimumMatch == 0 || matchLength >= Int(minimumMatch) {
                    ranges.append(((aStart, aEnd), (bStart, bEnd), matchLength))
                }
                aStart = unset
            }
        }
        guard wantIndexes else {
            cmd.reply.bulk(result)
            return
        }
        cmd.reply.mapHeader(2)
        cmd.reply.bulk("matches")
        cmd.reply.arrayHeader(ranges.count)
        for range in ranges {
            cmd.reply.arrayHeader(withMatchLength ? 3 : 2)
            cmd.reply.arrayHeader(2)
            cmd.reply.integer(range.a.0)
            cmd.reply.integer(range.a.1)
            cmd.reply.arrayHeader(2)
            cmd.reply.integer(range.b.0)
            cmd.reply.integer(range.b.1)
            if withMatchLength { cmd.reply.integer(range.length) }
        }
        cmd.reply.bulk("len")
        cmd.reply.integer(total)
    }
}
