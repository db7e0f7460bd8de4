// DEBUG subcommands that show internals or exercise the protocol: PROTOCOL (one
// reply of each RESP3 type, as client libraries' tests ask for), HTSTATS (the
// key table's chains, in Redis's dictGetStats text), STRINGMATCH-TEST (a
// crash fuzz of the glob matcher), REPLYBUFFER (the reply buffers' peak and
// idle release).
#if canImport(Glibc)
import Glibc
#endif
import RedstartRESP

/// DEBUG PROTOCOL's sample replies.
enum DebugProtocol {
    static let typeNames = "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"

    static func reply(_ cmd: CommandContext, type: String) throws(ReplyError) {
        switch type {
        case "string": cmd.reply.bulk("Hello World")
        case "integer": cmd.reply.integer(12345)
        case "double": cmd.reply.double(3.141)
        case "bignum": cmd.reply.bigNumber("1234567999999999999999999999999999999")
        case "null": cmd.reply.null()
        case "array":
            cmd.reply.arrayHeader(3)
            for value in 0..<3 { cmd.reply.integer(value) }
        case "set":
            cmd.reply.setHeader(3)
            for value in 0..<3 { cmd.reply.integer(value) }
        case "map":
            cmd.reply.mapHeader(3)
            for value in 0..<3 {
                cmd.reply.integer(value)
                cmd.reply.bool(value == 1)
            }
        case "attrib":
            if cmd.session.protocolVersion == .resp3 {
                cmd.reply.attributeHeader(1)
                cmd.reply.bulk("key-popularity")
                cmd.reply.arrayHeader(2)
                cmd.reply.bulk("key:123")
                cmd.reply.integer(90)
            }
            cmd.reply.bulk("Some real reply following the attribute")
        case "push":
            guard cmd.session.protocolVersion == .resp3 else {
                throw ReplyError("RESP2 is not supported by this command")
            }
            cmd.reply.pushHeader(2)
            cmd.reply.bulk("server-cpu-usage")
            cmd.reply.integer(42)
            cmd.reply.bulk("Some real reply following the push reply")
        case "true": cmd.reply.bool(true)
        case "false": cmd.reply.bool(false)
        case "verbatim": cmd.reply.verbatim("This is a verbatim\nstring")
        default:
            throw ReplyError("Wrong protocol type name. Please use one of the following: \(typeNames)")
        }
    }
}

extension DebugFamily {
    /// C's atoi of argument `index`: leading blanks, a sign, digits up to the first other
    /// byte; 0 when there are none (DEBUG's switches read their argument so).
    static func atoiLike(_ cmd: CommandContext, _ index: Int) -> Int {
        cmd.args.withBytes(at: index) { bytes in
            var position = 0
            while position < bytes.count && (bytes[position] == 32 || (bytes[position] >= 9 && bytes[position] <= 13)) {
                position += 1
            }
            var negative = false
            if position < bytes.count && (bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+")) {
                negative = bytes[position] == UInt8(ascii: "-")
                position += 1
            }
            var value = 0
            while position < bytes.count, bytes[position] >= 48, bytes[position] <= 57 {
                value = value &* 10 &+ Int(bytes[position] - 48)
                position += 1
            }
            return negative ? -value : value
        }
    }

    /// REPLYBUFFER PEAK-RESET-TIME <never|reset|ms> | RESIZING <0|1>.
    static func replyBuffer(_ cmd: CommandContext) throws(ReplyError) {
        if cmd.argument(2, is: "peak-reset-time") {
            if cmd.argument(3, is: "never") {
                cmd.engine.replyBufferPeakResetTime = -1
            } else if cmd.argument(3, is: "reset") {
                cmd.engine.replyBufferPeakResetTime = Engine.defaultReplyBufferPeakResetTime
            } else {
                cmd.engine.replyBufferPeakResetTime = Int(try cmd.integer(3))
            }
        } else if cmd.argument(2, is: "resizing") {
            cmd.engine.replyBufferResizing = atoiLike(cmd, 3) != 0
        } else {
            throw cmd.subcommandSyntaxError()
        }
        cmd.reply.ok()
    }

    /// DEBUG HTSTATS dbid → verbatim text: the key table's bucket chains (and the table being
    /// rehashed into), then the keys with an expiry, which Redstart keeps in an array.
    static func htstats(_ cmd: CommandContext) throws(ReplyError) {
        let id = try cmd.integer(2)
        guard id >= 0 && id < cmd.engine.databases.count else { throw ReplyError("Out of range database") }
        let db = cmd.engine.databases[Int(id)]
        var text = "[Dictionary HT]\n"
        text += chainStatistics(db.table, rehashTarget: false)
        if db.table.isRehashing { text += chainStatistics(db.table, rehashTarget: true) }
        text += "[Expires HT]\n"
        if db.expiresCount == 0 {
            text += "Hash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n"
        } else {
            text += "Keys with an expiry: \(db.expiresCount) (kept in an array beside the key table)\n"
        }
        cmd.reply.verbatim(text)
    }

    /// Redis's dictGetStats text for one bucket array of a key table.
    private static func chainStatistics(_ table: KeyTable, rehashTarget: Bool) -> String {
        let title = rehashTarget ? "Hash table 1 stats (rehashing target):\n" : "Hash table 0 stats (main hash table):\n"
        guard let buckets = rehashTarget ? table.target : table.main else {
            return title + "No stats available for empty dictionaries\n"
        }
        var lengths = [Int](repeating: 0, count: 50)
        var slots = 0
        var longest = 0
        var elements = 0
        for bucket in 0..<buckets.size {
            var length = 0
            var index = buckets[bucket]
            while index >= 0 {
                length += 1
                index = table.entry(index).pointee.next
            }
            lengths[min(length, 49)] += 1
            if length > 0 { slots += 1 }
            longest = max(longest, length)
            elements += length
        }
        if elements == 0 { return title + "No stats available for empty dictionaries\n" }
        let average = formatWithC("%.02f", Double(Float(elements) / Float(slots)))
        var text = title
        text += " table size: \(buckets.size)\n number of elements: \(elements)\n different slots: \(slots)\n"
        text += " max chain length: \(longest)\n avg chain length (counted): \(average)\n"
        text += " avg chain length (computed): \(average)\n Chain length distribution:\n"
        for (length, count) in lengths.enumerated().dropLast() where count > 0 {
            let percent = formatWithC("%.02f", Double(Float(count) / Float(buckets.size) * 100))
            text += "   \(length): \(count) (\(percent)%)\n"
        }
        return text
    }

    /// DEBUG STRINGMATCH-TEST: ten million random patterns against random strings (bytes
    /// below 128, up to 31 long), to show the matcher survives anything.
    static func stringMatchFuzz() {
        var random = FastRandom()
        var pattern = [UInt8](repeating: 0, count: 32)
        var string = [UInt8](repeating: 0, count: 32)
        var matches = 0
        for _ in 0..<10_000_000 {
            let stringLength = Int(random.next() % 32)
            let patternLength = Int(random.next() % 32)
            for j in 0..<stringLength { string[j] = UInt8(random.next() % 128) }
            for j in 0..<patternLength { pattern[j] = UInt8(random.next() % 128) }
            let found = pattern.withUnsafeBytes { p in
                string.withUnsafeBytes { s in
                    globMatch(
                        pattern: UnsafeRawBufferPointer(rebasing: p[0..<patternLength]),
                        string: UnsafeRawBufferPointer(rebasing: s[0..<stringLength]))
                }
            }
            if found { matches += 1 }
        }
        _ = matches
    }
}
