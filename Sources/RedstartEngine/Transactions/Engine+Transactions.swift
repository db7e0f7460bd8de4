// Running and ending transactions. The gatekeeper (Dispatcher.swift) queues
// commands while a session is in MULTI and flags the transaction when it
// refuses one; EXEC (TransactionFamily) checks the flags and WATCH, then runs
// the queue here: each command through the ordinary call path (stats, slowlog,
// MONITOR, propagation records), with no other client in between, and the
// time frozen at EXEC's start as in Redis.
import RedstartRESP

extension Engine {
    /// Leaves MULTI (if in it) and stops watching: after EXEC, DISCARD, RESET and disconnect.
    public func discardTransaction(_ session: Session) {
        session.transaction = nil
        session.isWatchDirty = false
        unwatchAll(session)
    }

    /// Marks the session's transaction (if any) as failed: a command could not be queued.
    func flagTransaction(_ session: Session) {
        session.transaction?.hasQueueingError = true
    }

    /// Answers an EXEC that the gatekeeper refused: the transaction is discarded and the
    /// refusal reported as `-EXECABORT Transaction discarded because of: <error>`.
    func abortTransaction(_ session: Session, because error: ReplyError, exec: CommandSpec, args: CommandArguments) {
        discardTransaction(session)
        replyError(session, ReplyError(code: "EXECABORT", "Transaction discarded because of: " + error.line))
        // MONITOR saw MULTI; show that the transaction is over.
        if !monitors.isEmpty { feedMonitors(args, from: session, spec: exec) }
    }

    /// Runs the queued commands of `transaction` and replies their replies as one array.
    func runTransaction(_ transaction: Transaction, for session: Session, exec: CommandSpec) {
        isExecutingTransaction = true
        session.reply.arrayHeader(transaction.commands.count)
        for queued in transaction.commands {
            // Permissions are checked again: ACL rules may have changed since the queueing.
            if let user = session.aclUser, !user.isUnrestricted, let denial = aclDenial(user, queued.spec, queued.args) {
                replyError(session, refuseQueuedByACL(denial, user, queued.spec, queued.args, session))
                continue
            }
            call(queued.spec, queued.args, session)
        }
        isExecutingTransaction = false
        session.lastCommand = exec
    }
}
