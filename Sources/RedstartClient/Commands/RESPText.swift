// How a byte string is shown to people: as is when it is plain printable text,
// else in double quotes with escapes (\n, \r, \t, \a, \b, \", \\, \xHH), the form
// redis-cli prints and parses (its quoted-input and its sdscatrepr output).

/// Text renderings of byte strings.
public enum RESPText {
    /// `bytes` quoted and escaped as redis-cli prints a bulk string.
    public static func quoted(_ bytes: some Collection<UInt8>) -> String {
        var text = "\""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"): text += "\\\\"
            case UInt8(ascii: "\""): text += "\\\""
            case 0x0a: text += "\\n"
            case 0x0d: text += "\\r"
            case 0x09: text += "\\t"
            case 0x07: text += "\\a"
            case 0x08: text += "\\b"
            case 0x20...0x7e: text.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789abcdef".utf8)
                text += "\\x"
                text.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                text.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 15)]))
            }
        }
        return text + "\""
    }

    /// `bytes` as is when it is non-empty printable ASCII without spaces or quotes, else quoted.
    public static func quotedIfNeeded(_ bytes: some Collection<UInt8>) -> String {
        let plain = !bytes.isEmpty && bytes.allSatisfy { $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "'") && $0 != UInt8(ascii: "\\") }
        return plain ? String(decoding: bytes, as: UTF8.self) : quoted(bytes)
    }
}
