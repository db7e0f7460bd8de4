// ACL SETUSER | GETUSER | DELUSER | LIST | USERS | WHOAMI | CAT | GENPASS | LOG |
// DRYRUN | SAVE | LOAD | HELP: Redis 7.0's user administration. The users and
// checks live in ACL/; the ACL file is read and written by the host.
import RedstartRESP

enum ACLFamily: CommandFamily {
    static var commands: [CommandSpec] {
        let admin: CommandFlags = [.admin, .noScript, .loading, .stale]
        let plain: CommandFlags = [.noScript, .loading, .stale]
        return [
            .init(
                "acl", arity: -2, group: "server",
                subcommands: [
                    .init("cat", arity: -2, flags: plain, group: "server", run: cat),
                    .init("deluser", arity: -3, flags: admin, group: "server", run: deluser),
                    .init("dryrun", arity: -4, flags: admin, group: "server", run: dryrun),
                    .init("genpass", arity: -2, flags: plain, group: "server", run: genpass),
                    .init("getuser", arity: 3, flags: admin, group: "server", run: getuser),
                    .init("help", arity: 2, flags: [.loading, .stale], group: "server", run: help),
                    .init("list", arity: 2, flags: admin, group: "server", run: list),
                    .init("load", arity: 2, flags: admin, group: "server", run: load),
                    .init("log", arity: -2, flags: admin, group: "server", run: log),
                    .init("save", arity: 2, flags: admin, group: "server", run: save),
                    .init("setuser", arity: -3, flags: admin, group: "server", run: setuser),
                    .init("users", arity: 2, flags: admin, group: "server", run: users),
                    .init("whoami", arity: 2, flags: plain, group: "server", run: whoami),
                ]),
        ]
    }

    /// ACL SETUSER username [rule ...] → +OK, or the first refused rule's error.
    static func setuser(_ cmd: CommandContext) throws(ReplyError) {
        let name = cmd.args.bytes(at: 2)
        if ACLSelector.hasSpaces(name) { throw ReplyError("Usernames can't contain spaces or null characters") }
        let rules = (3..<cmd.args.count).map { cmd.args.bytes(at: $0) }
        try cmd.engine.setUser(String(decoding: name, as: UTF8.self), rules: rules)
        cmd.reply.ok()
    }

    /// ACL DELUSER username [username ...] → how many users were removed.
    static func deluser(_ cmd: CommandContext) throws(ReplyError) {
        let names = (2..<cmd.args.count).map { cmd.args.string(at: $0) }
        cmd.reply.integer(try cmd.engine.deleteUsers(names))
    }

    /// ACL GETUSER username → map of flags, passwords, commands, keys, channels, selectors; nil.
    static func getuser(_ cmd: CommandContext) throws(ReplyError) {
        guard let user = cmd.engine.acl.user(named: cmd.args.string(at: 2)) else {
            cmd.reply.null()
            return
        }
        let rules = user.rules
        let index = cmd.engine.acl.index
        cmd.reply.mapHeader(6)
        cmd.reply.bulk("flags")
        let flags = rules.flagWords
        cmd.reply.setHeader(flags.count)
        for flag in flags { cmd.reply.bulk(flag) }
        cmd.reply.bulk("passwords")
        cmd.reply.arrayHeader(rules.passwords.count)
        for password in rules.passwords { cmd.reply.bulk(password) }
        replySelector(cmd, rules.root, index)
        cmd.reply.bulk("selectors")
        cmd.reply.arrayHeader(rules.selectors.count - 1)
        for selector in rules.selectors.dropFirst() {
            cmd.reply.mapHeader(3)
            replySelector(cmd, selector, index)
        }
    }

    private static func replySelector(_ cmd: CommandContext, _ selector: ACLSelector, _ index: ACLCommandIndex) {
        cmd.reply.bulk("commands")
        cmd.reply.bulk(selector.describeCommands(index: index))
        cmd.reply.bulk("keys")
        cmd.reply.bulk(selector.describedKeys)
        cmd.reply.bulk("channels")
        cmd.reply.bulk(selector.describedChannels)
    }

    /// ACL LIST → every user as an ACL file line.
    static func list(_ cmd: CommandContext) throws(ReplyError) {
        let users = cmd.engine.acl.usersInOrder
        cmd.reply.arrayHeader(users.count)
        for user in users { cmd.reply.bulk("user \(user.name) \(user.describe(index: cmd.engine.acl.index))") }
    }

    /// ACL USERS → the user names.
    static func users(_ cmd: CommandContext) throws(ReplyError) {
        let users = cmd.engine.acl.usersInOrder
        cmd.reply.arrayHeader(users.count)
        for user in users { cmd.reply.bulk(user.name) }
    }

    /// ACL WHOAMI → the session's user name.
    static func whoami(_ cmd: CommandContext) throws(ReplyError) {
        if let user = cmd.session.aclUser { cmd.reply.bulk(user.name) } else { cmd.reply.null() }
    }

    /// ACL CAT [category] → the category names, or the commands and subcommands of one.
    static func cat(_ cmd: CommandContext) throws(ReplyError) {
        if cmd.args.count == 2 {
            cmd.reply.arrayHeader(ACLCategories.names.count)
            for (_, name) in ACLCategories.names { cmd.reply.bulk(name) }
            return
        }
        guard cmd.args.count == 3 else { throw cmd.subcommandSyntaxError() }
        guard let (_, position) = ACLCommandIndex.category(named: cmd.args.string(at: 2)) else {
            throw ReplyError("Unknown category '\(cmd.args.string(at: 2).prefixBytes(128))'")
        }
        let index = cmd.engine.acl.index
        let ids = index.idsByCategory[position]
        cmd.reply.arrayHeader(ids.count)
        for id in ids { cmd.reply.bulk(index.specs[id].fullName) }
    }

    /// ACL GENPASS [bits] → a random password of `bits` (256) bits as hex digits.
    static func genpass(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count <= 3 else { throw cmd.subcommandSyntaxError() }
        var bits: Int64 = 256
        if cmd.args.count == 3 { bits = try cmd.integer(2) }
        guard bits > 0 && bits <= 4096 else {
            throw ReplyError(
                "ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
        }
        let digits = Array("0123456789abcdef".utf8)
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<Int((bits + 3) / 4)).map { _ in digits[Int(generator.next() & 15)] }
        cmd.reply.bulk(characters)
    }

    /// ACL LOG [count | RESET] → the latest denials, newest first (10 by default).
    static func log(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count <= 3 else { throw cmd.subcommandSyntaxError() }
        var count = 10
        if cmd.args.count == 3 {
            if cmd.argument(2, is: "reset") {
                cmd.engine.acl.log.reset()
                cmd.reply.ok()
                return
            }
            count = Int(clamping: max(0, try cmd.integer(2)))
        }
        let entries = cmd.engine.acl.log.entries.prefix(count)
        let now = cmd.engine.clock.wallMilliseconds
        cmd.reply.arrayHeader(entries.count)
        for entry in entries {
            cmd.reply.mapHeader(7)
            cmd.reply.bulk("count")
            cmd.reply.integer(entry.count)
            cmd.reply.bulk("reason")
            cmd.reply.bulk(entry.reason.rawValue)
            cmd.reply.bulk("context")
            cmd.reply.bulk(entry.context.rawValue)
            cmd.reply.bulk("object")
            cmd.reply.bulk(entry.object)
            cmd.reply.bulk("username")
            cmd.reply.bulk(entry.username)
            cmd.reply.bulk("age-seconds")
            cmd.reply.double(Double(now - entry.time) / 1000)
            cmd.reply.bulk("client-info")
            cmd.reply.bulk(entry.clientInfo)
        }
    }

    /// ACL DRYRUN username command [arg ...] → +OK, or why the user may not run it (a bulk string).
    static func dryrun(_ cmd: CommandContext) throws(ReplyError) {
        let engine = cmd.engine
        guard let user = engine.acl.user(named: cmd.args.string(at: 2)) else {
            throw ReplyError("User '\(cmd.args.string(at: 2))' not found")
        }
        let request = cmd.args.dropping(first: 3)
        guard let spec = engine.lookupCommand(request) else {
            throw ReplyError("Command '\(cmd.args.string(at: 3))' not found")
        }
        guard spec.accepts(argumentCount: request.count) else {
            throw ReplyError("wrong number of arguments for '\(spec.fullName)' command")
        }
        switch engine.aclDenial(user, spec, request) {
        case nil:
            cmd.reply.ok()
        case .command:
            cmd.reply.bulk("This user has no permissions to run the '\(spec.fullName)' command")
        case .key(let position):
            cmd.reply.bulk("This user has no permissions to access the '\(request.string(at: position))' key")
        case .channel(let position):
            cmd.reply.bulk("This user has no permissions to access the '\(request.string(at: position))' channel")
        }
    }

    /// ACL LOAD → +OK once the ACL file's users replaced the current ones (all or nothing).
    static func load(_ cmd: CommandContext) throws(ReplyError) {
        let file = try configuredFile(cmd)
        guard let host = cmd.engine.host else { throw ReplyError("The server has no file access") }
        let text: [UInt8]
        switch host.readACLFile(file) {
        case .success(let bytes): text = bytes
        case .failure(let failure):
            throw ReplyError("Error loading ACLs, opening file '\(file)': \(failure.reason)")
        }
        try cmd.engine.installACLFile(text, fileName: file)
        cmd.reply.ok()
    }

    /// ACL SAVE → +OK once the users are written to the ACL file.
    static func save(_ cmd: CommandContext) throws(ReplyError) {
        let file = try configuredFile(cmd)
        guard let host = cmd.engine.host, host.writeACLFile(file, Array(cmd.engine.aclFileText.utf8)) else {
            throw ReplyError(
                "There was an error trying to save the ACLs. Please check the server logs for more information")
        }
        cmd.reply.ok()
    }

    private static func configuredFile(_ cmd: CommandContext) throws(ReplyError) -> String {
        let file = cmd.engine.config["aclfile"]
        guard !file.isEmpty else {
            throw ReplyError(
                "This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."
            )
        }
        return file
    }

    /// ACL HELP → status lines.
    static func help(_ cmd: CommandContext) throws(ReplyError) {
        cmd.replyHelp([
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ])
    }
}
