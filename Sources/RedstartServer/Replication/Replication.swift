// Replication with Redis's own protocol (PSYNC2), on both sides: as a primary
// (Replication+Primary: replicas attach with PSYNC, get a copy of the dataset
// and then the replication stream, from the backlog after a short break) and
// as a replica (Replication+Replica and PrimaryLink: connects to a primary,
// loads its copy, applies its stream, acknowledges offsets). This file holds
// what both roles share: the stream's history (replication IDs, offsets, the
// backlog), the role switch of REPLICAOF, and INFO/ROLE.
//
// The history is Redis's PSYNC2 one. `engine.replicationID` names the stream
// this server's dataset follows and `offset` counts its bytes; a server that
// stops following a primary (REPLICAOF NO ONE) keeps the old ID as ID2, valid
// up to `secondOffset`, so the replicas of the same old primary can continue
// from it without a full copy (Sentinel's failover relies on it).
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import RedstartEngine
import RedstartRESP

/// The replication subsystem of one server.
final class Replication: ReplicationSubsystem {
    unowned(unsafe) let server: RedstartServer
    var engine: Engine { server.engine }
    var log: ServerLog { server.log }

    static let zeroID = String(repeating: "0", count: 40)

    // MARK: The stream's history

    /// master_replid2 and second_repl_offset.
    var replicationID2 = Replication.zeroID
    var secondOffset: Int64 = -1
    /// master_repl_offset: bytes of the replication stream so far.
    var offset: Int64 = 0
    /// The last bytes of the stream, once a replica attached (or after a full sync as a replica).
    var backlog: ReplicationBacklog?
    /// Since when no replica has been attached (unix ms), for repl-backlog-ttl.
    var unattachedSince: Int64
    /// The database the stream last selected; -1 makes the next command send SELECT.
    var streamDatabase = -1

    // MARK: As a primary

    var replicas: [AttachedReplica] = []
    /// Connections that sent REPLCONF and have not asked for the stream yet.
    var pendingReplicas: [Int64: AttachedReplica] = [:]
    /// The copy being made for replicas (diskless: sent as it is made).
    var fullSync: FullSync?
    /// A disk-based copy: a BGSAVE whose file goes to the replicas waiting for it.
    var diskSyncInProgress = false
    /// The RDB file was made to copy the dataset to replicas (rdb-del-sync-files).
    var rdbFileMadeForReplicas = false
    /// FAILOVER in progress.
    var failover: FailoverRequest?
    /// Clients in WAIT.
    var waits: [WaitRequest] = []
    /// A REPLCONF GETACK goes to the replicas at the end of this loop turn.
    var getAckQueued = false
    /// Replicas that acknowledged within min-replicas-max-lag seconds.
    var goodReplicaCount = 0
    /// Runs of the once-a-second cron (PINGs go out every repl-ping-replica-period runs).
    var cronLoops: Int64 = 0

    // MARK: As a replica

    /// The primary this server follows (REPLICAOF host port), or nil.
    var primaryAddress: (host: String, port: Int)?
    /// The connection to it while there is one.
    var link: PrimaryLink?
    /// The history to continue from with PSYNC when the link comes back: the primary's ID
    /// and the offset applied (Redis's cached master).
    var cachedPrimary: (id: String, offset: Int64)?
    /// The database the primary's stream had selected when the link broke.
    var cachedStreamDatabase = 0
    /// When the link went down (unix ms).
    var linkDownSince: Int64 = 0
    /// Before the first connection attempt, after a broken link: connect at the next cron.
    var needsConnection = false

    init(server: RedstartServer) {
        self.server = server
        unattachedSince = server.engine.clock.wallMilliseconds
    }

    var isReplica: Bool { primaryAddress != nil }

    // MARK: - The stream

    /// Appends `bytes` to the stream: the backlog, and every replica (as its state allows).
    func feed(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        offset += Int64(bytes.count)
        backlog?.append(bytes)
        var behind = false
        for replica in replicas where replica.state == .online && !replica.streamsOnAck {
            if replica.feedOffset == nil && (replica.unsentBytes < Self.replicaOutputWindow || backlog == nil) {
                replica.send(bytes)
                continue
            }
            if replica.feedOffset == nil { startFeeding(replica, from: offset + 1 - Int64(bytes.count)) }
            topUp(replica)
            behind = true
        }
        if backlog?.hasSurplus == true { trimBacklog() }
        if behind || replicas.contains(where: { $0.state == .receivingSnapshot || $0.streamsOnAck }) {
            enforceHeldStreamLimits()
        }
    }

    /// What a replica's connection may hold unsent before the stream waits for it in the
    /// backlog instead of being copied to it.
    static let replicaOutputWindow = 256 * 1024

    /// From now on `replica` gets the stream from the backlog, from `start` on, as its
    /// connection drains (and on each new write, and from the cron).
    func startFeeding(_ replica: AttachedReplica, from start: Int64) {
        replica.feedOffset = start
        replica.session.outputDrained = { [weak self, weak replica] in
            guard let self, let replica else { return }
            topUp(replica)
        }
    }

    /// Hands a replica that is behind the next part of the stream from the backlog, while
    /// its connection holds less than `window` (the whole rest at shutdown); once it has
    /// everything it gets the stream as it happens again.
    func topUp(_ replica: AttachedReplica, window: Int = Replication.replicaOutputWindow) {
        guard var next = replica.feedOffset, let backlog else { return }
        while next <= offset && replica.unsentBytes < window {
            let count = backlog.withBytes(from: next, upTo: Self.replicaOutputWindow) { replica.send($0) }
            guard count > 0 else {
                log.write(.warning, "The stream for \(replica.address):\(replica.listeningPort) is gone; dropping it")
                replica.feedOffset = nil
                replica.session.outputDrained = nil
                replica.session.transport?.close()
                return
            }
            next += Int64(count)
        }
        if next > offset {
            replica.feedOffset = nil
            replica.session.outputDrained = nil
        } else {
            replica.feedOffset = next
        }
        // What it has been handed no longer needs keeping beyond repl-backlog-size.
        if self.backlog?.hasSurplus == true { trimBacklog() }
    }

    /// Lets the backlog drop what neither its size nor any replica needs any more.
    func trimBacklog() {
        guard backlog != nil else { return }
        let needed = replicas.compactMap { $0.neededOffset(end: offset) }.min()
        backlog?.trim(keepingFrom: needed)
    }

    /// The stream kept for a replica that has not got it yet (its copy is on the way) is its
    /// output, as Redis counts it: past client-output-buffer-limit's replica class (hard, or
    /// soft for its seconds) the replica is dropped and the backlog may shrink.
    func enforceHeldStreamLimits() {
        let limit = engine.outputLimit(for: .replica)
        guard limit.hard > 0 || limit.soft > 0 else { return }
        let now = engine.clock.wallMilliseconds
        for replica in replicas where replica.state == .receivingSnapshot || replica.streamsOnAck || replica.feedOffset != nil {
            let held = replica.streamBytesHeld(end: offset) + replica.unsentBytes
            if limit.isExceeded(by: held, now: now, softSince: &replica.overSoftLimitSince) {
                log.write(
                    .warning,
                    "Client \(engine.clientInfoLine(replica.session)) scheduled to be closed ASAP for overcoming of output buffer limits.")
                replica.session.transport?.close()
            }
        }
    }

    func streamBytesHeld(for session: Session) -> Int {
        replicas.first { $0.session === session }?.streamBytesHeld(end: offset) ?? 0
    }

    /// The replication buffers' memory as Redis 7.0 reports it: the backlog's blocks, of
    /// which what passes repl-backlog-size while replicas are attached is theirs, plus
    /// what their connections hold.
    var memory: ReplicationMemory {
        let buffers = backlog?.memory ?? 0
        let replicasPart = replicas.isEmpty ? 0 : max(0, buffers - (backlog?.size ?? 0))
        let connections = replicas.reduce(0) { $0 + $1.outputMemory }
        return ReplicationMemory(buffers: buffers, backlog: buffers - replicasPart, replicas: replicasPart + connections)
    }

    /// What the engine propagates: written to the stream as a primary (with SELECT where the
    /// database changes). As a replica the primary's own stream is passed on instead.
    func propagate(_ unit: [PropagatedCommand]) {
        guard !isReplica, backlog != nil else { return }
        // The common case, one command in the database the stream has selected: as it is.
        if unit.count == 1, unit[0].database == streamDatabase, unit[0].targets.contains(.replicas) {
            unit[0].encoded.withUnsafeBytes { feed($0) }
            noteWrite(by: engine.runningSession)
            return
        }
        var bytes: [UInt8] = []
        for command in unit where command.targets.contains(.replicas) {
            if command.database != streamDatabase {
                AOFEncoding.appendSelect(command.database, to: &bytes)
                streamDatabase = command.database
            }
            bytes.append(contentsOf: command.encoded)
        }
        bytes.withUnsafeBytes { feed($0) }
        noteWrite(by: engine.runningSession)
    }

    func replicate(_ arguments: [[UInt8]]) {
        guard !isReplica, backlog != nil else { return }
        propagate([PropagatedCommand(database: streamDatabase == -1 ? 0 : streamDatabase, arguments: arguments)])
    }

    var saveInfo: RDBReplicationInfo? {
        if !isReplica {
            guard backlog != nil else { return nil }
            return RDBReplicationInfo(streamDatabase: max(0, streamDatabase), id: engine.replicationID, offset: offset)
        }
        guard link?.isStreaming == true || cachedPrimary != nil else { return nil }
        return RDBReplicationInfo(streamDatabase: link?.streamDatabase ?? cachedStreamDatabase, id: engine.replicationID, offset: offset)
    }

    /// At start-up, the history an RDB file recorded: a replica continues from it with
    /// PSYNC; a primary keeps it as ID2, so its replicas can continue too (Redis's
    /// loadDataFromDisk).
    func restoreHistory(_ history: RDBReplicationInfo, expiredKeys: [(database: Int, key: [UInt8])] = []) {
        if !engine.config["replicaof"].isEmpty {
            engine.replicationID = history.id
            offset = history.offset
            cachedPrimary = (history.id, history.offset)
            cachedStreamDatabase = history.streamDatabase
        } else {
            replicationID2 = history.id
            secondOffset = history.offset + 1
            offset += history.offset
            createBacklog()
            unattachedSince = engine.clock.wallMilliseconds
            // Keys that expired while the server was down were dropped by the load: their DELs
            // go into the backlog, so replicas that continue from the file's offset drop them
            // too (Redis feeds them while loading).
            for (database, key) in expiredKeys {
                propagate([PropagatedCommand(database: database, arguments: [Array("DEL".utf8), key])])
            }
        }
    }

    /// Whether the engine must record writes for the stream (the propagation fan-out asks).
    var wantsPropagation: Bool { !isReplica && backlog != nil }

    func createBacklog() {
        backlog = ReplicationBacklog(size: Int(engine.config.integer("repl-backlog-size")), endOffset: offset)
        server.propagation.feedsReplication = wantsPropagation
    }

    func freeBacklog() {
        backlog = nil
        server.propagation.feedsReplication = false
    }

    /// A new replication ID: the history so far is not this server's to continue (Redis's
    /// changeReplicationId).
    func changeReplicationID() {
        engine.changeReplicationID()
    }

    /// The current ID becomes ID2, valid up to the current offset; a new ID begins (Redis's
    /// shiftReplicationId).
    func shiftReplicationID() {
        replicationID2 = engine.replicationID
        secondOffset = offset + 1
        changeReplicationID()
        log.write(
            .warning,
            "Setting secondary replication ID to \(replicationID2), valid up to offset: \(secondOffset). New replication ID is \(engine.replicationID)"
        )
    }

    func clearReplicationID2() {
        replicationID2 = Self.zeroID
        secondOffset = -1
    }

    // MARK: - Role

    /// REPLICAOF host port: follows that primary (keeping replicas: they may continue).
    func follow(host: String, port: Int, requestedBy: String?) {
        let wasPrimary = !isReplica
        if let link, link.isStreaming {
            // The stream so far is ours to continue from with the new primary.
            cachedPrimary = (engine.replicationID, offset)
            cachedStreamDatabase = link.streamDatabase
        }
        link?.abandon()
        link = nil
        engine.disconnectBlockedClients()
        primaryAddress = (host, port)
        log.role = "S"
        engine.replicationGate.isReplica = true
        engine.replicationGate.linkUp = false
        try? server.oomScore.apply(engine.config, isReplica: true, log: log)
        server.propagation.feedsReplication = false
        if wasPrimary {
            // Continue from our own history with the new primary if it shares it.
            cachedPrimary = (engine.replicationID, offset)
            abortFullSyncs()
            for wait in waits { wait.refuse(.unblockedByRoleChange) }
            waits.removeAll()
        }
        if let requestedBy {
            log.write(.notice, "REPLICAOF \(host):\(port) enabled (user request from '\(requestedBy)')")
        }
        log.write(.notice, "Connecting to MASTER \(host):\(port)")
        linkDownSince = engine.clock.wallMilliseconds
        connectToPrimary()
    }

    /// REPLICAOF NO ONE: becomes a primary that keeps its history as ID2.
    func stopFollowing(requestedBy: String?) {
        guard isReplica else { return }
        link?.abandon()
        link = nil
        primaryAddress = nil
        log.role = "M"
        cachedPrimary = nil
        engine.replicationGate.isReplica = false
        engine.replicationGate.linkUp = false
        try? server.oomScore.apply(engine.config, isReplica: false, log: log)
        shiftReplicationID()
        // The replicas must learn the new ID: they come back and continue with PSYNC.
        disconnectReplicas()
        streamDatabase = -1
        server.propagation.feedsReplication = wantsPropagation
        if let requestedBy { log.write(.notice, "MASTER MODE enabled (user request from '\(requestedBy)')") }
    }

    func disconnectReplicas() {
        for replica in replicas { replica.session.transport?.close() }
        replicas.removeAll()
        updateGoodReplicas()
    }

    // MARK: - ReplicationSubsystem

    func sessionClosed(_ session: Session) {
        waits.removeAll { $0.session === session }
        pendingReplicas[session.id] = nil
        guard session.replicationKind == .replica, let index = replicas.firstIndex(where: { $0.session === session }) else {
            return
        }
        let replica = replicas.remove(at: index)
        log.write(.notice, "Connection with replica \(replica.address):\(replica.listeningPort) lost.")
        if replicas.isEmpty { unattachedSince = engine.clock.wallMilliseconds }
        fullSync?.remove(replica)
        trimBacklog()
        updateGoodReplicas()
    }

    func infoFields() -> [(String, String)] {
        var fields: [(String, String)] = []
        let now = engine.clock.wallMilliseconds
        if let primary = primaryAddress {
            let up = engine.replicationGate.linkUp
            fields += [
                ("role", "slave"),
                ("master_host", primary.host),
                ("master_port", "\(primary.port)"),
                ("master_link_status", up ? "up" : "down"),
                ("master_last_io_seconds_ago", link.map { up ? "\(($0.lastIO > 0 ? now - $0.lastIO : 0) / 1000)" : "-1" } ?? "-1"),
                ("master_sync_in_progress", link?.isTransferring == true ? "1" : "0"),
                ("slave_read_repl_offset", "\(link?.readOffset ?? offset)"),
                ("slave_repl_offset", "\(offset)"),
            ]
            if let link, link.isTransferring {
                let total = link.transferSize
                let read = link.transferReceived
                fields += [
                    ("master_sync_total_bytes", "\(total)"),
                    ("master_sync_read_bytes", "\(read)"),
                    ("master_sync_left_bytes", "\(max(0, total - read))"),
                    ("master_sync_perc", formatWithC("%.2f", total > 0 ? Double(read) * 100 / Double(total) : 0)),
                    ("master_sync_last_io_seconds_ago", "\((now - link.lastIO) / 1000)"),
                ]
            }
            if !up { fields.append(("master_link_down_since_seconds", "\(linkDownSince > 0 ? (now - linkDownSince) / 1000 : -1)")) }
            fields += [
                ("slave_priority", "\(engine.config.integer("replica-priority"))"),
                ("slave_read_only", engine.replicationGate.readOnly ? "1" : "0"),
                ("replica_announced", engine.config.bool("replica-announced") ? "1" : "0"),
            ]
        } else {
            fields.append(("role", "master"))
        }
        fields.append(("connected_slaves", "\(replicas.count)"))
        if engine.config.integer("min-replicas-to-write") > 0 && engine.config.integer("min-replicas-max-lag") > 0 {
            fields.append(("min_slaves_good_slaves", "\(goodReplicaCount)"))
        }
        for (index, replica) in replicas.enumerated() {
            let lag = (now - replica.acknowledgedAt) / 1000
            fields.append((
                "slave\(index)",
                "ip=\(replica.address),port=\(replica.listeningPort),state=\(replica.stateName),offset=\(replica.acknowledgedOffset),lag=\(lag)"
            ))
        }
        fields += [
            ("master_failover_state", failover?.stateName ?? "no-failover"),
            ("master_replid", engine.replicationID),
            ("master_replid2", replicationID2),
            ("master_repl_offset", "\(offset)"),
            ("second_repl_offset", "\(secondOffset)"),
            ("repl_backlog_active", backlog == nil ? "0" : "1"),
            ("repl_backlog_size", "\(backlog?.size ?? Int(engine.config.integer("repl-backlog-size")))"),
            ("repl_backlog_first_byte_offset", "\(backlog?.firstByteOffset ?? 0)"),
            ("repl_backlog_histlen", "\(backlog?.historyLength ?? 0)"),
        ]
        return fields
    }

    /// ROLE's reply.
    func writeRole(_ reply: inout ReplyWriter) {
        if let primary = primaryAddress {
            reply.arrayHeader(5)
            reply.bulk("slave")
            reply.bulk(primary.host)
            reply.integer(primary.port)
            reply.bulk(link?.roleState ?? "connect")
            reply.integer(link?.isStreaming == true ? offset : -1)
            return
        }
        reply.arrayHeader(3)
        reply.bulk("master")
        reply.integer(offset)
        let listed = replicas.filter { $0.state == .online || $0.state == .receivingSnapshot }
        reply.arrayHeader(listed.count)
        for replica in listed {
            reply.arrayHeader(3)
            reply.bulk(replica.address)
            reply.bulk(String(replica.listeningPort))
            reply.bulk(String(replica.acknowledgedOffset))
        }
    }

    // MARK: - Cron

    /// Once a second (Redis's replicationCron).
    func cron() {
        let now = engine.clock.wallMilliseconds
        if isReplica { replicaCron(now: now) }
        primaryCron(now: now)
        removeFileMadeForReplicas()
    }

    /// After a command of the primary's failed here: the end of the stream, for the log.
    func logLatestBacklog() {
        guard let backlog, backlog.historyLength > 0 else { return }
        let recent = backlog.bytes(from: max(backlog.firstByteOffset, backlog.endOffset + 1 - 256))
        log.write(.warning, "Latest backlog is: '\(quotedRepr(recent))'")
    }

    /// No save points and no AOF: nothing of the dataset is meant to stay on disk, so with
    /// rdb-del-sync-files an RDB file made only to copy it is removed once used.
    var isPersistenceOff: Bool { engine.savePoints.isEmpty && !engine.persistence.aof.enabled }

    /// rdb-del-sync-files on a primary: once no replica needs the file a disk copy made, it
    /// goes (Redis's removeRDBUsedToSyncReplicas, from its replication cron).
    private func removeFileMadeForReplicas() {
        guard engine.config.bool("rdb-del-sync-files") else {
            rdbFileMadeForReplicas = false
            return
        }
        guard isPersistenceOff, rdbFileMadeForReplicas, !diskSyncInProgress,
            !replicas.contains(where: { $0.state == .waitingForSnapshot || $0.state == .receivingSnapshot })
        else { return }
        let path = engine.config["dir"] + "/" + engine.config["dbfilename"]
        guard fileExists(path) else { return }
        rdbFileMadeForReplicas = false
        log.write(.notice, "Removing the RDB file used to feed replicas in a persistence-less instance")
        engine.host?.runInBackground { _ = unlink(path) }
    }

    /// rdb-del-sync-files on a replica: the file a copy arrived in goes once it is loaded
    /// (or failed to load) when this server keeps nothing on disk.
    func removeReceivedFileIfUnwanted(_ path: String) {
        guard engine.config.bool("rdb-del-sync-files") && isPersistenceOff else { return }
        log.write(.notice, "Removing the RDB file obtained from the master. This replica has persistence disabled")
        engine.host?.runInBackground { _ = unlink(path) }
    }

    /// Before the server exits: the replicas get what is pending (Redis flushes them too).
    func shutdown() {
        for replica in replicas where replica.feedOffset != nil {
            topUp(replica, window: .max)
            replica.feedOffset = nil
            replica.session.outputDrained = nil
        }
        link?.abandon()
        link = nil
    }
}
