// Clients blocked in XREAD and XREADGROUP (Redis's serveClientsBlockedOnStreamKey
// and unblockDeletedStreamReadgroupClients): when a stream they wait on gets
// an entry past the ID they read after (for a group: the group's last
// delivered ID, read again at serving time since other consumers move it),
// they are served in the order they blocked. A client waiting in XREADGROUP
// whose stream is deleted or replaced gets -UNBLOCKED, one whose group is
// destroyed -NOGROUP; XREAD waiters just keep waiting for a stream.

extension Engine {
    /// A stream got entries or lost a group (XADD, XGROUP DESTROY): its waiters are looked
    /// at after the running command.
    func signalStreamReady(_ db: Database, _ key: UnsafeRawBufferPointer) {
        if !db.blocked.isEmpty { signalKeyAsReady(db, key) }
    }

    /// Signals every key a consumer-group reader waits on (before `db` is emptied: each of
    /// those keys holds a stream until then).
    func signalGroupReaders(_ db: Database) {
        for queue in db.blocked.values {
            for request in queue where request.operation.streamRead?.group != nil {
                for key in request.keys { key.withUnsafeBytes { signalKeyAsReady(db, $0) } }
            }
        }
    }

    /// Serves or answers the stream readers waiting on `key`, in the order they blocked.
    func serveStreamReaders(_ ready: ReadyKey, _ key: UnsafeRawBufferPointer) {
        let db = ready.database
        guard let queue = db.blocked[ready.hash] else { return }
        let readers = queue.filter { $0.operation.streamRead != nil && $0.waits(on: key, hash: ready.hash) }
        for request in readers where request.isWaiting {
            guard let read = request.operation.streamRead else { continue }
            let entry = findLive(db, key)
            if let entry, read.group != nil { db.willChange(entry) }
            let stream = entry.flatMap { db.value(at: $0).pointee.stream }
            guard let stream else {
                if read.group != nil {
                    fail(request, ReplyError(code: "UNBLOCKED", "the stream key no longer exists"))
                }
                continue
            }
            let after: StreamID
            var group: StreamConsumerGroup?
            if let groupName = read.group {
                guard let found = stream.groups[groupName] else {
                    fail(request, ReplyError(code: "NOGROUP", "the consumer group this client was blocked on no longer exists"))
                    continue
                }
                group = found
                after = found.lastID
            } else {
                guard let position = request.keys.firstIndex(where: { $0.equals(key) }) else { continue }
                after = read.ids[position]
            }
            guard stream.lastID > after else { continue }
            let session = request.session
            let start = clock.wallMicroseconds
            asRunningSession(session) {
                if session.reply.version == .resp2 {
                    session.reply.arrayHeader(1)
                    session.reply.arrayHeader(2)
                } else {
                    session.reply.mapHeader(1)
                }
                session.reply.bulk(key)
                let groupRead = GroupRead(group: group, groupName: read.group, consumerName: read.consumer, noAck: read.noAck)
                replyStreamRead(
                    session, db: db, key: key, stream: stream, after: after, count: read.count, groupRead: groupRead,
                    history: false)
            }
            if !pendingPropagation.isEmpty { flushPropagation(wrap: true) }
            finish(request, replyMicros: clock.wallMicroseconds - start, failed: false)
        }
    }

    /// Ends a wait with an error reply.
    private func fail(_ request: BlockedRequest, _ error: ReplyError) {
        let start = clock.wallMicroseconds
        replyError(request.session, error)
        finish(request, replyMicros: clock.wallMicroseconds - start, failed: true)
    }
}
