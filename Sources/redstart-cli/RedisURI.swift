// `-u redis://[[user:]password@][host[:port]][/db]` (and `rediss://` for TLS), read
// the way redis-cli 7.0.15's parseRedisUri reads it: no query options; user and
// password are percent-decoded; the port is the text after the first ':' following the
// credentials (atoi), and the database is atoi of what follows the first '/'.
import Glibc

enum RedisURI {
    /// Sets host, port, user, password, database and TLS in `options` from `uri`.
    static func apply(_ uri: [UInt8], to options: inout CLIOptions) throws(CLIStop) {
        let bytes = Array(uri.prefix(while: { $0 != 0 }))
        var current: Int
        if hasPrefix(bytes, "rediss://") {
            options.tls.enabled = true
            current = 9
        } else if hasPrefix(bytes, "redis://") {
            current = 8
        } else {
            throw CLIStop(message: "Invalid URI scheme\n")
        }
        let end = bytes.count
        if current == end { return }

        if let at = bytes[current...].firstIndex(of: UInt8(ascii: "@")) {
            if let colon = bytes[current...].firstIndex(of: UInt8(ascii: ":")), colon < at {
                options.user = try percentDecode(bytes[current..<colon])
                current = colon + 1
            }
            options.password = try percentDecode(bytes[current..<at])
            current = at + 1
        }
        if current == end { return }

        let slash = bytes[current...].firstIndex(of: UInt8(ascii: "/"))
        if bytes[current] != UInt8(ascii: "/") {
            var hostEnd = slash ?? end
            // Like strchr, the ':' is looked for in the whole rest, even past the '/'.
            if let colon = bytes[current...].firstIndex(of: UInt8(ascii: ":")) {
                options.port = atoi(from: bytes[(colon + 1)...])
                hostEnd = colon
            }
            options.host = Array(bytes[current..<max(current, hostEnd)])
        }
        current = slash.map { $0 + 1 } ?? end
        if current == end { return }
        options.database = atoi(from: bytes[current...])
    }

    private static func hasPrefix(_ bytes: [UInt8], _ prefix: String) -> Bool {
        let prefix = Array(prefix.utf8)
        guard bytes.count >= prefix.count else { return false }
        // strncasecmp: the scheme is case-insensitive.
        return zip(bytes, prefix).allSatisfy { lowercase($0) == $1 }
    }

    private static func lowercase(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
    }

    /// %XX escapes (hex digits in either case); redis-cli's error texts for bad ones.
    private static func percentDecode(_ text: ArraySlice<UInt8>) throws(CLIStop) -> [UInt8] {
        var out: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            guard byte == UInt8(ascii: "%") else {
                out.append(byte)
                index += 1
                continue
            }
            // redis-cli reads one byte past the field when only one follows the '%': that
            // byte is the ':' or '@' that ended the field, not a hex digit.
            guard text.endIndex - index >= 2 else { throw CLIStop(message: "Incomplete URI encoding\n") }
            guard index + 2 < text.endIndex, let high = hexValue(text[index + 1]), let low = hexValue(text[index + 2])
            else { throw CLIStop(message: "Illegal character in URI encoding\n") }
            out.append(high << 4 | low)
            index += 3
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        let lower = lowercase(byte)
        switch lower {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return lower - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return lower - UInt8(ascii: "a") + 10
        default: return nil
        }
    }

    /// C's atoi over bytes.
    private static func atoi(from bytes: ArraySlice<UInt8>) -> Int32 {
        Glibc.atoi(String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self))
    }
}
