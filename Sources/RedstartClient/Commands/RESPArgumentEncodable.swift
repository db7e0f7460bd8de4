// What can be a command argument: strings, bytes, buffers, integers, doubles, and
// the generated option enums. Each appends exactly one bulk string (Optional
// appends nothing for nil, Array one per element), so a typed method's argument
// list maps one-to-one onto the words Redis documents.
import NIOCore
import RedstartRESP

/// A value that becomes command arguments.
public protocol RESPArgumentEncodable: Sendable {
    /// Appends this value's argument(s) to `command`.
    func encodeArgument(into command: inout RedisCommand)
}

extension String: RESPArgumentEncodable {
    public func encodeArgument(into command: inout RedisCommand) {
        var copy = self
        copy.withUTF8 { command.appendBulk(UnsafeRawBufferPointer($0)) }
    }
}

extension Substring: RESPArgumentEncodable {
    public func encodeArgument(into command: inout RedisCommand) { command.appendBulk(Array(utf8)) }
}

extension Array: RESPArgumentEncodable where Element: RESPArgumentEncodable {
    /// Each element as its own argument (binary data goes as `RedisBytes` or `ByteBuffer`).
    public func encodeArgument(into command: inout RedisCommand) {
        for element in self { element.encodeArgument(into: &command) }
    }
}

extension ByteBuffer: RESPArgumentEncodable {
    public func encodeArgument(into command: inout RedisCommand) { command.appendBulk(self) }
}

extension Int: RESPArgumentEncodable {
    public func encodeArgument(into command: inout RedisCommand) { command.appendInteger(self) }
}

extension Int64: RESPArgumentEncodable {
    public func encodeArgument(into command: inout RedisCommand) { Int(self).encodeArgument(into: &command) }
}

extension Int32: RESPArgumentEncodable {
    public func encodeArgument(into command: inout RedisCommand) { Int(self).encodeArgument(into: &command) }
}

extension UInt64: RESPArgumentEncodable {
    public func encodeArgument(into command: inout RedisCommand) { command.appendBulk(Array(String(self).utf8)) }
}

extension Double: RESPArgumentEncodable {
    /// Integral values without a fraction ("3", not "3.0"), infinities as Redis spells them.
    public func encodeArgument(into command: inout RedisCommand) {
        let text: String
        if self == .infinity {
            text = "+inf"
        } else if self == -.infinity {
            text = "-inf"
        } else if rounded() == self, abs(self) < 1e15 {
            text = String(Int64(self))
        } else {
            text = description
        }
        command.appendBulk(Array(text.utf8))
    }
}

extension Optional: RESPArgumentEncodable where Wrapped: RESPArgumentEncodable {
    /// Nothing for nil: optional arguments are left out.
    public func encodeArgument(into command: inout RedisCommand) {
        if let value = self { value.encodeArgument(into: &command) }
    }
}

/// Binary data as one argument (`[UInt8]` would be one argument per byte).
public struct RedisBytes: RESPArgumentEncodable, Hashable, Sendable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ text: String) { self.bytes = Array(text.utf8) }
    public func encodeArgument(into command: inout RedisCommand) { command.appendBulk(bytes) }
}

extension RedisBytes: ExpressibleByStringLiteral, CustomStringConvertible {
    public init(stringLiteral value: String) { self.init(value) }

    /// The bytes as UTF-8 text (invalid sequences replaced).
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    public var description: String { quotedReprIfNeeded(bytes) }
}
