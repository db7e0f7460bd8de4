// The arguments of one request, as spans into the bytes they arrived in: the
// parser copies nothing. A value that outlives the command (a key stored in the
// keyspace, a queued MULTI command) is copied out by the code that keeps it.
import NIOCore

/// Where one argument lies, relative to the start of its command.
public struct ArgumentSpan: Sendable, Equatable {
    public var offset: Int
    public var length: Int

    @inlinable
    public init(offset: Int, length: Int) {
        self.offset = offset
        self.length = length
    }
}

/// The arguments of one command (`args[0]` is the command name).
///
/// The address of the storage's bytes is taken once, when the arguments are made: a
/// ByteBuffer yields its bytes through an access to its storage object that Swift checks
/// dynamically for exclusivity, which cost more than the rest of reading an argument.
/// The address stays valid while this value lives: `storage` keeps those bytes alive,
/// and a ByteBuffer only writes into storage it does not share (copy on write), so the
/// connection's later reads go elsewhere.
public struct CommandArguments: @unchecked Sendable {
    /// The bytes the spans point into.
    public let storage: ByteBuffer
    /// Index in `storage` where the command starts; spans are relative to it.
    public let base: Int
    @usableFromInline let spans: [ArgumentSpan]
    /// The address of `storage`'s byte 0 (nil for storage without bytes).
    @usableFromInline let start: UnsafeRawPointer?

    @inlinable
    public init(storage: ByteBuffer, base: Int, spans: [ArgumentSpan]) {
        self.storage = storage
        self.base = base
        self.spans = spans
        self.start = storage.withVeryUnsafeBytes { UnsafeRawPointer($0.baseAddress) }
    }

    /// Builds arguments from separate values (tests, scripts, internal commands).
    public init<S: Sequence>(_ values: S) where S.Element == [UInt8] {
        var buffer = ByteBuffer()
        var spans: [ArgumentSpan] = []
        for value in values {
            spans.append(ArgumentSpan(offset: buffer.writerIndex, length: value.count))
            buffer.writeBytes(value)
        }
        self.init(storage: buffer, base: 0, spans: spans)
    }

    /// Builds arguments from strings (tests, internal commands).
    public init(strings: [String]) {
        self.init(strings.map { Array($0.utf8) })
    }

    /// The number of arguments, the command name included.
    @inlinable public var count: Int { spans.count }

    /// The length in bytes of argument `index`.
    @inlinable public func length(at index: Int) -> Int { spans[index].length }

    /// Calls `body` with the raw bytes of argument `index`; valid only inside `body`.
    @inlinable
    public func withBytes<R>(at index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let span = spans[index]
        guard let start else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        // `start` points into `storage`: the storage must outlive the body even where this
        // value is its only owner (the optimizer ends a value's life at its last use, and a
        // read through the pointer is not one; found by fuzzing: an inline command's own
        // storage was freed before its bytes were read).
        return try withExtendedLifetime(storage) {
            try body(UnsafeRawBufferPointer(start: start + base + span.offset, count: span.length))
        }
    }

    /// A copy of argument `index` as an array of bytes.
    @inlinable
    public func bytes(at index: Int) -> [UInt8] {
        withBytes(at: index) { Array($0) }
    }

    /// Argument `index` as a slice of the arrival buffer (shares its storage).
    @inlinable
    public func buffer(at index: Int) -> ByteBuffer {
        let span = spans[index]
        return storage.getSlice(at: base + span.offset, length: span.length)!
    }

    /// Argument `index` decoded as UTF-8 (invalid sequences repaired).
    public func string(at index: Int) -> String {
        withBytes(at: index) { String(decoding: $0, as: UTF8.self) }
    }

    /// Argument `index` lowercased as ASCII (for option and subcommand names).
    public func lowercasedString(at index: Int) -> String {
        withBytes(at: index) { raw in
            String(decoding: raw.lazy.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }, as: UTF8.self)
        }
    }

    /// True when argument `index` equals `word` ignoring ASCII case; `word` must be lowercase.
    @inlinable
    public func isEqual(at index: Int, toLowercase word: StaticString) -> Bool {
        let span = spans[index]
        guard span.length == word.utf8CodeUnitCount else { return false }
        return withBytes(at: index) { raw in
            let expected = word.utf8Start
            for i in 0..<raw.count where raw[i] | 0x20 != expected[i] | 0x20 {
                return false
            }
            return true
        }
    }

    /// Argument `index` as a strict Redis integer (`string2ll`), or nil.
    @inlinable
    public func int64(at index: Int) -> Int64? {
        withBytes(at: index) { parseRedisInteger($0) }
    }

    /// A new argument list holding arguments `range` (the name of a subcommand, say).
    public func dropping(first n: Int) -> CommandArguments {
        CommandArguments(storage: storage, base: base, spans: Array(spans.dropFirst(n)))
    }

    /// A compact copy that shares no storage with the connection's input buffer
    /// (one allocation for all the arguments' bytes).
    public func owned() -> CommandArguments {
        var buffer = ByteBufferAllocator().buffer(capacity: byteCount)
        var copied: [ArgumentSpan] = []
        copied.reserveCapacity(spans.count)
        for index in spans.indices {
            copied.append(ArgumentSpan(offset: buffer.writerIndex, length: spans[index].length))
            withBytes(at: index) { _ = buffer.writeBytes($0) }
        }
        return CommandArguments(storage: buffer, base: 0, spans: copied)
    }

    /// The total length of the arguments' bytes.
    public var byteCount: Int { spans.reduce(0) { $0 + $1.length } }
}

/// Parses bytes the way Redis's `string2ll` does: optional `-`, no `+`, no
/// leading zeros, no spaces, within the range of Int64.
@inlinable
public func parseRedisInteger(_ raw: UnsafeRawBufferPointer) -> Int64? {
    let count = raw.count
    if count == 0 || count > 20 { return nil }
    if count == 1 && raw[0] == UInt8(ascii: "0") { return 0 }
    var index = 0
    var negative = false
    if raw[0] == UInt8(ascii: "-") {
        negative = true
        index = 1
        if count == 1 { return nil }
    }
    // The first digit must be 1-9: "007" and "-0" are not integers to Redis.
    guard raw[index] >= UInt8(ascii: "1") && raw[index] <= UInt8(ascii: "9") else { return nil }
    var magnitude: UInt64 = 0
    while index < count {
        let digit = raw[index] &- UInt8(ascii: "0")
        guard digit <= 9 else { return nil }
        let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
        let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
        if overflow1 || overflow2 { return nil }
        magnitude = sum
        index += 1
    }
    if negative {
        if magnitude > UInt64(Int64.max) + 1 { return nil }
        return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
    }
    return magnitude > UInt64(Int64.max) ? nil : Int64(magnitude)
}

/// `parseRedisInteger` over a byte array.
public func parseRedisInteger(_ bytes: [UInt8]) -> Int64? {
    bytes.withUnsafeBytes { parseRedisInteger($0) }
}
