// SHA-1 (FIPS 180-4), for DEBUG DIGEST, which Redis defines over SHA-1, and for
// the client's EVALSHA (a script's name is its SHA-1); it lives in this lowest module
// so both can use it. Not for anything that needs a secure hash. Whole 64-byte blocks are compressed
// straight from the input; only a partial block is buffered, and the message
// schedule lives in a stack buffer (DEBUG DIGEST hashes every key and element,
// so the hash's fixed costs matter).

/// A SHA-1 digest computation.
package struct SHA1 {
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0)
    /// A partial block (64 bytes).
    private var pending: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var pendingCount = 0
    private var length: UInt64 = 0

    /// The digest of `bytes`.
    package static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var sha = SHA1()
        sha.update(bytes)
        return sha.finish()
    }

    /// The digest of `bytes` in lowercase hex (40 characters), as EVALSHA names scripts.
    package static func hexDigest(_ bytes: some Sequence<UInt8>) -> String {
        let digest = Array(bytes).withUnsafeBytes { hash($0) }
        let digits: StaticString = "0123456789abcdef"
        var text: [UInt8] = []
        text.reserveCapacity(40)
        for byte in digest {
            text.append(digits.utf8Start[Int(byte >> 4)])
            text.append(digits.utf8Start[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        length &+= UInt64(bytes.count) &* 8
        absorb(bytes)
    }

    /// Adds bytes, compressing each full block (the length is the caller's).
    private mutating func absorb(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        if pendingCount > 0 {
            let take = min(64 - pendingCount, bytes.count)
            withUnsafeMutableBytes(of: &pending) { block in
                UnsafeMutableRawBufferPointer(rebasing: block[pendingCount..<(pendingCount + take)])
                    .copyMemory(from: UnsafeRawBufferPointer(start: base, count: take))
            }
            pendingCount += take
            offset = take
            guard pendingCount == 64 else { return }
            var block = pending
            withUnsafeBytes(of: &block) { compress($0.baseAddress!) }
            pendingCount = 0
        }
        while bytes.count - offset >= 64 {
            compress(base + offset)
            offset += 64
        }
        let rest = bytes.count - offset
        if rest > 0 {
            withUnsafeMutableBytes(of: &pending) { block in
                UnsafeMutableRawBufferPointer(rebasing: block[0..<rest]).copyMemory(from: UnsafeRawBufferPointer(start: base + offset, count: rest))
            }
            pendingCount = rest
        }
    }

    package mutating func finish() -> [UInt8] {
        let bits = length
        var padding = [UInt8](repeating: 0, count: 72)
        padding[0] = 0x80
        let fill = (pendingCount + 1) % 64
        let zeros = fill <= 56 ? 56 - fill : 120 - fill
        for index in 0..<8 { padding[1 + zeros + index] = UInt8(truncatingIfNeeded: bits >> UInt64(56 - 8 * index)) }
        padding.withUnsafeBytes { absorb(UnsafeRawBufferPointer(rebasing: $0[0..<(9 + zeros)])) }
        var out = [UInt8](repeating: 0, count: 20)
        for (index, word) in [state.0, state.1, state.2, state.3, state.4].enumerated() {
            out[index * 4] = UInt8(truncatingIfNeeded: word >> 24)
            out[index * 4 + 1] = UInt8(truncatingIfNeeded: word >> 16)
            out[index * 4 + 2] = UInt8(truncatingIfNeeded: word >> 8)
            out[index * 4 + 3] = UInt8(truncatingIfNeeded: word)
        }
        return out
    }

    /// One 64-byte block at `block`.
    private mutating func compress(_ block: UnsafeRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
            for i in 0..<16 { w[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
            for i in 16..<80 {
                let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
                w[i] = x << 1 | x >> 31
            }
            var (a, b, c, d, e) = state
            for i in 0..<20 {
                let temp = (a << 5 | a >> 27) &+ ((b & c) | (~b & d)) &+ e &+ 0x5A82_7999 &+ w[i]
                (e, d, c, b, a) = (d, c, b << 30 | b >> 2, a, temp)
            }
            for i in 20..<40 {
                let temp = (a << 5 | a >> 27) &+ (b ^ c ^ d) &+ e &+ 0x6ED9_EBA1 &+ w[i]
                (e, d, c, b, a) = (d, c, b << 30 | b >> 2, a, temp)
            }
            for i in 40..<60 {
                let temp = (a << 5 | a >> 27) &+ ((b & c) | (b & d) | (c & d)) &+ e &+ 0x8F1B_BCDC &+ w[i]
                (e, d, c, b, a) = (d, c, b << 30 | b >> 2, a, temp)
            }
            for i in 60..<80 {
                let temp = (a << 5 | a >> 27) &+ (b ^ c ^ d) &+ e &+ 0xCA62_C1D6 &+ w[i]
                (e, d, c, b, a) = (d, c, b << 30 | b >> 2, a, temp)
            }
            state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d, state.4 &+ e)
        }
    }
}
