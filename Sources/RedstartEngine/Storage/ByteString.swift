// Binary-safe bytes stored compactly: up to 23 bytes live inline in the value
// itself (no allocation; most keys and small values), longer ones in one heap
// buffer (a single allocation: the object header and the bytes; the length is
// in the value beside the reference, so a 32-byte value is a 48-byte block).
// Used for keys and string values of the keyspace.
#if canImport(Glibc)
import Glibc
#endif

/// An immutable string of bytes.
public struct ByteString {
    /// Inline capacity in bytes.
    public static let inlineCapacity = 23

    fileprivate enum Storage {
        /// 23 bytes of data; the 24th byte (top of `w2`) is the length, plus 0x80 when raw.
        case small(UInt64, UInt64, UInt64)
        /// The bytes in a buffer; the word is their count, plus `rawFlag` when raw.
        case large(HeapBytes, UInt64)
    }

    /// The raw flag in a heap string's count word.
    private static let rawFlag: UInt64 = 1 << 63

    fileprivate var storage: Storage

    /// An empty string.
    public init() { storage = .small(0, 0, 0) }

    /// A copy of `bytes`.
    public init(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count <= Self.inlineCapacity {
            var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
            withUnsafeMutableBytes(of: &words) { out in
                if bytes.count > 0 { out.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
                out[23] = UInt8(bytes.count)
            }
            storage = .small(words.0, words.1, words.2)
        } else {
            storage = .large(HeapBytes.make(copying: bytes), UInt64(bytes.count))
        }
    }

    /// A copy of `bytes`.
    public init(_ bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { ByteString($0) }
    }

    /// The UTF-8 bytes of `text`.
    public init(_ text: String) {
        self.init(Array(text.utf8))
    }

    /// The number of bytes.
    public var count: Int {
        switch storage {
        case .small(_, _, let w2): return Int((w2 >> 56) & 0x7F)
        case .large(_, let word): return Int(word & ~Self.rawFlag)
        }
    }

    /// Whether the bytes were changed in place since they were stored (APPEND, SETRANGE,
    /// SETBIT, ...): Redis then reports the "raw" encoding even for short strings.
    public var isRaw: Bool {
        switch storage {
        case .small(_, _, let w2): return w2 >> 63 != 0
        case .large(_, let word): return word & Self.rawFlag != 0
        }
    }

    /// Calls `body` with the bytes; valid only inside `body`.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch storage {
        case .small(let w0, let w1, let w2):
            var words = (w0, w1, w2)
            let count = Int((w2 >> 56) & 0x7F)
            return try Swift.withUnsafeBytes(of: &words) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        case .large(let buffer, let word):
            return try withExtendedLifetime(buffer) {
                try body(UnsafeRawBufferPointer(start: buffer.bytes, count: Int(word & ~Self.rawFlag)))
            }
        }
    }

    /// The bytes as an array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Whether the bytes equal `other`.
    public func equals(_ other: UnsafeRawBufferPointer) -> Bool {
        switch storage {
        case .small(let w0, let w1, let w2):
            let count = Int((w2 >> 56) & 0x7F)
            guard count == other.count else { return false }
            var words = (w0, w1, w2)
            return Swift.withUnsafeBytes(of: &words) { mine in
                count == 0 || Self.shortBytesEqual(mine.baseAddress!, other.baseAddress!, count)
            }
        case .large(let buffer, let word):
            let count = Int(word & ~Self.rawFlag)
            return count == other.count && (count == 0 || memcmp(buffer.bytes, other.baseAddress!, count) == 0)
        }
    }

    /// Whether `count` bytes (at most 23: an inline string) are equal, in a few word loads
    /// instead of a call to memcmp (every key lookup compares one).
    @inline(__always)
    private static func shortBytesEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
        if count >= 8 {
            var offset = 0
            while offset + 8 <= count {
                guard a.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                    == b.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                else { return false }
                offset += 8
            }
            // The last bytes, in a word that overlaps the ones compared already.
            return offset == count
                || a.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
                    == b.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        }
        if count >= 4 {
            return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
                && a.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
                    == b.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
        }
        for offset in 0..<count where a.load(fromByteOffset: offset, as: UInt8.self) != b.load(fromByteOffset: offset, as: UInt8.self) {
            return false
        }
        return true
    }

    /// Grows the string to at least `minimumCount` bytes (new bytes are zero) and lets
    /// `body` change it in place. A heap buffer grows by doubling, so repeated APPENDs
    /// are amortized O(1) as Redis's sds; a shared buffer is copied first.
    public mutating func withMutableBytes<R>(
        minimumCount: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> R
    ) rethrows -> R {
        let oldCount = count
        let newCount = max(oldCount, minimumCount)
        var heap: HeapBytes
        switch storage {
        case .small(let w0, let w1, let w2) where newCount <= Self.inlineCapacity:
            var words = (w0, w1, w2)
            let result = try Swift.withUnsafeMutableBytes(of: &words) { raw -> R in
                raw[23] = UInt8(newCount) | 0x80  // changed in place: raw
                return try body(UnsafeMutableRawBufferPointer(rebasing: raw[0..<newCount]))
            }
            storage = .small(words.0, words.1, words.2)
            return result
        case .small:
            // Leaving the inline form: start with room to grow.
            heap = HeapBytes.make(capacity: max(newCount, 2 * oldCount, 32))
            withUnsafeBytes { heap.copy($0, to: 0) }
        case .large(let existing, _):
            heap = existing
            // Drop this value's reference so that `heap` can be uniquely referenced.
            storage = .small(0, 0, 0)
            if !isKnownUniquelyReferenced(&heap) || heap.capacity < newCount {
                let copy = HeapBytes.make(capacity: newCount > oldCount ? max(newCount, 2 * oldCount) : oldCount)
                copy.copy(UnsafeRawBufferPointer(start: heap.bytes, count: oldCount), to: 0)
                heap = copy
            }
        }
        if newCount > oldCount { (heap.bytes + oldCount).initializeMemory(as: UInt8.self, repeating: 0, count: newCount - oldCount) }
        let result = try body(UnsafeMutableRawBufferPointer(start: heap.bytes, count: newCount))
        storage = .large(heap, UInt64(newCount) | Self.rawFlag)  // changed in place: raw
        return result
    }

    /// Room allocated and not used (0 for inline bytes).
    public var spareCapacity: Int {
        switch storage {
        case .small: return 0
        case .large(let buffer, let word): return buffer.capacity - Int(word & ~Self.rawFlag)
        }
    }

    /// Heap bytes held beyond the value itself (MEMORY USAGE).
    public var heapSize: Int {
        switch storage {
        case .small: return 0
        case .large(let buffer, _): return mallocSize(buffer.capacity + 16)
        }
    }
}

extension ByteString: Equatable {
    public static func == (lhs: ByteString, rhs: ByteString) -> Bool {
        rhs.withUnsafeBytes { lhs.equals($0) }
    }
}

/// A heap buffer of bytes (the storage of long ByteStrings): the object header, then the
/// bytes in the same allocation. How many bytes are in use is kept by the ByteString.
final class HeapBytes: ManagedBuffer<Void, UInt8> {
    static func make(copying bytes: UnsafeRawBufferPointer) -> HeapBytes {
        let buffer = make(capacity: bytes.count)
        buffer.copy(bytes, to: 0)
        return buffer
    }

    /// An empty buffer with room for at least `capacity` bytes.
    static func make(capacity: Int) -> HeapBytes {
        unsafeDowncast(HeapBytes.create(minimumCapacity: capacity) { _ in }, to: HeapBytes.self)
    }

    /// The first byte (valid while the buffer lives).
    @inline(__always)
    var bytes: UnsafeMutableRawPointer { withUnsafeMutablePointerToElements { UnsafeMutableRawPointer($0) } }

    /// Copies `source` to `offset` (the capacity must suffice).
    func copy(_ source: UnsafeRawBufferPointer, to offset: Int) {
        precondition(offset + source.count <= capacity, "HeapBytes overflow")
        if source.count > 0 { (bytes + offset).copyMemory(from: source.baseAddress!, byteCount: source.count) }
    }
}

extension ByteString: Hashable {
    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes { hasher.combine(KeyHash.hash($0)) }
    }
}

extension ByteString {
    /// Byte order, a prefix first (the order of Redis's radix trees).
    public func lexicographicallyPrecedes(_ other: ByteString) -> Bool {
        withUnsafeBytes { mine in other.withUnsafeBytes { mine.lexicographicallyPrecedes($0) } }
    }
}
