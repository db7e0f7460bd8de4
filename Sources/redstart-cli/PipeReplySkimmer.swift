// Finds the ends of replies in --pipe's stream without building them: the only things
// mass insertion needs from a reply are whether it is an error (its text), whether it
// is a 20-byte bulk string (the end marker's echo) and that it is complete. An
// incomplete reply stays in the buffer until the next read; nested aggregates are
// walked in place. Bytes are consumed from a buffer compacted only when more than half
// of it has been read.
import Glibc

struct PipeReplySkimmer {
    enum Reply {
        case error([UInt8])
        case bulk20([UInt8])
        case other
        /// Not RESP: redis-cli gives up with "Error reading replies from server".
        case malformed
    }

    private var buffer: [UInt8] = []
    private var start = 0

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete top-level reply, or nil until more bytes arrive.
    mutating func next() -> Reply? {
        buffer.withUnsafeBytes { raw -> Reply? in
            guard start < raw.count else { return nil }
            guard let end = Self.skip(raw, start, depth: 0) else { return nil }
            if end < 0 { return .malformed }
            defer { start = end }
            switch raw[start] {
            case UInt8(ascii: "-"):
                return .error(Array(raw[(start + 1)..<(end - 2)]))
            case UInt8(ascii: "$") where end - start == 27 && raw[start + 1] == UInt8(ascii: "2")
                && raw[start + 2] == UInt8(ascii: "0"):
                // "$20\r\n" + 20 bytes + "\r\n".
                return .bulk20(Array(raw[(start + 5)..<(start + 25)]))
            default:
                return .other
            }
        }
    }

    /// The index after the reply at `index`; nil when incomplete, -1 when malformed.
    private static func skip(_ raw: UnsafeRawBufferPointer, _ index: Int, depth: Int) -> Int? {
        guard index < raw.count else { return nil }
        guard let lineEnd = crlf(raw, from: index + 1) else { return nil }
        let afterLine = lineEnd + 2
        switch raw[index] {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "_"),
            UInt8(ascii: "#"), UInt8(ascii: "("):
            return afterLine
        case UInt8(ascii: "$"), UInt8(ascii: "="), UInt8(ascii: "!"):
            guard let length = number(raw, index + 1, lineEnd) else { return -1 }
            if length < 0 { return afterLine }
            let end = afterLine + length + 2
            return end <= raw.count ? end : nil
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "|"):
            guard depth < 1000, let count = number(raw, index + 1, lineEnd) else { return -1 }
            let isPaired = raw[index] == UInt8(ascii: "%") || raw[index] == UInt8(ascii: "|")
            var elements = max(count, 0) * (isPaired ? 2 : 1)
            if raw[index] == UInt8(ascii: "|") { elements += 1 }  // the value the attributes annotate
            var position = afterLine
            for _ in 0..<elements {
                guard let end = skip(raw, position, depth: depth + 1) else { return nil }
                if end < 0 { return -1 }
                position = end
            }
            return position
        default:
            return -1
        }
    }

    /// The index of the CR of the first CRLF at or after `from`.
    private static func crlf(_ raw: UnsafeRawBufferPointer, from: Int) -> Int? {
        var index = from
        while index < raw.count {
            guard let found = memchr(raw.baseAddress! + index, 0x0D, raw.count - index) else { return nil }
            let at = raw.baseAddress!.distance(to: UnsafeRawPointer(found))
            guard at + 1 < raw.count else { return nil }
            if raw[at + 1] == 0x0A { return at }
            index = at + 1
        }
        return nil
    }

    /// A signed decimal in raw[from..<to].
    private static func number(_ raw: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Int? {
        var index = from
        var negative = false
        if index < to && raw[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < to, to - index <= 18 else { return nil }
        var value = 0
        while index < to {
            let digit = raw[index] &- 0x30
            guard digit <= 9 else { return nil }
            value = value * 10 + Int(digit)
            index += 1
        }
        return negative ? -value : value
    }
}
