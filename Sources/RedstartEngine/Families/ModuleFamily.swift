// MODULE: Redis's modules are shared objects built against its C module API, which
// Redstart does not have, so no module is ever loaded: LIST is always empty (as
// clients probing for RedisJSON or RediSearch expect to learn), LOAD and LOADEX fail
// as Redis does for a module it cannot load (the reason in the log), and UNLOAD finds
// no such module. As in Redis, those three are refused unless enable-module-command
// allows them.
import RedstartRESP

enum ModuleFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init(
                "module", arity: -2, group: "server",
                subcommands: [
                    .init("help", arity: 2, flags: [.loading, .stale], group: "server", run: help),
                    .init("list", arity: 2, flags: [.admin, .noScript], group: "server", run: list),
                    .init("load", arity: -3, flags: [.admin, .noScript, .noAsyncLoading, .protected], group: "server", run: load),
                    .init("loadex", arity: -3, flags: [.admin, .noScript, .noAsyncLoading, .protected], group: "server", run: load),
                    .init("unload", arity: 3, flags: [.admin, .noScript, .noAsyncLoading, .protected], group: "server", run: unload),
                ]),
        ]
    }

    static func help(_ cmd: CommandContext) throws(ReplyError) {
        cmd.replyHelp([
            "LIST",
            "    Return a list of loaded modules.",
            "LOAD <path> [<arg> ...]",
            "    Load a module library from <path>, passing to it any optional arguments.",
            "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
            "    Load a module library from <path>, while passing it module configurations and optional arguments.",
            "UNLOAD <name>",
            "    Unload a module.",
        ])
    }

    static func list(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.arrayHeader(0)
    }

    static func load(_ cmd: CommandContext) throws(ReplyError) {
        cmd.engine.log(
            .warning,
            "Module \(cmd.args.string(at: 2)) failed to load: Redstart cannot load modules built for Redis's module API")
        throw ReplyError("Error loading the extension. Please check the server logs.")
    }

    static func unload(_ cmd: CommandContext) throws(ReplyError) {
        throw ReplyError("Error unloading module: no such module with that name")
    }
}
