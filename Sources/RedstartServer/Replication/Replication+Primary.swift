// The primary's side: a replica connects, says what it can (REPLCONF), asks for
// the stream after what it has (PSYNC replid offset) and gets it from the
// backlog (+CONTINUE), or a full copy (+FULLRESYNC replid offset, then the
// dataset in RDB form, then the stream since the copy began). Replicas then
// acknowledge offsets (REPLCONF ACK) once a second, which WAIT and
// min-replicas-to-write count; the cron PINGs them through the stream and
// drops those that stopped acknowledging.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import RedstartEngine
import RedstartRESP

extension Replication {
    // MARK: - SYNC and PSYNC

    /// PSYNC replid offset, or SYNC (`psync` false).
    func synchronize(_ cmd: CommandContext, psync: Bool) throws(ReplyError) {
        let session = cmd.session
        // A replica that asks again is ignored, as Redis.
        if session.replicationKind == .replica { return }
        if psync && cmd.args.count > 3 && cmd.argument(3, is: "failover") { try acceptFailoverRequest(cmd) }
        if failover != nil { throw ReplyError(code: "NOMASTERLINK", "Can't SYNC while failing over") }
        if isReplica && link?.isStreaming != true {
            throw ReplyError(code: "NOMASTERLINK", "Can't SYNC while not connected with my master")
        }
        // A filtered copy is only ever sent over the socket (the snapshot file stays whole).
        if let pending = pendingReplicas[session.id], pending.copyFilter.isFiltering, !pending.acceptsEOFCopy {
            throw ReplyError("Filtered replica requires EOF capability")
        }
        let now = engine.clock.wallMilliseconds
        let replica = pendingReplicas.removeValue(forKey: session.id) ?? AttachedReplica(session: session, state: .waitingForSnapshot, now: now)
        let name = "\(replica.address):\(replica.listeningPort)"
        log.write(.notice, "Replica \(name) asks for synchronization")
        if psync {
            guard let requested = cmd.args.int64(at: 2) else { throw .notInteger }
            let id = String(decoding: cmd.args.bytes(at: 1), as: UTF8.self)
            if continueStream(for: replica, id: id, from: requested, name: name) {
                engine.stats.partialSyncsAccepted += 1
                return
            }
            if id != "?" { engine.stats.partialSyncsRefused += 1 }
        } else {
            replica.usedOldSync = true
        }
        engine.stats.fullSyncs += 1
        // repl-disable-tcp-nodelay: the stream to this replica in fewer, bigger packets.
        if engine.config.bool("repl-disable-tcp-nodelay"), let descriptor = session.transport?.fileDescriptor, descriptor >= 0 {
            var off: Int32 = 0
            setsockopt(Int32(descriptor), Int32(IPPROTO_TCP), TCP_NODELAY, &off, socklen_t(MemoryLayout<Int32>.size))
        }
        replica.state = .waitingForSnapshot
        session.replicationKind = .replica
        replicas.append(replica)
        if replicas.count == 1 && backlog == nil {
            // A backlog made from nothing: a new history (Redis changes the ID here too).
            changeReplicationID()
            clearReplicationID2()
            createBacklog()
            log.write(
                .notice,
                "Replication backlog created, my new replication IDs are '\(engine.replicationID)' and '\(replicationID2)'")
        }
        if fullSync != nil || diskSyncInProgress {
            log.write(.notice, "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC")
        } else if engine.config.bool("repl-diskless-sync") && replica.acceptsEOFCopy {
            log.write(.notice, "Delay next BGSAVE for diskless SYNC")
        }
        startPendingFullSync(now: now)
    }

    /// Continues `replica`'s stream from `requested` when this server has that history and
    /// the backlog still holds it; false when a full copy is needed (logged as Redis logs it).
    private func continueStream(for replica: AttachedReplica, id: String, from requested: Int64, name: String) -> Bool {
        let current = engine.replicationID
        if id != current && (id != replicationID2 || requested > secondOffset) {
            if id == "?" {
                log.write(.notice, "Full resync requested by replica \(name)")
            } else if id != current && id != replicationID2 {
                log.write(
                    .notice,
                    "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '\(id)', my replication IDs are '\(current)' and '\(replicationID2)')"
                )
            } else {
                log.write(
                    .notice,
                    "Partial resynchronization not accepted: Requested offset for second ID was \(requested), but I can reply up to \(secondOffset)"
                )
            }
            return false
        }
        guard let backlog, backlog.holds(from: requested) else {
            log.write(.notice, "Unable to partial resync with replica \(name) for lack of backlog (Replica request was: \(requested)).")
            if requested > offset {
                log.write(
                    .warning,
                    "Warning: replica \(name) tried to PSYNC with an offset that is greater than the master replication offset.")
            }
            return false
        }
        replica.session.replicationKind = .replica
        replica.state = .online
        replica.acknowledgedAt = engine.clock.wallMilliseconds
        replicas.append(replica)
        replica.send(replica.speaksPSYNC2 ? "+CONTINUE \(current)\r\n" : "+CONTINUE\r\n")
        startFeeding(replica, from: requested)
        topUp(replica)
        log.write(
            .notice,
            "Partial resynchronization request from \(name) accepted. Sending \(offset + 1 - requested) bytes of backlog starting from offset \(requested)."
        )
        updateGoodReplicas()
        return true
    }

    // MARK: - Full copies

    /// Starts a copy for the replicas waiting for one, when no other snapshot runs and (for a
    /// diskless copy) repl-diskless-sync-delay has passed or enough replicas wait.
    func startPendingFullSync(now: Int64) {
        // One copy serves the replicas that want the same filter as the first one waiting.
        guard let filter = replicas.first(where: { $0.state == .waitingForSnapshot })?.copyFilter else { return }
        let waiting = replicas.filter { $0.state == .waitingForSnapshot && $0.copyFilter == filter }
        guard fullSync == nil, !diskSyncInProgress, !server.hasBackgroundJob else { return }
        let disklessConfigured = engine.config.bool("repl-diskless-sync")
        let diskless = (disklessConfigured || filter.isFiltering) && waiting.allSatisfy { $0.acceptsEOFCopy }
        if diskless && disklessConfigured {
            let delay = engine.config.integer("repl-diskless-sync-delay") * 1000
            let enough = engine.config.integer("repl-diskless-sync-max-replicas")
            let longest = waiting.map { now - $0.since }.max() ?? 0
            guard longest >= delay || (enough > 0 && waiting.count >= enough) else { return }
        }
        log.write(.notice, "Starting BGSAVE for SYNC with target: \(diskless ? "replicas sockets" : "disk")")
        for replica in waiting {
            replica.state = .receivingSnapshot
            replica.streamStart = offset + 1
            if !replica.usedOldSync { replica.send("+FULLRESYNC \(engine.replicationID) \(offset)\r\n") }
        }
        // The stream after a copy starts with SELECT.
        streamDatabase = -1
        if diskless {
            fullSync = FullSync(replication: self, replicas: waiting, filter: filter)
            return
        }
        guard server.rdb.startBackgroundSave() else {
            log.write(.warning, "BGSAVE for replication failed")
            for replica in waiting { replica.session.transport?.close() }
            return
        }
        diskSyncInProgress = true
        if engine.config.bool("rdb-del-sync-files") { rdbFileMadeForReplicas = true }
    }

    /// A background save ended: when it was the copy for replicas, its file goes to them.
    func backgroundSaveEnded(success: Bool) {
        guard diskSyncInProgress else { return }
        diskSyncInProgress = false
        let receiving = replicas.filter { $0.state == .receivingSnapshot }
        guard success else {
            log.write(.warning, "BGSAVE for replication failed")
            for replica in receiving { replica.session.transport?.close() }
            return
        }
        let path = engine.config["dir"] + "/" + engine.config["dbfilename"]
        for replica in receiving { FileSender.send(path, to: replica, replication: self) }
    }

    /// A copy (or its file) reached `replica` whole: it is online, and the stream kept since
    /// the copy began follows (after a diskless copy, once the replica acknowledges).
    func copyDelivered(to replica: AttachedReplica, diskless: Bool = false) {
        guard replicas.contains(where: { $0 === replica }) else { return }
        if replica.wantsCopyOnly {
            log.write(
                .notice,
                "RDB transfer completed, rdb only replica (\(replica.address):\(replica.listeningPort)) should be disconnected asap")
            replica.session.transport?.close()
            return
        }
        replica.acknowledgedAt = engine.clock.wallMilliseconds
        if diskless {
            replica.state = .online
            replica.streamsOnAck = true
            updateGoodReplicas()
            return
        }
        startStream(for: replica)
        log.write(.notice, "Synchronization with replica \(replica.address):\(replica.listeningPort) succeeded")
    }

    /// Sends `replica` the stream since its copy began; from then on it gets the stream live.
    private func startStream(for replica: AttachedReplica) {
        guard let backlog, backlog.holds(from: replica.streamStart) else {
            log.write(.warning, "The stream since the copy for \(replica.address):\(replica.listeningPort) is gone; dropping it")
            replica.session.transport?.close()
            return
        }
        replica.state = .online
        replica.streamsOnAck = false
        startFeeding(replica, from: replica.streamStart)
        topUp(replica)
        updateGoodReplicas()
    }

    /// FLUSHALL, a new role: the copies being made stop and their replicas are dropped (they
    /// reconnect and ask again).
    func abortFullSyncs() {
        guard let sync = fullSync else { return }
        fullSync = nil
        sync.abandon()
        for replica in sync.replicas { replica.session.transport?.close() }
    }

    var isMakingCopy: Bool { fullSync != nil }

    // MARK: - REPLCONF

    func replconf(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count % 2 == 1 else { throw .syntax }
        let session = cmd.session
        var index = 1
        while index < cmd.args.count {
            let option = String(decoding: cmd.args.bytes(at: index), as: UTF8.self).lowercased()
            let value = cmd.args.bytes(at: index + 1)
            switch option {
            case "listening-port":
                guard let port = cmd.args.int64(at: index + 1) else { throw .notInteger }
                pendingReplica(session).listeningPort = Int(port)
            case "ip-address":
                guard value.count < 256 else {
                    throw ReplyError("REPLCONF ip-address provided by replica instance is too long: \(value.count) bytes")
                }
                pendingReplica(session).announcedAddress = String(decoding: value, as: UTF8.self)
            case "capa":
                let capability = String(decoding: value, as: UTF8.self).lowercased()
                if capability == "eof" { pendingReplica(session).acceptsEOFCopy = true }
                if capability == "psync2" { pendingReplica(session).speaksPSYNC2 = true }
            case "ack":
                // From a replica only, and never answered.
                guard session.replicationKind == .replica, let replica = replicas.first(where: { $0.session === session }),
                    let acknowledged = cmd.args.int64(at: index + 1)
                else { return }
                if acknowledged > replica.acknowledgedOffset { replica.acknowledgedOffset = acknowledged }
                replica.acknowledgedAt = engine.clock.wallMilliseconds
                if failover != nil { updateFailover(now: replica.acknowledgedAt) }
                if replica.streamsOnAck {
                    startStream(for: replica)
                    log.write(.notice, "Synchronization with replica \(replica.address):\(replica.listeningPort) succeeded")
                }
                answerWaits()
                return
            case "getack":
                if isReplica { link?.sendAck() }
                return
            case "rdb-only":
                guard let flag = cmd.args.int64(at: index + 1) else { throw .notInteger }
                guard flag == 0 || flag == 1 else { throw ReplyError("value is out of range, value must between 0 and 1") }
                pendingReplica(session).wantsCopyOnly = flag == 1
            case "rdb-filter-only":
                pendingReplica(session).copyFilter = try CopyFilter(including: Array(value))
            default:
                throw ReplyError("Unrecognized REPLCONF option: \(String(decoding: cmd.args.bytes(at: index), as: UTF8.self))")
            }
            index += 2
        }
        cmd.reply.ok()
    }

    /// The replica a connection is becoming (REPLCONF comes before PSYNC).
    private func pendingReplica(_ session: Session) -> AttachedReplica {
        if let attached = replicas.first(where: { $0.session === session }) { return attached }
        if let pending = pendingReplicas[session.id] { return pending }
        let replica = AttachedReplica(session: session, state: .waitingForSnapshot, now: engine.clock.wallMilliseconds)
        pendingReplicas[session.id] = replica
        return replica
    }

    // MARK: - WAIT

    /// WAIT numreplicas timeout.
    func wait(_ cmd: CommandContext) throws(ReplyError) {
        if isReplica {
            throw ReplyError(
                "WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated."
            )
        }
        guard let wanted = cmd.args.int64(at: 1) else { throw .notInteger }
        guard let timeout = cmd.args.int64(at: 2) else { throw ReplyError("timeout is not an integer or out of range") }
        guard timeout >= 0 else { throw .timeoutNegative }
        let target = cmd.session.replicationWriteOffset
        let acknowledged = acknowledgements(reaching: target)
        if acknowledged >= wanted || !cmd.mayBlock {
            cmd.reply.integer(acknowledged)
            return
        }
        let now = engine.clock.wallMilliseconds
        let request = WaitRequest(session: cmd.session, engine: engine, target: target, wanted: Int(clamping: wanted),
                                  deadline: timeout > 0 ? now + timeout : 0)
        waits.append(request)
        engine.holdForReplication(cmd.session)
        if timeout > 0 {
            server.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(timeout)) { [self] in
                guard let index = waits.firstIndex(where: { $0 === request }) else { return }
                waits.remove(at: index)
                request.answer(count: acknowledgements(reaching: request.target))
            }
        }
        requestAcknowledgements()
    }

    var waitingClientCount: Int { waits.count }

    func unblock(_ session: Session, with error: ReplyError?) -> Bool {
        guard let index = waits.firstIndex(where: { $0.session === session }) else { return false }
        let request = waits.remove(at: index)
        if let error { request.refuse(error) } else { request.answer(count: acknowledgements(reaching: request.target)) }
        return true
    }

    /// Replicas that acknowledged `target` or more.
    func acknowledgements(reaching target: Int64) -> Int64 {
        Int64(replicas.filter { $0.state == .online && $0.acknowledgedOffset >= target }.count)
    }

    /// Answers the WAITs that enough replicas have acknowledged.
    func answerWaits() {
        guard !waits.isEmpty else { return }
        var kept: [WaitRequest] = []
        for request in waits {
            let count = acknowledgements(reaching: request.target)
            if count >= request.wanted { request.answer(count: count) } else { kept.append(request) }
        }
        waits = kept
    }

    /// Sends REPLCONF GETACK * through the stream at the end of this loop turn, once.
    func requestAcknowledgements() {
        guard !getAckQueued else { return }
        getAckQueued = true
        server.eventLoop.assumeIsolated().execute { [self] in
            getAckQueued = false
            guard !isReplica, backlog != nil else { return }
            var bytes: [UInt8] = []
            AOFEncoding.appendCommand([Array("REPLCONF".utf8), Array("GETACK".utf8), Array("*".utf8)], to: &bytes)
            bytes.withUnsafeBytes { feed($0) }
        }
    }

    /// Records the stream offset after the running client's write (WAIT waits for it).
    func noteWrite(by session: Session?) {
        session?.replicationWriteOffset = offset
    }

    // MARK: - Cron

    /// Every cron tick: a waiting copy may start.
    func tick(now: Int64) {
        if !replicas.isEmpty { startPendingFullSync(now: now) }
        if failover != nil { updateFailover(now: now) }
    }

    /// Once a second, as a primary (or a replica with replicas of its own).
    func primaryCron(now: Int64) {
        // PINGs every repl-ping-replica-period seconds, counted from the start (Redis's
        // cron loops), so a long period means no PING at all for that long.
        let period = max(1, engine.config.integer("repl-ping-replica-period"))
        defer { cronLoops += 1 }
        if !isReplica && !replicas.isEmpty && cronLoops > 0 && cronLoops % period == 0 {
            var ping: [UInt8] = []
            AOFEncoding.appendCommand([Array("PING".utf8)], to: &ping)
            ping.withUnsafeBytes { feed($0) }
        }
        // Replicas fed from the backlog are topped up, should no write or drain have done it.
        for replica in replicas where replica.feedOffset != nil { topUp(replica) }
        // Replicas waiting for a copy get newlines, so they see the primary is alive.
        for replica in replicas where replica.state == .waitingForSnapshot
            || (replica.state == .receivingSnapshot && diskSyncInProgress)
        {
            replica.send("\n")
        }
        let timeout = engine.config.integer("repl-timeout") * 1000
        for replica in replicas where replica.state == .online && now - replica.acknowledgedAt > timeout {
            log.write(.warning, "Disconnecting timedout replica (streaming sync): \(replica.address):\(replica.listeningPort)")
            replica.session.transport?.close()
        }
        let ttl = engine.config.integer("repl-backlog-ttl") * 1000
        if !isReplica && replicas.isEmpty && backlog != nil && ttl > 0 && now - unattachedSince > ttl {
            changeReplicationID()
            clearReplicationID2()
            freeBacklog()
            log.write(.notice, "Replication backlog freed after \(ttl / 1000) seconds without connected replicas.")
        }
        updateGoodReplicas()
    }

    /// CONFIG SET repl-backlog-size: the backlog keeps the most recent bytes that fit.
    func resizeBacklog() {
        backlog?.size = max(1, Int(engine.config.integer("repl-backlog-size")))
        trimBacklog()
    }

    /// min-replicas-to-write: counts the replicas that acknowledged within
    /// min-replicas-max-lag seconds.
    func updateGoodReplicas() {
        let minimum = engine.config.integer("min-replicas-to-write")
        let maxLag = engine.config.integer("min-replicas-max-lag")
        let now = engine.clock.wallMilliseconds
        goodReplicaCount = replicas.filter { $0.state == .online && now - $0.acknowledgedAt <= maxLag * 1000 }.count
        engine.replicationGate.lacksGoodReplicas = minimum > 0 && maxLag > 0 && goodReplicaCount < minimum
    }
}

/// A client in WAIT.
final class WaitRequest {
    let session: Session
    unowned let engine: Engine
    /// The stream offset of its last write.
    let target: Int64
    let wanted: Int
    let deadline: Int64

    init(session: Session, engine: Engine, target: Int64, wanted: Int, deadline: Int64) {
        self.session = session
        self.engine = engine
        self.target = target
        self.wanted = wanted
        self.deadline = deadline
    }

    func answer(count: Int64) {
        session.reply.integer(count)
        engine.releaseFromReplication(session)
    }

    func refuse(_ error: ReplyError) {
        engine.replyError(session, error)
        engine.releaseFromReplication(session)
    }
}
