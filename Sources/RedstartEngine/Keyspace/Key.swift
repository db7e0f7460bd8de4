// A key of the keyspace: binary-safe bytes. Hashing feeds the bytes to the
// hasher in one call (not byte by byte, as [UInt8]'s own Hashable would).

/// A binary-safe key.
public struct Key: Hashable, Sendable {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public init(_ raw: UnsafeRawBufferPointer) { self.bytes = Array(raw) }

    public init(_ text: String) { self.bytes = Array(text.utf8) }

    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public static func == (lhs: Key, rhs: Key) -> Bool { lhs.bytes == rhs.bytes }
}
