// The replica's side of the subsystem: the link to the primary comes and goes
// (PrimaryLink does the protocol), and what each step means for this server's
// history: a full copy replaces the dataset and adopts the primary's ID and
// offset; a continued stream may bring a new ID (the primary was promoted),
// kept with the old one as ID2; a broken link leaves the history cached for
// the next PSYNC. Replicas of this replica must copy again whenever the
// history it follows changes.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import RedstartEngine

extension Replication {
    /// Starts a connection to the primary (REPLICAOF, the cron after a broken link).
    func connectToPrimary() {
        guard let primary = primaryAddress else { return }
        needsConnection = false
        let link = PrimaryLink(replication: self, host: primary.host, port: primary.port)
        self.link = link
        link.connect()
    }

    /// Once a second as a replica: reconnect, acknowledge, notice a silent primary.
    func replicaCron(now: Int64) {
        let timeout = engine.config.integer("repl-timeout") * 1000
        if let link {
            link.sendKeepalive()
            if link.isStreaming {
                if now - link.lastIO > timeout {
                    log.write(.warning, "MASTER timeout: no data nor PING received...")
                    link.close()
                    return
                }
                link.sendAck()
            } else if now - link.lastIO > timeout {
                switch link.phase {
                case .receivingCopy, .awaitingCopy:
                    log.write(
                        .warning,
                        "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value."
                    )
                case .loading:
                    return
                default:
                    log.write(.warning, "Timeout connecting to the MASTER...")
                }
                link.abandon()
                self.link = nil
                needsConnection = true
            }
        }
        if link == nil && needsConnection, let primary = primaryAddress {
            log.write(.notice, "Connecting to MASTER \(primary.host):\(primary.port)")
            connectToPrimary()
        }
    }

    /// The link broke (or never came up): keep what is needed to continue, reconnect later.
    func linkLost(_ lost: PrimaryLink, wasStreaming: Bool) {
        guard link === lost else { return }
        link = nil
        if wasStreaming {
            log.write(.notice, "Caching the disconnected master state.")
            cachedPrimary = (engine.replicationID, offset)
            cachedStreamDatabase = lost.streamDatabase
            linkDownSince = engine.clock.wallMilliseconds
        }
        engine.replicationGate.linkUp = false
        needsConnection = primaryAddress != nil
    }

    /// The stream flows (after a copy or a continued PSYNC).
    func linkUp() {
        engine.replicationGate.linkUp = true
        cachedPrimary = nil
        linkDownSince = 0
    }

    /// +CONTINUE [id]: the primary continues our history; a new ID means it was promoted
    /// and its old ID (ours) is now valid up to here as ID2.
    func continued(newID: String?) {
        guard let cached = cachedPrimary else { return }
        if let newID, newID != cached.id {
            replicationID2 = cached.id
            secondOffset = offset + 1
            engine.replicationID = newID
            log.write(.notice, "Master replication ID changed to \(newID)")
            // Our replicas must learn the new ID: they reconnect and continue.
            disconnectReplicas()
        } else {
            engine.replicationID = cached.id
        }
        if backlog == nil { createBacklog() }
    }

    /// A copy arrived whole (renamed to dbfilename): the replicas of this server must copy
    /// again, the dataset is emptied and the file loaded while clients get -LOADING.
    func loadCopy(_ fileName: String, from link: PrimaryLink, done: @escaping (String?) -> Void) {
        prepareForCopy()
        log.write(.notice, "MASTER <-> REPLICA sync: Loading DB in memory")
        server.rdb.load(fileName) { [self] failure in
            if failure != nil { engine.emptyDatasetForLoad() }
            removeReceivedFileIfUnwanted(fileName)
            done(failure)
        }
    }

    /// A copy received in memory (repl-diskless-load): the dataset is replaced by it.
    func loadCopy(bytes: [UInt8], from link: PrimaryLink, done: @escaping (String?) -> Void) {
        prepareForCopy()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        server.rdb.load(bytes: UnsafeRawBufferPointer(rebasing: buffer[..<bytes.count]), release: { buffer.deallocate() }) {
            [self] failure in
            if failure != nil { engine.emptyDatasetForLoad() }
            done(failure)
        }
    }

    /// What a new copy replaces: our replicas' history, the backlog, snapshots, the dataset.
    private func prepareForCopy() {
        cachedPrimary = nil
        disconnectReplicas()
        freeBacklog()
        abortFullSyncs()
        if server.rdb.isSavingInBackground { server.rdb.abortBackgroundSave() }
        // replica-lazy-flush: the old dataset is freed on the background thread.
        engine.emptyDatasetForLoad(lazily: engine.config.bool("replica-lazy-flush"))
    }

    /// The copy is loaded: this server's history is now the primary's.
    func copyLoaded(primaryID: String, offset start: Int64) {
        engine.replicationID = primaryID
        offset = start
        clearReplicationID2()
        streamDatabase = -1
        createBacklog()
        engine.persistence.dirtyAtLastSave = engine.stats.dirty
        // The AOF must hold the new dataset: a rewrite makes its base (Redis restarts the AOF).
        if engine.persistence.aof.enabled { _ = server.aof.startRewrite() }
    }
}
