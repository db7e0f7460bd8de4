// Quoted, escaped rendering of binary strings as Redis's sdscatrepr writes them:
// wrapped in double quotes; backslash and quote escaped; \n \r \t \a \b spelled out;
// other bytes outside printable ASCII (0x20-0x7E) as \xNN in lowercase hex, so UTF-8
// text is escaped byte by byte. Used for MONITOR and log lines, CONFIG REWRITE, the
// client's descriptions and redstart-cli's output, which must match redis-cli's bytes.

/// Appends one byte escaped as inside a quoted string.
public func appendCharacterRepr(_ byte: UInt8, to out: inout [UInt8]) {
    switch byte {
    case UInt8(ascii: "\\"), UInt8(ascii: "\""):
        out.append(UInt8(ascii: "\\"))
        out.append(byte)
    case 0x0A: out.append(contentsOf: "\\n".utf8)
    case 0x0D: out.append(contentsOf: "\\r".utf8)
    case 0x09: out.append(contentsOf: "\\t".utf8)
    case 0x07: out.append(contentsOf: "\\a".utf8)
    case 0x08: out.append(contentsOf: "\\b".utf8)
    case 0x20...0x7E: out.append(byte)
    default:
        let hex: StaticString = "0123456789abcdef"
        out.append(contentsOf: "\\x".utf8)
        out.append(hex.utf8Start[Int(byte >> 4)])
        out.append(hex.utf8Start[Int(byte & 0x0F)])
    }
}

/// Appends `bytes` quoted and escaped.
public func appendRepr<Bytes: Sequence>(_ bytes: Bytes, to out: inout [UInt8]) where Bytes.Element == UInt8 {
    out.append(UInt8(ascii: "\""))
    for byte in bytes { appendCharacterRepr(byte, to: &out) }
    out.append(UInt8(ascii: "\""))
}

/// `bytes` as a double-quoted string with C-style escapes.
public func quotedRepr<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    var out: [UInt8] = []
    appendRepr(bytes, to: &out)
    return String(decoding: out, as: UTF8.self)
}

/// `bytes` as they are when they are non-empty printable ASCII without spaces, quotes
/// or backslashes (a word redis-cli would read back unchanged), else `quotedRepr`.
public func quotedReprIfNeeded<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    let plain = !bytes.isEmpty && bytes.allSatisfy { byte in
        byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "'") && byte != UInt8(ascii: "\\")
    }
    return plain ? String(decoding: bytes, as: UTF8.self) : quotedRepr(bytes)
}
