// The value stored under a key: one case per Redis type and encoding. A string
// that is exactly a 64-bit integer's canonical text is kept as the integer
// (Redis's "int" encoding): no allocation, and INCR needs no parsing.
import RedstartRESP

/// A collection whose storage lives in the key's entry and is freed by its owner
/// (`release()`), not by reference counting: sets, hashes and sorted sets (and, outside
/// this protocol, long strings' `OwnedBytes`).
protocol OwnedCollection {
    init()
    func release()
}

extension SetValue: OwnedCollection {}
extension HashValue: OwnedCollection {}
extension SortedSetValue: OwnedCollection {}

/// A value of the keyspace.
public enum Value {
    /// A string: inline up to 23 bytes, else in a reference-counted buffer (the strings
    /// that commands build or change in place).
    case string(ByteString)
    /// A string of more than 23 bytes stored whole (SET, MSET, a loaded RDB file ...), in a
    /// block owned by the key's entry (`OwnedBytes`): 16 bytes less per value.
    case longString(OwnedBytes)
    case integer(Int64)
    case list(ChunkedList)
    case hash(HashValue)
    case set(SetValue)
    case sortedSet(SortedSetValue)
    case stream(StreamValue)

    /// A string value from bytes, stored as an integer when the bytes are one.
    public static func string(from bytes: UnsafeRawBufferPointer) -> Value {
        if bytes.count <= 20, let number = parseRedisInteger(bytes) { return .integer(number) }
        return .string(ByteString(bytes))
    }

    /// A string value from bytes for a key's entry: an integer when the bytes are one,
    /// inline up to 23 bytes, else `longString`. The caller stores it, or releases it.
    public static func storedString(from bytes: UnsafeRawBufferPointer) -> Value {
        if bytes.count <= ByteString.inlineCapacity { return string(from: bytes) }
        return .longString(OwnedBytes(copying: bytes))
    }

    /// Frees what the value holds outside reference counting (a set's, sorted set's or
    /// hash's block, which lives in the key's entry): called once by whoever drops the
    /// value for good.
    public func release() {
        switch self {
        case .sortedSet(let zset): zset.release()
        case .hash(let hash): hash.release()
        case .set(let set): set.release()
        case .longString(let bytes): bytes.release()
        case .string, .integer, .list, .stream: break
        }
    }

    /// The sorted set, hash or set this value is, to change in place without a closure
    /// (`slot.pointee.storedSortedSet.insertNew(...)`, or passed `inout`): each change
    /// reads the 16 bytes and stores what it leaves back here, also when it throws.
    var storedSortedSet: SortedSetValue {
        get {
            guard case .sortedSet(let zset) = self else { preconditionFailure("not a sorted set") }
            return zset
        }
        set { self = .sortedSet(newValue) }
    }

    var storedHash: HashValue {
        get {
            guard case .hash(let hash) = self else { preconditionFailure("not a hash") }
            return hash
        }
        set { self = .hash(newValue) }
    }

    var storedSet: SetValue {
        get {
            guard case .set(let set) = self else { preconditionFailure("not a set") }
            return set
        }
        set { self = .set(newValue) }
    }

    /// The name TYPE replies with.
    public var typeName: String {
        switch self {
        case .string, .longString, .integer: return "string"
        case .list: return "list"
        case .hash: return "hash"
        case .set: return "set"
        case .sortedSet: return "zset"
        case .stream: return "stream"
        }
    }

    /// The encoding OBJECT ENCODING reports, as Redis names it.
    public var encodingName: String {
        switch self {
        case .integer: return "int"
        case .string(let bytes): return bytes.count <= 44 && !bytes.isRaw ? "embstr" : "raw"
        case .longString(let bytes): return bytes.count <= 44 ? "embstr" : "raw"
        // Redis 7.0 keeps every list in a quicklist (a single listpack came in 7.2).
        case .list: return "quicklist"
        case .hash(let hash): return hash.encodingName
        case .set(let set): return set.encodingName
        case .sortedSet(let zset): return zset.encodingName
        case .stream: return "stream"
        }
    }

    /// The hash of a hash value.
    public var hash: HashValue? {
        if case .hash(let hash) = self { return hash }
        return nil
    }

    /// The set of a set value.
    public var set: SetValue? {
        if case .set(let set) = self { return set }
        return nil
    }

    /// The sorted set of a sorted-set value.
    public var sortedSet: SortedSetValue? {
        if case .sortedSet(let zset) = self { return zset }
        return nil
    }

    /// The stream of a stream value.
    public var stream: StreamValue? {
        if case .stream(let stream) = self { return stream }
        return nil
    }

    /// The list of a list value.
    public var list: ChunkedList? {
        if case .list(let list) = self { return list }
        return nil
    }

    /// Calls `body` with the bytes of a string value (an integer as its decimal text).
    /// Nil for values of other types.
    public func withStringBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        switch self {
        case .string(let bytes): return try bytes.withUnsafeBytes(body)
        case .longString(let bytes): return try bytes.withUnsafeBytes(body)
        case .integer(let number):
            var digits = DecimalDigits(number)
            return try digits.withBytes(body)
        case .list, .hash, .set, .sortedSet, .stream: return nil
        }
    }

    /// The length of a string value.
    public var stringLength: Int? {
        switch self {
        case .string(let bytes): return bytes.count
        case .longString(let bytes): return bytes.count
        case .integer(let number): return decimalLength(number)
        case .list, .hash, .set, .sortedSet, .stream: return nil
        }
    }

    /// An estimate of the bytes this value occupies beyond its entry (MEMORY USAGE): the
    /// heap bytes of a big hash, set or sorted set's members are estimated from `samples`
    /// of them (0: all), as Redis's SAMPLES does.
    public func approximateSize(samples: Int = 5) -> Int {
        switch self {
        case .string(let bytes): return bytes.heapSize
        case .longString(let bytes): return bytes.heapSize
        case .integer: return 0
        case .list(let list): return list.allocatedBytes
        case .hash(let hash): return hash.allocatedBytes(samples: samples)
        case .set(let set): return set.allocatedBytes(samples: samples)
        case .sortedSet(let zset): return zset.allocatedBytes(samples: samples)
        case .stream(let stream): return stream.allocatedBytes(samples: samples)
        }
    }
}

/// The heap bytes of `count` items from the first `samples` of them (all when `samples` is 0
/// or covers them): the sum, or the sample's mean times `count`.
func sampledHeapBytes(count: Int, samples: Int, _ size: (Int) -> Int) -> Int {
    let taken = samples == 0 ? count : min(samples, count)
    guard taken > 0 else { return 0 }
    let sum = (0..<taken).reduce(0) { $0 + size($1) }
    return taken == count ? sum : sum * count / taken
}

/// The size malloc hands out for a request of `n` bytes (16-byte steps).
func mallocSize(_ n: Int) -> Int { (n + 15) & ~15 }

/// Characters in the decimal form of `value`.
func decimalLength(_ value: Int64) -> Int {
    var digits = DecimalDigits(value)
    return digits.withBytes { $0.count }
}
