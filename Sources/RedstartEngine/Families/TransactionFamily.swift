// Transaction commands: MULTI, EXEC, DISCARD, WATCH, UNWATCH. They run at once
// even inside MULTI (flag skipsQueue); everything else is queued there by the
// gatekeeper. See Transactions/ for the queue, the watch registry and EXEC's run.
import RedstartRESP

enum TransactionFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init(
                "multi", arity: 1, flags: [.noScript, .loading, .stale, .fast, .allowBusy, .skipsQueue],
                acl: [.transaction], group: "transactions", run: multi),
            .init(
                "exec", arity: 1, flags: [.noScript, .loading, .stale, .skipSlowlog, .skipsQueue],
                acl: [.transaction], group: "transactions", run: exec),
            .init(
                "discard", arity: 1, flags: [.noScript, .loading, .stale, .fast, .allowBusy, .skipsQueue],
                acl: [.transaction], group: "transactions", run: discard),
            .init(
                "watch", arity: -2, flags: [.noScript, .loading, .stale, .fast, .allowBusy, .skipsQueue],
                keys: .all, acl: [.transaction], group: "transactions", run: watch),
            .init(
                "unwatch", arity: 1, flags: [.noScript, .loading, .stale, .fast, .allowBusy],
                acl: [.transaction], group: "transactions", run: unwatch),
        ]
    }

    /// MULTI → +OK; the following commands are queued until EXEC or DISCARD.
    static func multi(_ cmd: CommandContext) throws(ReplyError) {
        guard !cmd.session.isInTransaction else { throw ReplyError("MULTI calls can not be nested") }
        cmd.session.transaction = Transaction()
        cmd.reply.ok()
    }

    /// EXEC → an array of the queued commands' replies; a null array when a watched key
    /// changed; `-EXECABORT` when a command could not be queued.
    static func exec(_ cmd: CommandContext) throws(ReplyError) {
        let engine = cmd.engine
        let session = cmd.session
        guard let transaction = session.transaction else { throw ReplyError("EXEC without MULTI") }
        if engine.hasExpiredWatchedKey(session) { session.isWatchDirty = true }
        if transaction.hasQueueingError {
            engine.discardTransaction(session)
            throw ReplyError(code: "EXECABORT", "Transaction discarded because of previous errors.")
        }
        if session.isWatchDirty {
            engine.discardTransaction(session)
            cmd.reply.nullArray()
            return
        }
        engine.unwatchAll(session)
        engine.runTransaction(transaction, for: session, exec: cmd.spec)
        engine.discardTransaction(session)
    }

    /// DISCARD → +OK: the queue is dropped and nothing stays watched.
    static func discard(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.session.isInTransaction else { throw ReplyError("DISCARD without MULTI") }
        cmd.engine.discardTransaction(cmd.session)
        cmd.reply.ok()
    }

    /// WATCH key [key ...] → +OK: EXEC fails if any of the keys changes before it.
    static func watch(_ cmd: CommandContext) throws(ReplyError) {
        let session = cmd.session
        guard !session.isInTransaction else { throw ReplyError("WATCH inside MULTI is not allowed") }
        // No point in watching more once the transaction is bound to fail.
        if !session.isWatchDirty {
            let db = cmd.db
            for index in 1..<cmd.args.count {
                cmd.args.withBytes(at: index) { cmd.engine.watch($0, in: db, for: session) }
            }
        }
        cmd.reply.ok()
    }

    /// UNWATCH → +OK: nothing stays watched, and a failed watch is forgotten.
    static func unwatch(_ cmd: CommandContext) throws(ReplyError) {
        cmd.engine.unwatchAll(cmd.session)
        cmd.session.isWatchDirty = false
        cmd.reply.ok()
    }
}
