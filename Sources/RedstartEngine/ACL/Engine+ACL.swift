// The ACL checks and what changing users does to sessions. A request passes when
// one of its user's selectors allows the command (or its first argument), every
// key the command's key specs find with the access those specs declare (read for
// ACCESS, write for INSERT/DELETE/UPDATE), and every channel it publishes or
// subscribes to. When none does, the denial reported is the one Redis picks: a
// channel over a key over the command, the later argument among equals.
import RedstartRESP

/// What a user may not do in a request.
enum ACLDenial: Equatable {
    case command
    case key(position: Int)
    case channel(position: Int)

    /// Redis's ACL_DENIED_* order: a later kind is reported over an earlier one.
    fileprivate var rank: Int {
        switch self {
        case .command: return 1
        case .key: return 2
        case .channel: return 4
        }
    }

    fileprivate var position: Int {
        switch self {
        case .command: return 0
        case .key(let position), .channel(let position): return position
        }
    }

    var reason: ACLDenialReason {
        switch self {
        case .command: return .command
        case .key: return .key
        case .channel: return .channel
        }
    }
}

extension Engine {
    // MARK: - Checks

    /// What `user` may not do in this request, or nil when it may run it.
    func aclDenial(_ user: ACLUser, _ spec: CommandSpec, _ args: CommandArguments) -> ACLDenial? {
        if user.isUnrestricted { return nil }
        var keys: [KeyReference]?
        var relevant = ACLDenial.command
        for selector in user.rules.selectors {
            guard let denial = denial(by: selector, spec, args, keys: &keys) else { return nil }
            if denial.rank > relevant.rank || (denial.rank == relevant.rank && denial.position > relevant.position) {
                relevant = denial
            }
        }
        return relevant
    }

    /// Whether `user` (nil: an internal client) may run the request (redis.acl_check_cmd).
    public func permits(_ user: ACLUser?, _ spec: CommandSpec, _ args: CommandArguments) -> Bool {
        guard let user else { return true }
        return aclDenial(user, spec, args) == nil
    }

    /// Whether one selector refuses the request (`keys`: the request's keys, found once).
    private func denial(
        by selector: ACLSelector, _ spec: CommandSpec, _ args: CommandArguments, keys: inout [KeyReference]?
    ) -> ACLDenial? {
        if !selector.allCommands && !spec.flags.contains(.noAuth) && !selector.allows(spec.aclID) {
            let position = spec.parent == nil ? 1 : 2
            guard position < args.count, let allowed = selector.firstArguments[spec.aclID] else { return .command }
            let argument = args.string(at: position).lowercased()
            guard allowed.contains(where: { $0.lowercased() == argument }) else { return .command }
        }
        if !selector.allKeys {
            if keys == nil { keys = keyReferences(spec, args) }
            for key in keys ?? [] where !selector.allowsKey(args.bytes(at: key.position), flags: key.flags) {
                return .key(position: key.position)
            }
        }
        if !selector.allChannels {
            for (position, isPattern) in Self.channelArguments(spec, args)
            where !selector.allowsChannel(args.bytes(at: position), isPattern: isPattern) {
                return .channel(position: position)
            }
        }
        return nil
    }

    /// The keys of a request as its key specs (or its own key finder) name them.
    private func keyReferences(_ spec: CommandSpec, _ args: CommandArguments) -> [KeyReference] {
        KeySpec.keys(of: spec, specs: catalog.parsedKeySpecs(spec.fullName), in: args) ?? []
    }

    /// The channels a request publishes or subscribes to, with whether each is a pattern
    /// (UNSUBSCRIBE's channels are not checked, as in Redis).
    private static func channelArguments(_ spec: CommandSpec, _ args: CommandArguments) -> [(Int, Bool)] {
        switch spec.fullName {
        case "publish", "spublish": return args.count > 1 ? [(1, false)] : []
        case "subscribe", "ssubscribe": return (1..<max(1, args.count)).map { ($0, false) }
        case "psubscribe": return (1..<max(1, args.count)).map { ($0, true) }
        default: return []
        }
    }

    /// Whether `user` may run the request and read every key (SORT's BY and GET patterns).
    func hasUnrestrictedReadAccess(_ user: ACLUser?, _ spec: CommandSpec, _ args: CommandArguments) -> Bool {
        guard let user, !user.isUnrestricted else { return true }
        var keys: [KeyReference]?
        return user.rules.selectors.contains { selector in
            denial(by: selector, spec, args, keys: &keys) == nil
                && selector.hasUnrestrictedKeyAccess(read: true, write: false)
        }
    }

    // MARK: - Denials

    /// Logs a denial in ACL LOG.
    func logACLDenial(
        _ reason: ACLDenialReason, context: ACLLogContext, object: [UInt8], username: String, client: Session
    ) {
        let entry = ACLLogEntry(
            count: 1, reason: reason, context: context, object: object, username: Array(username.utf8),
            time: clock.wallMilliseconds, clientInfo: clientInfoLine(client))
        acl.log.add(entry, maxLength: acl.logMaxLength)
    }

    /// Logs a request's denial and returns the error the gatekeeper replies.
    func refuseByACL(_ denial: ACLDenial, _ user: ACLUser, _ spec: CommandSpec, _ args: CommandArguments, _ session: Session)
        -> ReplyError
    {
        // As Redis sets it on lookup: the entry's client info names the refused command.
        session.lastCommand = spec
        logACLDenial(
            denial.reason, context: session.isInTransaction ? .multi : .toplevel,
            object: aclLogObject(denial, spec, args), username: user.name, client: session)
        switch denial {
        case .command:
            return ReplyError(code: "NOPERM", "this user has no permissions to run the '\(spec.fullName)' command")
        case .key:
            return ReplyError(code: "NOPERM", "this user has no permissions to access one of the keys used as arguments")
        case .channel:
            return ReplyError(code: "NOPERM", "this user has no permissions to access one of the channels used as arguments")
        }
    }

    /// The command's full name, or the key or channel denied.
    func aclLogObject(_ denial: ACLDenial, _ spec: CommandSpec, _ args: CommandArguments) -> [UInt8] {
        switch denial {
        case .command: return Array(spec.fullName.utf8)
        case .key(let position), .channel(let position): return args.bytes(at: position)
        }
    }

    /// The NOPERM error of a queued command that its user may no longer run at EXEC.
    func refuseQueuedByACL(_ denial: ACLDenial, _ user: ACLUser, _ spec: CommandSpec, _ args: CommandArguments, _ session: Session)
        -> ReplyError
    {
        logACLDenial(
            denial.reason, context: .multi, object: aclLogObject(denial, spec, args), username: user.name, client: session)
        let reason: String
        switch denial {
        case .command: reason = "no permission to execute the command or subcommand"
        case .key: reason = "no permission to touch the specified keys"
        case .channel: reason = "no permission to access one of the channels used as arguments"
        }
        return ReplyError(
            code: "NOPERM",
            "ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: \(reason)"
        )
    }

    /// The error of a script's call its user may not make (context `lua`; `caller` is the
    /// client that ran the script).
    func refuseScriptCallByACL(_ denial: ACLDenial, _ user: ACLUser, _ spec: CommandSpec, _ args: CommandArguments, caller: Session)
        -> ReplyError
    {
        logACLDenial(
            denial.reason, context: .lua, object: aclLogObject(denial, spec, args), username: user.name, client: caller)
        switch denial {
        case .command: return ReplyError("The user executing the script can't run this command or subcommand")
        case .key:
            return ReplyError("The user executing the script can't access at least one of the keys mentioned in the command arguments")
        case .channel: return ReplyError("The user executing the script can't publish to the channel mentioned in the command")
        }
    }

    // MARK: - Authentication

    /// Whether `session` must authenticate before running commands other than AUTH, HELLO ...
    public func isAuthenticationRequired(_ session: Session) -> Bool {
        !session.isAuthenticated && !acl.defaultUserNeedsNoAuth
    }

    /// Checks a user name and password; on success the session is authenticated as that
    /// user, on failure the attempt is logged (object: the command's name as sent).
    func authenticate(_ session: Session, user name: [UInt8], password: [UInt8], command: [UInt8]) -> Bool {
        let username = String(decoding: name, as: UTF8.self)
        if let user = acl.user(named: username), user.accepts(password: password) {
            session.aclUser = user
            session.isAuthenticated = true
            return true
        }
        logACLDenial(
            .auth, context: session.isInTransaction ? .multi : .toplevel, object: command, username: username,
            client: session)
        return false
    }

    /// Puts a session back to the default user, authenticated when it needs no password (a
    /// new connection, RESET).
    func authenticateAsDefault(_ session: Session) {
        session.aclUser = acl.defaultUser
        session.isAuthenticated = acl.defaultUserNeedsNoAuth
    }

    /// requirepass: the default user's one password, or nopass when empty.
    func applyRequirePass(_ password: String) {
        var rules = acl.defaultUser.rules
        rules.noPass = false
        rules.passwords = []
        if password.isEmpty {
            rules.noPass = true
        } else {
            rules.passwords = [SHA256.hexDigest(Array(password.utf8))]
        }
        acl.defaultUser.rules = rules
    }
}

extension ACLSelector {
    /// Whether a key pattern with the access `flags` (key-spec flag names) ask for matches `key`.
    func allowsKey(_ key: [UInt8], flags: [String]) -> Bool {
        if allKeys { return true }
        let read = flags.contains("access")
        let write = flags.contains("insert") || flags.contains("delete") || flags.contains("update")
        return keyPatterns.contains { pattern in
            (pattern.read || !read) && (pattern.write || !write) && globMatch(pattern: pattern.pattern, string: key)
        }
    }

    /// Whether a channel (matched against the patterns) or a subscribed pattern (compared
    /// literally) is allowed.
    func allowsChannel(_ channel: [UInt8], isPattern: Bool) -> Bool {
        if allChannels { return true }
        return channelPatterns.contains { pattern in
            isPattern ? pattern == channel : globMatch(pattern: pattern, string: channel)
        }
    }
}
