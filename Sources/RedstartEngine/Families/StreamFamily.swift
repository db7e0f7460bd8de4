// Stream commands (Redis 7.0's t_stream.c behaviour, replies and errors): the
// entry commands XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM and XSETID are
// here; reading (XREAD, XREADGROUP, blocking) is in StreamFamily+Read.swift,
// consumer groups (XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM) in
// StreamFamily+Groups.swift, XINFO in StreamFamily+Info.swift. Streams are
// StreamValue values. Writes that depend on the moment (XADD's `*`, approximate
// trimming) propagate as what they did, so replicas and the AOF replay them
// exactly.
import RedstartRESP

enum StreamFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init("xadd", arity: -5, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.stream], group: "stream", run: xadd),
            .init("xrange", arity: -4, flags: [.readonly], keys: .first, acl: [.stream], group: "stream", run: xrange),
            .init("xrevrange", arity: -4, flags: [.readonly], keys: .first, acl: [.stream], group: "stream", run: xrevrange),
            .init("xlen", arity: 2, flags: [.readonly, .fast], keys: .first, acl: [.stream], group: "stream", run: xlen),
            .init("xdel", arity: -3, flags: [.write, .fast], keys: .first, acl: [.stream], group: "stream", run: xdel),
            .init("xtrim", arity: -4, flags: [.write], keys: .first, acl: [.stream], group: "stream", run: xtrim),
            .init(
                "xsetid", arity: -3, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.stream], group: "stream",
                run: xsetid),
        ] + readCommands + groupCommands + infoCommands
    }

    // MARK: - Shared

    /// The stream of entry `index`, or `-WRONGTYPE`.
    static func streamValue(_ db: Database, _ index: Int32) throws(ReplyError) -> StreamValue {
        guard let stream = db.value(at: index).pointee.stream else { throw .wrongType }
        return stream
    }

    /// The ID at argument `index`: `-`/`+` accepted unless `strict`, a lone `<ms>` takes
    /// `missingSequence`.
    static func parseID(
        _ cmd: CommandContext, _ index: Int, missingSequence: UInt64 = 0, strict: Bool = true
    ) throws(ReplyError) -> StreamID {
        try cmd.withArgument(index) { (raw) throws(ReplyError) in
            try StreamID.parse(raw, missingSequence: missingSequence, strict: strict).id
        }
    }

    /// A range bound (XRANGE, XPENDING, XAUTOCLAIM): an ID, `-`, `+`, or `(` and an ID for
    /// an exclusive bound; returns the ID and whether it was exclusive.
    static func parseIntervalID(
        _ cmd: CommandContext, _ index: Int, missingSequence: UInt64
    ) throws(ReplyError) -> (StreamID, exclusive: Bool) {
        try cmd.withArgument(index) { (raw) throws(ReplyError) in
            if raw.count > 1 && raw[0] == UInt8(ascii: "(") {
                let id = try StreamID.parse(
                    UnsafeRawBufferPointer(rebasing: raw[1...]), missingSequence: missingSequence, strict: true
                ).id
                return (id, true)
            }
            return (try StreamID.parse(raw, missingSequence: missingSequence).id, false)
        }
    }

    /// The start of an interval: an exclusive start moves to the next ID.
    static func intervalStart(_ cmd: CommandContext, _ index: Int) throws(ReplyError) -> StreamID {
        let (id, exclusive) = try parseIntervalID(cmd, index, missingSequence: 0)
        guard exclusive else { return id }
        guard let next = id.next else { throw ReplyError("invalid start ID for the interval") }
        return next
    }

    /// The end of an interval: an exclusive end moves to the previous ID.
    static func intervalEnd(_ cmd: CommandContext, _ index: Int) throws(ReplyError) -> StreamID {
        let (id, exclusive) = try parseIntervalID(cmd, index, missingSequence: .max)
        guard exclusive else { return id }
        guard let previous = id.previous else { throw ReplyError("invalid end ID for the interval") }
        return previous
    }

    /// Replies one entry: [id, [field, value, ...]].
    static func replyEntry(_ reply: inout ReplyWriter, _ entry: StreamEntry) {
        reply.arrayHeader(2)
        replyID(&reply, entry.id)
        reply.arrayHeader(entry.fieldCount * 2)
        entry.forEachPair { field, value in
            reply.bulk(field)
            reply.bulk(value)
        }
    }

    /// Replies an ID as a bulk string.
    static func replyID(_ reply: inout ReplyWriter, _ id: StreamID) {
        id.withBytes { reply.bulk($0) }
    }

    /// Replies the entries of `stream` in `start...end` (newest first with `reverse`), at
    /// most `count` (0: all), as an array; returns how many.
    @discardableResult
    static func replyRange(
        _ cmd: CommandContext, _ stream: StreamValue, from start: StreamID, to end: StreamID, count: Int,
        reverse: Bool = false
    ) -> Int {
        let mark = cmd.reply.deferLength()
        var emitted = 0
        stream.forEach(from: start, to: end, reverse: reverse) { entry in
            replyEntry(&cmd.session.reply, entry)
            emitted += 1
            return count == 0 || emitted < count
        }
        cmd.reply.setDeferredArrayLength(mark, emitted)
        return emitted
    }

    /// The stream of `key` for writing, created when missing unless `create` is false.
    static func streamForWrite(_ cmd: CommandContext, _ key: UnsafeRawBufferPointer, create: Bool) throws(ReplyError) -> StreamValue? {
        if let index = cmd.engine.lookupWrite(cmd.db, key) { return try streamValue(cmd.db, index) }
        guard create else { return nil }
        let stream = StreamValue()
        cmd.engine.addKey(cmd.db, key, .stream(stream))
        return stream
    }

    // MARK: - XADD

    /// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value
    /// [field value ...] → the ID added, or null with NOMKSTREAM and no stream.
    static func xadd(_ cmd: CommandContext) throws(ReplyError) {
        let options = try TrimOptions(cmd, isXAdd: true)
        let fieldsFrom = options.idIndex + 1
        let pairs = cmd.args.count - fieldsFrom
        guard pairs >= 2, pairs % 2 == 0 else { throw .wrongArity(cmd.spec.fullName) }
        if let id = options.id, options.hasSequence, id == .zero {
            throw ReplyError("The ID specified in XADD must be greater than 0-0")
        }
        let engine = cmd.engine
        let db = cmd.db
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let stream = try streamForWrite(cmd, key, create: !options.noMakeStream) else {
                cmd.reply.null()
                return
            }
            if stream.lastID == .max {
                throw ReplyError("The stream has exhausted the last possible ID, unable to add more items")
            }
            let id = try nextID(stream, options, now: cmd.now)
            var valueBytes = 0
            for index in fieldsFrom..<cmd.args.count { valueBytes += cmd.args.length(at: index) }
            // Redis's lpSafeToAdd: an entry's fields and values are at most 1 GB together.
            guard valueBytes <= 1 << 30 else { throw ReplyError("Elements are too large to be stored") }
            stream.append(
                id, cmd.args, fieldsFrom: fieldsFrom, valueBytes: valueBytes, nodeMaxBytes: engine.streamNodeMaxBytes,
                nodeMaxEntries: engine.streamNodeMaxEntries)
            replyID(&cmd.session.reply, id)
            engine.keyModified(db, key)
            engine.notify(.stream, "xadd", key, db: db.index)
            if let strategy = options.strategy,
                stream.trim(strategy, approximate: options.approximate, limit: options.limit) > 0
            {
                engine.notify(.stream, "xtrim", key, db: db.index)
            }
            if options.id == nil || !options.hasSequence || options.approximate {
                engine.propagateRunningCommand(as: options.propagatedArguments(cmd, stream: stream, id: id.bytes))
            }
            engine.signalStreamReady(db, key)
        }
    }

    /// The ID of a new entry: the given one (checked against the last), `<ms>-*` completed,
    /// or `*` made from the clock (Redis's streamAppendItem).
    private static func nextID(_ stream: StreamValue, _ options: TrimOptions, now: Int64) throws(ReplyError) -> StreamID {
        let last = stream.lastID
        let tooSmall = ReplyError("The ID specified in XADD is equal or smaller than the target stream top item")
        guard let given = options.id else {
            let ms = UInt64(max(now, 0))
            if ms > last.ms { return StreamID(ms: ms, seq: 0) }
            guard let next = last.next else { throw tooSmall }
            return next
        }
        if options.hasSequence {
            guard given > last else { throw tooSmall }
            return given
        }
        if given.ms == last.ms {
            guard last.seq < .max else { throw tooSmall }
            return StreamID(ms: given.ms, seq: last.seq + 1)
        }
        guard given.ms > last.ms else { throw tooSmall }
        return StreamID(ms: given.ms, seq: 0)
    }

    // MARK: - XRANGE, XREVRANGE, XLEN

    static func xrange(_ cmd: CommandContext) throws(ReplyError) { try range(cmd, reverse: false) }
    static func xrevrange(_ cmd: CommandContext) throws(ReplyError) { try range(cmd, reverse: true) }

    /// XRANGE key start end [COUNT n] / XREVRANGE key end start [COUNT n] → the entries.
    private static func range(_ cmd: CommandContext, reverse: Bool) throws(ReplyError) {
        let start = try intervalStart(cmd, reverse ? 3 : 2)
        let end = try intervalEnd(cmd, reverse ? 2 : 3)
        var count: Int64 = -1
        var index = 4
        while index < cmd.args.count {
            guard cmd.args.isEqual(at: index, toLowercase: "count"), index + 1 < cmd.args.count else { throw .syntax }
            count = max(try cmd.integer(index + 1), 0)
            index += 2
        }
        guard let entry = cmd.args.withBytes(at: 1, { cmd.engine.lookupRead(cmd.db, $0) }) else {
            cmd.reply.arrayHeader(0)
            return
        }
        let stream = try streamValue(cmd.db, entry)
        if count == 0 {
            cmd.reply.nullArray()
            return
        }
        replyRange(cmd, stream, from: start, to: end, count: count < 0 ? 0 : Int(clamping: count), reverse: reverse)
    }

    /// XLEN key → integer.
    static func xlen(_ cmd: CommandContext) throws(ReplyError) {
        guard let index = cmd.args.withBytes(at: 1, { cmd.engine.lookupRead(cmd.db, $0) }) else {
            cmd.reply.integer(0)
            return
        }
        cmd.reply.integer(try streamValue(cmd.db, index).length)
    }

    // MARK: - XDEL, XTRIM, XSETID

    /// XDEL key id [id ...] → integer: entries deleted.
    static func xdel(_ cmd: CommandContext) throws(ReplyError) {
        let engine = cmd.engine
        let db = cmd.db
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let index = engine.lookupWrite(db, key) else {
                cmd.reply.integer(0)
                return
            }
            let stream = try streamValue(db, index)
            var ids: [StreamID] = []
            for argument in 2..<cmd.args.count { ids.append(try parseID(cmd, argument)) }
            var deleted = 0
            for id in ids where stream.delete(id) { deleted += 1 }
            if deleted > 0 {
                engine.keyModified(db, key, changes: deleted)
                engine.notify(.stream, "xdel", key, db: db.index)
            }
            cmd.reply.integer(deleted)
        }
    }

    /// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count] → integer: entries removed.
    static func xtrim(_ cmd: CommandContext) throws(ReplyError) {
        let options = try TrimOptions(cmd, isXAdd: false)
        let engine = cmd.engine
        let db = cmd.db
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let index = engine.lookupWrite(db, key) else {
                cmd.reply.integer(0)
                return
            }
            let stream = try streamValue(db, index)
            guard let strategy = options.strategy else { return }
            let deleted = stream.trim(strategy, approximate: options.approximate, limit: options.limit)
            if deleted > 0 {
                engine.notify(.stream, "xtrim", key, db: db.index)
                if options.approximate {
                    engine.propagateRunningCommand(as: options.propagatedArguments(cmd, stream: stream, id: nil))
                }
                engine.keyModified(db, key, changes: deleted)
            }
            cmd.reply.integer(deleted)
        }
    }

    /// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id] → OK.
    static func xsetid(_ cmd: CommandContext) throws(ReplyError) {
        let id = try parseID(cmd, 2)
        var entriesAdded: Int64 = -1
        var maxDeleted = StreamID.zero
        var index = 3
        while index < cmd.args.count {
            let more = index + 1 < cmd.args.count
            if cmd.args.isEqual(at: index, toLowercase: "entriesadded") && more {
                entriesAdded = try cmd.integer(index + 1)
                guard entriesAdded >= 0 else { throw ReplyError("entries_added must be positive") }
            } else if cmd.args.isEqual(at: index, toLowercase: "maxdeletedid") && more {
                maxDeleted = try parseID(cmd, index + 1)
                guard id >= maxDeleted else {
                    throw ReplyError("The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
                }
            } else {
                throw .syntax
            }
            index += 2
        }
        let engine = cmd.engine
        let db = cmd.db
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let entry = engine.lookupWrite(db, key) else { throw .noSuchKey }
            let stream = try streamValue(db, entry)
            if stream.length > 0 {
                guard id >= stream.lastLiveID else {
                    throw ReplyError("The ID specified in XSETID is smaller than the target stream top item")
                }
                if entriesAdded != -1 && Int64(stream.length) > entriesAdded {
                    throw ReplyError("The entries_added specified in XSETID is smaller than the target stream length")
                }
            }
            stream.lastID = id
            if entriesAdded != -1 { stream.entriesAdded = UInt64(entriesAdded) }
            if maxDeleted != .zero { stream.maxDeletedID = maxDeleted }
            cmd.reply.ok()
            engine.noteChanges()  // as Redis: counted, but WATCH is not touched
            engine.notify(.stream, "xsetid", key, db: db.index)
        }
    }
}
