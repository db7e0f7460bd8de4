// Lengths as LEB128, the prefix of every entry of a list chunk and of a packed
// collection: seven bits per byte, low bits first, the top bit set on every byte
// but the last. A length under 128 is one byte.

enum LEB128 {
    /// Bytes `value` takes.
    @inline(__always)
    static func size(_ value: Int) -> Int {
        value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x20_0000 ? 3 : value < 0x1000_0000 ? 4 : 5
    }

    /// Writes `value` at `offset` of `base`; returns the offset past it.
    @inline(__always)
    @discardableResult
    static func write(_ value: Int, to base: UnsafeMutableRawPointer, at offset: Int) -> Int {
        var position = offset
        var rest = value
        while rest >= 0x80 {
            base.storeBytes(of: UInt8(truncatingIfNeeded: rest) | 0x80, toByteOffset: position, as: UInt8.self)
            rest >>= 7
            position += 1
        }
        base.storeBytes(of: UInt8(rest), toByteOffset: position, as: UInt8.self)
        return position + 1
    }

    /// Reads the value at `offset` of `base`: it and the offset past it.
    @inline(__always)
    static func read(from base: UnsafeRawPointer, at offset: Int) -> (value: Int, next: Int) {
        var position = offset
        var byte = Int(base.load(fromByteOffset: position, as: UInt8.self))
        position += 1
        if byte < 0x80 { return (byte, position) }
        var value = byte & 0x7F
        var shift = 7
        repeat {
            byte = Int(base.load(fromByteOffset: position, as: UInt8.self))
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
        } while byte >= 0x80
        return (value, position)
    }
}
