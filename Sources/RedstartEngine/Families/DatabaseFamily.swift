// Commands over whole databases: MOVE, SWAPDB, FLUSHDB, FLUSHALL. (SELECT is a
// connection command, DBSIZE a server command.) FLUSH ... ASYNC, or SYNC-less
// with lazyfree-lazy-user-flush, frees the old data on the background thread.
import RedstartRESP

enum DatabaseFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init("move", arity: 3, flags: [.write, .fast], keys: .first, acl: [.keyspace], group: "generic", run: move),
            .init("swapdb", arity: 3, flags: [.write, .fast], acl: [.keyspace, .dangerous], group: "server", run: swapdb),
            .init("flushdb", arity: -1, flags: [.write], acl: [.keyspace, .dangerous], group: "server", run: flushdb),
            .init("flushall", arity: -1, flags: [.write], acl: [.keyspace, .dangerous], group: "server", run: flushall),
        ]
    }

    /// MOVE key db → 1 if moved, 0 if missing here or present there.
    static func move(_ cmd: CommandContext) throws(ReplyError) {
        let number = try cmd.integer(2)
        guard number >= Int64(Int32.min), number <= Int64(Int32.max) else { throw .notInteger }
        guard number >= 0, number < Int64(cmd.engine.databases.count) else { throw .invalidDBIndex }
        let source = cmd.db
        let target = cmd.engine.databases[Int(number)]
        if source === target { throw .sameObject }
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let from = engine.lookupWrite(source, key) else {
                cmd.reply.integer(0)
                return
            }
            if engine.lookupWrite(target, key) != nil {
                cmd.reply.integer(0)
                return
            }
            let expiry = source.expiry(at: from)
            let clock = source.clock(at: from)
            let value = source.remove(at: from)
            let to = target.add(key, value, clock: clock)
            if let expiry { target.setExpiry(at: to, to: expiry) }
            engine.keyAdded(target, key, value)
            engine.keyModified(source, key)
            engine.keyModified(target, key)
            engine.notify(.generic, "move_from", key, db: source.index)
            engine.notify(.generic, "move_to", key, db: target.index)
            cmd.reply.integer(1)
        }
    }

    /// SWAPDB index1 index2 → +OK: the two databases exchange their contents.
    static func swapdb(_ cmd: CommandContext) throws(ReplyError) {
        guard let first = cmd.args.int64(at: 1), first >= Int64(Int32.min), first <= Int64(Int32.max) else {
            throw ReplyError("invalid first DB index")
        }
        guard let second = cmd.args.int64(at: 2), second >= Int64(Int32.min), second <= Int64(Int32.max) else {
            throw ReplyError("invalid second DB index")
        }
        let count = Int64(cmd.engine.databases.count)
        guard first >= 0, first < count, second >= 0, second < count else { throw .invalidDBIndex }
        if first != second {
            let one = cmd.engine.databases[Int(first)]
            let two = cmd.engine.databases[Int(second)]
            cmd.engine.touchWatchedKeys(emptying: one, replacedWith: two)
            cmd.engine.touchWatchedKeys(emptying: two, replacedWith: one)
            one.swapContents(with: two)
            cmd.engine.signalReadyKeysAfterSwap(one)
            cmd.engine.signalReadyKeysAfterSwap(two)
        }
        cmd.engine.noteChanges()
        cmd.reply.ok()
    }

    /// FLUSHDB [ASYNC|SYNC] → +OK: removes every key of the selected database.
    static func flushdb(_ cmd: CommandContext) throws(ReplyError) {
        let lazily = try flushIsLazy(cmd)
        let db = cmd.db
        cmd.engine.noteChanges(db.count)
        cmd.engine.touchWatchedKeys(emptying: db, replacedWith: nil)
        cmd.engine.emptyDatabase(db, lazily: lazily)
        cmd.engine.invalidateTrackingOnFlush()
        // An empty database's FLUSHDB is written to the AOF too, as Redis.
        cmd.engine.forceRunningCommandPropagation()
        cmd.reply.ok()
    }

    /// FLUSHALL [ASYNC|SYNC] → +OK: removes every key of every database.
    static func flushall(_ cmd: CommandContext) throws(ReplyError) {
        let lazily = try flushIsLazy(cmd)
        let engine = cmd.engine
        // A background save in progress is stopped (its snapshot is of data now gone).
        if engine.isSavingInBackground { engine.host?.abortBackgroundSave() }
        for db in engine.databases {
            engine.noteChanges(db.count)
            engine.touchWatchedKeys(emptying: db, replacedWith: nil)
            engine.emptyDatabase(db, lazily: lazily)
        }
        engine.invalidateTrackingOnFlush()
        // With save points, the empty dataset is saved at once, as Redis does.
        if !engine.savePoints.isEmpty { _ = engine.host?.saveSnapshot() }
        // Redis counts a FLUSHALL as one more change so that it is saved even on an empty dataset.
        engine.noteChanges()
        cmd.reply.ok()
    }

    /// ASYNC → lazily, SYNC → not, nothing → lazyfree-lazy-user-flush; anything else is a syntax error.
    private static func flushIsLazy(_ cmd: CommandContext) throws(ReplyError) -> Bool {
        guard cmd.args.count <= 2 else { throw .syntax }
        if cmd.args.count == 1 { return cmd.engine.lazyFreeUserFlush }
        if cmd.argument(1, is: "async") { return true }
        if cmd.argument(1, is: "sync") { return false }
        throw .syntax
    }
}
