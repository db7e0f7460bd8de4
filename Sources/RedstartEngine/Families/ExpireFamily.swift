// Expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX, XX, GT, LT), TTL,
// PTTL, EXPIRETIME, PEXPIRETIME, PERSIST. Times are unix milliseconds; a time in
// the past deletes the key at once, as in Redis.
import RedstartRESP

enum ExpireFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init("expire", arity: -3, flags: [.write, .fast], keys: .first, acl: [.keyspace], group: "generic", run: expire),
            .init("pexpire", arity: -3, flags: [.write, .fast], keys: .first, acl: [.keyspace], group: "generic", run: pexpire),
            .init("expireat", arity: -3, flags: [.write, .fast], keys: .first, acl: [.keyspace], group: "generic", run: expireat),
            .init(
                "pexpireat", arity: -3, flags: [.write, .fast], keys: .first, acl: [.keyspace], group: "generic",
                run: pexpireat),
            .init("ttl", arity: 2, flags: [.readonly, .fast], keys: .first, acl: [.keyspace], group: "generic", run: ttl),
            .init("pttl", arity: 2, flags: [.readonly, .fast], keys: .first, acl: [.keyspace], group: "generic", run: pttl),
            .init(
                "expiretime", arity: 2, flags: [.readonly, .fast], keys: .first, acl: [.keyspace], group: "generic",
                run: expiretime),
            .init(
                "pexpiretime", arity: 2, flags: [.readonly, .fast], keys: .first, acl: [.keyspace], group: "generic",
                run: pexpiretime),
            .init("persist", arity: 2, flags: [.write, .fast], keys: .first, acl: [.keyspace], group: "generic", run: persist),
        ]
    }

    /// EXPIRE key seconds [NX|XX|GT|LT] → 1 if the expiry was set, 0 otherwise.
    static func expire(_ cmd: CommandContext) throws(ReplyError) {
        try setExpiry(cmd, base: cmd.now, scale: 1000)
    }

    /// PEXPIRE key milliseconds [NX|XX|GT|LT] → 1 or 0.
    static func pexpire(_ cmd: CommandContext) throws(ReplyError) {
        try setExpiry(cmd, base: cmd.now, scale: 1)
    }

    /// EXPIREAT key unix-seconds [NX|XX|GT|LT] → 1 or 0.
    static func expireat(_ cmd: CommandContext) throws(ReplyError) {
        try setExpiry(cmd, base: 0, scale: 1000)
    }

    /// PEXPIREAT key unix-milliseconds [NX|XX|GT|LT] → 1 or 0.
    static func pexpireat(_ cmd: CommandContext) throws(ReplyError) {
        try setExpiry(cmd, base: 0, scale: 1)
    }

    private struct Conditions {
        var nx = false, xx = false, gt = false, lt = false
    }

    private static func setExpiry(_ cmd: CommandContext, base: Int64, scale: Int64) throws(ReplyError) {
        // Options are checked before the time, as Redis does.
        var conditions = Conditions()
        for index in 3..<max(3, cmd.args.count) {
            if cmd.argument(index, is: "nx") {
                conditions.nx = true
            } else if cmd.argument(index, is: "xx") {
                conditions.xx = true
            } else if cmd.argument(index, is: "gt") {
                conditions.gt = true
            } else if cmd.argument(index, is: "lt") {
                conditions.lt = true
            } else {
                throw ReplyError("Unsupported option \(cmd.args.string(at: index))")
            }
        }
        if conditions.nx && (conditions.xx || conditions.gt || conditions.lt) {
            throw ReplyError("NX and XX, GT or LT options at the same time are not compatible")
        }
        if conditions.gt && conditions.lt {
            throw ReplyError("GT and LT options at the same time are not compatible")
        }
        var when = try cmd.integer(2)
        let name = cmd.spec.fullName
        // Negative times are allowed (they delete the key); only overflow is an error.
        if scale != 1 {
            guard when <= Int64.max / scale, when >= Int64.min / scale else { throw .invalidExpireTime(name) }
            when *= scale
        }
        guard when <= Int64.max - base else { throw .invalidExpireTime(name) }
        when += base
        let db = cmd.db
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let index = engine.lookupWrite(db, key) else {
                cmd.reply.integer(0)
                return
            }
            let current = db.expiry(at: index)
            if conditions.nx && current != nil
                || conditions.xx && current == nil
                // No expiry counts as infinite: GT never wins over it, LT always does.
                || conditions.gt && (current == nil || when <= current!)
                || conditions.lt && current != nil && when >= current!
            {
                cmd.reply.integer(0)
                return
            }
            // A time already past deletes the key, except while the AOF loads (Redis's
            // checkAlreadyExpired): later commands in the file may still use the key.
            if when <= cmd.now && engine.persistence.loading == nil {
                engine.deleteKey(db, at: index, lazily: engine.lazyFreeExpire)
                engine.keyModified(db, key)
                engine.notify(.generic, "del", key, db: db.index)
                engine.propagateRunningCommand(as: [Engine.deletion(lazily: engine.lazyFreeExpire), Array(key)])
            } else {
                db.setExpiry(at: index, to: when)
                engine.keyModified(db, key)
                engine.notify(.generic, "expire", key, db: db.index)
                // Replicas must not count from their own clock: PEXPIREAT with the same options.
                engine.propagateRunningCommand(
                    as: [Engine.pexpireatName, Array(key), Array(String(when).utf8)]
                        + (3..<cmd.args.count).map { cmd.args.bytes(at: $0) })
            }
            cmd.reply.integer(1)
        }
    }

    /// TTL key → seconds to live (rounded), -1 without expiry, -2 for a missing key.
    static func ttl(_ cmd: CommandContext) throws(ReplyError) { try reportTTL(cmd, milliseconds: false, absolute: false) }

    /// PTTL key → milliseconds to live, -1, or -2.
    static func pttl(_ cmd: CommandContext) throws(ReplyError) { try reportTTL(cmd, milliseconds: true, absolute: false) }

    /// EXPIRETIME key → unix seconds of the expiry, -1, or -2.
    static func expiretime(_ cmd: CommandContext) throws(ReplyError) {
        try reportTTL(cmd, milliseconds: false, absolute: true)
    }

    /// PEXPIRETIME key → unix milliseconds of the expiry, -1, or -2.
    static func pexpiretime(_ cmd: CommandContext) throws(ReplyError) {
        try reportTTL(cmd, milliseconds: true, absolute: true)
    }

    private static func reportTTL(_ cmd: CommandContext, milliseconds: Bool, absolute: Bool) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        guard let index = cmd.args.withBytes(at: 1, { engine.lookupRead(db, $0, touch: false) }) else {
            cmd.reply.integer(-2)
            return
        }
        guard let when = db.expiry(at: index) else {
            cmd.reply.integer(-1)
            return
        }
        let value = max(0, absolute ? when : when - cmd.now)
        // Rounded to the nearest second without overflowing near Int64.max.
        cmd.reply.integer(milliseconds ? value : value / 1000 + (value % 1000 >= 500 ? 1 : 0))
    }

    /// PERSIST key → 1 if an expiry was removed, 0 otherwise.
    static func persist(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let index = engine.lookupWrite(db, key), db.expiry(at: index) != nil else {
                cmd.reply.integer(0)
                return
            }
            db.setExpiry(at: index, to: 0)
            engine.keyModified(db, key)
            engine.notify(.generic, "persist", key, db: db.index)
            cmd.reply.integer(1)
        }
    }
}
