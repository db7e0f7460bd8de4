// The EVAL script cache: scripts by the SHA1 of their body, each compiled once into
// the EVAL Lua state (a registry reference to its function) with the flags of its
// shebang. SCRIPT FLUSH drops the cache with the state; nothing else removes a
// script, as in Redis.
import CLua
import CRedstartLua

/// A SHA1 as 20 bytes, parsed from 40 hex digits in either case (EVALSHA accepts both).
struct ScriptDigest: Hashable {
    private var high: UInt64
    private var middle: UInt64
    private var low: UInt32

    /// Parses 40 hex digits; nil for anything else.
    init?(hex: UnsafeRawBufferPointer) {
        guard hex.count == 40 else { return nil }
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        for index in 0..<40 {
            let byte = hex[index]
            let nibble: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = UInt64(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = UInt64(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            switch index {
            case 0..<16: words.0 = words.0 << 4 | nibble
            case 16..<32: words.1 = words.1 << 4 | nibble
            default: words.2 = words.2 << 4 | nibble
            }
        }
        high = words.0
        middle = words.1
        low = UInt32(words.2)
    }

    /// The SHA1 of `body`, with its 40 lowercase hex digits.
    static func of(_ body: UnsafeRawBufferPointer) -> (digest: ScriptDigest, hex: String) {
        var text = [CChar](repeating: 0, count: 41)
        redstart_sha1_hex(body.baseAddress, body.count, &text)
        let hex = String(cString: text)
        var copy = hex
        let digest = copy.withUTF8 { ScriptDigest(hex: UnsafeRawBufferPointer($0))! }
        return (digest, hex)
    }
}

/// 40 hex digits as EVALSHA gave them (any case), held inline: comparing them with the last
/// ones given costs no retain, unlike an array.
struct SHAText: Equatable {
    private var words: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)

    /// Nil unless `text` is 40 bytes long.
    init?(_ text: UnsafeRawBufferPointer) {
        guard text.count == 40 else { return nil }
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: text) }
    }

    static func == (a: Self, b: Self) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
            && a.words.4 == b.words.4
    }
}

/// A compiled EVAL script.
final class CachedScript {
    /// The 40 lowercase hex digits of its SHA1 (the name errors and logs show).
    let sha: String
    let body: [UInt8]
    let flags: ScriptFlags
    /// Registry reference to the compiled chunk in the EVAL state.
    let function: Int32

    init(sha: String, body: [UInt8], flags: ScriptFlags, function: Int32) {
        self.sha = sha
        self.body = body
        self.flags = flags
        self.function = function
    }
}
