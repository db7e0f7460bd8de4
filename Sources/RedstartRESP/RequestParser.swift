// The incremental request parser: RESP multibulk (`*N\r\n$len\r\n...`) and the
// inline form (`SET k v\r\n`), with Redis 7.0's limits and error texts.
// Invariants: the input's readerIndex stays at the start of the command being
// parsed until it is complete; `cursor` (relative to it) is where parsing
// resumes, so a command split at any byte is parsed once, not rescanned.
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns the bytes a client sends into commands, one at a time.
public struct RequestParser: Sendable {
    /// Limits enforced on every request.
    public var limits: ProtocolLimits
    /// Unauthenticated clients get the tighter limits of `ProtocolLimits`.
    public var isAuthenticationRequired: Bool = false

    /// Bulks still to read in the current multibulk; 0 when between commands.
    private var remainingBulks = 0
    /// Length of the bulk being read, or -1 before its `$len` line.
    private var bulkLength = -1
    /// Offset (from readerIndex) where parsing resumes.
    private var cursor = 0
    private var spans: [ArgumentSpan] = []

    public init(limits: ProtocolLimits = ProtocolLimits()) {
        self.limits = limits
        spans.reserveCapacity(8)
    }

    /// True while part of a command has been read but not all of it.
    public var isInsideCommand: Bool { remainingBulks > 0 || cursor > 0 }
    /// Bytes of a partly received command already parsed (its header and whole
    /// arguments, up to the bulk being read); 0 between commands.
    public var parsedBytesOfPartialCommand: Int { remainingBulks > 0 ? cursor : 0 }
    /// The lengths of a partly received command's whole arguments, added up; 0 between commands.
    public var parsedArgumentLengths: Int { remainingBulks > 0 ? spans.reduce(0) { $0 + $1.length } : 0 }
    /// Length of the bulk being read, or -1 when none is (between bulks or commands).
    public var currentBulkLength: Int { remainingBulks > 0 ? bulkLength : -1 }
    /// Room kept for argument spans between commands (tests).
    var retainedSpanCapacity: Int { spans.capacity }

    /// Parses the next complete command from `buffer` and moves its readerIndex
    /// past it. Returns nil when more bytes are needed. Empty requests
    /// (`*0`, `*-1`, blank lines) are skipped, as Redis does.
    public mutating func next(from buffer: inout ByteBuffer) throws(ProtocolError) -> CommandArguments? {
        while buffer.readableBytes > 0 {
            if remainingBulks == 0 {
                // Between commands: the first byte picks the request form.
                if buffer.getInteger(at: buffer.readerIndex, as: UInt8.self)! != UInt8(ascii: "*") {
                    switch parseInline(buffer) {
                    case .incomplete:
                        return nil
                    case .failed(let error):
                        throw error
                    case .skip(let length):
                        buffer.moveReaderIndex(forwardBy: length)
                        continue
                    case .inline(let arguments, let length):
                        buffer.moveReaderIndex(forwardBy: length)
                        return arguments
                    }
                }
                switch parseMultibulkHeader(buffer) {
                case .incomplete:
                    return nil
                case .failed(let error):
                    throw error
                case .skip(let length):
                    buffer.moveReaderIndex(forwardBy: length)
                    continue
                case .started:
                    break
                }
            }
            switch parseBulks(buffer) {
            case .incomplete:
                return nil
            case .failed(let error):
                throw error
            case .complete(let length):
                let arguments = CommandArguments(storage: buffer, base: buffer.readerIndex, spans: spans)
                buffer.moveReaderIndex(forwardBy: length)
                cursor = 0
                // `spans` is cleared when the next command starts, once the caller has dropped
                // these arguments: clearing it now would copy the array they share.
                return arguments
            }
        }
        return nil
    }

    // MARK: - Multibulk

    private enum HeaderStep {
        case incomplete
        case failed(ProtocolError)
        case skip(Int)
        case started
    }

    private mutating func parseMultibulkHeader(_ buffer: ByteBuffer) -> HeaderStep {
        let limits = self.limits
        let authRequired = isAuthenticationRequired
        let step: (HeaderStep, Int, Int) = buffer.withUnsafeReadableBytes { raw in
            guard let cr = Self.offsetOfCR(in: raw) else {
                return (raw.count > limits.maxInlineLength ? .failed(.tooBigMultibulkCount) : .incomplete, 0, 0)
            }
            // Redis wants one more byte after '\r' and does not check it is '\n'.
            guard cr + 1 < raw.count else { return (.incomplete, 0, 0) }
            let digits = UnsafeRawBufferPointer(rebasing: raw[1..<cr])
            guard let count = Self.shortLength(digits) ?? parseRedisInteger(digits),
                count <= Int64(limits.maxMultibulkLength)
            else {
                return (.failed(.invalidMultibulkLength), 0, 0)
            }
            if count > Int64(limits.unauthenticatedMaxMultibulkLength) && authRequired {
                return (.failed(.unauthenticatedMultibulkLength), 0, 0)
            }
            if count <= 0 { return (.skip(cr + 2), 0, 0) }
            return (.started, Int(count), cr)
        }
        if case .started = step.0 {
            remainingBulks = step.1
            bulkLength = -1
            cursor = step.2 + 2
            // A huge command's span list is not kept for the ones after it (Redis trims its
            // client buffers the same way); ordinary sizes are reused.
            if spans.capacity > 4096 {
                spans = []
            } else {
                spans.removeAll(keepingCapacity: true)
            }
            if spans.capacity < min(step.1, 1024) { spans.reserveCapacity(min(step.1, 1024)) }
        }
        return step.0
    }

    private enum BulkStep {
        case incomplete
        case failed(ProtocolError)
        case complete(Int)
    }

    private mutating func parseBulks(_ buffer: ByteBuffer) -> BulkStep {
        buffer.withUnsafeReadableBytes { raw -> BulkStep in
            var position = cursor
            defer { cursor = position }
            while remainingBulks > 0 {
                if bulkLength < 0 {
                    let rest = UnsafeRawBufferPointer(rebasing: raw[position...])
                    guard let crOffset = Self.offsetOfCR(in: rest) else {
                        if rest.count > limits.maxInlineLength { return .failed(.tooBigBulkCount) }
                        return .incomplete
                    }
                    guard crOffset + 1 < rest.count else { return .incomplete }
                    guard rest[0] == UInt8(ascii: "$") else { return .failed(.expectedDollar(got: rest[0])) }
                    let digits = UnsafeRawBufferPointer(rebasing: rest[1..<crOffset])
                    guard let length = Self.shortLength(digits) ?? parseRedisInteger(digits),
                        length >= 0, length <= Int64(limits.maxBulkLength)
                    else {
                        return .failed(.invalidBulkLength)
                    }
                    if length > Int64(limits.unauthenticatedMaxBulkLength) && isAuthenticationRequired {
                        return .failed(.unauthenticatedBulkLength)
                    }
                    bulkLength = Int(length)
                    position += crOffset + 2
                }
                // The bulk and its trailing CRLF (whose bytes Redis does not check).
                guard raw.count - position >= bulkLength + 2 else { return .incomplete }
                spans.append(ArgumentSpan(offset: position, length: bulkLength))
                position += bulkLength + 2
                bulkLength = -1
                remainingBulks -= 1
            }
            return .complete(position)
        }
    }

    /// Where the first CR of `bytes` is: header lines (`$5`, `*3`) are short, so the first
    /// bytes are looked at one by one, and memchr searches only a longer rest.
    @inline(__always)
    private static func offsetOfCR(in bytes: UnsafeRawBufferPointer) -> Int? {
        guard let start = bytes.baseAddress else { return nil }
        let count = bytes.count
        let direct = min(count, 8)
        var index = 0
        while index < direct {
            if start.load(fromByteOffset: index, as: UInt8.self) == 13 { return index }
            index += 1
        }
        guard count > direct, let found = memchr(start + direct, 13, count - direct) else { return nil }
        return start.distance(to: UnsafeRawPointer(found))
    }

    /// A length of one to four digits without a leading zero (nearly every bulk length), read
    /// without the general integer parser; nil sends anything else to it.
    @inline(__always)
    private static func shortLength(_ digits: UnsafeRawBufferPointer) -> Int64? {
        let count = digits.count
        guard count >= 1 && count <= 4 && (count == 1 || digits[0] != UInt8(ascii: "0")) else { return nil }
        var value: Int64 = 0
        for byte in digits {
            let digit = Int64(byte) &- 48
            guard digit >= 0 && digit <= 9 else { return nil }
            value = value &* 10 &+ digit
        }
        return value
    }

    // MARK: - Inline

    private enum InlineStep {
        case incomplete
        case failed(ProtocolError)
        case skip(Int)
        case inline(CommandArguments, Int)
    }

    private func parseInline(_ buffer: ByteBuffer) -> InlineStep {
        buffer.withUnsafeReadableBytes { raw -> InlineStep in
            guard let newline = raw.firstIndex(of: UInt8(ascii: "\n")) else {
                return raw.count > limits.maxInlineLength ? .failed(.tooBigInlineRequest) : .incomplete
            }
            var lineEnd = newline
            if lineEnd > 0 && raw[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            guard let words = splitInlineArguments(UnsafeRawBufferPointer(rebasing: raw[0..<lineEnd])) else {
                return .failed(.unbalancedQuotes)
            }
            if words.isEmpty { return .skip(newline + 1) }
            return .inline(CommandArguments(words), newline + 1)
        }
    }
}
