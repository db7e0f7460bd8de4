// SAVE and BGSAVE: the RDB file written now or in the background; BGREWRITEAOF:
// the append-only file rewritten in the background. All through the host
// (Engine+Persistence.swift, and the server's RDBPersistence and
// AOFPersistence). LASTSAVE is in ServerFamily.

enum PersistenceFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init("save", arity: 1, flags: [.admin, .noScript, .noAsyncLoading, .noMulti], group: "server", run: save),
            .init("bgsave", arity: -1, flags: [.admin, .noScript, .noAsyncLoading], group: "server", run: bgsave),
            .init("bgrewriteaof", arity: 1, flags: [.admin, .noScript, .noAsyncLoading], group: "server", run: bgrewriteaof),
        ]
    }

    /// SAVE → +OK once the file is written; -ERR when it could not be.
    static func save(_ cmd: CommandContext) throws(ReplyError) {
        if cmd.engine.isSavingInBackground { throw ReplyError("Background save already in progress") }
        guard let host = cmd.engine.host, host.saveSnapshot() else { throw ReplyError(line: "ERR") }
        cmd.reply.ok()
    }

    /// BGSAVE [SCHEDULE] → "Background saving started"; "scheduled" inside EXEC, or with
    /// SCHEDULE while an AOF rewrite runs (without it that is an error).
    static func bgsave(_ cmd: CommandContext) throws(ReplyError) {
        let schedule = cmd.args.count == 2 && cmd.argument(1, is: "schedule")
        if cmd.args.count > 1 && !schedule { throw .syntax }
        let engine = cmd.engine
        if engine.isSavingInBackground { throw ReplyError("Background save already in progress") }
        // Inside EXEC, as Redis, the save is left to the cron (after the transaction).
        if engine.isRewritingAppendOnlyFile || engine.isExecutingTransaction {
            guard schedule || engine.isExecutingTransaction else {
                throw ReplyError(
                    "Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."
                )
            }
            engine.persistence.backgroundSaveScheduled = true
            cmd.reply.simpleString("Background saving scheduled")
            return
        }
        guard let host = engine.host, host.startBackgroundSave() else { throw ReplyError(line: "ERR") }
        cmd.reply.simpleString("Background saving started")
    }
}

extension PersistenceFamily {
    /// BGREWRITEAOF → "Background append only file rewriting started"; "scheduled" while a
    /// BGSAVE runs or inside EXEC (the cron starts it later).
    static func bgrewriteaof(_ cmd: CommandContext) throws(ReplyError) {
        let engine = cmd.engine
        if engine.isRewritingAppendOnlyFile {
            throw ReplyError("Background append only file rewriting already in progress")
        }
        if engine.isSavingInBackground || engine.isExecutingTransaction {
            engine.persistence.aof.rewriteScheduled = true
            engine.persistence.aof.consecutiveRewriteFailures = 0
            cmd.reply.simpleString("Background append only file rewriting scheduled")
            return
        }
        guard let host = engine.host, host.startAppendOnlyRewrite() else {
            throw ReplyError("Can't execute an AOF background rewriting. Please check the server logs for more information.")
        }
        cmd.reply.simpleString("Background append only file rewriting started")
    }
}
