// A reply as a value tree: what the client library returns, what tests compare,
// and how generated metadata (COMMAND DOCS) is stored. The server's hot path
// never builds these; it writes through ReplyWriter directly.

/// One RESP2 or RESP3 value.
public indirect enum RESPValue: Sendable, Hashable {
    case simpleString(String)
    case error(String)
    case integer(Int64)
    case bulkString([UInt8])
    /// RESP2 `$-1`.
    case nullBulkString
    /// RESP2 `*-1`.
    case nullArray
    /// RESP3 `_`.
    case null
    case array([RESPValue])
    case map([RESPPair])
    case set([RESPValue])
    case double(Double)
    case boolean(Bool)
    case bigNumber(String)
    case verbatim(format: String, text: [UInt8])
    case push([RESPValue])
    /// RESP3 attributes (`|`) and the value they annotate.
    case attributed([RESPPair], RESPValue)

    /// A bulk string from text.
    public static func bulk(_ text: String) -> RESPValue { .bulkString(Array(text.utf8)) }

    /// True for every kind of null.
    public var isNull: Bool {
        switch self {
        case .null, .nullArray, .nullBulkString: return true
        default: return false
        }
    }

    /// The text of a simple, bulk or verbatim string, or of an error.
    public var string: String? {
        switch self {
        case .simpleString(let text), .error(let text), .bigNumber(let text): return text
        case .bulkString(let bytes), .verbatim(_, let bytes): return String(decoding: bytes, as: UTF8.self)
        case .attributed(_, let value): return value.string
        default: return nil
        }
    }

    /// The integer of an integer reply, or of a string holding one.
    public var int: Int64? {
        switch self {
        case .integer(let value): return value
        case .bulkString(let bytes): return parseRedisInteger(bytes)
        case .simpleString(let text): return parseRedisInteger(Array(text.utf8))
        default: return nil
        }
    }

    /// The elements of an array, set or push; a map's keys and values interleaved.
    public var elements: [RESPValue]? {
        switch self {
        case .array(let values), .set(let values), .push(let values): return values
        case .map(let pairs): return pairs.flatMap { [$0.key, $0.value] }
        default: return nil
        }
    }
}

/// A key and value of a RESP3 map or attribute.
public struct RESPPair: Sendable, Hashable {
    public var key: RESPValue
    public var value: RESPValue

    public init(_ key: RESPValue, _ value: RESPValue) {
        self.key = key
        self.value = value
    }
}

extension ReplyWriter {
    /// Writes a value tree, lowering RESP3 types for RESP2 sessions.
    public mutating func value(_ value: RESPValue) {
        switch value {
        case .simpleString(let text): simpleString(text)
        case .error(let text): error(text)
        case .integer(let number): integer(number)
        case .bulkString(let bytes): bulk(bytes)
        case .nullBulkString: raw("$-1\r\n")
        case .nullArray: nullArray()
        case .null: null()
        case .array(let values):
            arrayHeader(values.count)
            for element in values { self.value(element) }
        case .map(let pairs):
            mapHeader(pairs.count)
            for pair in pairs {
                self.value(pair.key)
                self.value(pair.value)
            }
        case .set(let values):
            setHeader(values.count)
            for element in values { self.value(element) }
        case .double(let number): double(number)
        case .boolean(let flag): bool(flag)
        case .bigNumber(let digits): bigNumber(digits)
        case .verbatim(_, let text):
            // The format is kept only by RESP3; txt is what Redis sends.
            if version == .resp3 {
                verbatim(String(decoding: text, as: UTF8.self))
            } else {
                bulk(text)
            }
        case .push(let values):
            pushHeader(values.count)
            for element in values { self.value(element) }
        case .attributed(let pairs, let annotated):
            if version == .resp3 {
                attributeHeader(pairs.count)
                for pair in pairs {
                    self.value(pair.key)
                    self.value(pair.value)
                }
            }
            self.value(annotated)
        }
    }
}
