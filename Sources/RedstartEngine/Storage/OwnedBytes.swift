// A long string value's bytes in a block of exactly their size, with no object header:
// a 100-byte value is one 112-byte block, as Redis's sds (a HeapBytes, which carries a
// Swift object's 16-byte header, would be a 128-byte block). Not reference counted: the
// key's entry owns the block, and whoever drops the value for good calls `release()`,
// as for sets, hashes and sorted sets. The bytes never change; a command that changes a
// string in place (APPEND, SETRANGE, SETBIT ...) takes them out as a ByteString first.
#if canImport(Glibc)
import Glibc
#endif

/// Immutable bytes in a malloc'd block owned by one value.
public struct OwnedBytes {
    /// The first byte.
    private let base: UnsafeMutableRawPointer
    /// The number of bytes.
    public let count: Int

    /// A copy of `bytes` in a block of its own.
    init(copying bytes: UnsafeRawBufferPointer) {
        count = bytes.count
        base = malloc(Swift.max(bytes.count, 1))!
        if bytes.count > 0 { base.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
    }

    /// Frees the block: called once, by whoever drops the value for good.
    func release() { free(base) }

    /// Calls `body` with the bytes (valid until the value is released).
    @inline(__always)
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// A copy in a block of its own (COPY).
    func copy() -> OwnedBytes { withUnsafeBytes { OwnedBytes(copying: $0) } }

    /// The bytes as a ByteString, to change them (the caller then releases this block).
    var byteString: ByteString { withUnsafeBytes { ByteString($0) } }

    /// The size of the block, as malloc rounds it (MEMORY USAGE, DEBUG SDSLEN).
    public var heapSize: Int { mallocSize(count) }
}
