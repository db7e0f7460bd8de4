// SAVE and BGSAVE: the RDB file written now or in the background, through the
// host (Engine+Persistence.swift, and the server's RDBPersistence). LASTSAVE
// is in ServerFamily.

enum PersistenceFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init("save", arity: 1, flags: [.admin, .noScript, .noAsyncLoading, .noMulti], group: "server", run: save),
            .init("bgsave", arity: -1, flags: [.admin, .noScript, .noAsyncLoading], group: "server", run: bgsave),
        ]
    }

    /// SAVE → +OK once the file is written; -ERR when it could not be.
    static func save(_ cmd: CommandContext) throws(ReplyError) {
        if cmd.engine.isSavingInBackground { throw ReplyError("Background save already in progress") }
        guard let host = cmd.engine.host, host.saveSnapshot() else { throw ReplyError(line: "ERR") }
        cmd.reply.ok()
    }

    /// BGSAVE [SCHEDULE] → "Background saving started" ("scheduled" inside EXEC). SCHEDULE
    /// matters to Redis only while an AOF rewrite runs, which Redstart does not have yet.
    static func bgsave(_ cmd: CommandContext) throws(ReplyError) {
        if cmd.args.count > 1 && !(cmd.args.count == 2 && cmd.argument(1, is: "schedule")) { throw .syntax }
        let engine = cmd.engine
        if engine.isSavingInBackground { throw ReplyError("Background save already in progress") }
        // Inside EXEC, as Redis, the save is left to the cron (after the transaction).
        if engine.isExecutingTransaction {
            engine.persistence.backgroundSaveScheduled = true
            cmd.reply.simpleString("Background saving scheduled")
            return
        }
        guard let host = engine.host, host.startBackgroundSave() else { throw ReplyError(line: "ERR") }
        cmd.reply.simpleString("Background saving started")
    }
}
