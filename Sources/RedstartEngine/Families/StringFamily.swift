// String commands. For now GET and SET (every option); the rest of the family
// arrives with the keyspace issue.
import RedstartRESP

enum StringFamily: CommandFamily {
    static let commands: [CommandSpec] = [
        .init("get", arity: 2, flags: [.readonly, .fast], keys: .first, acl: [.string], group: "string", run: get),
        .init("set", arity: -3, flags: [.write, .denyOOM], keys: .first, acl: [.string], group: "string", run: set),
    ]

    /// GET key → bulk string, or null when the key does not exist.
    static func get(_ cmd: CommandContext) throws(ReplyError) {
        switch cmd.engine.lookupRead(cmd.db, cmd.key(1)) {
        case nil: cmd.reply.null()
        case .string(let bytes): cmd.reply.bulk(bytes)
        }
    }

    /// The options of SET, as parsed.
    struct SetOptions {
        enum Condition { case always, ifMissing, ifExists }
        var condition = Condition.always
        var returnOld = false
        var keepTTL = false
        /// Absolute expiry in unix milliseconds.
        var expireAt: Int64?
    }

    /// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL] → +OK, null when
    /// NX/XX stopped it, or with GET the old value.
    static func set(_ cmd: CommandContext) throws(ReplyError) {
        let options = try parseSetOptions(cmd)
        let db = cmd.db
        let key = cmd.key(1)
        let old: Value?
        if options.returnOld {
            // With GET the old value must be a string (only strings exist so far).
            old = cmd.engine.lookupRead(db, key)
        } else {
            old = cmd.engine.lookupWrite(db, key)
        }
        let found = old != nil
        if (options.condition == .ifMissing && found) || (options.condition == .ifExists && !found) {
            if options.returnOld {
                writeOld(cmd, old)
            } else {
                cmd.reply.null()
            }
            return
        }
        db.set(key, .string(cmd.args.bytes(at: 2)), keepTTL: options.keepTTL)
        if let when = options.expireAt { db.setExpiry(key, at: when) }
        cmd.engine.noteChanges()
        if options.returnOld { writeOld(cmd, old) } else { cmd.reply.ok() }
    }

    private static func writeOld(_ cmd: CommandContext, _ old: Value?) {
        switch old {
        case nil: cmd.reply.null()
        case .string(let bytes): cmd.reply.bulk(bytes)
        }
    }

    /// Parses SET's options with Redis's rules: NX/XX exclude each other, the expiry forms
    /// exclude each other and KEEPTTL, a repeated option is allowed.
    static func parseSetOptions(_ cmd: CommandContext) throws(ReplyError) -> SetOptions {
        enum Unit { case seconds, milliseconds, unixSeconds, unixMilliseconds }
        var options = SetOptions()
        var expiry: (Unit, Int)?
        var index = 3
        while index < cmd.args.count {
            let hasNext = index + 1 < cmd.args.count
            if cmd.argument(index, is: "nx") && options.condition != .ifExists {
                options.condition = .ifMissing
            } else if cmd.argument(index, is: "xx") && options.condition != .ifMissing {
                options.condition = .ifExists
            } else if cmd.argument(index, is: "get") {
                options.returnOld = true
            } else if cmd.argument(index, is: "keepttl") && expiry == nil {
                options.keepTTL = true
            } else if hasNext && !options.keepTTL, let unit = expiryUnit(cmd, index), expiry == nil || expiry!.0 == unit {
                expiry = (unit, index + 1)
                index += 1
            } else {
                throw .syntax
            }
            index += 1
        }
        guard let (unit, valueIndex) = expiry else { return options }
        guard let amount = cmd.args.int64(at: valueIndex) else { throw .notInteger }
        if amount <= 0 || ((unit == .seconds || unit == .unixSeconds) && amount > Int64.max / 1000) {
            throw .invalidExpireTime
        }
        var milliseconds = (unit == .seconds || unit == .unixSeconds) ? amount * 1000 : amount
        if unit == .seconds || unit == .milliseconds {
            let (sum, overflow) = milliseconds.addingReportingOverflow(cmd.now)
            guard !overflow else { throw .invalidExpireTime }
            milliseconds = sum
        }
        options.expireAt = milliseconds
        return options

        func expiryUnit(_ cmd: CommandContext, _ index: Int) -> Unit? {
            if cmd.argument(index, is: "ex") { return .seconds }
            if cmd.argument(index, is: "px") { return .milliseconds }
            if cmd.argument(index, is: "exat") { return .unixSeconds }
            if cmd.argument(index, is: "pxat") { return .unixMilliseconds }
            return nil
        }
    }
}
