// FUNCTION: the Lua function libraries. Until scripting exists no library can be
// loaded, so the libraries are always empty and FLUSH (which empties them) is
// complete as it stands; the other subcommands arrive with scripting (TODO: the
// scripting issue) and answer "unknown subcommand" until then.
import RedstartRESP

enum FunctionFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init(
                "function", arity: -2, group: "scripting",
                subcommands: [
                    .init("help", arity: 2, flags: [.loading, .stale], acl: [.scripting], group: "scripting", run: help),
                    .init("flush", arity: -2, flags: [.write, .noScript], acl: [.scripting], group: "scripting", run: flush),
                ]),
        ]
    }

    /// FUNCTION HELP → status lines.
    static func help(_ cmd: CommandContext) throws(ReplyError) {
        cmd.replyHelp([
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
        ])
    }

    /// FUNCTION FLUSH [ASYNC|SYNC] → +OK: deletes every function library (there are none yet).
    static func flush(_ cmd: CommandContext) throws(ReplyError) {
        if cmd.args.count == 3 {
            guard cmd.argument(2, is: "async") || cmd.argument(2, is: "sync") else {
                throw ReplyError("FUNCTION FLUSH only supports SYNC|ASYNC option")
            }
        } else if cmd.args.count > 3 {
            throw ReplyError("unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP.")
        }
        cmd.reply.ok()
    }
}
