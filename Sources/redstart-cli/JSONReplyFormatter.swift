// --json and --quoted-json: a reply as redis-cli 7.0.15 prints it in JSON.
// - Strings, statuses and verbatim text are JSON strings. With --json the bytes pass as
//   they are, except `\` and `"` (escaped), \n \f \r \t \b, and other bytes below 0x20
//   as \u00XX. With --quoted-json a string is redis-cli's quoted form (\xNN for bytes
//   that are not printable ASCII) with every backslash doubled.
// - An error is `error:` and its string (cut at a NUL, as redis-cli uses strlen).
// - Integers and doubles are printed as the server sent them; nil is null; booleans are
//   true/false.
// - Arrays, sets and pushes are JSON arrays, maps are objects. A map key that is not a
//   string is formatted, then quoted unless it already starts with a quote.
// Quirks kept on purpose (each is redis-cli's): quoting's doubled backslashes turn an
// escaped quote into `\\"`; an error key prints as `error:"..."`; a double such as `inf`
// is printed bare; a RESP3 big number is "Unknown reply type: 13" and exit 1.
import RedstartRESP

enum JSONReplyFormatter {
    /// The JSON text of `reply`, without the newline that ends it.
    static func format(_ reply: CLIReply, quoted: Bool, into out: inout [UInt8]) {
        switch reply {
        case .error(let text):
            out.append(contentsOf: Array("error:".utf8))
            string(Array(text.cString), quoted: quoted, into: &out)
        case .status(let bytes), .string(let bytes), .verbatim(let bytes):
            string(bytes, quoted: quoted, into: &out)
        case .integer(let value):
            out.append(contentsOf: Array(String(value).utf8))
        case .double(let text):
            out.append(contentsOf: text.cString)
        case .null:
            out.append(contentsOf: Array("null".utf8))
        case .boolean(let flag):
            out.append(contentsOf: Array((flag ? "true" : "false").utf8))
        case .bigNumber:
            CLIOutput.error("Unknown reply type: 13\n")
            CLIOutput.exit(1)
        case .aggregate(.map, let elements):
            out.append(UInt8(ascii: "{"))
            var index = 0
            while index + 1 < elements.count {
                key(elements[index], quoted: quoted, into: &out)
                out.append(UInt8(ascii: ":"))
                format(elements[index + 1], quoted: quoted, into: &out)
                if index + 2 < elements.count { out.append(UInt8(ascii: ",")) }
                index += 2
            }
            out.append(UInt8(ascii: "}"))
        case .aggregate(_, let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                format(element, quoted: quoted, into: &out)
                if index != elements.count - 1 { out.append(UInt8(ascii: ",")) }
            }
            out.append(UInt8(ascii: "]"))
        }
    }

    /// A map key: a string kind as itself, anything else formatted and then quoted.
    private static func key(_ key: CLIReply, quoted: Bool, into out: inout [UInt8]) {
        switch key {
        case .error, .status, .string, .verbatim:
            format(key, quoted: quoted, into: &out)
        default:
            var text: [UInt8] = []
            format(key, quoted: quoted, into: &text)
            if text.first == UInt8(ascii: "\"") {
                out.append(contentsOf: text)
            } else {
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: text)
                out.append(UInt8(ascii: "\""))
            }
        }
    }

    private static func string(_ bytes: [UInt8], quoted: Bool, into out: inout [UInt8]) {
        if quoted {
            var repr: [UInt8] = []
            appendRepr(bytes, to: &repr)
            for byte in repr {
                out.append(byte)
                if byte == UInt8(ascii: "\\") { out.append(byte) }
            }
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"), UInt8(ascii: "\""):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0x0A: out.append(contentsOf: Array("\\n".utf8))
            case 0x0C: out.append(contentsOf: Array("\\f".utf8))
            case 0x0D: out.append(contentsOf: Array("\\r".utf8))
            case 0x09: out.append(contentsOf: Array("\\t".utf8))
            case 0x08: out.append(contentsOf: Array("\\b".utf8))
            case 0..<0x20: out.append(contentsOf: Array(CFormat.string("\\u%04x", Int32(byte)).utf8))
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
