// A command or subcommand name folded to lowercase and held inline (no heap),
// so the gatekeeper can look a request's name up without allocating. Names
// longer than `capacity` bytes are not command names; they never match.
import RedstartRESP

/// A lowercase command name of at most 32 bytes, stored inline.
public struct CommandName: Hashable, Sendable {
    /// One multiply-fold over the name's words: command lookups are on the hot path and
    /// the table's keys are fixed, so a keyed hash (SipHash) buys nothing here.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(fastHash)
    }

    /// The hash used by CommandTable's own index.
    var fastHash: UInt64 {
        let mixed = (w0 &* 0x9E37_79B9_7F4A_7C15) ^ (w1 &* 0xC2B2_AE3D_27D4_EB4F) ^ (w2 &* 0x1656_67B1_9E37_79F9)
            ^ (w3 &* 0x85EB_CA77_C2B2_AE63) ^ UInt64(length)
        return mixed ^ (mixed >> 29)
    }

    public static let capacity = 32
    private var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0
    private var length: UInt8 = 0

    /// The name from raw bytes, ASCII-lowercased; nil when too long.
    init?(bytes raw: UnsafeRawBufferPointer) {
        guard raw.count <= Self.capacity else { return nil }
        self.init()
        withUnsafeMutableBytes(of: &self) { out in
            for i in 0..<raw.count {
                let byte = raw[i]
                out[i] = byte >= 65 && byte <= 90 ? byte | 0x20 : byte
            }
        }
        // The length lives after the 32 name bytes; set it last.
        length = UInt8(raw.count)
    }

    /// The name of argument `index` of a request.
    init?(_ arguments: CommandArguments, at index: Int) {
        guard let name = arguments.withBytes(at: index, { CommandName(bytes: $0) }) else { return nil }
        self = name
    }

    /// A name from text (the command table's own names).
    public init(_ text: String) {
        self = CommandName(text: text)!
    }

    /// A name from text a client sent; nil when it is too long to be any command's name.
    public init?(text: String) {
        var text = text
        guard let name = text.withUTF8({ CommandName(bytes: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = name
    }

    private init() {}
}
