// OBJECT ENCODING | FREQ | IDLETIME | REFCOUNT | HELP: what Redis reports about
// a key's internals. Lookups here never refresh the access clock.
import RedstartRESP

enum ObjectFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init(
                "object", arity: -2, group: "generic",
                subcommands: [
                    .init("help", arity: 2, flags: [.loading, .stale], acl: [.keyspace], group: "generic", run: help),
                    .init(
                        "encoding", arity: 3, flags: [.readonly], keys: KeyPositions(first: 2, last: 2, step: 1),
                        acl: [.keyspace], group: "generic", run: encoding),
                    .init(
                        "freq", arity: 3, flags: [.readonly], keys: KeyPositions(first: 2, last: 2, step: 1),
                        acl: [.keyspace], group: "generic", run: freq),
                    .init(
                        "idletime", arity: 3, flags: [.readonly], keys: KeyPositions(first: 2, last: 2, step: 1),
                        acl: [.keyspace], group: "generic", run: idletime),
                    .init(
                        "refcount", arity: 3, flags: [.readonly], keys: KeyPositions(first: 2, last: 2, step: 1),
                        acl: [.keyspace], group: "generic", run: refcount),
                ]),
        ]
    }

    /// OBJECT HELP → status lines.
    static func help(_ cmd: CommandContext) throws(ReplyError) {
        cmd.replyHelp([
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ])
    }

    /// The entry of the key in argument 2, or nil after replying null.
    private static func entry(_ cmd: CommandContext) -> Int32? {
        let db = cmd.db
        let engine = cmd.engine
        guard let index = cmd.args.withBytes(at: 2, { engine.lookupRead(db, $0, touch: false, notifyMiss: false) }) else {
            cmd.reply.null()
            return nil
        }
        return index
    }

    /// OBJECT ENCODING key → bulk string (int, embstr, raw, ...) or null.
    static func encoding(_ cmd: CommandContext) throws(ReplyError) {
        guard let index = entry(cmd) else { return }
        cmd.reply.bulk(cmd.db.value(at: index).pointee.encodingName)
    }

    /// OBJECT FREQ key → integer: the LFU access counter (only under an LFU policy).
    static func freq(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.engine.usesLFU else {
            throw ReplyError(
                "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
            )
        }
        guard let index = entry(cmd) else { return }
        cmd.reply.integer(Int64(cmd.engine.accessFrequency(cmd.db, index)))
    }

    /// OBJECT IDLETIME key → integer: seconds since the last access (not under an LFU policy).
    static func idletime(_ cmd: CommandContext) throws(ReplyError) {
        guard !cmd.engine.usesLFU else {
            throw ReplyError(
                "An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
            )
        }
        guard let index = entry(cmd) else { return }
        cmd.reply.integer(cmd.engine.idleMilliseconds(cmd.db, index) / 1000)
    }

    /// OBJECT REFCOUNT key → integer. Redstart never shares values between keys, so 1,
    /// except small integers, which Redis shares and reports as INT_MAX.
    static func refcount(_ cmd: CommandContext) throws(ReplyError) {
        guard let index = entry(cmd) else { return }
        // Redis shares the small integers, except under an LRU or LFU maxmemory policy (where
        // each key needs its own access clock).
        let engine = cmd.engine
        let sharesIntegers = engine.maxMemory == 0 || !(engine.usesLRU || engine.usesLFU)
        if case .integer(let number) = cmd.db.value(at: index).pointee, number >= 0, number < 10000, sharesIntegers {
            cmd.reply.integer(Int64(Int32.max))
        } else {
            cmd.reply.integer(1)
        }
    }
}
