// Strings as redis-cli quotes them in its human output, CSV and --scan listings (the
// behaviour of Redis's sdscatrepr): wrapped in double quotes; backslash and quote
// escaped; \n \r \t \a \b spelled out; other bytes outside printable ASCII (C locale
// isprint: 0x20-0x7E) as \xNN in lowercase hex. UTF-8 text is therefore escaped byte
// by byte, as redis-cli does.

/// Appends `bytes` quoted and escaped.
func appendRepr<Bytes: Sequence>(_ bytes: Bytes, to out: inout [UInt8]) where Bytes.Element == UInt8 {
    out.append(UInt8(ascii: "\""))
    for byte in bytes { appendCharacterRepr(byte, to: &out) }
    out.append(UInt8(ascii: "\""))
}

/// Appends one byte escaped as inside a quoted string.
func appendCharacterRepr(_ byte: UInt8, to out: inout [UInt8]) {
    switch byte {
    case UInt8(ascii: "\\"), UInt8(ascii: "\""):
        out.append(UInt8(ascii: "\\"))
        out.append(byte)
    case 0x0A: out.append("\\n")
    case 0x0D: out.append("\\r")
    case 0x09: out.append("\\t")
    case 0x07: out.append("\\a")
    case 0x08: out.append("\\b")
    case 0x20...0x7E: out.append(byte)
    default:
        let hex = Array("0123456789abcdef".utf8)
        out.append("\\x")
        out.append(hex[Int(byte >> 4)])
        out.append(hex[Int(byte & 0x0F)])
    }
}
