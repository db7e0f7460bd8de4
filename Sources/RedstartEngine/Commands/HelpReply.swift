// The reply of `<COMMAND> HELP`: a header line, the command's lines, and the
// HELP footer, each a status string, as Redis's addReplyHelp writes them.

extension CommandContext {
    /// Replies the help text of a container command.
    public func replyHelp(_ lines: [String]) {
        let command = args.string(at: 0).uppercased()
        reply.arrayHeader(lines.count + 3)
        reply.simpleString("\(command) <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        for line in lines { reply.simpleString(line) }
        reply.simpleString("HELP")
        reply.simpleString("    Prints this help.")
    }

    /// Redis's addReplySubcommandSyntaxError: `ERR unknown subcommand or wrong number of
    /// arguments for '<argument 1, at most 128 bytes>'. Try <COMMAND> HELP.`
    public func subcommandSyntaxError() -> ReplyError {
        ReplyError(
            "unknown subcommand or wrong number of arguments for '\(args.string(at: 1).prefixBytes(128))'. Try \(args.string(at: 0).uppercased()) HELP."
        )
    }
}
