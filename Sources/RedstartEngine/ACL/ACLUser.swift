// An ACL user: its name and its rules (on/off, passwords, selectors). The user
// is an object shared by the sessions authenticated as it, so ACL SETUSER's
// changes reach them at once; ACL SETUSER stages the new rules on a copy and
// assigns them only when every rule applied.
import RedstartRESP

/// A user's flags, passwords and selectors.
struct ACLUserRules: Equatable {
    var enabled = false
    var noPass = false
    /// `sanitize-payload` (true), `skip-sanitize-payload` (false), or neither.
    var sanitizesPayload: Bool?
    /// SHA-256 hex digests, in the order added.
    var passwords: [String] = []
    /// The root selector first.
    var selectors: [ACLSelector]

    init(wordCount: Int, allChannels: Bool) {
        selectors = [ACLSelector(isRoot: true, wordCount: wordCount, allChannels: allChannels)]
    }

    var root: ACLSelector {
        get { selectors[0] }
        set { selectors[0] = newValue }
    }

    /// Applies one user rule; selector rules go to the root selector.
    mutating func apply(_ rule: [UInt8], index: ACLCommandIndex, pubsubAllChannels: Bool) throws(ACLRuleError) {
        if rule.isEmpty { return }
        let lowered = String(decoding: rule, as: UTF8.self).lowercased()
        let first = rule[0]
        switch lowered {
        case "on": enabled = true
        case "off": enabled = false
        case "skip-sanitize-payload": sanitizesPayload = false
        case "sanitize-payload": sanitizesPayload = true
        case "nopass":
            noPass = true
            passwords = []
        case "resetpass":
            noPass = false
            passwords = []
        case "clearselectors":
            selectors.removeSubrange(1...)
        case "reset":
            noPass = false
            passwords = []
            root.allKeys = false
            root.keyPatterns = []
            root.allChannels = pubsubAllChannels
            root.channelPatterns = []
            enabled = false
            sanitizesPayload = true
            selectors.removeSubrange(1...)
            root.denyAll()
        default:
            if first == UInt8(ascii: ">") || first == UInt8(ascii: "#") {
                let hash = try Self.passwordHash(rule)
                if !passwords.contains(hash) { passwords.append(hash) }
                noPass = false
            } else if first == UInt8(ascii: "<") || first == UInt8(ascii: "!") {
                let hash = try Self.passwordHash(rule)
                guard let position = passwords.firstIndex(of: hash) else { throw .noSuchPassword }
                passwords.remove(at: position)
            } else if first == UInt8(ascii: "("), rule.last == UInt8(ascii: ")") {
                var selector = ACLSelector(isRoot: false, wordCount: root.commandBits.count, allChannels: pubsubAllChannels)
                let inner = Array(rule.dropFirst().dropLast())
                let words = inner.withUnsafeBytes { splitInlineArguments($0) } ?? []
                for word in words {
                    do throws(ACLRuleError) {
                        try selector.apply(word, index: index)
                    } catch {
                        throw .inSelector(error)
                    }
                }
                selectors.append(selector)
            } else {
                try selectors[0].apply(rule, index: index)
            }
        }
    }

    /// The stored form of a `>password`/`<password` (hashed) or `#hash`/`!hash` (checked) rule.
    private static func passwordHash(_ rule: [UInt8]) throws(ACLRuleError) -> String {
        let body = rule.dropFirst()
        if rule[0] == UInt8(ascii: ">") || rule[0] == UInt8(ascii: "<") { return SHA256.hexDigest(body) }
        let valid = body.count == 64 && body.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
        guard valid else { throw .badHash }
        return String(decoding: body, as: UTF8.self)
    }

    /// Flag words in Redis's order (on, off, nopass, skip-sanitize-payload, sanitize-payload).
    var flagWords: [String] {
        var words = [enabled ? "on" : "off"]
        if noPass { words.append("nopass") }
        if sanitizesPayload == false { words.append("skip-sanitize-payload") }
        if sanitizesPayload == true { words.append("sanitize-payload") }
        return words
    }
}

/// A user sessions authenticate as.
public final class ACLUser: @unchecked Sendable {
    public let name: String
    /// Every rule; assigning them refreshes what the checks read.
    var rules: ACLUserRules {
        didSet { refresh() }
    }
    /// One selector allowing every command, key and channel: no check is needed (the
    /// default user unless configured otherwise).
    @exclusivity(unchecked) public private(set) var isUnrestricted = false
    /// ACL LIST's description, made on first use after a change.
    var cachedDescription: String?

    init(name: String, rules: ACLUserRules) {
        self.name = name
        self.rules = rules
        refresh()
    }

    private func refresh() {
        cachedDescription = nil
        let root = rules.root
        isUnrestricted = rules.selectors.count == 1 && root.allCommands && root.allKeys && root.allChannels
    }

    /// Whether `password` opens this user (on, and nopass or one of its passwords).
    func accepts(password: [UInt8]) -> Bool {
        guard rules.enabled else { return false }
        if rules.noPass { return true }
        let digest = Array(SHA256.hexDigest(password).utf8)
        var matched = false
        for stored in rules.passwords {
            // Compared in full, whatever matched earlier: no timing difference between candidates.
            var difference: UInt8 = 0
            for (a, b) in zip(digest, stored.utf8) { difference |= a ^ b }
            if difference == 0 { matched = true }
        }
        return matched
    }
}
