// Changing the users and what it does to the sessions that use them: ACL SETUSER
// disconnects subscribers of channels the user may no longer use, ACL DELUSER
// and ACL LOAD disconnect the sessions of users that are gone (the caller after
// its reply), and the ACL file's text is read and written here (the host does
// the file I/O).

extension Engine {
    /// ACL SETUSER / `user` lines: creates or changes a user. Nothing changes when a rule
    /// is refused.
    func setUser(_ name: String, rules words: [[UInt8]]) throws(ReplyError) {
        let existing = acl.user(named: name)
        var rules = existing?.rules ?? acl.newRules()
        do throws(ACLSetUserError) {
            try acl.apply(words, to: &rules)
        } catch {
            throw ReplyError(error.text)
        }
        guard let existing else {
            acl.add(ACLUser(name: name, rules: rules))
            return
        }
        let original = existing.rules
        existing.rules = rules
        disconnectSubscribersLosingChannels(existing, original: original)
    }

    /// ACL DELUSER: removes users (never `default`) and disconnects their sessions.
    func deleteUsers(_ names: [String]) throws(ReplyError) -> Int {
        if names.contains("default") { throw ReplyError("The 'default' user cannot be removed") }
        var deleted = 0
        for name in names {
            guard let user = acl.remove(name) else { continue }
            disconnectSessions(of: [user])
            deleted += 1
        }
        return deleted
    }

    /// Closes the sessions authenticated as `users`; the running one after its reply.
    func disconnectSessions(of users: [ACLUser]) {
        guard !users.isEmpty else { return }
        let gone = Set(users.map(ObjectIdentifier.init))
        for session in sessionsInOrder {
            guard let user = session.aclUser, gone.contains(ObjectIdentifier(user)) else { continue }
            session.aclUser = acl.defaultUser
            session.isAuthenticated = false
            if session === runningSession {
                session.closeAfterReply = true
            } else {
                disconnect(session)
            }
        }
    }

    /// After a user's channel permissions changed: disconnects its subscribers holding a
    /// channel or pattern the new rules do not allow, unless the new rules allow every
    /// channel or keep every pattern the old ones had.
    private func disconnectSubscribersLosingChannels(_ user: ACLUser, original: ACLUserRules) {
        let selectors = user.rules.selectors
        if selectors.contains(where: \.allChannels) { return }
        let upcoming = selectors.flatMap(\.channelPatterns)
        let kept = original.selectors.allSatisfy { selector in
            !selector.allChannels && selector.channelPatterns.allSatisfy { upcoming.contains($0) }
        }
        if kept { return }
        var allowed = ACLSelector(isRoot: false, wordCount: 0, allChannels: false)
        allowed.channelPatterns = upcoming
        for session in sessionsInOrder where session.aclUser === user && session.isSubscribed {
            let revoked =
                session.subscribedPatterns.contains { !allowed.allowsChannel($0.bytes, isPattern: true) }
                || session.subscribedChannels.contains { !allowed.allowsChannel($0.bytes, isPattern: false) }
                || session.subscribedShardChannels.contains { !allowed.allowsChannel($0.bytes, isPattern: false) }
            guard revoked else { continue }
            if session === runningSession {
                session.closeAfterReply = true
            } else {
                disconnect(session)
            }
        }
    }

    // MARK: - Start-up and the ACL file

    /// The config file's `user <name> [rule ...]` lines (a `default` line resets the default
    /// user first). Returns the error to log when a rule is refused.
    public func applyConfiguredUsers(_ lines: [[[UInt8]]]) -> String? {
        for line in lines {
            let name = String(decoding: line[0], as: UTF8.self)
            if ACLSelector.hasSpaces(line[0]) { return "Spaces not allowed in ACL usernames" }
            var rules = acl.newRules()
            if name == "default" { try? acl.apply([Array("reset".utf8)], to: &rules) }
            do throws(ACLSetUserError) {
                try acl.apply(Array(line.dropFirst()), to: &rules)
            } catch {
                let rule = String(decoding: error.rule, as: UTF8.self)
                return "Error loading ACL rule '\(rule)' for the user named '\(name)': \(error.error.message)"
            }
            if let user = acl.user(named: name) {
                user.rules = rules
            } else {
                acl.add(ACLUser(name: name, rules: rules))
            }
            if !rules.enabled {
                log(
                    .notice,
                    "The user '\(name)' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error."
                )
            }
        }
        return nil
    }

    /// ACL LOAD and start-up: installs the users of an ACL file's text, or throws every
    /// problem found (nothing changes then).
    public func installACLFile(_ text: [UInt8], fileName: String) throws(ReplyError) {
        switch parseACLFile(text, fileName: fileName) {
        case .success(let users): replaceUsers(with: users)
        case .failure(let error): throw error
        }
    }

    /// CONFIG REWRITE's `user` lines: every user, sorted by name.
    public var configUserLines: [String] {
        acl.usersInOrder.map { "user \($0.name) \($0.describe(index: acl.index))" }
    }

    /// Users read from an ACL file's text, or every problem found, in Redis's words.
    /// `fileName` is how the problems name the file.
    func parseACLFile(_ text: [UInt8], fileName: String) -> Result<[String: ACLUser], ReplyError> {
        var users: [String: ACLUser] = [:]
        var errors = ""
        let lines = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (offset, rawLine) in lines.enumerated() {
            let lineNumber = offset + 1
            let line = Self.trimmed(Array(rawLine), of: [0x20, 0x09, 0x0D, 0x0A])
            if line.isEmpty { continue }
            let words = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false).map(Array.init)
            guard words.count >= 2, words[0] == Array("user".utf8) else {
                errors += "\(fileName):\(lineNumber) should start with user keyword followed by the username. "
                continue
            }
            let name = String(decoding: words[1], as: UTF8.self)
            if ACLSelector.hasSpaces(words[1]) {
                errors += "'\(fileName):\(lineNumber): username '\(name)' contains invalid characters. "
                continue
            }
            if users[name] != nil {
                errors += "WARNING: Duplicate user '\(name)' found on line \(lineNumber). "
                continue
            }
            var rules = acl.newRules()
            let merged: [[UInt8]]
            do throws(ACLSetUserError) {
                merged = try AccessControl.mergeSelectors(Array(words.dropFirst(2)))
            } catch {
                errors += "\(fileName):\(lineNumber): Unmatched parenthesis in selector definition."
                continue
            }
            var reportedSyntax = false
            for word in merged {
                let rule = Self.trimmed(word, of: [0x09, 0x0D, 0x0A])
                do throws(ACLRuleError) {
                    try rules.apply(rule, index: acl.index, pubsubAllChannels: acl.pubsubAllChannels)
                } catch {
                    if error.underlying == .unknownCommand {
                        errors += "\(fileName):\(lineNumber): Error in applying operation '\(String(decoding: rule, as: UTF8.self))': \(error.message). "
                    } else if !reportedSyntax {
                        errors += "\(fileName):\(lineNumber): \(error.message). "
                        reportedSyntax = true
                    }
                }
            }
            users[name] = ACLUser(name: name, rules: rules)
        }
        if !errors.isEmpty {
            return .failure(ReplyError(errors + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed"))
        }
        return .success(users)
    }

    /// Installs users read from an ACL file; sessions of users that are gone are closed.
    func replaceUsers(with users: [String: ACLUser]) {
        let dropped = acl.replaceUsers(with: users)
        disconnectSessions(of: dropped)
    }

    /// The ACL file's text for the current users (ACL SAVE), one `user` line each.
    var aclFileText: String {
        configUserLines.map { $0 + "\n" }.joined()
    }

    private static func trimmed(_ bytes: [UInt8], of set: [UInt8]) -> [UInt8] {
        var slice = bytes[...]
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return Array(slice)
    }
}
