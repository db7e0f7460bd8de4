// Command metadata that is data rather than behaviour: COMMAND DOCS entries,
// key specs and tips, taken from the generated catalog (Redis 7.0.15's own
// replies) and parsed on first use. Commands Redis 7.0.15 does not have
// (CLIENT SETINFO, CLIENT NO-TOUCH, from 7.2) get short docs written here.
import NIOCore
import RedstartRESP

/// Parsed catalog entries, cached per engine.
final class CommandCatalog {
    private var cache: [String: (docs: RESPValue?, keySpecs: RESPValue, tips: RESPValue)] = [:]

    /// The docs map of `fullName` without subcommands, or nil.
    func docs(_ fullName: String) -> RESPValue? { entry(fullName).docs }

    /// The key specs (a set of maps, as Redis 7.0 sends them) of `fullName`.
    func keySpecs(_ fullName: String) -> RESPValue { entry(fullName).keySpecs }

    /// The parsed key specs of `fullName`.
    func parsedKeySpecs(_ fullName: String) -> [KeySpec] {
        if let cached = keySpecCache[fullName] { return cached }
        let specs = KeySpec.parse(keySpecs(fullName))
        keySpecCache[fullName] = specs
        return specs
    }

    private var keySpecCache: [String: [KeySpec]] = [:]

    /// The tips (a set) of `fullName`.
    func tips(_ fullName: String) -> RESPValue { entry(fullName).tips }

    private func entry(_ fullName: String) -> (docs: RESPValue?, keySpecs: RESPValue, tips: RESPValue) {
        if let cached = cache[fullName] { return cached }
        let parsed: (docs: RESPValue?, keySpecs: RESPValue, tips: RESPValue)
        if let raw = GeneratedCommandCatalog.entries[fullName] {
            parsed = (Self.parse(raw.docs), Self.parse(raw.keySpecs) ?? .set([]), Self.parse(raw.tips) ?? .set([]))
        } else {
            parsed = (Self.supplement[fullName], .set([]), .set([]))
        }
        cache[fullName] = parsed
        return parsed
    }

    private static func parse(_ text: String) -> RESPValue? {
        var buffer = ByteBuffer(string: text)
        return try? RESPValueParser().next(from: &buffer)
    }

    /// Docs for commands newer than Redis 7.0.15.
    static let supplement: [String: RESPValue] = [
        "client|setinfo": docsMap(
            summary: "Sets information specific to the client or connection.", since: "7.2.0",
            complexity: "O(1)"),
        "client|no-touch": docsMap(
            summary: "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.",
            since: "7.2.0", complexity: "O(1)"),
    ]

    private static func docsMap(summary: String, since: String, complexity: String) -> RESPValue {
        .map([
            RESPPair(.bulk("summary"), .bulk(summary)),
            RESPPair(.bulk("since"), .bulk(since)),
            RESPPair(.bulk("group"), .bulk("connection")),
            RESPPair(.bulk("complexity"), .bulk(complexity)),
        ])
    }
}
