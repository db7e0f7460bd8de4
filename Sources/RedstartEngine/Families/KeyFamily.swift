// Generic key commands. For now DEL and EXISTS; the rest of the family arrives
// with the keyspace issue.
import RedstartRESP

enum KeyFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init("del", arity: -2, flags: [.write], keys: .all, acl: [.keyspace], group: "generic", run: del),
            .init(
                "exists", arity: -2, flags: [.readonly, .fast], keys: .all, acl: [.keyspace], group: "generic",
                run: exists),
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
