// The framing of DUMP and FUNCTION DUMP payloads: a body in RDB format, then the
// RDB version (2 bytes, little-endian) and a CRC-64 of everything before it
// (8 bytes, little-endian), as Redis's createDumpPayload / verifyDumpPayload.

/// Seals and checks DUMP-style payloads.
public enum DumpPayload {
    /// `body` followed by the RDB version and the CRC-64.
    public static func seal(_ body: [UInt8]) -> [UInt8] {
        var out = body
        withUnsafeBytes(of: RDBValueCodec.version.littleEndian) { out.append(contentsOf: $0) }
        let crc = out.withUnsafeBytes { CRC64.checksum($0) }
        withUnsafeBytes(of: crc.littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    /// The body of `payload`, or nil when it is too short, of a newer RDB version, or its
    /// checksum is wrong.
    /// With `checksum` false (DEBUG SET-SKIP-CHECKSUM-VALIDATION 1) the CRC is not checked.
    public static func body(of payload: UnsafeRawBufferPointer, checksum: Bool = true) -> UnsafeRawBufferPointer? {
        guard payload.count >= 10 else { return nil }
        let footer = payload.count - 10
        let version = UInt16(payload[footer]) | UInt16(payload[footer + 1]) << 8
        let stored = CompactEncodings.readLittleEndian(payload, at: footer + 2, size: 8)
        guard version <= RDBValueCodec.version,
            !checksum || CRC64.checksum(UnsafeRawBufferPointer(rebasing: payload[..<(footer + 2)])) == stored
        else { return nil }
        return UnsafeRawBufferPointer(rebasing: payload[..<footer])
    }
}
