// Shutting down with replicas that lag behind, as Redis 7.0 does: SHUTDOWN (without
// NOW) or SIGTERM first pauses clients' writes and gives the replicas up to
// shutdown-timeout seconds to acknowledge the whole stream (a REPLCONF GETACK asks them
// at once), so a planned restart or failover loses no acknowledged write. Meanwhile INFO
// shows shutdown_in_milliseconds, SHUTDOWN callers wait (blocked clients), another
// SHUTDOWN joins them (NOW ends the wait), and SHUTDOWN ABORT cancels. Then the usual
// shutdown runs; if it fails (a save that cannot be made, an initial AOF still being
// written), the waiting callers get the error and writes resume.
import RedstartEngine

/// A shutdown waiting for lagging replicas.
struct PendingShutdown {
    /// When it goes on whatever the replicas (unix ms).
    let deadline: Int64
    let mode: ShutdownMode
    let force: Bool
    /// SHUTDOWN callers, answered only if the server stays up.
    var callers: [Session]
}

extension RedstartServer {
    /// SHUTDOWN or a signal: waits for lagging replicas unless `now` (or shutdown-timeout is
    /// 0), else shuts down at once.
    func requestShutdown(
        reason: String, mode: ShutdownMode, now: Bool, force: Bool, from caller: Session?
    ) -> ShutdownOutcome {
        if var pending = pendingShutdown {
            // Already waiting: NOW goes on at once with this call's flags; otherwise the
            // caller waits with the others.
            guard now else {
                if let caller { pending.callers.append(caller) }
                pendingShutdown = pending
                publishShutdownWait()
                return .waiting
            }
            return finishPendingShutdown(mode: mode, force: force) ? .exiting : .refused(Self.shutdownError)
        }
        log.write(.warning, reason)
        supervision?.notify("STOPPING=1\n")  // as Redis, when the shutdown begins
        let timeout = engine.config.integer("shutdown-timeout")
        if !now && timeout > 0 && replication.hasLaggingReplicas {
            pendingShutdown = PendingShutdown(
                deadline: engine.clock.wallMilliseconds + Int64(timeout) * 1000, mode: mode, force: force,
                callers: caller.map { [$0] } ?? [])
            publishShutdownWait()
            engine.pauseWritesUntilEnded()
            log.write(.notice, "Waiting for replicas before shutting down.")
            replication.requestAcknowledgements()
            return .waiting
        }
        return performShutdown(mode: mode, force: force) ? .exiting : .refused(Self.shutdownError)
    }

    static let shutdownError = "Errors trying to SHUTDOWN. Check logs."

    /// From the cron: once every replica has caught up, or the time is up, the shutdown goes
    /// on; true when the server is exiting.
    func continuePendingShutdown() -> Bool {
        guard let pending = pendingShutdown else { return false }
        guard !replication.hasLaggingReplicas || engine.clock.wallMilliseconds >= pending.deadline else { return false }
        return finishPendingShutdown(mode: pending.mode, force: pending.force)
    }

    /// Runs the shutdown the wait was for; if the server stays up, the callers get the error.
    private func finishPendingShutdown(mode: ShutdownMode, force: Bool) -> Bool {
        if performShutdown(mode: mode, force: force) { return true }
        abandonPendingShutdown(because: "Errors trying to shut down the server. Check the logs for more information.")
        return false
    }

    /// Ends the wait without exiting (SHUTDOWN ABORT, a failed shutdown): callers get the
    /// error, writes resume.
    func abandonPendingShutdown(because message: String) {
        guard let pending = pendingShutdown else { return }
        pendingShutdown = nil
        engine.shutdownWait = nil
        log.write(.warning, message)
        for caller in pending.callers {
            engine.replyError(caller, ReplyError(Self.shutdownError))
            engine.releaseFromReplication(caller)
        }
        engine.endWritePause()
    }

    private func publishShutdownWait() {
        engine.shutdownWait = pendingShutdown.map { ShutdownWait(deadline: $0.deadline, clients: $0.callers.count) }
    }
}

extension Replication {
    /// Some replica has not acknowledged the whole stream (Redis's isReadyToShutdown).
    var hasLaggingReplicas: Bool {
        replicas.contains { $0.acknowledgedOffset != offset }
    }

    /// Before exiting, which replicas have all of the stream, as Redis logs it.
    func logSyncBeforeShutdown() {
        guard !replicas.isEmpty else { return }
        let now = engine.clock.wallMilliseconds
        var inSync = 0
        for replica in replicas {
            if replica.acknowledgedOffset == offset {
                inSync += 1
                continue
            }
            log.write(
                .warning,
                "Lagging replica \(replica.address):\(replica.listeningPort) reported offset \(replica.acknowledgedOffset) behind master, lag=\((now - replica.acknowledgedAt) / 1000), state=\(replica.stateName).")
        }
        log.write(.notice, "\(inSync) of \(replicas.count) replicas are in sync when shutting down.")
    }
}
