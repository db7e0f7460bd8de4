// Encodes replies straight into a connection's output buffer. Handlers say what
// a reply means (map, double, null, boolean); the writer lowers it to the wire
// form of the session's protocol version exactly as Redis does:
//   map -> flat array of 2N (RESP2), set/push -> array, double/big number/verbatim
//   -> bulk string, boolean -> integer 1/0, null -> $-1 or *-1.
// To extend: add a semantic call here and its RESP2 lowering next to it.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// The protocol version a connection speaks, chosen by HELLO.
public enum RESPVersion: Int, Sendable {
    case resp2 = 2
    case resp3 = 3
}

/// Appends encoded replies to `buffer`.
public struct ReplyWriter {
    /// Encoded replies not yet handed to the connection.
    public var buffer: ByteBuffer
    /// The protocol the replies are lowered to.
    public var version: RESPVersion

    public init(buffer: ByteBuffer, version: RESPVersion = .resp2) {
        self.buffer = buffer
        self.version = version
    }

    // MARK: - Simple types

    /// `+OK`.
    @inlinable
    public mutating func ok() { buffer.writeStaticString("+OK\r\n") }

    /// `+<text>`; `text` must not contain CR or LF.
    @inlinable
    public mutating func simpleString(_ text: StaticString) {
        buffer.writeInteger(UInt8(ascii: "+"))
        buffer.writeStaticString(text)
        buffer.writeStaticString("\r\n")
    }

    /// `+<text>`, with CR and LF replaced by spaces as Redis does for status replies.
    public mutating func simpleString(_ text: String) {
        buffer.writeInteger(UInt8(ascii: "+"))
        writeSanitizedLine(text.utf8)
    }

    /// `-<code> <message>`: `line` is the whole error text after `-`, CR/LF become spaces.
    public mutating func error(_ line: String) {
        buffer.writeInteger(UInt8(ascii: "-"))
        writeSanitizedLine(line.utf8)
    }

    /// `-<line>` from raw bytes (errors that quote a client's bytes as they came).
    public mutating func error(bytes line: [UInt8]) {
        buffer.writeInteger(UInt8(ascii: "-"))
        writeSanitizedLine(line)
    }

    /// `:<n>`.
    @inlinable
    public mutating func integer(_ value: Int64) {
        writeNumberLine(prefix: UInt8(ascii: ":"), value)
    }

    /// `:<n>`.
    @inlinable
    public mutating func integer(_ value: Int) { integer(Int64(value)) }

    /// RESP3 `#t`/`#f`; RESP2 `:1`/`:0`.
    @inlinable
    public mutating func bool(_ value: Bool) {
        if version == .resp3 {
            buffer.writeStaticString(value ? "#t\r\n" : "#f\r\n")
        } else {
            buffer.writeStaticString(value ? ":1\r\n" : ":0\r\n")
        }
    }

    /// RESP3 `_`; RESP2 the null bulk string `$-1`.
    @inlinable
    public mutating func null() {
        buffer.writeStaticString(version == .resp3 ? "_\r\n" : "$-1\r\n")
    }

    /// RESP3 `_`; RESP2 the null array `*-1` (replies whose RESP2 form was an array).
    @inlinable
    public mutating func nullArray() {
        buffer.writeStaticString(version == .resp3 ? "_\r\n" : "*-1\r\n")
    }

    /// RESP3 `,<d>` with `%.17g`; RESP2 the same text as a bulk string (Redis 7.0's addReplyDouble).
    public mutating func double(_ value: Double) {
        var digits = DoubleDigits(value)
        digits.withBytes { double(bytes: $0) }
    }

    /// A double already formatted (Redis's "human" long double form, say): RESP3 `,<text>`,
    /// RESP2 a bulk string of the text.
    public mutating func double(text: String) {
        var text = text
        text.withUTF8 { double(bytes: UnsafeRawBufferPointer($0)) }
    }

    private mutating func double(bytes text: UnsafeRawBufferPointer) {
        if version == .resp3 {
            buffer.writeInteger(UInt8(ascii: ","))
            buffer.writeBytes(text)
            buffer.writeStaticString("\r\n")
        } else {
            bulk(text)
        }
    }

    /// RESP3 `(<digits>`; RESP2 a bulk string.
    public mutating func bigNumber(_ digits: String) {
        if version == .resp3 {
            buffer.writeInteger(UInt8(ascii: "("))
            buffer.writeString(digits)
            buffer.writeStaticString("\r\n")
        } else {
            bulk(digits)
        }
    }

    /// RESP3 `=<len>\r\n<fmt>:<text>`; RESP2 a bulk string of `text`.
    public mutating func verbatim(_ text: String, format: StaticString = "txt") {
        if version == .resp3 {
            let utf8Count = text.utf8.count
            writeNumberLine(prefix: UInt8(ascii: "="), Int64(utf8Count + 4))
            buffer.writeStaticString(format)
            buffer.writeInteger(UInt8(ascii: ":"))
            buffer.writeString(text)
            buffer.writeStaticString("\r\n")
        } else {
            bulk(text)
        }
    }

    // MARK: - Bulk strings

    /// `$<len>\r\n<bytes>\r\n`.
    @inlinable
    public mutating func bulk(_ bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        guard count <= 4096 else {
            writeNumberLine(prefix: UInt8(ascii: "$"), Int64(count))
            buffer.writeBytes(bytes)
            buffer.writeStaticString("\r\n")
            return
        }
        // Small bulks (the common case) go out in one write: header, bytes and CRLF.
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count + 26) { out in
            out[0] = UInt8(ascii: "$")
            var position = 1 + writeDecimal(Int64(count), into: UnsafeMutableRawBufferPointer(rebasing: out[1...]))
            out[position] = UInt8(ascii: "\r")
            out[position + 1] = UInt8(ascii: "\n")
            position += 2
            if count > 0 {
                out.baseAddress!.advanced(by: position).copyMemory(from: bytes.baseAddress!, byteCount: count)
            }
            position += count
            out[position] = UInt8(ascii: "\r")
            out[position + 1] = UInt8(ascii: "\n")
            return position + 2
        }
    }

    /// `$<len>\r\n<bytes>\r\n`.
    @inlinable
    public mutating func bulk(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { bulk($0) }
    }

    /// `$<len>\r\n<bytes>\r\n`.
    @inlinable
    public mutating func bulk(_ bytes: ByteBuffer) {
        writeNumberLine(prefix: UInt8(ascii: "$"), Int64(bytes.readableBytes))
        var copy = bytes
        buffer.writeBuffer(&copy)
        buffer.writeStaticString("\r\n")
    }

    /// A bulk string of `text`'s UTF-8 bytes.
    public mutating func bulk(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in bulk(UnsafeRawBufferPointer(utf8)) }
    }

    /// A bulk string holding the decimal form of `value`.
    public mutating func bulk(decimal value: Int64) {
        var digits = DecimalDigits(value)
        digits.withBytes { bulk($0) }
    }

    // MARK: - Aggregates

    /// `*<count>`: `count` replies follow.
    @inlinable
    public mutating func arrayHeader(_ count: Int) {
        writeNumberLine(prefix: UInt8(ascii: "*"), Int64(count))
    }

    /// RESP3 `%<count>`; RESP2 `*<2*count>`: `count` key/value pairs follow.
    @inlinable
    public mutating func mapHeader(_ count: Int) {
        if version == .resp3 {
            writeNumberLine(prefix: UInt8(ascii: "%"), Int64(count))
        } else {
            writeNumberLine(prefix: UInt8(ascii: "*"), Int64(count * 2))
        }
    }

    /// RESP3 `~<count>`; RESP2 `*<count>`.
    @inlinable
    public mutating func setHeader(_ count: Int) {
        writeNumberLine(prefix: version == .resp3 ? UInt8(ascii: "~") : UInt8(ascii: "*"), Int64(count))
    }

    /// RESP3 `><count>`; RESP2 `*<count>` (pub/sub messages, MONITOR-style pushes).
    @inlinable
    public mutating func pushHeader(_ count: Int) {
        writeNumberLine(prefix: version == .resp3 ? UInt8(ascii: ">") : UInt8(ascii: "*"), Int64(count))
    }

    /// RESP3 `|<count>`: `count` attribute pairs, then the reply they annotate.
    /// RESP2 has no attributes: the caller must not send them (Redis asserts the same).
    public mutating func attributeHeader(_ count: Int) {
        precondition(version == .resp3, "attributes exist only in RESP3")
        writeNumberLine(prefix: UInt8(ascii: "|"), Int64(count))
    }

    // MARK: - Deferred lengths

    /// A place in the output where an aggregate header goes once its length is known.
    public struct DeferredLength: Sendable {
        fileprivate let offset: Int
    }

    /// Marks where an aggregate starts whose element count is not known yet.
    public mutating func deferLength() -> DeferredLength {
        DeferredLength(offset: buffer.writerIndex)
    }

    /// Inserts an array header for `count` elements at `mark`.
    public mutating func setDeferredArrayLength(_ mark: DeferredLength, _ count: Int) {
        insertHeader(at: mark) { $0.arrayHeader(count) }
    }

    /// Inserts a map header for `count` pairs at `mark`.
    public mutating func setDeferredMapLength(_ mark: DeferredLength, _ count: Int) {
        insertHeader(at: mark) { $0.mapHeader(count) }
    }

    /// Inserts a set header for `count` elements at `mark`.
    public mutating func setDeferredSetLength(_ mark: DeferredLength, _ count: Int) {
        insertHeader(at: mark) { $0.setHeader(count) }
    }

    /// Writes the header after the aggregate's elements, then rotates it into place in the
    /// buffer. (Holding a slice of the buffer while writing would make the write copy the
    /// whole buffer, every reply pipelined before this one included.)
    private mutating func insertHeader(at mark: DeferredLength, _ write: (inout ReplyWriter) -> Void) {
        let tailLength = buffer.writerIndex - mark.offset
        let headerStart = buffer.writerIndex
        write(&self)
        let headerLength = buffer.writerIndex - headerStart
        guard tailLength > 0, headerLength > 0 else { return }
        buffer.withVeryUnsafeMutableBytes { raw in
            withUnsafeTemporaryAllocation(byteCount: headerLength, alignment: 1) { header in
                let base = raw.baseAddress!
                header.baseAddress!.copyMemory(from: base + headerStart, byteCount: headerLength)
                memmove(base + mark.offset + headerLength, base + mark.offset, tailLength)  // overlapping
                (base + mark.offset).copyMemory(from: header.baseAddress!, byteCount: headerLength)
            }
        }
    }

    // MARK: - Raw bytes

    /// Appends already-encoded RESP (pre-encoded replies, relayed protocol).
    @inlinable
    public mutating func raw(_ bytes: StaticString) { buffer.writeStaticString(bytes) }

    /// Appends already-encoded RESP.
    public mutating func raw(_ bytes: ByteBuffer) {
        var copy = bytes
        buffer.writeBuffer(&copy)
    }

    // MARK: - Helpers

    /// `<prefix><decimal>\r\n` in one write.
    @inlinable
    public mutating func writeNumberLine(prefix: UInt8, _ value: Int64) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 24) { out in
            out[0] = prefix
            let written = writeDecimal(value, into: UnsafeMutableRawBufferPointer(rebasing: out[1...]))
            out[1 + written] = UInt8(ascii: "\r")
            out[2 + written] = UInt8(ascii: "\n")
            return written + 3
        }
    }

    private mutating func writeSanitizedLine<Bytes: Sequence<UInt8>>(_ text: Bytes) {
        for byte in text {
            buffer.writeInteger(byte == 0x0D || byte == 0x0A ? UInt8(ascii: " ") : byte)
        }
        buffer.writeStaticString("\r\n")
    }
}

extension ByteBuffer {
    /// Makes an independent copy of `buffer`'s readable bytes.
    fileprivate init(buffer: ByteBuffer) {
        self = ByteBufferAllocator().buffer(capacity: buffer.readableBytes)
        var source = buffer
        self.writeBuffer(&source)
    }
}
