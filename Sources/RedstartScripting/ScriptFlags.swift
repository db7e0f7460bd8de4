// Script flags: what a `#!lua flags=...` shebang or a function's `flags` declare,
// and how they change the command flags the gatekeeper judges (Redis's
// scriptFlagsToCmdFlags). A script without a shebang runs in compatibility mode:
// it may write, and the command keeps its own flags.
import RedstartEngine
import RedstartRESP

struct ScriptFlags: OptionSet, Hashable {
    let rawValue: UInt8

    static let noWrites = ScriptFlags(rawValue: 1 << 0)
    static let allowOOM = ScriptFlags(rawValue: 1 << 1)
    static let allowStale = ScriptFlags(rawValue: 1 << 2)
    static let noCluster = ScriptFlags(rawValue: 1 << 3)
    static let allowCrossSlot = ScriptFlags(rawValue: 1 << 4)
    /// An EVAL script without a shebang (the flags above are not declared).
    static let evalCompatibility = ScriptFlags(rawValue: 1 << 5)

    /// The declarable flags with their names, in Redis's order (FUNCTION LIST shows this order).
    static let named: [(ScriptFlags, String)] = [
        (.noWrites, "no-writes"), (.allowOOM, "allow-oom"), (.allowStale, "allow-stale"),
        (.noCluster, "no-cluster"), (.allowCrossSlot, "allow-cross-slot-keys"),
    ]

    /// The flag named exactly `name` (shebangs), or nil.
    static func named(_ name: [UInt8]) -> ScriptFlags? {
        named.first { Array($0.1.utf8) == name }?.0
    }

    /// The flag named `name` in any case (function flags), or nil.
    static func named(ignoringCase name: [UInt8]) -> ScriptFlags? {
        let lowered = name.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
        return named(lowered)
    }

    /// The command flags a script command has when its script declares these flags.
    func commandFlags(from flags: CommandFlags) -> CommandFlags {
        guard !contains(.evalCompatibility) else { return flags }
        var result = flags.subtracting([.stale, .denyOOM, .write, .mayReplicate])
        if isDisjoint(with: [.allowOOM, .noWrites]) { result.insert(.denyOOM) }
        if !contains(.noWrites) { result.insert(.write) }
        if contains(.allowStale) { result.insert(.stale) }
        return result
    }
}

/// An EVAL script's `#!` line: its flags and where the code after it starts.
struct Shebang {
    var flags: ScriptFlags
    /// Bytes of the shebang line, not counting its newline (kept, so line numbers stay).
    var length: Int

    /// Parses the shebang of `body`, if any (Redis's evalExtractShebangFlags); throws the
    /// error text Redis replies.
    static func parse(_ body: UnsafeRawBufferPointer) throws(ReplyError) -> Shebang {
        guard body.count >= 2, body[0] == UInt8(ascii: "#"), body[1] == UInt8(ascii: "!") else {
            return Shebang(flags: .evalCompatibility, length: 0)
        }
        guard let end = body.firstIndex(of: UInt8(ascii: "\n")) else { throw ReplyError("Invalid script shebang") }
        guard let parts = splitInlineArguments(UnsafeRawBufferPointer(rebasing: body[..<end])), !parts.isEmpty else {
            throw ReplyError("Invalid engine in script shebang")
        }
        guard parts[0] == Array("#!lua".utf8) else {
            throw ReplyError("Unexpected engine in script shebang: " + String(decoding: parts[0], as: UTF8.self))
        }
        var flags: ScriptFlags = []
        for part in parts.dropFirst() {
            guard part.starts(with: "flags=".utf8) else {
                throw ReplyError("Unknown lua shebang option: " + String(decoding: part, as: UTF8.self))
            }
            let list = part.dropFirst(6)
            guard !list.isEmpty else { continue }
            for name in list.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                guard let flag = ScriptFlags.named(Array(name)) else {
                    throw ReplyError("Unexpected flag in script shebang: " + String(decoding: name, as: UTF8.self))
                }
                flags.insert(flag)
            }
        }
        return Shebang(flags: flags, length: end)
    }
}
