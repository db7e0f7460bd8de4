// What a reply can be decoded into: the typed methods' return types. Decoding is
// lenient where Redis's own replies vary between RESP2 and RESP3 (a map is a
// flat array in RESP2, a boolean an integer, a double a bulk string), so a typed
// method returns the same Swift value whichever protocol the connection speaks.
// Error replies never get here: the executor throws them as RedisServerError.
import RedstartRESP

/// A Swift value that a reply can be decoded into.
public protocol RESPDecodable: Sendable {
    /// Decodes `value`, or throws `RedstartClientError.unexpectedReply`.
    init(fromRESP value: RESPValue) throws
}

extension RESPValue: RESPDecodable {
    public init(fromRESP value: RESPValue) throws { self = value }

    /// This reply decoded as `type`.
    public func decoded<T: RESPDecodable>(as type: T.Type = T.self) throws -> T {
        try T(fromRESP: self)
    }

    /// The value without RESP3 attributes.
    var unattributed: RESPValue {
        if case .attributed(_, let inner) = self { return inner.unattributed }
        return self
    }
}

extension String: RESPDecodable {
    public init(fromRESP value: RESPValue) throws {
        switch value.unattributed {
        case .simpleString(let text), .bigNumber(let text): self = text
        case .bulkString(let bytes), .verbatim(_, let bytes): self = String(decoding: bytes, as: UTF8.self)
        case .integer(let number): self = String(number)
        case .double(let number): self = String(number)
        default: throw RedstartClientError.unexpectedReply(value, expected: "a string")
        }
    }
}

extension RedisBytes: RESPDecodable {
    public init(fromRESP value: RESPValue) throws {
        switch value.unattributed {
        case .bulkString(let bytes), .verbatim(_, let bytes): self.init(bytes)
        case .simpleString(let text): self.init(text)
        case .integer(let number): self.init(String(number))
        default: throw RedstartClientError.unexpectedReply(value, expected: "a string")
        }
    }
}

extension Int: RESPDecodable {
    public init(fromRESP value: RESPValue) throws {
        switch value.unattributed {
        case .integer(let number): self = Int(number)
        case .boolean(let flag): self = flag ? 1 : 0
        case let other:
            guard let number = other.int else { throw RedstartClientError.unexpectedReply(value, expected: "an integer") }
            self = Int(number)
        }
    }
}

extension Double: RESPDecodable {
    public init(fromRESP value: RESPValue) throws {
        switch value.unattributed {
        case .double(let number): self = number
        case .integer(let number): self = Double(number)
        case .bulkString(let bytes), .verbatim(_, let bytes):
            guard let number = Self.parseRedisDouble(String(decoding: bytes, as: UTF8.self)) else {
                throw RedstartClientError.unexpectedReply(value, expected: "a double")
            }
            self = number
        case .simpleString(let text):
            guard let number = Self.parseRedisDouble(text) else {
                throw RedstartClientError.unexpectedReply(value, expected: "a double")
            }
            self = number
        default: throw RedstartClientError.unexpectedReply(value, expected: "a double")
        }
    }

    /// Redis's spellings: "inf", "+inf", "-inf" and numbers.
    static func parseRedisDouble(_ text: String) -> Double? {
        switch text.lowercased() {
        case "inf", "+inf", "infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: return Double(text)
        }
    }
}

extension Bool: RESPDecodable {
    /// Booleans, integer 0/1, and +OK (true).
    public init(fromRESP value: RESPValue) throws {
        switch value.unattributed {
        case .boolean(let flag): self = flag
        case .integer(let number): self = number != 0
        case .simpleString(let text) where text == "OK": self = true
        case .null, .nullBulkString, .nullArray: self = false
        default: throw RedstartClientError.unexpectedReply(value, expected: "a boolean")
        }
    }
}

extension Optional: RESPDecodable where Wrapped: RESPDecodable {
    /// nil for any null.
    public init(fromRESP value: RESPValue) throws {
        if value.unattributed.isNull {
            self = nil
        } else {
            self = try Wrapped(fromRESP: value)
        }
    }
}

extension Array: RESPDecodable where Element: RESPDecodable {
    /// Arrays, sets and pushes element by element; a map as its keys and values interleaved; null as empty.
    public init(fromRESP value: RESPValue) throws {
        let plain = value.unattributed
        if plain.isNull {
            self = []
            return
        }
        guard let elements = plain.elements else { throw RedstartClientError.unexpectedReply(value, expected: "an array") }
        self = try elements.map { try Element(fromRESP: $0) }
    }
}

extension Dictionary: RESPDecodable where Key: RESPDecodable, Value: RESPDecodable {
    /// A RESP3 map, or a RESP2 flat array of keys and values.
    public init(fromRESP value: RESPValue) throws {
        self = [:]
        switch value.unattributed {
        case .map(let pairs):
            for pair in pairs { self[try Key(fromRESP: pair.key)] = try Value(fromRESP: pair.value) }
        case .array(let elements) where elements.count % 2 == 0:
            var index = 0
            while index < elements.count {
                self[try Key(fromRESP: elements[index])] = try Value(fromRESP: elements[index + 1])
                index += 2
            }
        case .null, .nullArray: return
        default: throw RedstartClientError.unexpectedReply(value, expected: "a map")
        }
    }
}

/// The `+OK` of commands that only acknowledge.
public struct RedisOK: RESPDecodable, Hashable {
    public init() {}
    public init(fromRESP value: RESPValue) throws {
        guard case .simpleString = value.unattributed else {
            throw RedstartClientError.unexpectedReply(value, expected: "+OK")
        }
    }
}
