// Rules written back from a user's state, in ACL SETUSER's words (ACL LIST, ACL
// GETUSER, ACL SAVE, CONFIG REWRITE). The command part is rebuilt from the
// bitmap as Redis rebuilds it: start from +@all (when the selector can run future
// commands) or -@all, greedily apply the category that best matches what is left
// (more commands in common than different, fewest differences, then most in
// common), then name the single commands and first arguments still different.

extension ACLSelector {
    /// The command rules: `+@all -@dangerous +flushdb`, `-@all +get +select|0`, ...
    func describeCommands(index: ACLCommandIndex) -> String {
        var rules: [String] = []
        var rebuilt = ACLSelector(isRoot: false, wordCount: commandBits.count, allChannels: false)
        let additive = !allowsFutureCommands
        if additive {
            rules.append("-@all")
        } else {
            rules.append("+@all")
            rebuilt.allowAll()
        }
        // What the categories applied so far have not explained yet: a category applied to
        // `rebuilt` is applied inverted here, so its commands stop counting as differences.
        var remaining = self
        var applied = Set<Int>()
        while true {
            var best: Int?
            var fewestDifferent = Int.max
            var mostSame = 0
            for position in ACLCategories.names.indices where !applied.contains(position) {
                var allowed = 0
                var denied = 0
                for id in index.idsByCategory[position] {
                    if remaining.allows(id) { allowed += 1 } else { denied += 1 }
                }
                let different = additive ? denied : allowed
                let same = additive ? allowed : denied
                if same > different && (different < fewestDifferent || (different == fewestDifferent && same > mostSame)) {
                    best = position
                    fewestDifferent = different
                    mostSame = same
                }
            }
            guard let best else { break }
            let (category, name) = ACLCategories.names[best]
            rebuilt.change(category: category, allow: additive, in: index)
            remaining.change(category: category, allow: !additive, in: index)
            rules.append((additive ? "+@" : "-@") + name)
            applied.insert(best)
        }
        for spec in index.topLevel {
            describeDifference(spec, from: &rebuilt, into: &rules)
            for sub in spec.subcommands { describeDifference(sub, from: &rebuilt, into: &rules) }
            if !allows(spec.aclID), let arguments = firstArguments[spec.aclID] {
                for argument in arguments { rules.append("+" + spec.fullName + "|" + argument) }
            }
        }
        return rules.joined(separator: " ")
    }

    private func describeDifference(_ spec: CommandSpec, from rebuilt: inout ACLSelector, into rules: inout [String]) {
        let allowed = allows(spec.aclID)
        guard allowed != rebuilt.allows(spec.aclID) else { return }
        rules.append((allowed ? "+" : "-") + spec.fullName)
        rebuilt.change(spec, allow: allowed)
    }

    /// ACL GETUSER's `keys`: `~*`, or the patterns separated by spaces.
    var describedKeys: String {
        allKeys ? "~*" : keyPatterns.map(\.rule).joined(separator: " ")
    }

    /// ACL GETUSER's `channels`: `&*`, or the patterns separated by spaces.
    var describedChannels: String {
        allChannels ? "&*" : channelPatterns.map { "&" + String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }

    /// Keys, channels and commands as rules (ACL LIST's form).
    func describe(index: ACLCommandIndex) -> String {
        var words: [String] = []
        if allKeys {
            words.append("~*")
        } else {
            words += keyPatterns.map(\.rule)
        }
        if allChannels {
            words.append("&*")
        } else {
            words.append("resetchannels")
            words += channelPatterns.map { "&" + String(decoding: $0, as: UTF8.self) }
        }
        words.append(describeCommands(index: index))
        return words.joined(separator: " ")
    }
}

extension ACLUser {
    /// The user's rules as ACL LIST and the ACL file write them (without `user <name>`).
    func describe(index: ACLCommandIndex) -> String {
        if let cachedDescription { return cachedDescription }
        var text = rules.flagWords.joined(separator: " ") + " "
        for password in rules.passwords { text += "#" + password + " " }
        for selector in rules.selectors {
            let described = selector.describe(index: index)
            text += selector.isRoot ? described : " (" + described + ")"
        }
        cachedDescription = text
        return text
    }
}
