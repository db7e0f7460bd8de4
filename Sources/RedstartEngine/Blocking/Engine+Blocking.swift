// Clients blocked on keys (Redis's blocked.c for lists): a blocking command
// that finds no data registers a BlockedRequest on each of its keys and the
// session stops running commands. When a list is created under a key somebody
// waits on, the key is signalled ready; after the running command (or the
// whole EXEC) ends, the dispatcher serves the ready keys: each key's waiters
// first-come first-served, while the list has elements. A served BLMOVE pushes
// to its destination, which may make that key ready in turn (served in the
// same pass). Timeouts come from a deadline heap, on a timer the host arms.
// A served request is propagated as its non-blocking form (LPOP, LMOVE, ...).
import DequeModule
import NIOCore
import RedstartRESP

extension Engine {
    /// Sessions blocked on keys.
    public var keyBlockedClientsCount: Int { blockedRequests.count }

    // MARK: - Blocking

    /// Blocks `session` on `keys` of `db` until one gets data or `deadline` (unix ms, 0 =
    /// never) passes. The dispatcher then returns `.blocked` for the command.
    func block(
        _ session: Session, on keys: [ByteString], in db: Database, operation: BlockedRequest.Operation,
        deadline: Int64, spec: CommandSpec
    ) {
        var unique: [ByteString] = []
        for key in keys where !unique.contains(key) { unique.append(key) }
        let request = BlockedRequest(
            session: session, database: db, keys: unique, operation: operation, deadline: deadline, spec: spec,
            arguments: runningCommand.map { $0.spec === spec ? $0.args.owned() : nil } ?? nil,
            initialMicros: clock.wallMicroseconds - commandStartMicros)
        blockedRequests[session.id] = request
        session.isBlocked = true
        for hash in Set(request.hashes) { db.blocked[hash, default: []].append(request) }
        guard deadline > 0 else { return }
        // Requests served before their deadline leave stale entries: drop them now and then.
        if blockingDeadlines.count > 2 * blockedRequests.count + 64 {
            blockingDeadlines.removeAll { !$0.isWaiting }
        }
        blockingDeadlines.insert(request, deadline: deadline)
        if blockingDeadlines.first?.item === request { host?.scheduleBlockingTimeout(at: deadline) }
    }

    /// Removes a request from every key it waits on; the session may run commands again.
    private func removeRequest(_ request: BlockedRequest) {
        request.isWaiting = false
        blockedRequests[request.session.id] = nil
        request.session.isBlocked = false
        let db = request.database
        for hash in Set(request.hashes) {
            guard var queue = db.blocked[hash] else { continue }
            if queue.first === request {
                queue.removeFirst()
            } else {
                queue.removeAll { $0 === request }
            }
            db.blocked[hash] = queue.isEmpty ? nil : queue
        }
    }

    /// Ends a request that got its reply (served, timed out, CLIENT UNBLOCK): commandstats
    /// as Redis counts a blocked command, then the session goes on with its input.
    func finish(_ request: BlockedRequest, replyMicros: Int64, failed: Bool) {
        removeRequest(request)
        let spec = request.spec
        let total = request.initialMicros + replyMicros
        spec.microseconds += replyMicros
        if failed { spec.failedCalls += 1 }
        if latencyTracking { spec.latency.record(nanoseconds: total * 1000) }
        // SLOWLOG sees the command as called, for its whole time (Redis's updateStatsOnUnblock).
        if slowlogThreshold >= 0 && total >= slowlogThreshold && !spec.flags.contains(.skipSlowlog),
            let arguments = request.arguments
        {
            addSlowlogEntry(spec, arguments, request.session, duration: total, start: clock.wallMicroseconds)
        }
        addLatencySampleIfNeeded("command-unblocking", milliseconds: replyMicros / 1000)
        request.session.transport?.resume()
    }

    /// A blocked session disconnected: it just stops waiting.
    func dropBlockedRequest(of session: Session) {
        if let request = blockedRequests[session.id] { removeRequest(request) }
    }

    /// CLIENT UNBLOCK: ends the wait of session `id` (on keys, or in WAIT) with a timeout's
    /// reply or an error. False when that session waits for neither.
    func unblockClient(id: Int64, withError: Bool) -> Bool {
        guard let request = blockedRequests[id] else {
            guard let session = sessions[id], let replication else { return false }
            return replication.unblock(session, with: withError ? .unblockedByClient : nil)
        }
        if withError {
            replyError(request.session, .unblockedByClient)
        } else {
            request.session.reply.nullArray()
        }
        finish(request, replyMicros: 0, failed: withError)
        return true
    }

    /// Ends every wait on keys with -UNBLOCKED (the server became a replica: its data will
    /// come from the primary; Redis's disconnectAllBlockedClients).
    public func disconnectBlockedClients() {
        for request in blockedRequests.values.sorted(by: { $0.session.id < $1.session.id }) {
            replyError(request.session, .unblockedByRoleChange)
            finish(request, replyMicros: 0, failed: true)
        }
    }

    // MARK: - Timeouts

    /// Replies a null array to every blocked session whose time is up, then asks the host
    /// for the next deadline.
    public func handleBlockingTimeouts() {
        // Timeouts that pass while a paused script holds the server are answered after it.
        if busyScript != nil { return }
        let now = clock.wallMilliseconds
        while let top = blockingDeadlines.first, !top.item.isWaiting || top.deadline <= now {
            blockingDeadlines.removeFirst()
            let request = top.item
            guard request.isWaiting else { continue }
            request.session.reply.nullArray()
            finish(request, replyMicros: 0, failed: false)
        }
        if let next = blockingDeadlines.first { host?.scheduleBlockingTimeout(at: next.deadline) }
    }

    // MARK: - Ready keys

    /// Notes that `key` of `db` was created as a list: clients waiting on it are served
    /// after the running command (Redis's signalKeyAsReady).
    func signalKeyAsReady(_ db: Database, _ key: UnsafeRawBufferPointer) {
        guard !db.blocked.isEmpty else { return }
        let hash = KeyHash.hash(key)
        guard let queue = db.blocked[hash], queue.contains(where: { $0.waits(on: key, hash: hash) }) else { return }
        if readyKeys.contains(where: { $0.database === db && $0.hash == hash && $0.key.equals(key) }) { return }
        readyKeys.append(ReadyKey(database: db, key: ByteString(key), hash: hash))
    }

    /// Signals the keys of `db` that clients wait on and that hold a list (after SWAPDB).
    func signalReadyKeysAfterSwap(_ db: Database) {
        for queue in db.blocked.values {
            var seen: [ByteString] = []
            for request in queue {
                for key in request.keys where !seen.contains(key) {
                    seen.append(key)
                    key.withUnsafeBytes { raw in
                        // Present, expired or not (Redis's dictFind): serving finds an expired
                        // key gone and removes it, propagating its DEL.
                        if let index = db.table.find(raw) {
                            let value = db.value(at: index).pointee
                            if value.list != nil || value.sortedSet != nil || value.stream != nil {
                                signalKeyAsReady(db, raw)
                            }
                        } else if request.operation.streamRead?.group != nil {
                            // The stream this group reader waits on went with the swap.
                            signalKeyAsReady(db, raw)
                        }
                    }
                }
            }
        }
    }

    /// Serves the clients waiting on keys that got data, until no key is ready (a served
    /// BLMOVE can make its destination ready).
    func serveReadyKeys() {
        while !readyKeys.isEmpty {
            let batch = readyKeys
            readyKeys.removeAll()
            for ready in batch { serve(ready) }
        }
    }

    /// Serves the waiters of one key in the order they blocked, while it holds data of the
    /// kind they wait for (clients waiting for another type are passed over).
    private func serve(_ ready: ReadyKey) {
        let db = ready.database
        ready.key.withUnsafeBytes { key in
            if db.blocked[ready.hash]?.contains(where: { $0.operation.streamRead != nil }) == true {
                serveStreamReaders(ready, key)
            }
            while let queue = db.blocked[ready.hash], let index = findLive(db, key) {
                let value = db.value(at: index).pointee
                guard let request = queue.first(where: { $0.waits(on: key, hash: ready.hash) && $0.operation.accepts(value) })
                else { return }
                db.willChange(index)
                asRunningSession(request.session) {
                    if let list = value.list {
                        serve(request, from: list, at: index, key: key)
                    } else if value.sortedSet != nil {
                        serveSortedSet(request, at: index, key: key)
                    }
                }
                if !pendingPropagation.isEmpty { flushPropagation(wrap: true) }
            }
            // A key found expired on the way was removed: its DEL goes out on its own.
            if !pendingPropagation.isEmpty { flushPropagation(wrap: false) }
        }
    }

    /// Runs `body` (serving a blocked session) with `session` as the running one, so that the
    /// messages it gets from its own pop (keyspace events) follow its reply, as for any command.
    /// Only a subscribed or tracking session can get such messages: the others are served
    /// directly.
    func asRunningSession(_ session: Session, _ body: () -> Void) {
        guard session.isSubscribed || session.tracking != nil else { return body() }
        let outer = runningSession
        var outerPushes = ByteBufferAllocator().buffer(capacity: 0)
        swap(&outerPushes, &selfPushes)
        runningSession = session
        body()
        if selfPushes.readableBytes > 0 { session.reply.raw(selfPushes) }
        runningSession = outer
        swap(&outerPushes, &selfPushes)
    }

    /// Performs a waiting BZPOP*/BZMPOP on the sorted set of `key` (entry `index`), replies,
    /// ends the wait.
    private func serveSortedSet(_ request: BlockedRequest, at index: Int32, key: UnsafeRawBufferPointer) {
        let session = request.session
        let db = request.database
        let start = clock.wallMicroseconds
        let slot = db.value(at: index)
        switch request.operation {
        case .zpop(let max):
            let popped = SortedSetFamily.popElements(&slot.pointee.storedSortedSet, count: 1, max: max)
            session.reply.arrayHeader(3)
            session.reply.bulk(key)
            if let (member, score) = popped.first {
                member.withUnsafeBytes { session.reply.bulk($0) }
                session.reply.double(score)
            }
            alsoPropagate(database: db.index, [Array((max ? "ZPOPMAX" : "ZPOPMIN").utf8), Array(key)])
            notify(.zset, max ? "zpopmax" : "zpopmin", key, db: db.index)
        case .zpopMany(let max, let count):
            let popped = SortedSetFamily.popElements(&slot.pointee.storedSortedSet, count: count, max: max)
            session.reply.arrayHeader(2)
            session.reply.bulk(key)
            session.reply.arrayHeader(popped.count)
            for (member, score) in popped {
                session.reply.arrayHeader(2)
                member.withUnsafeBytes { session.reply.bulk($0) }
                session.reply.double(score)
            }
            alsoPropagate(
                database: db.index,
                [Array((max ? "ZPOPMAX" : "ZPOPMIN").utf8), Array(key), Array(String(popped.count).utf8)])
            notify(.zset, max ? "zpopmax" : "zpopmin", key, db: db.index)
        case .pop, .popMany, .move, .streamRead:
            return
        }
        if slot.pointee.storedSortedSet.isEmpty { removeEmptied(db, at: index, key) }
        finish(request, replyMicros: clock.wallMicroseconds - start, failed: false)
    }

    /// Performs a waiting list request on `list` (the value of `key`), replies, and ends the wait.
    private func serve(_ request: BlockedRequest, from list: ChunkedList, at index: Int32, key: UnsafeRawBufferPointer) {
        let session = request.session
        let db = request.database
        let start = clock.wallMicroseconds
        var failed = false
        switch request.operation {
        case .pop(let fromFront):
            session.reply.arrayHeader(2)
            session.reply.bulk(key)
            list.pop(fromFront: fromFront) { session.reply.bulk($0) }
            alsoPropagate(database: db.index, [fromFront ? Self.lpopName : Self.rpopName, Array(key)])
            notify(.list, fromFront ? "lpop" : "rpop", key, db: db.index)
        case .popMany(let fromFront, let count):
            let taken = min(count, list.count)
            session.reply.arrayHeader(2)
            session.reply.bulk(key)
            session.reply.arrayHeader(taken)
            for _ in 0..<taken { list.pop(fromFront: fromFront) { session.reply.bulk($0) } }
            alsoPropagate(
                database: db.index, [fromFront ? Self.lpopName : Self.rpopName, Array(key), Array(String(taken).utf8)])
            notify(.list, fromFront ? "lpop" : "rpop", key, db: db.index)
        case .move(let fromFront, let toFront, let destination, let isRPopLPush):
            let targetEntry = destination.withUnsafeBytes { lookupWrite(db, $0) }
            let target = targetEntry.flatMap { db.value(at: $0).pointee.list }
            if targetEntry != nil && target == nil {
                replyError(session, .wrongType)
                failed = true
                break
            }
            guard let element = list.pop(fromFront: fromFront) else { break }
            destination.withUnsafeBytes { raw in
                pushMoved(element, to: raw, in: db, atFront: toFront, into: target)
            }
            notify(.list, fromFront ? "lpop" : "rpop", key, db: db.index)
            // The source may be the destination: only an emptied source is removed, after the push.
            if list.isEmpty { removeEmptied(db, at: index, key) }
            element.withUnsafeBytes { session.reply.bulk($0) }
            alsoPropagate(
                database: db.index,
                isRPopLPush
                    ? [Self.rpoplpushName, Array(key), destination.bytes]
                    : [Self.lmoveName, Array(key), destination.bytes, Self.sideName(fromFront), Self.sideName(toFront)])
            finish(request, replyMicros: clock.wallMicroseconds - start, failed: false)
            return
        case .zpop, .zpopMany, .streamRead:
            return
        }
        if list.isEmpty { removeEmptied(db, at: index, key) }
        finish(request, replyMicros: clock.wallMicroseconds - start, failed: failed)
    }

    /// Pushes an element LMOVE took to `key`: into `target`, the list the caller found there,
    /// or into a new list (whose creation signals waiters).
    func pushMoved(
        _ element: [UInt8], to key: UnsafeRawBufferPointer, in db: Database, atFront: Bool, into target: ChunkedList?
    ) {
        element.withUnsafeBytes { bytes in
            if let target {
                target.push(bytes, atFront: atFront)
            } else {
                let list = ChunkedList(shape: listShape)
                list.push(bytes, atFront: atFront)
                addKey(db, key, .list(list))
            }
        }
        keyModified(db, key)
        notify(.list, atFront ? "lpush" : "rpush", key, db: db.index)
    }

    static let lpopName = Array("LPOP".utf8)
    static let rpopName = Array("RPOP".utf8)
    static let lmoveName = Array("LMOVE".utf8)
    static let rpoplpushName = Array("RPOPLPUSH".utf8)

    /// LEFT or RIGHT, as LMOVE names the ends.
    static func sideName(_ front: Bool) -> [UInt8] { Array((front ? "LEFT" : "RIGHT").utf8) }
}
