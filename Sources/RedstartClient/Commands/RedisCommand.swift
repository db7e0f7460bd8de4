// One command as the client sends it: its arguments already encoded as RESP bulk
// strings in one buffer (no array of arrays), the count written in front when it is
// sent. Typed methods build these through the generated `RedisCommand.<name>(…)`
// builders; `send` builds one from raw arguments. Key positions are remembered so
// routing (cluster slots, read replicas) can find the keys without command tables.
import NIOCore
import RedstartRESP

/// A command ready to send: name, arguments, and which arguments are keys.
public struct RedisCommand: Sendable, CustomStringConvertible {
    /// How many arguments, the name included.
    public private(set) var argumentCount = 0
    /// The arguments as RESP bulk strings (`$len\r\nbytes\r\n` each), without the `*N` header.
    public private(set) var encodedArguments: ByteBuffer
    /// Positions (0 = the name) of the arguments that are keys.
    public private(set) var keyPositions: [Int] = []

    private static let allocator = ByteBufferAllocator()

    /// A command with only its name (more arguments are appended).
    public init(_ name: String) {
        encodedArguments = Self.allocator.buffer(capacity: 32 + name.utf8.count)
        append(name)
    }

    /// A command from every word of it, the name first.
    public init(arguments: [some RESPArgumentEncodable]) {
        encodedArguments = Self.allocator.buffer(capacity: 64)
        for argument in arguments { append(argument) }
    }

    /// Appends one argument.
    public mutating func append(_ argument: some RESPArgumentEncodable) {
        argument.encodeArgument(into: &self)
    }

    /// Appends one argument that is a key.
    public mutating func appendKey(_ key: some RESPArgumentEncodable) {
        keyPositions.append(argumentCount)
        key.encodeArgument(into: &self)
    }

    /// Appends each element of `arguments`.
    public mutating func append<S: Sequence>(contentsOf arguments: S) where S.Element: RESPArgumentEncodable {
        for argument in arguments { argument.encodeArgument(into: &self) }
    }

    /// Appends each element of `keys` as a key.
    public mutating func appendKeys<S: Sequence>(contentsOf keys: S) where S.Element: RESPArgumentEncodable {
        for key in keys { appendKey(key) }
    }

    /// Appends an argument's bytes as one bulk string (what every encodable type ends in).
    public mutating func appendBulk(_ bytes: some Collection<UInt8>) {
        writeBulkHeader(length: bytes.count)
        encodedArguments.writeBytes(bytes)
        encodedArguments.writeStaticString("\r\n")
    }

    /// Appends raw bytes as one bulk string (one copy; what String arguments use).
    public mutating func appendBulk(_ bytes: UnsafeRawBufferPointer) {
        writeBulkHeader(length: bytes.count)
        encodedArguments.writeBytes(bytes)
        encodedArguments.writeStaticString("\r\n")
    }

    /// `$<length>\r\n`, counting the argument.
    private mutating func writeBulkHeader(length: Int) {
        encodedArguments.writeInteger(UInt8(ascii: "$"))
        encodedArguments.writeDecimal(length)
        encodedArguments.writeStaticString("\r\n")
        argumentCount += 1
    }

    /// Appends `value` in decimal as one bulk string, written in place.
    public mutating func appendInteger(_ value: Int) {
        var digits = value < 0 ? 2 : 1
        var rest = value.magnitude
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        writeBulkHeader(length: digits)
        encodedArguments.writeDecimal(value)
        encodedArguments.writeStaticString("\r\n")
    }

    /// Appends the readable bytes of `buffer` as one bulk string.
    public mutating func appendBulk(_ buffer: ByteBuffer) {
        writeBulkHeader(length: buffer.readableBytes)
        var copy = buffer
        encodedArguments.writeBuffer(&copy)
        encodedArguments.writeStaticString("\r\n")
    }

    /// Every argument's bytes, in order (for logs, routing and tests; not on the send path).
    public var arguments: [[UInt8]] {
        var view = encodedArguments
        var result: [[UInt8]] = []
        result.reserveCapacity(argumentCount)
        while view.readInteger(as: UInt8.self) == UInt8(ascii: "$"),
            let line = view.readLengthLine(), let length = Int(line),
            let bytes = view.readBytes(length: length)
        {
            view.moveReaderIndex(forwardBy: 2)
            result.append(bytes)
        }
        return result
    }

    /// The command's name in lowercase ASCII ("get", "client"): what metrics and routing key on.
    public var name: String {
        var view = encodedArguments
        guard view.readInteger(as: UInt8.self) == UInt8(ascii: "$"),
            let line = view.readLengthLine(), let length = Int(line),
            let bytes = view.readBytes(length: length)
        else { return "" }
        return String(decoding: bytes.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// The arguments that are keys.
    public var keys: [[UInt8]] {
        guard !keyPositions.isEmpty else { return [] }
        let all = arguments
        return keyPositions.compactMap { $0 < all.count ? all[$0] : nil }
    }

    /// The command as redis-cli would show it: words quoted where needed.
    public var description: String {
        arguments.map { quotedReprIfNeeded($0) }.joined(separator: " ")
    }

    /// Writes the whole command (`*N` header and arguments) into `buffer`.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "*"))
        buffer.writeDecimal(argumentCount)
        buffer.writeStaticString("\r\n")
        var body = encodedArguments
        buffer.writeBuffer(&body)
    }
}

extension ByteBuffer {
    /// Appends `value` in decimal ASCII without going through String.
    @inlinable
    mutating func writeDecimal(_ value: Int) {
        if value >= 0 && value < 10 {
            writeInteger(UInt8(truncatingIfNeeded: value) &+ 48)
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: enough for any Int
        var magnitude = value.magnitude
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            repeat {
                raw[23 - count] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 48
                magnitude /= 10
                count += 1
            } while magnitude > 0
            if value < 0 {
                raw[23 - count] = UInt8(ascii: "-")
                count += 1
            }
            writeBytes(UnsafeRawBufferPointer(rebasing: raw[(24 - count)...]))
        }
    }

    /// Reads up to the next CRLF and returns the text before it (the CRLF is consumed).
    fileprivate mutating func readLengthLine() -> String? {
        guard let end = readableBytesView.firstIndex(of: UInt8(ascii: "\r")) else { return nil }
        let text = readString(length: end - readerIndex)
        moveReaderIndex(forwardBy: 2)
        return text
    }
}
