// Parses replies from the bytes a server sends, incrementally: bytes are appended with
// `feed` and `next` returns each complete top-level reply. The state between calls is a
// stack of open aggregates, so a huge reply arriving in many reads is parsed once (no
// restart from its first byte). It accepts what hiredis 1.0 (redis-cli 7.0.15's reader)
// accepts and fails with hiredis's error texts, which redis-cli prints as
// "Error: <text>": an attribute (`|`) is "Protocol error, got "|" as reply type byte".
import RedstartRESP
import Glibc

/// A reply the reader cannot accept; `message` is hiredis's text.
struct CLIProtocolError: Error {
    var message: String
}

struct CLIReplyReader {
    private var buffer: [UInt8] = []
    private var position = 0
    /// Open aggregates, outermost first: their kind, elements so far and how many in all.
    private var stack: [(kind: CLIReply.Aggregate, elements: [CLIReply], expected: Int)] = []

    /// Appends bytes read from the server.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        } else if position > 65536 && position * 2 > buffer.count {
            buffer.removeFirst(position)
            position = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The bytes fed but not parsed yet; the reader is left empty.
    mutating func takeBufferedBytes() -> [UInt8] {
        defer {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        }
        return Array(buffer[position...])
    }

    /// The next complete reply, or nil until more bytes arrive.
    mutating func next() throws(CLIProtocolError) -> CLIReply? {
        while true {
            guard let item = try readItem() else { return nil }
            var value: CLIReply
            switch item {
            case .open(let kind, let count):
                stack.append((kind, [], count))
                stack[stack.count - 1].elements.reserveCapacity(min(count, 4096))
                continue
            case .value(let complete):
                value = complete
            }
            // Attach to the open aggregates, closing each one that is now full.
            while !stack.isEmpty {
                stack[stack.count - 1].elements.append(value)
                guard stack[stack.count - 1].elements.count == stack[stack.count - 1].expected else { break }
                let done = stack.removeLast()
                value = .aggregate(done.kind, done.elements)
                if stack.isEmpty { return value }
            }
            if stack.isEmpty { return value }
        }
    }

    private enum Item {
        case value(CLIReply)
        case open(CLIReply.Aggregate, Int)
    }

    /// One value or aggregate header at `position`; nil (position unchanged) if incomplete.
    private mutating func readItem() throws(CLIProtocolError) -> Item? {
        guard position < buffer.count else { return nil }
        let type = buffer[position]
        guard let lineEnd = findCRLF(from: position + 1) else {
            // hiredis judges the type byte as soon as it has it.
            if !Self.knownTypes.contains(type) { throw Self.badTypeByte(type) }
            return nil
        }
        let line = buffer[(position + 1)..<lineEnd]
        let next = lineEnd + 2
        switch type {
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            if line.contains(0x0D) || line.contains(0x0A) {
                throw CLIProtocolError(message: "Bad simple string value")
            }
            position = next
            return .value(type == UInt8(ascii: "+") ? .status(Array(line)) : .error(Array(line)))
        case UInt8(ascii: ":"):
            guard let value = Self.parseInteger(line) else { throw CLIProtocolError(message: "Bad integer value") }
            position = next
            return .value(.integer(value))
        case UInt8(ascii: ","):
            try Self.checkDouble(line)
            position = next
            return .value(.double(Array(line)))
        case UInt8(ascii: "_"):
            guard line.isEmpty else { throw CLIProtocolError(message: "Bad nil value") }
            position = next
            return .value(.null)
        case UInt8(ascii: "#"):
            guard line.count == 1, let flag = line.first, "tTfF".utf8.contains(flag) else {
                throw CLIProtocolError(message: "Bad bool value")
            }
            position = next
            return .value(.boolean(flag == UInt8(ascii: "t") || flag == UInt8(ascii: "T")))
        case UInt8(ascii: "("):
            for (offset, byte) in line.enumerated() where !(offset == 0 && byte == UInt8(ascii: "-")) {
                guard byte >= 0x30 && byte <= 0x39 else { throw CLIProtocolError(message: "Bad bignum value") }
            }
            position = next
            return .value(.bigNumber(Array(line)))
        case UInt8(ascii: "$"), UInt8(ascii: "="):
            guard let length = Self.parseInteger(line) else {
                throw CLIProtocolError(message: "Bad bulk string length")
            }
            guard length >= -1 else { throw CLIProtocolError(message: "Bulk string length out of range") }
            if length == -1 {
                position = next
                return .value(.null)
            }
            let bodyEnd = next + Int(length)
            guard buffer.count >= bodyEnd + 2 else { return nil }
            let body = buffer[next..<bodyEnd]
            position = bodyEnd + 2
            if type == UInt8(ascii: "$") { return .value(.string(Array(body))) }
            guard body.count >= 4, body[next + 3] == UInt8(ascii: ":") else {
                throw CLIProtocolError(
                    message: "Verbatim string 4 bytes of content type are missing or incorrectly encoded.")
            }
            return .value(.verbatim(Array(body.dropFirst(4))))
        case UInt8(ascii: "*"), UInt8(ascii: "%"), UInt8(ascii: "~"), UInt8(ascii: ">"):
            guard let count = Self.parseInteger(line) else {
                throw CLIProtocolError(message: "Bad multi-bulk length")
            }
            guard count >= -1 && count <= Int64(UInt32.max) else {
                throw CLIProtocolError(message: "Multi-bulk length out of range")
            }
            position = next
            let kind: CLIReply.Aggregate =
                switch type {
                case UInt8(ascii: "%"): .map
                case UInt8(ascii: "~"): .set
                case UInt8(ascii: ">"): .push
                default: .array
                }
            if count == -1 { return .value(.null) }
            let elements = Int(count) * (kind == .map ? 2 : 1)
            return elements == 0 ? .value(.aggregate(kind, [])) : .open(kind, elements)
        default:
            throw Self.badTypeByte(type)
        }
    }

    private static let knownTypes = Set("+-:,_#($=*%~>".utf8)

    private func findCRLF(from start: Int) -> Int? {
        var index = start
        while index + 1 < buffer.count {
            if buffer[index] == 0x0D && buffer[index + 1] == 0x0A { return index }
            index += 1
        }
        return nil
    }

    /// hiredis's string2ll: an optional '-', digits, no leading zeros, in range.
    static func parseInteger(_ text: ArraySlice<UInt8>) -> Int64? {
        guard !text.isEmpty, text.count <= 20 else { return nil }
        if text.count == 1 && text.first == UInt8(ascii: "0") { return 0 }
        var digits = text[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        guard let first = digits.first, first >= 0x31 && first <= 0x39 else { return nil }
        var magnitude: UInt64 = 0
        for byte in digits {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            let (times, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(byte - 0x30))
            guard !overflow1 && !overflow2 else { return nil }
            magnitude = sum
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// hiredis accepts `inf`/`-inf` (any case) and what strtod reads whole as a finite number.
    private static func checkDouble(_ text: ArraySlice<UInt8>) throws(CLIProtocolError) {
        guard text.count < 326 else { throw CLIProtocolError(message: "Double value is too large") }
        let string = String(decoding: text, as: UTF8.self)
        let lower = string.lowercased()
        if (text.count == 3 && lower == "inf") || (text.count == 4 && lower == "-inf") { return }
        var bytes = Array(text)
        bytes.append(0)
        let valid = bytes.withUnsafeBufferPointer { pointer -> Bool in
            pointer.withMemoryRebound(to: CChar.self) { chars in
                var end: UnsafeMutablePointer<CChar>?
                let value = strtod(chars.baseAddress!, &end)
                return !text.isEmpty && end == UnsafeMutablePointer(mutating: chars.baseAddress! + text.count)
                    && value.isFinite
            }
        }
        guard valid else { throw CLIProtocolError(message: "Bad double value") }
    }

    private static func badTypeByte(_ byte: UInt8) -> CLIProtocolError {
        var shown: [UInt8] = [UInt8(ascii: "\"")]
        appendCharacterRepr(byte, to: &shown)
        shown.append(UInt8(ascii: "\""))
        return CLIProtocolError(
            message: "Protocol error, got \(String(decoding: shown, as: UTF8.self)) as reply type byte")
    }
}
