// The options XADD and XTRIM share (Redis's streamParseAddOrTrimArgsOrReply):
// a trimming strategy (MAXLEN or MINID, exact `=` or approximate `~`), LIMIT,
// and for XADD NOMKSTREAM and the ID. Approximate trimming removes whole nodes
// only, at most LIMIT entries (by default 100 nodes' worth); since what it
// removes depends on node boundaries, it propagates as an exact trim to the
// length (or first ID) it left.
import RedstartRESP

extension StreamFamily {
    struct TrimOptions {
        var strategy: StreamValue.TrimStrategy?
        /// Argument index of the threshold (the `=`/`~` is just before it when given).
        var thresholdIndex = 0
        var approximate = false
        /// Entries an approximate trim may remove (0: no limit).
        var limit = 0
        var noMakeStream = false
        /// XADD's ID argument index, its ID (nil for `*`) and whether it had a sequence.
        var idIndex = 0
        var id: StreamID?
        var hasSequence = true

        init(_ cmd: CommandContext, isXAdd: Bool) throws(ReplyError) {
            let args = cmd.args
            var limitGiven = false
            var index = 2
            while index < args.count {
                let more = args.count - 1 - index
                if isXAdd && args.withBytes(at: index, { $0.count == 1 && $0[0] == UInt8(ascii: "*") }) {
                    break
                } else if more > 0 && (args.isEqual(at: index, toLowercase: "maxlen") || args.isEqual(at: index, toLowercase: "minid")) {
                    let isMaxLength = args.isEqual(at: index, toLowercase: "maxlen")
                    if strategy != nil {
                        throw ReplyError("syntax error, MAXLEN and MINID options at the same time are not compatible")
                    }
                    approximate = false
                    if more >= 2 {
                        let marker = args.withBytes(at: index + 1) { $0.count == 1 ? $0[0] : 0 }
                        if marker == UInt8(ascii: "~") {
                            approximate = true
                            index += 1
                        } else if marker == UInt8(ascii: "=") {
                            index += 1
                        }
                    }
                    if isMaxLength {
                        let maximum = try cmd.integer(index + 1)
                        guard maximum >= 0 else { throw ReplyError("The MAXLEN argument must be >= 0.") }
                        strategy = .maxLength(Int(clamping: maximum))
                    } else {
                        strategy = .minimumID(try StreamFamily.parseID(cmd, index + 1))
                    }
                    index += 1
                    thresholdIndex = index
                } else if more > 0 && args.isEqual(at: index, toLowercase: "limit") {
                    let given = try cmd.integer(index + 1)
                    guard given >= 0 else { throw ReplyError("The LIMIT argument must be >= 0.") }
                    limit = Int(clamping: given)
                    limitGiven = true
                    index += 1
                } else if isXAdd && args.isEqual(at: index, toLowercase: "nomkstream") {
                    noMakeStream = true
                } else if isXAdd {
                    let parsed = try cmd.withArgument(index) { (raw) throws(ReplyError) in
                        try StreamID.parse(raw, strict: true, allowsAutoSequence: true)
                    }
                    id = parsed.id
                    hasSequence = parsed.hasSequence
                    break
                } else {
                    throw .syntax
                }
                index += 1
            }
            idIndex = index
            if limit != 0 && strategy == nil {
                throw ReplyError("syntax error, LIMIT cannot be used without specifying a trimming strategy")
            }
            if !isXAdd && strategy == nil {
                throw ReplyError("syntax error, XTRIM must be called with a trimming strategy")
            }
            if cmd.session.mustObey {
                // Its trim was made exact where it first ran (MAXLEN = what was left, LIMIT
                // kept as written): applied whole.
                limit = 0
            } else if limitGiven {
                guard approximate else { throw ReplyError("syntax error, LIMIT cannot be used without the special ~ option") }
            } else if approximate {
                let nodes = 100 * cmd.engine.streamNodeMaxEntries
                limit = nodes <= 0 ? 10_000 : min(nodes, 1_000_000)
            } else {
                limit = 0
            }
        }

        /// The command as it propagates: the ID it made in place of `*` or `<ms>-*`, and an
        /// approximate trim as an exact one to what is left (Redis's streamRewriteTrimArgument).
        func propagatedArguments(_ cmd: CommandContext, stream: StreamValue, id: [UInt8]?) -> [[UInt8]] {
            var arguments = (0..<cmd.args.count).map { cmd.args.bytes(at: $0) }
            if approximate, let strategy {
                arguments[thresholdIndex - 1] = [UInt8(ascii: "=")]
                switch strategy {
                case .maxLength: arguments[thresholdIndex] = Array(String(stream.length).utf8)
                case .minimumID: arguments[thresholdIndex] = stream.firstStoredID.bytes
                }
            }
            if let id, self.id == nil || !hasSequence { arguments[idIndex] = id }
            return arguments
        }
    }
}
