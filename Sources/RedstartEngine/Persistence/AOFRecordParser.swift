// Reads the records of an append-only file: commands as RESP arrays of bulk
// strings (`*<n>\r\n` then n times `$<len>\r\n<bytes>\r\n`) and annotation
// lines starting with `#` (`#TS:<unix seconds>\r\n` with aof-timestamp-enabled).
// The loader and redstart-check-aof share it, so that they agree on where a
// file stops being valid: a record cut short by the end of the bytes is
// `incomplete` (a truncated file), anything else that is not a record is
// `malformed`, with redis-check-aof's wording and the offset of the read that
// failed. Line counts follow redis-check-aof's `ok_up_to_line`: one per
// `\r\n` consumed.
import RedstartRESP

/// One record of an AOF, or why there is none at a position.
public enum AOFRecord: Equatable {
    /// A command: its arguments (offsets from the start of the bytes; none for `*0`), where
    /// it ends, and the lines it took.
    case command(arguments: [ArgumentSpan], end: Int, lines: Int)
    /// A `#` line: its text without the line end, and where the next record starts.
    case annotation(text: [UInt8], end: Int)
    /// The bytes end inside the record; `lines` were consumed before. No reason when the
    /// bytes end exactly where a line should start (redis-check-aof prints none then).
    case incomplete(lines: Int, failedAt: Int, reason: String?)
    /// The bytes at `failedAt` are not what the format allows.
    case malformed(lines: Int, failedAt: Int, reason: String)
}

public enum AOFRecordParser {
    /// The record that starts at `position` of `bytes` (which must not be at the end).
    public static func record(in bytes: UnsafeRawBufferPointer, at position: Int) -> AOFRecord {
        precondition(position < bytes.count)
        if bytes[position] == UInt8(ascii: "#") {
            // An annotation cut by the end of the file still counts (Redis reads it with fgets).
            guard let newline = firstNewline(bytes, from: position) else {
                return .annotation(text: Array(bytes[(position + 1)...]), end: bytes.count)
            }
            var end = newline
            if end > position && bytes[end - 1] == 0x0D { end -= 1 }
            return .annotation(text: Array(bytes[(position + 1)..<end]), end: newline + 1)
        }
        guard bytes[position] == UInt8(ascii: "*") else {
            return .malformed(lines: 0, failedAt: position, reason: "AOF format error")
        }
        var lines = 0
        var offset = position
        let count: Int
        switch header(bytes, at: &offset, prefix: UInt8(ascii: "*"), lines: &lines) {
        case .value(let value):
            // `*0` (or less) reads as an empty command: redis-check-aof lets it pass, the
            // loader refuses it, as Redis's do.
            count = max(0, value)
        case .failure(let record):
            return record
        }
        var arguments: [ArgumentSpan] = []
        arguments.reserveCapacity(min(count, 1024))
        for _ in 0..<count {
            let start = offset
            guard start < bytes.count else {
                return .incomplete(lines: lines, failedAt: start, reason: nil)
            }
            let length: Int
            switch header(bytes, at: &offset, prefix: UInt8(ascii: "$"), lines: &lines) {
            case .value(let value):
                guard value >= 0 else {
                    return .malformed(
                        lines: lines, failedAt: start,
                        reason: "Expected to read string of \(value) bytes, which is not in the suitable range")
                }
                length = value
            case .failure(let record):
                return record
            }
            let dataStart = offset
            guard bytes.count - dataStart >= length + 2 else {
                return .incomplete(
                    lines: lines, failedAt: dataStart,
                    reason: "Expected to read \(length + 2) bytes, got \(bytes.count - dataStart) bytes")
            }
            guard bytes[dataStart + length] == 0x0D && bytes[dataStart + length + 1] == 0x0A else {
                return .malformed(
                    lines: lines, failedAt: dataStart,
                    reason: "Expected \\r\\n, got: \(hex(bytes[dataStart + length]))\(hex(bytes[dataStart + length + 1]))")
            }
            lines += 1
            arguments.append(ArgumentSpan(offset: dataStart, length: length))
            offset = dataStart + length + 2
        }
        return .command(arguments: arguments, end: offset, lines: lines)
    }

    private enum Header {
        case value(Int)
        case failure(AOFRecord)
    }

    /// Reads a `<prefix><number>\r\n` line at `offset` and moves past it.
    private static func header(_ bytes: UnsafeRawBufferPointer, at offset: inout Int, prefix: UInt8, lines: inout Int) -> Header {
        let start = offset
        guard bytes[start] == prefix else {
            return .failure(.malformed(
                lines: lines, failedAt: start,
                reason: "Expected prefix '\(Character(Unicode.Scalar(prefix)))', got: '\(Character(Unicode.Scalar(bytes[start])))'"))
        }
        var index = start + 1
        var negative = false
        if index < bytes.count && bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var value = 0
        var digits = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39, digits < 19 {
            // Saturates, as the strtol redis-check-aof reads it with does (19 digits can
            // overflow: found by fuzzing), low enough that `length + 2` cannot overflow.
            let (times, overflowed) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowedAgain) = times.addingReportingOverflow(Int(bytes[index] - 0x30))
            value = overflowed || overflowedAgain ? Int.max / 2 : min(sum, Int.max / 2)
            index += 1
            digits += 1
        }
        // The line must end here with \r\n, or the bytes end (a truncated file).
        if index == bytes.count || (bytes[index] == 0x0D && index + 1 == bytes.count) {
            // What redis-check-aof sees past the cut are the zeros that end its line buffer.
            let first = index < bytes.count ? bytes[index] : 0
            return .failure(.incomplete(lines: lines, failedAt: start, reason: "Expected \\r\\n, got: \(hex(first))00"))
        }
        guard bytes[index] == 0x0D, bytes[index + 1] == 0x0A else {
            let second = index + 1 < bytes.count ? bytes[index + 1] : 0
            return .failure(.malformed(lines: lines, failedAt: start, reason: "Expected \\r\\n, got: \(hex(bytes[index]))\(hex(second))"))
        }
        lines += 1
        offset = index + 2
        return .value(negative ? -value : value)
    }

    private static func firstNewline(_ bytes: UnsafeRawBufferPointer, from position: Int) -> Int? {
        var index = position
        while index < bytes.count {
            if bytes[index] == 0x0A { return index }
            index += 1
        }
        return nil
    }

    private static func hex(_ byte: UInt8) -> String { (byte < 16 ? "0" : "") + String(byte, radix: 16) }
}
