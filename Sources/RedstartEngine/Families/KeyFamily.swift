// Generic key commands and the database flushes. For now DEL, EXISTS, FLUSHDB
// and FLUSHALL; the rest of the family arrives with the keyspace issue.
import RedstartRESP

enum KeyFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init("del", arity: -2, flags: [.write], keys: .all, acl: [.keyspace], group: "generic", run: del),
            .init(
                "exists", arity: -2, flags: [.readonly, .fast], keys: .all, acl: [.keyspace], group: "generic",
                run: exists),
            .init("flushdb", arity: -1, flags: [.write], acl: [.keyspace, .dangerous], group: "server", run: flushdb),
            .init("flushall", arity: -1, flags: [.write], acl: [.keyspace, .dangerous], group: "server", run: flushall),
        ]
    }

    /// DEL key [key ...] → integer: keys removed.
    static func del(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        var removed = 0
        for argument in 1..<cmd.args.count {
            cmd.args.withBytes(at: argument) { key in
                // An expired key is removed by the lookup and does not count as deleted.
                if let index = cmd.engine.lookupWrite(db, key) {
                    db.remove(at: index)
                    removed += 1
                }
            }
        }
        cmd.engine.noteChanges(removed)
        cmd.reply.integer(removed)
    }

    /// EXISTS key [key ...] → integer: how many of the keys exist (a repeated key counts again).
    static func exists(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        var found = 0
        for argument in 1..<cmd.args.count where cmd.args.withBytes(at: argument, { cmd.engine.lookupRead(db, $0) }) != nil {
            found += 1
        }
        cmd.reply.integer(found)
    }
}

extension KeyFamily {
    /// FLUSHDB [ASYNC|SYNC] → +OK: removes every key of the selected database.
    static func flushdb(_ cmd: CommandContext) throws(ReplyError) {
        try parseFlushMode(cmd)
        let db = cmd.db
        cmd.engine.noteChanges(db.count)
        db.removeAll()
        cmd.reply.ok()
    }

    /// FLUSHALL [ASYNC|SYNC] → +OK: removes every key of every database.
    static func flushall(_ cmd: CommandContext) throws(ReplyError) {
        try parseFlushMode(cmd)
        for db in cmd.engine.databases {
            cmd.engine.noteChanges(db.count)
            db.removeAll()
        }
        cmd.reply.ok()
    }

    /// The optional ASYNC or SYNC argument; anything else is a syntax error.
    /// TODO(#3): ASYNC (and lazyfree-lazy-user-flush) must free the old data off the command path.
    private static func parseFlushMode(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count <= 2 else { throw .syntax }
        if cmd.args.count == 2 && !cmd.argument(1, is: "async") && !cmd.argument(1, is: "sync") {
            throw .syntax
        }
    }
}
