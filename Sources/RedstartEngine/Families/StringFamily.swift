// String commands. For now GET and SET (every option); the rest of the family
// arrives with the keyspace issue.
import RedstartRESP

enum StringFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init("get", arity: 2, flags: [.readonly, .fast], keys: .first, acl: [.string], group: "string", run: get),
            .init(
                "set", arity: -3, flags: [.write, .denyOOM], keys: .first, acl: [.string], group: "string",
                findKeys: setKeys, run: set),
        ]
    }

    /// SET's key and its flags: with the GET option SET reads the old value (RW access
    /// update), without it only overwrites (OW update), as Redis's setGetKeys says.
    static func setKeys(_ arguments: CommandArguments) -> [KeyReference]? {
        let reads = (3..<max(3, arguments.count)).contains { arguments.isEqual(at: $0, toLowercase: "get") }
        return [KeyReference(position: 1, flags: reads ? ["RW", "access", "update"] : ["OW", "update"])]
    }

    /// GET key → bulk string, or null when the key does not exist.
    static func get(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        guard let index = cmd.args.withBytes(at: 1, { engine.lookupRead(db, $0) }) else {
            cmd.reply.null()
            return
        }
        writeString(cmd, db.value(at: index).pointee)
    }

    /// Replies a string value as a bulk string.
    static func writeString(_ cmd: CommandContext, _ value: Value) {
        switch value {
        case .string(let bytes): bytes.withUnsafeBytes { cmd.reply.bulk($0) }
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
        let value = cmd.args.withBytes(at: 2) { Value.string(ByteString($0)) }
        cmd.args.withBytes(at: 1) { key in
            // With GET the old value is read (and counted) like GET does; it must be a string.
            let existing = options.returnOld ? cmd.engine.lookupRead(db, key) : cmd.engine.lookupWrite(db, key)
            if options.returnOld {
                if let existing { writeString(cmd, db.value(at: existing).pointee) } else { cmd.reply.null() }
            }
            let found = existing != nil
            if (options.condition == .ifMissing && found) || (options.condition == .ifExists && !found) {
                if !options.returnOld { cmd.reply.null() }
                return
            }
            let index: Int32
            if let existing {
                db.overwrite(at: existing, with: value, keepTTL: options.keepTTL)
                index = existing
            } else {
                index = db.add(key, value)
            }
            if let when = options.expireAt { db.setExpiry(at: index, to: when) }
            cmd.engine.noteChanges()
            if !options.returnOld { cmd.reply.ok() }
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
