// The ACL users and log. Every session is authenticated as one user (the
// `default` user until AUTH/HELLO say otherwise; internal sessions such as the
// AOF's have none and may run anything). The default user can never be deleted
// and is changed in place, so sessions holding it keep it across ACL LOAD.

/// The ACL state of a server: users, the default user, the log.
public final class AccessControl {
    let index: ACLCommandIndex
    private var users: [String: ACLUser] = [:]
    /// The user new connections start as.
    public let defaultUser: ACLUser
    var log = ACLLog()
    /// acl-pubsub-default: whether a new user or selector starts with allchannels.
    var pubsubAllChannels = false
    /// acllog-max-len.
    var logMaxLength = 128

    init(table: CommandTable) {
        index = ACLCommandIndex(table: table)
        defaultUser = ACLUser(name: "default", rules: Self.defaultRules(wordCount: index.wordCount))
        users["default"] = defaultUser
    }

    /// The default user's rules when nothing configures it: `on nopass ~* &* +@all`.
    private static func defaultRules(wordCount: Int) -> ACLUserRules {
        var rules = ACLUserRules(wordCount: wordCount, allChannels: true)
        rules.root.allowAll()
        rules.root.allKeys = true
        rules.enabled = true
        rules.noPass = true
        return rules
    }

    /// The rules of a user just created.
    func newRules() -> ACLUserRules {
        ACLUserRules(wordCount: index.wordCount, allChannels: pubsubAllChannels)
    }

    /// The user named `name`.
    public func user(named name: String) -> ACLUser? { users[name] }

    /// Every user, sorted by name bytes (the order of ACL LIST, ACL USERS and the ACL file).
    var usersInOrder: [ACLUser] {
        users.values.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
    }

    /// Whether the default user takes any password (protected mode applies then).
    public var defaultUserHasNoPassword: Bool { defaultUser.rules.noPass }

    /// Whether a session that has not authenticated may run commands as the default user.
    var defaultUserNeedsNoAuth: Bool {
        defaultUser.rules.noPass && defaultUser.rules.enabled
    }

    func add(_ user: ACLUser) {
        users[user.name] = user
    }

    func remove(_ name: String) -> ACLUser? {
        users.removeValue(forKey: name)
    }

    /// Replaces every user but the default one, whose rules are updated in place; returns
    /// the users that are gone or replaced.
    func replaceUsers(with newUsers: [String: ACLUser]) -> [ACLUser] {
        let dropped = users.values.filter { $0 !== defaultUser }
        users = newUsers
        defaultUser.rules = newUsers["default"]?.rules ?? Self.defaultRules(wordCount: index.wordCount)
        users["default"] = defaultUser
        return dropped
    }

    /// Applies ACL rules (`on`, `>pass`, `(~key +get)` ...) to `rules`: the words of one
    /// SETUSER, a `user` config line or an ACL file line. Selectors spread over several
    /// words are joined first. Throws Redis's error text.
    func apply(_ words: [[UInt8]], to rules: inout ACLUserRules) throws(ACLSetUserError) {
        let merged = try Self.mergeSelectors(words)
        for word in merged {
            do throws(ACLRuleError) {
                try rules.apply(word, index: index, pubsubAllChannels: pubsubAllChannels)
            } catch {
                throw ACLSetUserError(rule: word, error: error)
            }
        }
    }

    /// Joins a selector written across words (`(~key` `+get)`) into one rule.
    static func mergeSelectors(_ words: [[UInt8]]) throws(ACLSetUserError) -> [[UInt8]] {
        var merged: [[UInt8]] = []
        var open: [UInt8]?
        var openingWord: [UInt8] = []
        for word in words {
            if open == nil, word.first == UInt8(ascii: "("), word.last != UInt8(ascii: ")") {
                open = word
                openingWord = word
                continue
            }
            if var selector = open {
                selector += [UInt8(ascii: " ")] + word
                if word.last == UInt8(ascii: ")") {
                    merged.append(selector)
                    open = nil
                } else {
                    open = selector
                }
                continue
            }
            merged.append(word)
        }
        if open != nil {
            throw ACLSetUserError(
                text: "Unmatched parenthesis in acl selector starting at '\(String(decoding: openingWord, as: UTF8.self))'.",
                rule: openingWord, error: .syntax)
        }
        return merged
    }
}

/// A refused ACL SETUSER (or user line): the rule and why.
struct ACLSetUserError: Error {
    let text: String
    let rule: [UInt8]
    let error: ACLRuleError

    init(rule: [UInt8], error: ACLRuleError) {
        self.rule = rule
        self.error = error
        self.text = "Error in ACL SETUSER modifier '\(String(decoding: rule, as: UTF8.self))': \(error.message)"
    }

    init(text: String, rule: [UInt8], error: ACLRuleError) {
        self.text = text
        self.rule = rule
        self.error = error
    }
}
