// COMMAND and its subcommands: introspection of the command table in Redis's
// reply shapes (COMMAND INFO's 10-element entries, COMMAND DOCS maps), so that
// redis-cli hints and cluster-aware clients work.
import RedstartRESP

enum CommandInfoFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init(
                "command", arity: -1, flags: [.loading, .stale], acl: [.connection], group: "server", run: all,
                subcommands: [
                    .init("help", arity: 2, flags: [.loading, .stale], acl: [.connection], group: "server", run: help),
                    .init("count", arity: 2, flags: [.loading, .stale], acl: [.connection], group: "server", run: count),
                    .init("info", arity: -2, flags: [.loading, .stale], acl: [.connection], group: "server", run: info),
                    .init("docs", arity: -2, flags: [.loading, .stale], acl: [.connection], group: "server", run: docs),
                    .init("list", arity: -2, flags: [.loading, .stale], acl: [.connection], group: "server", run: list),
                    .init(
                        "getkeys", arity: -4, flags: [.loading, .stale], acl: [.connection], group: "server",
                        run: getkeys),
                    .init(
                        "getkeysandflags", arity: -4, flags: [.loading, .stale], acl: [.connection], group: "server",
                        run: getkeysandflags),
                ]),
        ]
    }

    /// COMMAND HELP → status lines.
    static func help(_ cmd: CommandContext) throws(ReplyError) {
        cmd.replyHelp([
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
            "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
            "    Return a list of all commands in this Redis server.",
        ])
    }

    /// COMMAND → array: the COMMAND INFO entry of every command.
    static func all(_ cmd: CommandContext) throws(ReplyError) {
        let table = cmd.engine.table.commands
        cmd.reply.arrayHeader(table.count)
        for spec in table { writeInfo(cmd, spec) }
    }

    /// COMMAND COUNT → integer.
    static func count(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.integer(cmd.engine.table.commands.count)
    }

    /// COMMAND INFO [name ...] → array of entries (null for unknown names).
    static func info(_ cmd: CommandContext) throws(ReplyError) {
        if cmd.args.count == 2 { return try all(cmd) }
        cmd.reply.arrayHeader(cmd.args.count - 2)
        for index in 2..<cmd.args.count {
            if let spec = cmd.engine.table.command(named: cmd.args.string(at: index)) {
                writeInfo(cmd, spec)
            } else {
                cmd.reply.null()
            }
        }
    }

    /// One COMMAND INFO entry: name, arity, flags, first, last, step, ACL categories, tips,
    /// key specs, subcommands.
    static func writeInfo(_ cmd: CommandContext, _ spec: CommandSpec) {
        let catalog = cmd.engine.catalog
        cmd.reply.arrayHeader(10)
        cmd.reply.bulk(spec.fullName)
        cmd.reply.integer(spec.arity)
        let flags = spec.flags.reportedNames
        cmd.reply.setHeader(flags.count)
        for flag in flags { cmd.reply.simpleString(flag) }
        cmd.reply.integer(spec.keys.first)
        cmd.reply.integer(spec.keys.last)
        cmd.reply.integer(spec.keys.step)
        let categories = spec.aclCategories.reportedNames
        cmd.reply.setHeader(categories.count)
        for category in categories { cmd.reply.simpleString(category) }
        cmd.reply.value(catalog.tips(spec.fullName))
        cmd.reply.value(catalog.keySpecs(spec.fullName))
        cmd.reply.arrayHeader(spec.subcommands.count)
        for sub in spec.subcommands { writeInfo(cmd, sub) }
    }

    /// COMMAND DOCS [name ...] → map of command name to its documentation.
    static func docs(_ cmd: CommandContext) throws(ReplyError) {
        var selected: [CommandSpec] = []
        if cmd.args.count == 2 {
            selected = cmd.engine.table.commands
        } else {
            for index in 2..<cmd.args.count {
                if let spec = cmd.engine.table.command(named: cmd.args.string(at: index)) { selected.append(spec) }
            }
        }
        cmd.reply.mapHeader(selected.count)
        for spec in selected {
            cmd.reply.bulk(spec.fullName)
            writeDocs(cmd, spec)
        }
    }

    private static func writeDocs(_ cmd: CommandContext, _ spec: CommandSpec) {
        var pairs: [RESPPair] = []
        if case .map(let documented) = cmd.engine.catalog.docs(spec.fullName) ?? .map([]) {
            pairs = documented
        }
        if pairs.isEmpty {
            pairs = [RESPPair(.bulk("group"), .bulk(spec.group))]
        }
        let hasSubcommands = !spec.subcommands.isEmpty
        cmd.reply.mapHeader(pairs.count + (hasSubcommands ? 1 : 0))
        for pair in pairs {
            cmd.reply.value(pair.key)
            cmd.reply.value(pair.value)
        }
        if hasSubcommands {
            cmd.reply.bulk("subcommands")
            cmd.reply.mapHeader(spec.subcommands.count)
            for sub in spec.subcommands {
                cmd.reply.bulk(sub.fullName)
                writeDocs(cmd, sub)
            }
        }
    }

    /// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern] → array of names.
    static func list(_ cmd: CommandContext) throws(ReplyError) {
        var names = cmd.engine.table.allSpecs.map(\.fullName)
        if cmd.args.count > 2 {
            guard cmd.args.count == 5, cmd.argument(2, is: "filterby") else { throw .syntax }
            let value = cmd.args.string(at: 4)
            if cmd.argument(3, is: "module") {
                names = []  // no modules can be loaded
            } else if cmd.argument(3, is: "aclcat") {
                let wanted = "@" + value.lowercased()
                names = cmd.engine.table.allSpecs.filter { $0.aclCategories.reportedNames.contains(wanted) }.map(\.fullName)
            } else if cmd.argument(3, is: "pattern") {
                let pattern = Array(value.utf8)
                names = names.filter { globMatch(pattern: pattern, string: Array($0.utf8), ignoreCase: true) }
            } else {
                throw .syntax
            }
        }
        cmd.reply.arrayHeader(names.count)
        for name in names { cmd.reply.bulk(name) }
    }

    /// COMMAND GETKEYS command [arg ...] → array of the key arguments.
    static func getkeys(_ cmd: CommandContext) throws(ReplyError) {
        try replyKeys(cmd, withFlags: false)
    }

    /// COMMAND GETKEYSANDFLAGS command [arg ...] → array of [key, flags].
    static func getkeysandflags(_ cmd: CommandContext) throws(ReplyError) {
        try replyKeys(cmd, withFlags: true)
    }

    /// Finds the keys of the request in arguments 2... with the command's key specs, as Redis does.
    private static func replyKeys(_ cmd: CommandContext, withFlags: Bool) throws(ReplyError) {
        let request = cmd.args.dropping(first: 2)
        guard request.count > 0, var spec = cmd.engine.table.command(request, at: 0) else {
            throw ReplyError("Invalid command specified")
        }
        if spec.isContainer, request.count >= 2 {
            guard let sub = CommandName(request, at: 1).flatMap(spec.subcommand) else {
                throw ReplyError("Invalid command specified")
            }
            spec = sub
        }
        let specs = cmd.engine.catalog.parsedKeySpecs(spec.fullName)
        guard specs.contains(where: { !$0.isNotKey }) else { throw ReplyError("The command has no key arguments") }
        guard spec.accepts(argumentCount: request.count) else {
            throw ReplyError("Invalid number of arguments specified for command")
        }
        guard let keys = KeySpec.keys(of: spec, specs: specs, in: request), !keys.isEmpty else {
            if spec.flags.contains(.noMandatoryKeys) {
                cmd.reply.arrayHeader(0)
                return
            }
            throw ReplyError("Invalid arguments specified for command")
        }
        cmd.reply.arrayHeader(keys.count)
        for key in keys {
            if withFlags {
                cmd.reply.arrayHeader(2)
                request.withBytes(at: key.position) { cmd.reply.bulk($0) }
                cmd.reply.setHeader(key.flags.count)
                for flag in key.flags { cmd.reply.simpleString(flag) }
            } else {
                request.withBytes(at: key.position) { cmd.reply.bulk($0) }
            }
        }
    }
}
