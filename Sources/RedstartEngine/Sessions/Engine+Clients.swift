// Client bookkeeping that spans sessions: the CLIENT LIST / CLIENT INFO line,
// disconnecting another client, MONITOR membership, idle timeouts and buffers.
import NIOCore

extension Engine {
    /// One CLIENT LIST line (without the newline), fields as Redis 7.0 prints them,
    /// plus the lib-name/lib-ver fields Redis 7.2 added at the end.
    public func clientInfoLine(_ session: Session) -> String {
        let transport = session.transport
        var flags = ""
        if session.replicationKind == .replica { flags += "S" }
        if session.replicationKind == .master { flags += "M" }
        if session.isMonitor { flags += "O" }
        if session.isSubscribed { flags += "P" }
        if session.isInTransaction { flags += "x" }
        if session.isBlocked { flags += "b" }
        if let mode = session.tracking {
            flags += "t"
            if mode.brokenRedirect { flags += "R" }
            if mode.broadcast { flags += "B" }
        }
        if session.isWatchDirty { flags += "d" }
        if session.closeAfterReply { flags += "c" }
        if transport?.isUnixSocket == true { flags += "U" }
        if session.isNoEvict { flags += "e" }
        if session.isNoTouch { flags += "T" }
        if flags.isEmpty { flags = "N" }
        let now = clock.wallMilliseconds
        let pending = transport?.pendingOutputBytes ?? 0
        let replyBytes = session.reply.buffer.readableBytes
        let queryLength = transport?.queryBufferLength ?? 0
        let queryFree = transport?.queryBufferFree ?? 0
        // A replica's output includes the stream the backlog holds for it (Redis 7's share
        // of the replication buffer).
        let heldStream = session.replicationKind == .replica ? replication?.streamBytesHeld(for: session) ?? 0 : 0
        let outputMemory = pending + heldStream
        let totalMemory = clientMemory(session) + heldStream
        var line = "id=\(session.id)"
        line += " addr=\(transport?.remoteAddress ?? "") laddr=\(transport?.localAddress ?? "")"
        line += " fd=\(transport?.fileDescriptor ?? -1) name=\(session.name ?? "")"
        line += " age=\((now - session.createdAt) / 1000) idle=\((now - session.lastInteraction) / 1000)"
        line += " flags=\(flags) db=\(session.databaseIndex) sub=\(session.subscribedChannels.count) psub=\(session.subscribedPatterns.count) ssub=\(session.subscribedShardChannels.count) multi=\(session.queuedCommandCount ?? -1)"
        line += " qbuf=\(queryLength) qbuf-free=\(queryFree) argv-mem=\(argumentMemory(session)) multi-mem=\(session.queuedArgumentBytes)"
        line += " rbs=\(session.reply.buffer.capacity) rbp=\(session.replyPeak)"
        line += " obl=\(replyBytes) oll=\(pending > 0 ? 1 : 0) omem=\(outputMemory) tot-mem=\(totalMemory)"
        line += " events=\(pending > 0 ? "rw" : "r") cmd=\(session.lastCommand?.fullName ?? "NULL") user=\(session.userName)"
        line += " redir=\(session.tracking?.redirect ?? -1) resp=\(session.protocolVersion.rawValue)"
        line += " lib-name=\(session.libraryName ?? "") lib-ver=\(session.libraryVersion ?? "")"
        return line
    }

    /// Closes another client's connection (CLIENT KILL, timeout).
    public func disconnect(_ session: Session) {
        if let transport = session.transport {
            transport.close()
        } else {
            closeSession(session)
        }
    }

    /// Puts a session in MONITOR mode.
    func startMonitoring(_ session: Session) {
        guard !session.isMonitor else { return }
        session.isMonitor = true
        monitors.append(session)
    }

    /// Takes a session out of MONITOR mode (RESET).
    func stopMonitoring(_ session: Session) {
        guard session.isMonitor else { return }
        session.isMonitor = false
        monitors.removeAll { $0 === session }
    }

    /// Sizes clients' reply buffers to their use (Session+ReplyBuffer.swift), resets the
    /// reply peaks every reply-buffer-peak-reset-time, and gives back the input buffers of
    /// clients idle for 2 seconds or more (as Redis's clientsCronResizeQueryBuffer). Called
    /// every cron tick, it visits the clients as Redis's clientsCron does: a share of them
    /// each tick, each about once a second, but at least 5 a tick, so with a few clients
    /// every one is looked at every tick (a busy client's buffer doubles each tick).
    func resizeClientBuffers() {
        let count = sessions.count
        guard count > 0 else { return }
        let perTick = max(count / max(1, hz), min(count, 5))
        let period = Int64((count + perTick - 1) / perTick)
        let tick = Int64(cronLoops)
        let now = clock.wallMilliseconds
        for session in sessions.values where (session.id + tick) % period == 0 {
            if replyBufferResizing { session.resizeReplyBuffer() }
            if replyBufferPeakResetTime >= 0 && now - session.replyPeakResetAt >= Int64(replyBufferPeakResetTime) {
                session.replyPeak = session.reply.buffer.readableBytes
                session.replyPeakResetAt = now
            }
            if now - session.lastInteraction >= 2000 { session.transport?.releaseIdleBuffers() }
        }
    }

    /// Closes clients whose output has been over the soft output-buffer limit for too
    /// long while nothing new was written to them (Redis's clientsCron checks the same).
    func enforceOutputLimits() {
        for session in sessions.values { session.transport?.enforceOutputLimit() }
    }

    /// Closes clients idle for longer than `timeout` seconds (never MONITOR
    /// clients, nor subscribed, blocked or paused ones, nor replicas and the primary's link, as Redis's clientsCronHandleTimeout).
    func closeIdleClients() {
        guard idleTimeout > 0 else { return }
        let now = clock.wallMilliseconds
        let limit = Int64(idleTimeout) * 1000
        for session in sessions.values
        where !session.isMonitor && !session.isPaused && !session.isBlocked && !session.isSubscribed
            && session.replicationKind == nil
        {
            if now - session.lastInteraction > limit {
                log(.verbose, "Closing idle client")
                disconnect(session)
            }
        }
    }
}
