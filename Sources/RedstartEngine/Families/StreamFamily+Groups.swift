// Consumer-group commands (Redis 7.0's t_stream.c): XGROUP (CREATE, SETID,
// DESTROY, CREATECONSUMER, DELCONSUMER, HELP), XACK, XPENDING, XCLAIM and
// XAUTOCLAIM. Claims propagate as Redis's idempotent XCLAIM ... FORCE JUSTID
// LASTID form (or XGROUP SETID), never as called.
import RedstartRESP

extension StreamFamily {
    static var groupCommands: [CommandSpec] {
        let keyAt2 = KeyPositions(first: 2, last: 2, step: 1)
        return [
            .init(
                "xgroup", arity: -2, group: "stream",
                subcommands: [
                    .init("create", arity: -5, flags: [.write, .denyOOM], keys: keyAt2, acl: [.stream], group: "stream", run: xgroupCreate),
                    .init("setid", arity: -5, flags: [.write], keys: keyAt2, acl: [.stream], group: "stream", run: xgroupSetID),
                    .init("destroy", arity: 4, flags: [.write], keys: keyAt2, acl: [.stream], group: "stream", run: xgroupDestroy),
                    .init(
                        "createconsumer", arity: 5, flags: [.write, .denyOOM], keys: keyAt2, acl: [.stream], group: "stream",
                        run: xgroupCreateConsumer),
                    .init(
                        "delconsumer", arity: 5, flags: [.write], keys: keyAt2, acl: [.stream], group: "stream",
                        run: xgroupDeleteConsumer),
                    .init("help", arity: 2, flags: [.loading, .stale], acl: [.stream], group: "stream", run: xgroupHelp),
                ]),
            .init("xack", arity: -4, flags: [.write, .fast], keys: .first, acl: [.stream], group: "stream", run: xack),
            .init("xpending", arity: -3, flags: [.readonly], keys: .first, acl: [.stream], group: "stream", run: xpending),
            .init("xclaim", arity: -6, flags: [.write, .fast], keys: .first, acl: [.stream], group: "stream", run: xclaim),
            .init("xautoclaim", arity: -6, flags: [.write, .fast], keys: .first, acl: [.stream], group: "stream", run: xautoclaim),
        ]
    }

    /// `-NOGROUP No such key '<key>' or consumer group '<group>'` (and a suffix).
    static func noGroup(_ cmd: CommandContext, key: Int, group: Int, suffix: String = "") -> ReplyError {
        ReplyError(code: "NOGROUP", "No such key '\(cmd.args.string(at: key))' or consumer group '\(cmd.args.string(at: group))'\(suffix)")
    }

    // MARK: - XGROUP

    /// What every XGROUP subcommand but HELP starts with: the options after the ID (CREATE's
    /// MKSTREAM and ENTRIESREAD, SETID's ENTRIESREAD), the stream, and the group.
    private struct GroupTarget {
        var makeStream = false
        var entriesRead = StreamConsumerGroup.invalidEntriesRead
        var stream: StreamValue?
        var group: StreamConsumerGroup?

        init(_ cmd: CommandContext, needsGroup: Bool) throws(ReplyError) {
            let subcommand = cmd.spec.name
            var index = 5
            while index < cmd.args.count {
                if subcommand == "create" && cmd.args.isEqual(at: index, toLowercase: "mkstream") {
                    makeStream = true
                    index += 1
                } else if (subcommand == "create" || subcommand == "setid")
                    && cmd.args.isEqual(at: index, toLowercase: "entriesread") && index + 1 < cmd.args.count
                {
                    entriesRead = try cmd.integer(index + 1)
                    if entriesRead < 0 && entriesRead != StreamConsumerGroup.invalidEntriesRead {
                        throw ReplyError("value for ENTRIESREAD must be positive or -1")
                    }
                    index += 2
                } else {
                    throw cmd.subcommandSyntaxError()
                }
            }
            let db = cmd.db
            if let entry = cmd.args.withBytes(at: 2, { cmd.engine.lookupWrite(db, $0) }) {
                stream = try StreamFamily.streamValue(db, entry)
            }
            guard !makeStream else { return }
            guard let stream else {
                throw ReplyError(
                    "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
                )
            }
            group = cmd.args.withBytes(at: 3) { stream.groups[ByteString($0)] }
            if group == nil && needsGroup {
                throw ReplyError(
                    code: "NOGROUP",
                    "No such consumer group '\(cmd.args.string(at: 3))' for key name '\(cmd.args.string(at: 2))'")
            }
        }
    }

    /// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n] → OK, or -BUSYGROUP.
    static func xgroupCreate(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count <= 8 else { throw cmd.subcommandSyntaxError() }
        var target = try GroupTarget(cmd, needsGroup: false)
        let id: StreamID
        if cmd.args.withBytes(at: 4, { $0.count == 1 && $0[0] == UInt8(ascii: "$") }) {
            id = target.stream?.lastID ?? .zero
        } else {
            id = try parseID(cmd, 4)
        }
        let engine = cmd.engine
        let db = cmd.db
        try cmd.withArgument(2) { (key) throws(ReplyError) in
            if target.stream == nil {
                let stream = StreamValue()
                engine.addKey(db, key, .stream(stream))
                engine.keyModified(db, key, changes: 0)
                target.stream = stream
            }
            guard let stream = target.stream else { return }
            let name = cmd.args.withBytes(at: 3) { ByteString($0) }
            guard stream.groups[name] == nil else {
                throw ReplyError(code: "BUSYGROUP", "Consumer Group name already exists")
            }
            stream.groups[name] = StreamConsumerGroup(name: name, lastID: id, entriesRead: target.entriesRead)
            cmd.reply.ok()
            // Like Redis, a group change counts as a change but does not touch WATCH.
            engine.noteChanges()
            engine.notify(.stream, "xgroup-create", key, db: db.index)
        }
    }

    /// XGROUP SETID key group id|$ [ENTRIESREAD n] → OK.
    static func xgroupSetID(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count == 5 || cmd.args.count == 7 else {
            _ = try GroupTarget(cmd, needsGroup: true)
            throw cmd.subcommandSyntaxError()
        }
        let target = try GroupTarget(cmd, needsGroup: true)
        guard let stream = target.stream, let group = target.group else { return }
        let id: StreamID
        if cmd.args.withBytes(at: 4, { $0.count == 1 && $0[0] == UInt8(ascii: "$") }) {
            id = stream.lastID
        } else {
            id = try parseID(cmd, 4, strict: false)
        }
        group.lastID = id
        group.entriesRead = target.entriesRead
        cmd.reply.ok()
        cmd.args.withBytes(at: 2) { key in
            cmd.engine.noteChanges()
            cmd.engine.notify(.stream, "xgroup-setid", key, db: cmd.db.index)
        }
    }

    /// XGROUP DESTROY key group → 1 when the group existed, else 0.
    static func xgroupDestroy(_ cmd: CommandContext) throws(ReplyError) {
        let target = try GroupTarget(cmd, needsGroup: false)
        guard let stream = target.stream, let group = target.group else {
            cmd.reply.integer(0)
            return
        }
        stream.groups[group.name] = nil
        cmd.reply.integer(1)
        cmd.args.withBytes(at: 2) { key in
            cmd.engine.noteChanges()
            cmd.engine.notify(.stream, "xgroup-destroy", key, db: cmd.db.index)
            // Clients blocked in XREADGROUP on this group are told.
            cmd.engine.signalStreamReady(cmd.db, key)
        }
    }

    /// XGROUP CREATECONSUMER key group consumer → 1 when created, 0 when it existed.
    static func xgroupCreateConsumer(_ cmd: CommandContext) throws(ReplyError) {
        let target = try GroupTarget(cmd, needsGroup: true)
        guard let group = target.group else { return }
        let created = cmd.args.withBytes(at: 4) { group.createConsumer(named: $0, now: cmd.now) } != nil
        cmd.reply.integer(created ? 1 : 0)
        if created {
            cmd.args.withBytes(at: 2) { key in
                cmd.engine.noteChanges()
                cmd.engine.notify(.stream, "xgroup-createconsumer", key, db: cmd.db.index)
            }
        }
    }

    /// XGROUP DELCONSUMER key group consumer → integer: the pending entries it had.
    static func xgroupDeleteConsumer(_ cmd: CommandContext) throws(ReplyError) {
        let target = try GroupTarget(cmd, needsGroup: true)
        guard let group = target.group else { return }
        guard let consumer = cmd.args.withBytes(at: 4, { group.consumer(named: $0, now: cmd.now, refresh: false) }) else {
            cmd.reply.integer(0)
            return
        }
        cmd.reply.integer(group.deleteConsumer(consumer))
        cmd.args.withBytes(at: 2) { key in
            cmd.engine.noteChanges()
            cmd.engine.notify(.stream, "xgroup-delconsumer", key, db: cmd.db.index)
        }
    }

    /// XGROUP HELP → status lines.
    static func xgroupHelp(_ cmd: CommandContext) throws(ReplyError) {
        cmd.replyHelp([
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ])
    }

    // MARK: - XACK, XPENDING

    /// The stream of argument 1 and its group named by argument 2 (nil when either is
    /// missing); `-WRONGTYPE` for another type.
    private static func lookupGroup(_ cmd: CommandContext) throws(ReplyError) -> (StreamValue, StreamConsumerGroup)? {
        let db = cmd.db
        guard let entry = cmd.args.withBytes(at: 1, { cmd.engine.lookupRead(db, $0) }) else { return nil }
        let stream = try streamValue(db, entry)
        guard let group = cmd.args.withBytes(at: 2, { stream.groups[ByteString($0)] }) else { return nil }
        return (stream, group)
    }

    /// XACK key group id [id ...] → integer: entries acknowledged.
    static func xack(_ cmd: CommandContext) throws(ReplyError) {
        guard let (_, group) = try lookupGroup(cmd) else {
            cmd.reply.integer(0)
            return
        }
        var ids: [StreamID] = []
        for index in 3..<cmd.args.count { ids.append(try parseID(cmd, index)) }
        var acknowledged = 0
        for id in ids where group.acknowledge(id) { acknowledged += 1 }
        if acknowledged > 0 { cmd.engine.noteChanges(acknowledged) }
        cmd.reply.integer(acknowledged)
    }

    /// XPENDING key group → [count, first, last, [[consumer, count], ...]];
    /// XPENDING key group [IDLE ms] start end count [consumer] → [[id, consumer, idle, deliveries], ...].
    static func xpending(_ cmd: CommandContext) throws(ReplyError) {
        let args = cmd.args
        guard args.count == 3 || (args.count >= 6 && args.count <= 9) else { throw .syntax }
        var minimumIdle: Int64 = 0
        var start = StreamID.zero
        var end = StreamID.max
        var count: Int64 = 0
        var consumerIndex: Int?
        if args.count >= 6 {
            var first = 3
            if args.isEqual(at: 3, toLowercase: "idle") {
                minimumIdle = try cmd.integer(4)
                guard args.count >= 8 else { throw .syntax }
                first += 2
            }
            count = max(try cmd.integer(first + 2), 0)
            start = try intervalStart(cmd, first)
            end = try intervalEnd(cmd, first + 1)
            if first + 3 < args.count { consumerIndex = first + 3 }
        }
        guard let (_, group) = try lookupGroup(cmd) else { throw noGroup(cmd, key: 1, group: 2) }
        if args.count == 3 {
            cmd.reply.arrayHeader(4)
            cmd.reply.integer(group.pending.count)
            guard let first = group.pending.first, let last = group.pending.last else {
                cmd.reply.null()
                cmd.reply.null()
                cmd.reply.nullArray()
                return
            }
            replyID(&cmd.session.reply, first)
            replyID(&cmd.session.reply, last)
            let owners = group.consumersInOrder.filter { !$0.pending.isEmpty }
            cmd.reply.arrayHeader(owners.count)
            for consumer in owners {
                cmd.reply.arrayHeader(2)
                consumer.name.withUnsafeBytes { cmd.reply.bulk($0) }
                cmd.reply.bulk(decimal: Int64(consumer.pending.count))
            }
            return
        }
        var consumer: StreamConsumer?
        if let consumerIndex {
            consumer = args.withBytes(at: consumerIndex) { group.consumer(named: $0, now: cmd.now, refresh: false) }
            guard consumer != nil else {
                cmd.reply.arrayHeader(0)
                return
            }
        }
        let now = cmd.engine.clock.wallMilliseconds
        var rows: [(StreamID, PendingEntry)] = []
        func visit(_ id: StreamID) -> Bool {
            guard count > 0, id <= end else { return false }
            guard let pending = group.pending[id] else { return true }
            if minimumIdle > 0 && now - pending.deliveryTime < minimumIdle { return true }
            rows.append((id, pending))
            count -= 1
            return true
        }
        if let consumer {
            consumer.pending.forEach(from: start) { id, _ in visit(id) }
        } else {
            group.pending.forEach(from: start) { id, _ in visit(id) }
        }
        cmd.reply.arrayHeader(rows.count)
        for (id, pending) in rows {
            cmd.reply.arrayHeader(4)
            replyID(&cmd.session.reply, id)
            pending.consumer.name.withUnsafeBytes { cmd.reply.bulk($0) }
            cmd.reply.integer(max(now - pending.deliveryTime, 0))
            cmd.reply.integer(pending.deliveryCount)
        }
    }

    // MARK: - XCLAIM, XAUTOCLAIM

    /// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n]
    /// [FORCE] [JUSTID] [LASTID id] → the entries (or IDs) now owned by the consumer.
    static func xclaim(_ cmd: CommandContext) throws(ReplyError) {
        let args = cmd.args
        guard let (stream, group) = try lookupGroup(cmd) else { throw noGroup(cmd, key: 1, group: 2) }
        guard let idle = args.int64(at: 4) else { throw ReplyError("Invalid min-idle-time argument for XCLAIM") }
        let minimumIdle = max(idle, 0)
        var ids: [StreamID] = []
        var index = 5
        while index < args.count {
            guard
                let id = args.withBytes(at: index, { raw in try? StreamID.parse(raw, strict: true).id })
            else { break }
            ids.append(id)
            index += 1
        }
        let now = cmd.engine.clock.wallMilliseconds
        var deliveryTime: Int64 = -1
        var retryCount: Int64 = -1
        var force = false
        var justID = false
        var lastID = StreamID.zero
        while index < args.count {
            let more = index + 1 < args.count
            if args.isEqual(at: index, toLowercase: "force") {
                force = true
            } else if args.isEqual(at: index, toLowercase: "justid") {
                justID = true
            } else if args.isEqual(at: index, toLowercase: "idle") && more {
                index += 1
                guard let value = args.int64(at: index) else { throw ReplyError("Invalid IDLE option argument for XCLAIM") }
                deliveryTime = now &- value
            } else if args.isEqual(at: index, toLowercase: "time") && more {
                index += 1
                guard let value = args.int64(at: index) else { throw ReplyError("Invalid TIME option argument for XCLAIM") }
                deliveryTime = value
            } else if args.isEqual(at: index, toLowercase: "retrycount") && more {
                index += 1
                guard let value = args.int64(at: index) else {
                    throw ReplyError("Invalid RETRYCOUNT option argument for XCLAIM")
                }
                retryCount = value
            } else if args.isEqual(at: index, toLowercase: "lastid") && more {
                index += 1
                lastID = try parseID(cmd, index)
            } else {
                throw ReplyError("Unrecognized XCLAIM option '\(args.string(at: index))'")
            }
            index += 1
        }
        let engine = cmd.engine
        let db = cmd.db
        let groupName = group.name
        var propagateLastID = false
        if lastID > group.lastID {
            group.lastID = lastID
            propagateLastID = true
        }
        if deliveryTime != -1 {
            if deliveryTime < 0 || deliveryTime > now { deliveryTime = now }
        } else {
            deliveryTime = now
        }
        engine.preventRunningCommandPropagation()
        cmd.args.withBytes(at: 1) { key in
            var consumer: StreamConsumer?
            let mark = cmd.reply.deferLength()
            var claimed = 0
            for id in ids {
                let existing = group.pending[id]
                guard stream.contains(id) else {
                    // The entry is gone: its pending entry goes too.
                    if let existing {
                        engine.propagateClaim(db, key, groupName, id, existing, group)
                        propagateLastID = false
                        engine.noteChanges()
                        _ = group.acknowledge(id)
                    }
                    continue
                }
                var pending: PendingEntry
                if let existing {
                    if minimumIdle > 0 && now - existing.deliveryTime < minimumIdle { continue }
                    pending = existing
                } else if force {
                    // A new pending entry, as Redis's streamCreateNACK makes it (no idle check).
                    pending = PendingEntry(
                        consumer: claimingConsumer(cmd, group, key, &consumer), deliveryTime: now, deliveryCount: 1)
                } else {
                    continue
                }
                let owner = claimingConsumer(cmd, group, key, &consumer)
                if existing != nil && pending.consumer !== owner { pending.consumer.pending.remove(id) }
                pending.deliveryTime = deliveryTime
                if retryCount >= 0 {
                    pending.deliveryCount = retryCount
                } else if !justID {
                    pending.deliveryCount += 1
                }
                pending.consumer = owner
                owner.pending[id] = ()
                group.pending[id] = pending
                replyClaimed(cmd, stream, id, justID: justID)
                claimed += 1
                engine.propagateClaim(db, key, groupName, id, pending, group)
                propagateLastID = false
                engine.noteChanges()
            }
            if propagateLastID {
                engine.propagateGroupID(db, key, groupName, group)
                engine.noteChanges()
            }
            cmd.reply.setDeferredArrayLength(mark, claimed)
        }
    }

    /// Replies a claimed entry: its ID alone (JUSTID) or the whole entry.
    private static func replyClaimed(_ cmd: CommandContext, _ stream: StreamValue, _ id: StreamID, justID: Bool) {
        if justID {
            replyID(&cmd.session.reply, id)
            return
        }
        stream.forEach(from: id, to: id) { entry in
            replyEntry(&cmd.session.reply, entry)
            return false
        }
    }

    /// The consumer of argument 3, found or created once per command (its seen time refreshed).
    private static func claimingConsumer(
        _ cmd: CommandContext, _ group: StreamConsumerGroup, _ key: UnsafeRawBufferPointer, _ cached: inout StreamConsumer?
    ) -> StreamConsumer {
        if let cached { return cached }
        let consumer = cmd.args.withBytes(at: 3) { name -> StreamConsumer in
            if let existing = group.consumer(named: name, now: cmd.now) { return existing }
            let created = group.createConsumer(named: name, now: cmd.now)!
            cmd.engine.noteChanges()
            cmd.engine.notify(.stream, "xgroup-createconsumer", key, db: cmd.db.index)
            return created
        }
        cached = consumer
        return consumer
    }

    /// XAUTOCLAIM key group consumer min-idle-time start [COUNT n] [JUSTID] →
    /// [next cursor, [claimed entries or IDs], [IDs of deleted entries dropped]].
    static func xautoclaim(_ cmd: CommandContext) throws(ReplyError) {
        let args = cmd.args
        guard let idle = args.int64(at: 4) else { throw ReplyError("Invalid min-idle-time argument for XAUTOCLAIM") }
        let minimumIdle = max(idle, 0)
        let start = try intervalStart(cmd, 5)
        var count = 100
        var justID = false
        var index = 6
        while index < args.count {
            if args.isEqual(at: index, toLowercase: "count") && index + 1 < args.count {
                guard let value = args.int64(at: index + 1), value >= 1, value <= Int64.max / 16 else {
                    throw ReplyError("COUNT must be > 0")
                }
                count = Int(value)
                index += 1
            } else if args.isEqual(at: index, toLowercase: "justid") {
                justID = true
            } else {
                throw .syntax
            }
            index += 1
        }
        guard let (stream, group) = try lookupGroup(cmd) else { throw noGroup(cmd, key: 1, group: 2) }
        let engine = cmd.engine
        let db = cmd.db
        let now = engine.clock.wallMilliseconds
        engine.preventRunningCommandPropagation()
        cmd.args.withBytes(at: 1) { key in
            var attempts = count * 10
            var remaining = count
            var consumer: StreamConsumer?
            var deleted: [StreamID] = []
            var claimedIDs: [StreamID] = []
            // Walk the group's pending entries from `start`, one at a time (claims change them);
            // the cursor replied is the pending entry after the last one looked at.
            var next = firstPending(group, from: start)
            while attempts > 0 && remaining > 0, let id = next {
                attempts -= 1
                next = group.pending.firstID(after: id)
                guard var pending = group.pending[id] else { continue }
                guard stream.contains(id) else {
                    engine.propagateClaim(db, key, group.name, id, pending, group)
                    engine.noteChanges()
                    _ = group.acknowledge(id)
                    deleted.append(id)
                    remaining -= 1
                    continue
                }
                if minimumIdle > 0 && now - pending.deliveryTime < minimumIdle { continue }
                let owner = claimingConsumer(cmd, group, key, &consumer)
                if pending.consumer !== owner {
                    pending.consumer.pending.remove(id)
                    owner.pending[id] = ()
                    pending.consumer = owner
                }
                pending.deliveryTime = now
                if !justID { pending.deliveryCount += 1 }
                group.pending[id] = pending
                claimedIDs.append(id)
                remaining -= 1
                engine.propagateClaim(db, key, group.name, id, pending, group)
                engine.noteChanges()
            }
            cmd.reply.arrayHeader(3)
            replyID(&cmd.session.reply, next ?? .zero)
            cmd.reply.arrayHeader(claimedIDs.count)
            for id in claimedIDs { replyClaimed(cmd, stream, id, justID: justID) }
            cmd.reply.arrayHeader(deleted.count)
            for id in deleted { replyID(&cmd.session.reply, id) }
        }
    }

    /// The first pending ID of `group` at or after `start`.
    private static func firstPending(_ group: StreamConsumerGroup, from start: StreamID) -> StreamID? {
        var found: StreamID?
        group.pending.forEach(from: start) { id, _ in
            found = id
            return false
        }
        return found
    }
}
