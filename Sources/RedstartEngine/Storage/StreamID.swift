// Stream entry IDs: <milliseconds>-<sequence>, two unsigned 64-bit numbers ordered
// as one 128-bit number. Parsing follows Redis's streamGenericParseIDOrReply,
// quirks included: `-` and `+` are the smallest and largest IDs, a missing
// sequence takes a default that depends on the command, numbers go through
// string2ull (so "+5" and " 5" are accepted as strtoull accepts them), and the
// argument is read as a C string of at most 127 bytes.

import RedstartRESP

/// A stream entry ID.
public struct StreamID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var ms: UInt64
    public var seq: UInt64

    public init(ms: UInt64, seq: UInt64) {
        self.ms = ms
        self.seq = seq
    }

    public static let zero = StreamID(ms: 0, seq: 0)
    public static let max = StreamID(ms: .max, seq: .max)

    public static func < (lhs: StreamID, rhs: StreamID) -> Bool {
        lhs.ms != rhs.ms ? lhs.ms < rhs.ms : lhs.seq < rhs.seq
    }

    /// `<ms>-<seq>`.
    public var description: String { "\(ms)-\(seq)" }

    /// The bytes of `description`.
    public var bytes: [UInt8] { withBytes { Array($0) } }

    /// Calls `body` with the bytes of `description`, formatted without allocating.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 41) { buffer in
            var end = 41
            func write(_ number: UInt64) {
                var value = number
                repeat {
                    end -= 1
                    buffer[end] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                } while value > 0
            }
            write(seq)
            end -= 1
            buffer[end] = UInt8(ascii: "-")
            write(ms)
            return body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[end..<41]))
        }
    }

    /// The next ID, or nil past the last possible one (Redis's streamIncrID).
    public var next: StreamID? {
        if seq < .max { return StreamID(ms: ms, seq: seq + 1) }
        if ms < .max { return StreamID(ms: ms + 1, seq: 0) }
        return nil
    }

    /// The previous ID, or nil before 0-0 (Redis's streamDecrID).
    public var previous: StreamID? {
        if seq > 0 { return StreamID(ms: ms, seq: seq - 1) }
        if ms > 0 { return StreamID(ms: ms - 1, seq: .max) }
        return nil
    }

    /// The 16 big-endian bytes Redis uses as the ID's radix-tree key (and in RDB files).
    public var keyBytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            out[index] = UInt8(truncatingIfNeeded: ms >> UInt64(56 - index * 8))
            out[8 + index] = UInt8(truncatingIfNeeded: seq >> UInt64(56 - index * 8))
        }
        return out
    }

    /// The ID encoded by `keyBytes` (16 bytes at the start of `raw`).
    public init(keyBytes raw: UnsafeRawBufferPointer) {
        precondition(raw.count >= 16)
        self.init(
            ms: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            seq: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    }
}

/// What parsing a stream ID argument gave.
public struct ParsedStreamID {
    public var id: StreamID
    /// False for the `<ms>-*` form (XADD fills the sequence in).
    public var hasSequence: Bool
}

extension StreamID {
    /// The error every malformed ID argument gets.
    public static let invalidError = ReplyError("Invalid stream ID specified as stream command argument")

    /// Parses an ID argument. `missingSequence` is the sequence of an ID given as `<ms>`
    /// alone; `strict` refuses `-` and `+`; `allowsAutoSequence` accepts `<ms>-*` (XADD).
    public static func parse(
        _ raw: UnsafeRawBufferPointer, missingSequence: UInt64 = 0, strict: Bool = false,
        allowsAutoSequence: Bool = false
    ) throws(ReplyError) -> ParsedStreamID {
        guard raw.count <= 127 else { throw invalidError }
        // Redis copies the argument into a C string: it ends at the first NUL.
        let text = UnsafeRawBufferPointer(rebasing: raw[..<(raw.firstIndex(of: 0) ?? raw.count)])
        if text.count == 1 && (text[0] == UInt8(ascii: "-") || text[0] == UInt8(ascii: "+")) {
            if strict { throw invalidError }
            return ParsedStreamID(id: text[0] == UInt8(ascii: "-") ? .zero : .max, hasSequence: true)
        }
        let dash = text.firstIndex(of: UInt8(ascii: "-"))
        guard let ms = parseUnsigned(UnsafeRawBufferPointer(rebasing: text[..<(dash ?? text.count)])) else {
            throw invalidError
        }
        guard let dash else { return ParsedStreamID(id: StreamID(ms: ms, seq: missingSequence), hasSequence: true) }
        let rest = UnsafeRawBufferPointer(rebasing: text[(dash + 1)...])
        if allowsAutoSequence && rest.count == 1 && rest[0] == UInt8(ascii: "*") {
            return ParsedStreamID(id: StreamID(ms: ms, seq: 0), hasSequence: false)
        }
        guard let seq = parseUnsigned(rest) else { throw invalidError }
        return ParsedStreamID(id: StreamID(ms: ms, seq: seq), hasSequence: true)
    }

    /// Redis's string2ull: a strict integer that is not negative, or else what strtoull
    /// accepts in full (leading white space, a sign, digits; a minus sign negates modulo
    /// 2^64); nil on overflow or anything left over.
    static func parseUnsigned(_ text: UnsafeRawBufferPointer) -> UInt64? {
        if let strict = parseRedisInteger(text) { return strict < 0 ? nil : UInt64(strict) }
        var index = 0
        while index < text.count, [9, 10, 11, 12, 13, 32].contains(text[index]) { index += 1 }
        var negative = false
        if index < text.count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") {
            negative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        guard index < text.count else { return nil }
        var value: UInt64 = 0
        while index < text.count {
            let digit = text[index] &- UInt8(ascii: "0")
            guard digit <= 9 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            if overflow1 || overflow2 { return nil }
            value = sum
            index += 1
        }
        return negative ? 0 &- value : value
    }
}
