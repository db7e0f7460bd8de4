// FAILOVER [TO host port [FORCE]] [TIMEOUT ms] | ABORT: a primary hands its role to
// a replica without losing a write. Writes are held (as CLIENT PAUSE WRITE) while
// the chosen replica — or the first one to acknowledge everything — catches up;
// then this server follows it and asks it, with PSYNC <id> <offset> FAILOVER, to
// become the primary first: the replica promotes itself (keeping this history as
// its ID2) and answers +CONTINUE, so nothing is copied. A timeout aborts the
// failover, or with FORCE goes ahead anyway; a refused PSYNC makes this server a
// primary again. INFO shows master_failover_state.
import RedstartEngine
import RedstartRESP

/// A failover in progress.
struct FailoverRequest {
    enum State {
        case waitingForSync
        case inProgress
    }

    var state = State.waitingForSync
    var target: (host: String, port: Int)?
    /// Unix ms after which it is aborted (or, with `force`, goes ahead); nil: no limit.
    var deadline: Int64?
    var force = false

    var stateName: String { state == .waitingForSync ? "waiting-for-sync" : "failover-in-progress" }
}

extension Replication {
    /// FAILOVER.
    func failoverCommand(_ cmd: CommandContext) throws(ReplyError) {
        if cmd.args.count == 2 && cmd.argument(1, is: "abort") {
            guard failover != nil else { throw ReplyError("No failover in progress.") }
            abortFailover("Failover manually aborted")
            cmd.reply.ok()
            return
        }
        var request = FailoverRequest()
        var timeout: Int64 = 0
        var index = 1
        while index < cmd.args.count {
            if cmd.argument(index, is: "timeout") && index + 1 < cmd.args.count && timeout == 0 {
                guard let value = cmd.args.int64(at: index + 1) else { throw .notInteger }
                guard value > 0 else { throw ReplyError("FAILOVER timeout must be greater than 0") }
                timeout = value
                index += 2
            } else if cmd.argument(index, is: "to") && index + 2 < cmd.args.count && request.target == nil {
                guard let port = cmd.args.int64(at: index + 2) else { throw .notInteger }
                request.target = (String(decoding: cmd.args.bytes(at: index + 1), as: UTF8.self), Int(port))
                index += 3
            } else if cmd.argument(index, is: "force") && !request.force {
                request.force = true
                index += 1
            } else {
                throw .syntax
            }
        }
        guard failover == nil else { throw ReplyError("FAILOVER already in progress.") }
        guard !isReplica else { throw ReplyError("FAILOVER is not valid when server is a replica.") }
        guard !replicas.isEmpty else { throw ReplyError("FAILOVER requires connected replicas.") }
        if request.force && (timeout == 0 || request.target == nil) {
            throw ReplyError("FAILOVER with force option requires both a timeout and target HOST and IP.")
        }
        if let target = request.target {
            guard let replica = replica(at: target) else { throw ReplyError("FAILOVER target HOST and PORT is not a replica.") }
            guard replica.state == .online else { throw ReplyError("FAILOVER target replica is not online.") }
            log.write(.notice, "FAILOVER requested to \(target.host):\(target.port).")
        } else {
            log.write(.notice, "FAILOVER requested to any replica.")
        }
        if timeout > 0 { request.deadline = engine.clock.wallMilliseconds + timeout }
        failover = request
        engine.pauseWritesUntilEnded()
        cmd.reply.ok()
        requestAcknowledgements()
    }

    private func replica(at address: (host: String, port: Int)) -> AttachedReplica? {
        replicas.first { $0.address == address.host && $0.listeningPort == address.port }
    }

    /// From the cron and each ACK: a caught-up replica starts the failover; a passed
    /// deadline aborts it or, with FORCE, starts it anyway.
    func updateFailover(now: Int64) {
        guard var request = failover, request.state == .waitingForSync else { return }
        if let deadline = request.deadline, deadline <= now {
            if request.force, let target = request.target {
                log.write(.notice, "FAILOVER to \(target.host):\(target.port) time out exceeded, failing over.")
                request.state = .inProgress
                failover = request
                follow(host: target.host, port: target.port, requestedBy: nil)
            } else {
                abortFailover("Replica never caught up before timeout")
            }
            return
        }
        let candidate: AttachedReplica?
        if let target = request.target {
            candidate = replica(at: target)
        } else {
            candidate = replicas.first { $0.state == .online && $0.acknowledgedOffset == offset }
        }
        guard let candidate, candidate.acknowledgedOffset == offset else { return }
        let target = request.target ?? (candidate.address, candidate.listeningPort)
        request.target = target
        request.state = .inProgress
        failover = request
        log.write(.notice, "Failover target \(target.host):\(target.port) is synced, failing over.")
        follow(host: target.host, port: target.port, requestedBy: nil)
    }

    /// The target answered our PSYNC: accepted (the failover is done) or not (this server
    /// is a primary again).
    func failoverPSyncAnswered(accepted: Bool) {
        guard let request = failover, request.state == .inProgress else { return }
        if accepted {
            endFailover()
        } else {
            abortFailover("Failover target rejected psync request")
        }
    }

    func abortFailover(_ reason: String) {
        guard let request = failover else { return }
        if let target = request.target {
            log.write(.notice, "FAILOVER to \(target.host):\(target.port) aborted: \(reason)")
        } else {
            log.write(.notice, "FAILOVER to any replica aborted: \(reason)")
        }
        if request.state == .inProgress { stopFollowing(requestedBy: nil) }
        endFailover()
    }

    private func endFailover() {
        failover = nil
        engine.endWritePause()
    }

    /// PSYNC <id> <offset> FAILOVER on a replica: its primary hands over the role. The ID
    /// must be ours (the primary's); we become a primary, then the PSYNC goes on as usual.
    func acceptFailoverRequest(_ cmd: CommandContext) throws(ReplyError) {
        let id = String(decoding: cmd.args.bytes(at: 1), as: UTF8.self)
        log.write(.warning, "Failover request received for replid \(id).")
        guard isReplica else { throw ReplyError("PSYNC FAILOVER can't be sent to a master.") }
        guard id == engine.replicationID else { throw ReplyError("PSYNC FAILOVER replid must match my replid.") }
        stopFollowing(requestedBy: nil)
        engine.config.restore("replicaof", canonical: "")
        log.write(.notice, "MASTER MODE enabled (failover request from '\(engine.clientInfoLine(cmd.session))')")
    }
}
