// The value stored under a key: one case per Redis type. Only strings exist so
// far; each new type adds a case here and its TYPE name.

/// A value of the keyspace.
public enum Value {
    case string(ByteString)

    /// The name TYPE replies with.
    public var typeName: String {
        switch self {
        case .string: return "string"
        }
    }

    /// An estimate of the bytes this value occupies beyond its entry (MEMORY USAGE).
    public var approximateSize: Int {
        switch self {
        case .string(let bytes): return bytes.heapSize
        }
    }
}

/// The size malloc hands out for a request of `n` bytes (16-byte steps).
func mallocSize(_ n: Int) -> Int { (n + 15) & ~15 }
