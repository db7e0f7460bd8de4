// Quoted, escaped rendering of binary strings as Redis's sdscatrepr writes them
// (MONITOR lines, log lines): "..." with \n \r \t \a \b \\ \" and \xHH.

/// `bytes` as a double-quoted string with C-style escapes.
public func quotedRepr<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    var out = "\""
    for byte in bytes {
        switch byte {
        case UInt8(ascii: "\\"): out += "\\\\"
        case UInt8(ascii: "\""): out += "\\\""
        case 0x0A: out += "\\n"
        case 0x0D: out += "\\r"
        case 0x09: out += "\\t"
        case 0x07: out += "\\a"
        case 0x08: out += "\\b"
        case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = String(byte, radix: 16)
            out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    return out + "\""
}
