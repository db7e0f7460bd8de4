// Parses replies (any RESP2/RESP3 type) into RESPValue: used by the client
// library and by tests. A value split across reads is parsed again from its
// start once more bytes have arrived; replies are small next to requests.
import NIOCore

/// A reply the parser cannot understand.
public struct RESPParseError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Parses RESP values from a byte stream.
public struct RESPValueParser: Sendable {
    /// Deepest nesting accepted (guards against hostile input).
    public var maxDepth = 256

    public init() {}

    /// Parses one value from `buffer` and consumes its bytes; nil when incomplete.
    public func next(from buffer: inout ByteBuffer) throws -> RESPValue? {
        var cursor = buffer.readerIndex
        guard let value = try parse(buffer, &cursor, depth: 0) else { return nil }
        buffer.moveReaderIndex(to: cursor)
        return value
    }

    private func line(_ buffer: ByteBuffer, _ cursor: inout Int) -> [UInt8]? {
        let end = buffer.writerIndex
        var index = cursor
        while index + 1 < end {
            if buffer.getInteger(at: index, as: UInt8.self) == UInt8(ascii: "\r")
                && buffer.getInteger(at: index + 1, as: UInt8.self) == UInt8(ascii: "\n")
            {
                let bytes = buffer.getBytes(at: cursor, length: index - cursor)!
                cursor = index + 2
                return bytes
            }
            index += 1
        }
        return nil
    }

    private func number(_ bytes: [UInt8]) throws -> Int64 {
        guard let value = parseRedisInteger(bytes) else {
            throw RESPParseError("bad length or integer: \(String(decoding: bytes, as: UTF8.self))")
        }
        return value
    }

    private func parse(_ buffer: ByteBuffer, _ cursor: inout Int, depth: Int) throws -> RESPValue? {
        guard depth <= maxDepth else { throw RESPParseError("nesting too deep") }
        guard cursor < buffer.writerIndex, let type = buffer.getInteger(at: cursor, as: UInt8.self) else { return nil }
        var position = cursor + 1
        guard let header = line(buffer, &position) else { return nil }
        let text = { String(decoding: header, as: UTF8.self) }
        let value: RESPValue
        switch type {
        case UInt8(ascii: "+"): value = .simpleString(text())
        case UInt8(ascii: "-"): value = .error(text())
        case UInt8(ascii: ":"): value = .integer(try number(header))
        case UInt8(ascii: "_"): value = .null
        case UInt8(ascii: "#"): value = .boolean(header == [UInt8(ascii: "t")])
        case UInt8(ascii: ","): value = .double(parseDouble(text()))
        case UInt8(ascii: "("): value = .bigNumber(text())
        case UInt8(ascii: "$"), UInt8(ascii: "="), UInt8(ascii: "!"):
            let length = try number(header)
            if length < 0 {
                value = .nullBulkString
                break
            }
            guard buffer.writerIndex - position >= Int(length) + 2 else { return nil }
            let bytes = buffer.getBytes(at: position, length: Int(length))!
            position += Int(length) + 2
            if type == UInt8(ascii: "=") {
                let format = String(decoding: bytes.prefix(3), as: UTF8.self)
                value = .verbatim(format: format, text: Array(bytes.dropFirst(4)))
            } else if type == UInt8(ascii: "!") {
                value = .error(String(decoding: bytes, as: UTF8.self))
            } else {
                value = .bulkString(bytes)
            }
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"):
            let count = try number(header)
            if count < 0 {
                value = .nullArray
                break
            }
            var elements: [RESPValue] = []
            elements.reserveCapacity(Int(min(count, 1024)))
            for _ in 0..<count {
                guard let element = try parse(buffer, &position, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            value = type == UInt8(ascii: "*") ? .array(elements) : type == UInt8(ascii: "~") ? .set(elements) : .push(elements)
        case UInt8(ascii: "%"), UInt8(ascii: "|"):
            let count = try number(header)
            var pairs: [RESPPair] = []
            for _ in 0..<max(count, 0) {
                guard let key = try parse(buffer, &position, depth: depth + 1),
                    let element = try parse(buffer, &position, depth: depth + 1)
                else { return nil }
                pairs.append(RESPPair(key, element))
            }
            if type == UInt8(ascii: "|") {
                guard let annotated = try parse(buffer, &position, depth: depth + 1) else { return nil }
                value = .attributed(pairs, annotated)
            } else {
                value = .map(pairs)
            }
        default:
            throw RESPParseError("unknown reply type byte \(type)")
        }
        cursor = position
        return value
    }

    private func parseDouble(_ text: String) -> Double {
        switch text {
        case "inf": return .infinity
        case "-inf": return -.infinity
        case "nan", "-nan": return .nan
        default: return Double(text) ?? .nan
        }
    }
}
