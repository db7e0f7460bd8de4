// XREAD and XREADGROUP (Redis's xreadCommand): entries after an ID from one or
// more streams, or for a consumer group the entries never delivered to it
// (`>`, which creates pending entries) or a consumer's own history (any other
// ID). Without data and with BLOCK the client waits (StreamReadRequest, served
// by Engine+StreamBlocking.swift). XREADGROUP propagates what it did, not
// itself: an XCLAIM per delivered entry, or XGROUP SETID with NOACK.
import RedstartRESP

extension StreamFamily {
    static var readCommands: [CommandSpec] {
        [
            .init("xread", arity: -4, flags: [.readonly, .blocking, .movableKeys], acl: [.stream], group: "stream", run: xread),
            .init(
                "xreadgroup", arity: -7, flags: [.write, .blocking, .movableKeys], acl: [.stream], group: "stream",
                run: xreadgroup),
        ]
    }

    static func xread(_ cmd: CommandContext) throws(ReplyError) { try read(cmd, isGroupRead: false) }
    static func xreadgroup(_ cmd: CommandContext) throws(ReplyError) { try read(cmd, isGroupRead: true) }

    /// XREAD [COUNT n] [BLOCK ms] STREAMS key ... id ... /
    /// XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key ... id ...
    private static func read(_ cmd: CommandContext, isGroupRead: Bool) throws(ReplyError) {
        let args = cmd.args
        let name = args.string(at: 0)
        var timeout: Int64 = -1
        var count = 0
        var streamsAt = 0
        var streamCount = 0
        var noAck = false
        var groupName: ByteString?
        var consumerName: ByteString?
        var index = 1
        while index < args.count {
            let more = args.count - 1 - index
            if args.isEqual(at: index, toLowercase: "block") && more > 0 {
                if cmd.session.isScriptClient {
                    throw ReplyError("\(name) command is not allowed with BLOCK option from scripts")
                }
                index += 1
                guard let milliseconds = args.int64(at: index) else {
                    throw ReplyError("timeout is not an integer or out of range")
                }
                guard milliseconds >= 0 else { throw .timeoutNegative }
                timeout = milliseconds
            } else if args.isEqual(at: index, toLowercase: "count") && more > 0 {
                index += 1
                count = Int(clamping: max(try cmd.integer(index), 0))
            } else if args.isEqual(at: index, toLowercase: "streams") && more > 0 {
                streamsAt = index + 1
                let remaining = args.count - streamsAt
                guard remaining % 2 == 0 else {
                    throw ReplyError(
                        "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
                }
                streamCount = remaining / 2
                break
            } else if args.isEqual(at: index, toLowercase: "group") && more >= 2 {
                guard isGroupRead else {
                    throw ReplyError("The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
                }
                groupName = args.withBytes(at: index + 1) { ByteString($0) }
                consumerName = args.withBytes(at: index + 2) { ByteString($0) }
                index += 2
            } else if args.isEqual(at: index, toLowercase: "noack") {
                guard isGroupRead else {
                    throw ReplyError("The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
                }
                noAck = true
            } else {
                throw .syntax
            }
            index += 1
        }
        guard streamsAt > 0 else { throw .syntax }
        if isGroupRead && groupName == nil { throw ReplyError("Missing GROUP option for XREADGROUP") }
        // An XREADGROUP never propagates as called: what it changed is recorded as it goes.
        if isGroupRead { cmd.engine.preventRunningCommandPropagation() }

        let engine = cmd.engine
        let db = cmd.db
        var ids: [StreamID] = []
        var groups: [StreamConsumerGroup] = []
        for position in 0..<streamCount {
            let keyIndex = streamsAt + position
            let idIndex = keyIndex + streamCount
            let stream = try cmd.withArgument(keyIndex) { (key) throws(ReplyError) -> StreamValue? in
                guard let entry = engine.lookupRead(db, key) else { return nil }
                return try streamValue(db, entry)
            }
            if let groupName {
                guard let group = stream?.groups[groupName] else {
                    throw ReplyError(
                        code: "NOGROUP",
                        "No such key '\(args.string(at: keyIndex))' or consumer group '\(String(decoding: groupName.bytes, as: UTF8.self))' in XREADGROUP with GROUP option"
                    )
                }
                groups.append(group)
            }
            let special = args.withBytes(at: idIndex) { $0.count == 1 ? $0[0] : 0 }
            if special == UInt8(ascii: "$") {
                if isGroupRead {
                    throw ReplyError(
                        "The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
                    )
                }
                ids.append(stream?.lastID ?? .zero)
            } else if special == UInt8(ascii: ">") {
                guard isGroupRead else {
                    throw ReplyError(
                        "The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
                }
                ids.append(.max)
            } else {
                ids.append(try parseID(cmd, idIndex))
            }
        }

        // Serve what can be served now.
        var served = 0
        var mark: ReplyWriter.DeferredLength?
        for position in 0..<streamCount {
            let keyIndex = streamsAt + position
            try cmd.withArgument(keyIndex) { (key) throws(ReplyError) in
                guard let entry = engine.lookupRead(db, key) else { return }
                let stream = try streamValue(db, entry)
                var after = ids[position]
                var history = false
                if isGroupRead {
                    if after != .max {
                        history = true
                    } else if stream.length > 0 && stream.lastLiveID > groups[position].lastID {
                        after = groups[position].lastID
                    } else {
                        return
                    }
                } else if stream.length == 0 || stream.lastLiveID <= after {
                    return
                }
                served += 1
                if served == 1 { mark = cmd.reply.deferLength() }
                if cmd.reply.version == .resp2 { cmd.reply.arrayHeader(2) }
                cmd.reply.bulk(key)
                let read = GroupRead(
                    group: isGroupRead ? groups[position] : nil, groupName: groupName, consumerName: consumerName,
                    noAck: noAck)
                engine.replyStreamRead(
                    cmd.session, db: db, key: key, stream: stream, after: after, count: count, groupRead: read,
                    history: history)
                if isGroupRead { engine.noteChanges() }
            }
        }
        if let mark {
            if cmd.reply.version == .resp2 {
                cmd.reply.setDeferredArrayLength(mark, served)
            } else {
                cmd.reply.setDeferredMapLength(mark, served)
            }
            return
        }
        guard timeout >= 0 else {
            cmd.reply.nullArray()
            return
        }
        guard cmd.mayBlock else {
            cmd.reply.nullArray()
            return
        }
        // Each key once, with the ID given first for it (as Redis's blockForKeys keeps it).
        var keys: [ByteString] = []
        var keyIDs: [StreamID] = []
        for position in 0..<streamCount {
            let key = args.withBytes(at: streamsAt + position) { ByteString($0) }
            if keys.contains(key) { continue }
            keys.append(key)
            keyIDs.append(ids[position])
        }
        let request = StreamReadRequest(
            ids: keyIDs, count: count > 0 ? count : 1000, group: groupName, consumer: consumerName, noAck: noAck)
        let deadline: Int64
        if timeout == 0 {
            deadline = 0
        } else {
            let (sum, overflow) = cmd.now.addingReportingOverflow(timeout)
            deadline = overflow ? .max : sum
        }
        engine.block(cmd.session, on: keys, in: db, operation: .streamRead(request), deadline: deadline, spec: cmd.spec)
    }
}

/// The group side of a read: the group, its name and the consumer's, NOACK.
struct GroupRead {
    let group: StreamConsumerGroup?
    let groupName: ByteString?
    let consumerName: ByteString?
    let noAck: Bool
}

extension Engine {
    static let xclaimName = Array("XCLAIM".utf8)
    static let xgroupName = Array("XGROUP".utf8)

    /// Replies the entries of `stream` after `after` (at most `count`, 0: all) for XREAD or,
    /// with a group, for XREADGROUP: new entries advance the group and become pending for
    /// the consumer (created if needed); `history` replies the consumer's own pending
    /// entries instead (Redis's streamReplyWithRange and its consumer-PEL form).
    func replyStreamRead(
        _ session: Session, db: Database, key: UnsafeRawBufferPointer, stream: StreamValue, after: StreamID,
        count: Int, groupRead: GroupRead, history: Bool
    ) {
        let start = after.next ?? .zero
        guard let group = groupRead.group, let groupName = groupRead.groupName, let consumerName = groupRead.consumerName
        else {
            replyEntries(session, stream, from: start, count: count)
            return
        }
        let now = commandTime
        let consumer = consumerName.withUnsafeBytes { name in
            if let existing = group.consumers[consumerName] {
                existing.seenTime = now
                return existing
            }
            let created = group.createConsumer(named: name, now: now)!
            notify(.stream, "xgroup-createconsumer", key, db: db.index)
            noteChanges()
            if groupRead.noAck {
                alsoPropagate(
                    database: db.index,
                    [Self.xgroupName, Array("CREATECONSUMER".utf8), Array(key), groupName.bytes, consumerName.bytes])
            }
            return created
        }
        if history {
            replyHistory(session, stream, group: group, consumer: consumer, from: start, count: count, now: now)
            return
        }
        let mark = session.reply.deferLength()
        var emitted = 0
        var propagateLastID = false
        stream.forEach(from: start, to: .max) { entry in
            if entry.id > group.lastID {
                stream.advance(group, to: entry.id)
                if groupRead.noAck { propagateLastID = true }
            }
            StreamFamily.replyEntry(&session.reply, entry)
            if !groupRead.noAck {
                let pending = group.deliver(entry.id, to: consumer, now: now)
                propagateClaim(db, key, groupName, entry.id, pending, group)
            }
            emitted += 1
            return count == 0 || emitted < count
        }
        session.reply.setDeferredArrayLength(mark, emitted)
        if propagateLastID { propagateGroupID(db, key, groupName, group) }
    }

    /// Replies `stream`'s entries from `start` on, at most `count` (0: all), as an array.
    func replyEntries(_ session: Session, _ stream: StreamValue, from start: StreamID, count: Int) {
        let mark = session.reply.deferLength()
        var emitted = 0
        stream.forEach(from: start, to: .max) { entry in
            StreamFamily.replyEntry(&session.reply, entry)
            emitted += 1
            return count == 0 || emitted < count
        }
        session.reply.setDeferredArrayLength(mark, emitted)
    }

    /// Replies a consumer's pending entries from `start` on (XREADGROUP with an ID): each
    /// entry still in the stream (its delivery counted again), or [id, null] for one deleted.
    private func replyHistory(
        _ session: Session, _ stream: StreamValue, group: StreamConsumerGroup, consumer: StreamConsumer,
        from start: StreamID, count: Int, now: Int64
    ) {
        var ids: [StreamID] = []
        consumer.pending.forEach(from: start) { id, _ in
            ids.append(id)
            return count == 0 || ids.count < count
        }
        session.reply.arrayHeader(ids.count)
        for id in ids {
            var found = false
            stream.forEach(from: id, to: id) { entry in
                StreamFamily.replyEntry(&session.reply, entry)
                found = true
                return false
            }
            if found, var pending = group.pending[id] {
                pending.deliveryTime = now
                pending.deliveryCount += 1
                group.pending[id] = pending
            } else if !found {
                session.reply.arrayHeader(2)
                StreamFamily.replyID(&session.reply, id)
                session.reply.nullArray()
            }
        }
    }

    /// Propagates a delivery or claim as Redis does: XCLAIM key group consumer 0 id TIME t
    /// RETRYCOUNT n FORCE JUSTID LASTID last-id (idempotent on the other side).
    func propagateClaim(
        _ db: Database, _ key: UnsafeRawBufferPointer, _ groupName: ByteString, _ id: StreamID, _ pending: PendingEntry,
        _ group: StreamConsumerGroup
    ) {
        guard propagationSink != nil else { return }
        alsoPropagate(
            database: db.index,
            [
                Self.xclaimName, Array(key), groupName.bytes, pending.consumer.name.bytes, [UInt8(ascii: "0")], id.bytes,
                Array("TIME".utf8), Array(String(pending.deliveryTime).utf8), Array("RETRYCOUNT".utf8),
                Array(String(pending.deliveryCount).utf8), Array("FORCE".utf8), Array("JUSTID".utf8),
                Array("LASTID".utf8), group.lastID.bytes,
            ])
    }

    /// Propagates a group's last ID and read counter: XGROUP SETID key group id ENTRIESREAD n.
    func propagateGroupID(_ db: Database, _ key: UnsafeRawBufferPointer, _ groupName: ByteString, _ group: StreamConsumerGroup) {
        guard propagationSink != nil else { return }
        alsoPropagate(
            database: db.index,
            [
                Self.xgroupName, Array("SETID".utf8), Array(key), groupName.bytes, group.lastID.bytes,
                Array("ENTRIESREAD".utf8), Array(String(group.entriesRead).utf8),
            ])
    }
}
