// Generic key commands. For now DEL and EXISTS; the rest of the family arrives
// with the keyspace issue.
import RedstartRESP

enum KeyFamily: CommandFamily {
    static let commands: [CommandSpec] = [
        .init("del", arity: -2, flags: [.write], keys: .all, acl: [.keyspace], group: "generic", run: del),
        .init(
            "exists", arity: -2, flags: [.readonly, .fast], keys: .all, acl: [.keyspace], group: "generic",
            run: exists),
    ]

    /// DEL key [key ...] → integer: keys removed.
    static func del(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        var removed = 0
        for index in 1..<cmd.args.count {
            let key = cmd.key(index)
            // An expired key is removed by the lookup and does not count as deleted.
            if cmd.engine.lookupWrite(db, key) != nil && db.remove(key) { removed += 1 }
        }
        cmd.engine.noteChanges(removed)
        cmd.reply.integer(removed)
    }

    /// EXISTS key [key ...] → integer: how many of the keys exist (a repeated key counts again).
    static func exists(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        var found = 0
        for index in 1..<cmd.args.count where cmd.engine.lookupRead(db, cmd.key(index)) != nil {
            found += 1
        }
        cmd.reply.integer(found)
    }
}
