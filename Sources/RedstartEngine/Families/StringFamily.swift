// String commands: GET/SET and their variants, counters, ranges, LCS. Bit
// operations are in BitmapFamily. A string that is an integer's exact text is
// stored as `.integer` (see Value), so INCR never parses or allocates.
import RedstartRESP

#if canImport(Glibc)
import Glibc
#endif

enum StringFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init("get", arity: 2, flags: [.readonly, .fast], keys: .first, acl: [.string], group: "string", run: get),
            .init(
                "set", arity: -3, flags: [.write, .denyOOM], keys: .first, acl: [.string], group: "string",
                findKeys: setKeys, run: set),
            .init("setnx", arity: 3, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.string], group: "string", run: setnx),
            .init("setex", arity: 4, flags: [.write, .denyOOM], keys: .first, acl: [.string], group: "string", run: setex),
            .init("psetex", arity: 4, flags: [.write, .denyOOM], keys: .first, acl: [.string], group: "string", run: psetex),
            .init("mget", arity: -2, flags: [.readonly, .fast], keys: .all, acl: [.string], group: "string", run: mget),
            .init(
                "mset", arity: -3, flags: [.write, .denyOOM], keys: KeyPositions(first: 1, last: -1, step: 2),
                acl: [.string], group: "string", run: mset),
            .init(
                "msetnx", arity: -3, flags: [.write, .denyOOM], keys: KeyPositions(first: 1, last: -1, step: 2),
                acl: [.string], group: "string", run: msetnx),
            .init("getset", arity: 3, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.string], group: "string", run: getset),
            .init("getdel", arity: 2, flags: [.write, .fast], keys: .first, acl: [.string], group: "string", run: getdel),
            .init("getex", arity: -2, flags: [.write, .fast], keys: .first, acl: [.string], group: "string", run: getex),
            .init("append", arity: 3, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.string], group: "string", run: append),
            .init("strlen", arity: 2, flags: [.readonly, .fast], keys: .first, acl: [.string], group: "string", run: strlen),
            .init("incr", arity: 2, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.string], group: "string", run: incr),
            .init("decr", arity: 2, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.string], group: "string", run: decr),
            .init("incrby", arity: 3, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.string], group: "string", run: incrby),
            .init("decrby", arity: 3, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.string], group: "string", run: decrby),
            .init(
                "incrbyfloat", arity: 3, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.string], group: "string",
                run: incrbyfloat),
            .init("getrange", arity: 4, flags: [.readonly], keys: .first, acl: [.string], group: "string", run: getrange),
            .init("substr", arity: 4, flags: [.readonly], keys: .first, acl: [.string], group: "string", run: getrange),
            .init("setrange", arity: 4, flags: [.write, .denyOOM], keys: .first, acl: [.string], group: "string", run: setrange),
            .init(
                "lcs", arity: -3, flags: [.readonly], keys: KeyPositions(first: 1, last: 2, step: 1), acl: [.string],
                group: "string", run: lcs),
        ]
    }

    // MARK: - GET and SET

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
        cmd.replyString(try cmd.stringValue(db, index))
    }

    /// The options of SET and GETEX, as parsed.
    struct ExtendedOptions {
        enum Condition { case always, ifMissing, ifExists }
        var condition = Condition.always
        var returnOld = false
        var keepTTL = false
        var persist = false
        /// Absolute expiry in unix milliseconds (set by `resolveExpiry`).
        var expireAt: Int64?
        /// The expiry was given as an absolute time (EXAT/PXAT).
        var isAbsolute = false
        /// The expiry option as given: whether it counts in seconds, is absolute, and
        /// the index of its argument. Checked by `resolveExpiry`, which SET calls before
        /// looking the key up and GETEX after (as Redis does).
        var expiryArgument: (seconds: Bool, absolute: Bool, index: Int)?
    }

    /// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL] → +OK, null when
    /// NX/XX stopped it, or with GET the old value.
    static func set(_ cmd: CommandContext) throws(ReplyError) {
        var options = try parseExtendedOptions(cmd, from: 3, forSet: true)
        try resolveExpiry(cmd, &options, command: "set")
        let value = cmd.args.withBytes(at: 2) { Value.storedString(from: $0) }
        try store(cmd, keyIndex: 1, value: value, options: options)
    }

    /// The body of SET and its variants: conditions, GET, expiry, reply. It owns `value`:
    /// stored, or released when a condition or an error stops the command.
    static func store(_ cmd: CommandContext, keyIndex: Int, value: Value, options: ExtendedOptions) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        var stored = false
        defer { if !stored { value.release() } }
        try cmd.withArgument(keyIndex) { (key) throws(ReplyError) in
            // With GET the old value is read (and counted) like GET does; it must be a string.
            let existing = options.returnOld ? engine.lookupRead(db, key) : engine.lookupWrite(db, key)
            if options.returnOld, let existing { _ = try cmd.stringValue(db, existing) }
            let found = existing != nil
            if (options.condition == .ifMissing && found) || (options.condition == .ifExists && !found) {
                if options.returnOld {
                    if let existing { cmd.replyString(db.value(at: existing).pointee) } else { cmd.reply.null() }
                } else {
                    cmd.reply.null()
                }
                return
            }
            if options.returnOld {
                if let existing { cmd.replyString(db.value(at: existing).pointee) } else { cmd.reply.null() }
            }
            let index: Int32
            if let existing {
                db.overwrite(at: existing, with: value, keepTTL: options.keepTTL)
                index = existing
            } else {
                index = engine.addKey(db, key, value)
            }
            stored = true
            engine.notify(.string, "set", key, db: db.index)
            if let when = options.expireAt {
                db.setExpiry(at: index, to: when)
                engine.notify(.generic, "expire", key, db: db.index)
                // SET/SETEX/PSETEX with a relative time propagate the absolute one.
                engine.propagateRunningCommand(
                    as: [Engine.setName, Array(key), value.withStringBytes { Array($0) } ?? [], Engine.pxatName,
                         Array(String(when).utf8)])
            }
            engine.keyModified(db, key)
            if !options.returnOld { cmd.reply.ok() }
        }
    }

    /// Parses the options of SET (`forSet`) or GETEX with Redis's rules: NX/XX exclude each
    /// other, the expiry forms exclude each other and KEEPTTL/PERSIST, a repeated option is
    /// allowed; the expiry must be positive and not overflow.
    static func parseExtendedOptions(_ cmd: CommandContext, from start: Int, forSet: Bool) throws(ReplyError)
        -> ExtendedOptions
    {
        enum Unit { case seconds, milliseconds, unixSeconds, unixMilliseconds }
        var options = ExtendedOptions()
        var expiry: (Unit, Int)?
        var index = start
        while index < cmd.args.count {
            let hasNext = index + 1 < cmd.args.count
            if forSet && cmd.argument(index, is: "nx") && options.condition != .ifExists {
                options.condition = .ifMissing
            } else if forSet && cmd.argument(index, is: "xx") && options.condition != .ifMissing {
                options.condition = .ifExists
            } else if forSet && cmd.argument(index, is: "get") {
                options.returnOld = true
            } else if forSet && cmd.argument(index, is: "keepttl") && expiry == nil {
                options.keepTTL = true
            } else if !forSet && cmd.argument(index, is: "persist") && expiry == nil {
                options.persist = true
            } else if hasNext && !options.keepTTL && !options.persist, let unit = expiryUnit(cmd, index),
                expiry == nil || expiry!.0 == unit
            {
                expiry = (unit, index + 1)
                index += 1
            } else {
                throw .syntax
            }
            index += 1
        }
        if let (unit, valueIndex) = expiry {
            options.expiryArgument = (
                unit == .seconds || unit == .unixSeconds, unit == .unixSeconds || unit == .unixMilliseconds, valueIndex
            )
        }
        return options

        func expiryUnit(_ cmd: CommandContext, _ index: Int) -> Unit? {
            if cmd.argument(index, is: "ex") { return .seconds }
            if cmd.argument(index, is: "px") { return .milliseconds }
            if cmd.argument(index, is: "exat") { return .unixSeconds }
            if cmd.argument(index, is: "pxat") { return .unixMilliseconds }
            return nil
        }
    }

    /// Turns the expiry argument of `options` into an absolute time: it must be a positive
    /// integer that does not overflow once converted (`invalid expire time in '<command>'`).
    static func resolveExpiry(_ cmd: CommandContext, _ options: inout ExtendedOptions, command: String) throws(ReplyError) {
        guard let argument = options.expiryArgument else { return }
        guard let amount = cmd.args.int64(at: argument.index) else { throw .notInteger }
        if amount <= 0 || (argument.seconds && amount > Int64.max / 1000) { throw .invalidExpireTime(command) }
        var milliseconds = argument.seconds ? amount * 1000 : amount
        if !argument.absolute {
            let (sum, overflow) = milliseconds.addingReportingOverflow(cmd.now)
            guard !overflow else { throw .invalidExpireTime(command) }
            milliseconds = sum
        }
        options.expireAt = milliseconds
        options.isAbsolute = argument.absolute
    }

    /// SETNX key value → 1 if set, 0 if the key existed.
    static func setnx(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        let value = cmd.args.withBytes(at: 2) { Value.storedString(from: $0) }
        cmd.args.withBytes(at: 1) { key in
            if engine.lookupWrite(db, key) != nil {
                value.release()
                cmd.reply.integer(0)
            } else {
                engine.addKey(db, key, value)
                engine.keyModified(db, key)
                engine.notify(.string, "set", key, db: db.index)
                cmd.reply.integer(1)
            }
        }
    }

    /// SETEX key seconds value → +OK.
    static func setex(_ cmd: CommandContext) throws(ReplyError) {
        try setWithExpiry(cmd, scale: 1000, name: "setex")
    }

    /// PSETEX key milliseconds value → +OK.
    static func psetex(_ cmd: CommandContext) throws(ReplyError) {
        try setWithExpiry(cmd, scale: 1, name: "psetex")
    }

    private static func setWithExpiry(_ cmd: CommandContext, scale: Int64, name: String) throws(ReplyError) {
        let amount = try cmd.integer(2)
        if amount <= 0 || amount > Int64.max / scale { throw .invalidExpireTime(name) }
        let (when, overflow) = (amount * scale).addingReportingOverflow(cmd.now)
        guard !overflow else { throw .invalidExpireTime(name) }
        var options = ExtendedOptions()
        options.expireAt = when
        let value = cmd.args.withBytes(at: 3) { Value.storedString(from: $0) }
        try store(cmd, keyIndex: 1, value: value, options: options)
    }

    /// MGET key [key ...] → array: each value, or null for missing and non-string keys.
    static func mget(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        cmd.reply.arrayHeader(cmd.args.count - 1)
        for argument in 1..<cmd.args.count {
            let index = cmd.args.withBytes(at: argument) { engine.lookupRead(db, $0) }
            if let index, let value = try? cmd.stringValue(db, index) {
                cmd.replyString(value)
            } else {
                cmd.reply.null()
            }
        }
    }

    /// MSET key value [key value ...] → +OK.
    static func mset(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count % 2 == 1 else { throw .wrongArity("mset") }
        setPairs(cmd)
        cmd.reply.ok()
    }

    /// MSETNX key value [key value ...] → 1 if all were set, 0 (nothing set) if any existed.
    static func msetnx(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count % 2 == 1 else { throw .wrongArity("msetnx") }
        let db = cmd.db
        let engine = cmd.engine
        for argument in stride(from: 1, to: cmd.args.count, by: 2)
        where cmd.args.withBytes(at: argument, { engine.lookupWrite(db, $0) }) != nil {
            cmd.reply.integer(0)
            return
        }
        setPairs(cmd)
        cmd.reply.integer(1)
    }

    private static func setPairs(_ cmd: CommandContext) {
        let db = cmd.db
        let engine = cmd.engine
        for argument in stride(from: 1, to: cmd.args.count, by: 2) {
            let value = cmd.args.withBytes(at: argument + 1) { Value.storedString(from: $0) }
            cmd.args.withBytes(at: argument) { key in
                if let existing = engine.lookupWrite(db, key) {
                    db.overwrite(at: existing, with: value)
                } else {
                    engine.addKey(db, key, value)
                }
                engine.keyModified(db, key)
                engine.notify(.string, "set", key, db: db.index)
            }
        }
    }

    /// GETSET key value → the old value or null.
    static func getset(_ cmd: CommandContext) throws(ReplyError) {
        var options = ExtendedOptions()
        options.returnOld = true
        let value = cmd.args.withBytes(at: 2) { Value.storedString(from: $0) }
        try store(cmd, keyIndex: 1, value: value, options: options)
        cmd.engine.propagateRunningCommand(as: [Engine.setName, cmd.args.bytes(at: 1), cmd.args.bytes(at: 2)])
    }

    /// GETDEL key → the value (then deleted) or null.
    static func getdel(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let index = engine.lookupRead(db, key) else {
                cmd.reply.null()
                return
            }
            cmd.replyString(try cmd.stringValue(db, index))
            engine.deleteKey(db, at: index, lazily: engine.lazyFreeUserDelete)
            engine.keyModified(db, key)
            engine.notify(.generic, "del", key, db: db.index)
            engine.propagateRunningCommand(as: [Engine.deletion(lazily: engine.lazyFreeUserDelete), Array(key)])
        }
    }

    /// GETEX key [EX s|PX ms|EXAT t|PXAT t|PERSIST] → the value or null; changes the expiry.
    static func getex(_ cmd: CommandContext) throws(ReplyError) {
        var options = try parseExtendedOptions(cmd, from: 2, forSet: false)
        let db = cmd.db
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let index = engine.lookupRead(db, key) else {
                cmd.reply.null()
                return
            }
            let value = try cmd.stringValue(db, index)
            // GETEX checks the time only once it knows the key exists, as Redis does.
            try resolveExpiry(cmd, &options, command: "getex")
            cmd.replyString(value)
            if let when = options.expireAt {
                // An absolute time already past deletes the key, as Redis does.
                if options.isAbsolute && when <= cmd.now && engine.persistence.loading == nil {
                    engine.deleteKey(db, at: index, lazily: engine.lazyFreeExpire)
                    engine.keyModified(db, key)
                    engine.notify(.generic, "del", key, db: db.index)
                    engine.propagateRunningCommand(as: [Engine.deletion(lazily: engine.lazyFreeExpire), Array(key)])
                } else {
                    db.setExpiry(at: index, to: when)
                    engine.keyModified(db, key)
                    engine.notify(.generic, "expire", key, db: db.index)
                    engine.propagateRunningCommand(as: [Engine.pexpireatName, Array(key), Array(String(when).utf8)])
                }
            } else if options.persist && db.expiry(at: index) != nil {
                db.setExpiry(at: index, to: 0)
                engine.keyModified(db, key)
                engine.notify(.generic, "persist", key, db: db.index)
                engine.propagateRunningCommand(as: [Engine.persistName, Array(key)])
            }
        }
    }

    // MARK: - Length and append

    /// APPEND key value → integer: the length after appending.
    static func append(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        let limit = engine.protocolLimits.maxBulkLength
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            try cmd.withArgument(2) { (addition) throws(ReplyError) in
                guard let index = engine.lookupWrite(db, key) else {
                    engine.addKey(db, key, .string(from: addition))
                    engine.keyModified(db, key)
                    engine.notify(.string, "append", key, db: db.index)
                    cmd.reply.integer(addition.count)
                    return
                }
                let oldLength = try cmd.stringValue(db, index).stringLength ?? 0
                guard oldLength + addition.count <= limit else { throw .stringTooLong }
                var bytes = takeMutableString(db, index)
                bytes.withMutableBytes(minimumCount: oldLength + addition.count) { out in
                    if addition.count > 0 {
                        (out.baseAddress! + oldLength).copyMemory(from: addition.baseAddress!, byteCount: addition.count)
                    }
                }
                db.value(at: index).pointee = .string(bytes)
                engine.keyModified(db, key)
                engine.notify(.string, "append", key, db: db.index)
                cmd.reply.integer(oldLength + addition.count)
            }
        }
    }

    /// Moves the string value of entry `index` out as mutable bytes, so that its buffer is
    /// not shared and can grow in place: an integer becomes its text, a long string's block
    /// is copied and freed. The entry holds a placeholder until the caller stores the
    /// changed bytes back, so nothing may throw in between.
    static func takeMutableString(_ db: Database, _ index: Int32) -> ByteString {
        let slot = db.value(at: index)
        let value = slot.pointee
        slot.pointee = .integer(0)
        switch value {
        case .string(let bytes): return bytes
        case .longString(let bytes):
            defer { bytes.release() }
            return bytes.byteString
        default: return value.withStringBytes { ByteString($0) } ?? ByteString()
        }
    }

    /// STRLEN key → integer: the length of the value, 0 for a missing key.
    static func strlen(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        guard let index = cmd.args.withBytes(at: 1, { engine.lookupRead(db, $0) }) else {
            cmd.reply.integer(0)
            return
        }
        cmd.reply.integer(try cmd.stringValue(db, index).stringLength ?? 0)
    }

    // MARK: - Counters

    /// INCR key → integer: the value after adding 1.
    static func incr(_ cmd: CommandContext) throws(ReplyError) { try incrementBy(cmd, 1) }

    /// DECR key → integer: the value after subtracting 1.
    static func decr(_ cmd: CommandContext) throws(ReplyError) { try incrementBy(cmd, -1) }

    /// INCRBY key increment → integer.
    static func incrby(_ cmd: CommandContext) throws(ReplyError) { try incrementBy(cmd, try cmd.integer(2)) }

    /// DECRBY key decrement → integer.
    static func decrby(_ cmd: CommandContext) throws(ReplyError) {
        let decrement = try cmd.integer(2)
        // Negating Int64.min would overflow: Redis refuses it with its own text.
        guard decrement != .min else { throw ReplyError("decrement would overflow") }
        try incrementBy(cmd, -decrement)
    }

    private static func incrementBy(_ cmd: CommandContext, _ increment: Int64) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            let index = engine.lookupWrite(db, key)
            var current: Int64 = 0
            if let index {
                switch try cmd.stringValue(db, index) {
                case .integer(let number): current = number
                case let value:
                    guard let number = value.withStringBytes({ parseRedisInteger($0) }) ?? nil else { throw .notInteger }
                    current = number
                }
            }
            let (result, overflow) = current.addingReportingOverflow(increment)
            guard !overflow else { throw .overflow }
            if let index {
                db.replaceValue(at: index, with: .integer(result))
            } else {
                engine.addKey(db, key, .integer(result))
            }
            engine.keyModified(db, key)
            engine.notify(.string, "incrby", key, db: db.index)
            cmd.reply.integer(result)
        }
    }

    /// INCRBYFLOAT key increment → bulk string: the new value, formatted as Redis formats it.
    static func incrbyfloat(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            let index = engine.lookupWrite(db, key)
            var current: Float80 = 0
            // The stored value is checked before the increment, as Redis does.
            if let index {
                guard let number = try cmd.stringValue(db, index).withStringBytes({ parseLongDouble($0) }) ?? nil else {
                    throw .notFloat
                }
                current = number
            }
            guard let increment = cmd.args.withBytes(at: 2, { parseLongDouble($0) }) else { throw .notFloat }
            let result = current + increment
            guard result.isFinite else { throw .incrementNaN }
            let text = formatLongDouble(result)
            // Redis stores the result as a plain string (embstr), even a whole number.
            let value = Value.string(ByteString(text))
            if let index {
                db.overwrite(at: index, with: value, keepTTL: true)
            } else {
                engine.addKey(db, key, value)
            }
            engine.keyModified(db, key)
            engine.notify(.string, "incrbyfloat", key, db: db.index)
            // Replicas must not compute the float again: SET with the result, keeping the TTL.
            engine.propagateRunningCommand(as: [Engine.setName, Array(key), Array(text.utf8), Engine.keepTTLName])
            cmd.reply.bulk(text)
        }
    }

    // MARK: - Ranges

    /// GETRANGE key start end → the substring (negative indexes count from the end).
    static func getrange(_ cmd: CommandContext) throws(ReplyError) {
        var start = try cmd.integer(2)
        var end = try cmd.integer(3)
        let db = cmd.db
        let engine = cmd.engine
        guard let index = cmd.args.withBytes(at: 1, { engine.lookupRead(db, $0) }) else {
            cmd.reply.bulk("")
            return
        }
        let value = try cmd.stringValue(db, index)
        _ = value.withStringBytes { bytes in
            let length = Int64(bytes.count)
            if start < 0 && end < 0 && start > end {
                cmd.reply.bulk("")
                return
            }
            if start < 0 { start = length + start }
            if end < 0 { end = length + end }
            if start < 0 { start = 0 }
            if end < 0 { end = 0 }
            if end >= length { end = length - 1 }
            if start > end || length == 0 {
                cmd.reply.bulk("")
            } else {
                cmd.reply.bulk(UnsafeRawBufferPointer(rebasing: bytes[Int(start)...Int(end)]))
            }
        }
    }

    /// SETRANGE key offset value → integer: the length after writing `value` at `offset`.
    static func setrange(_ cmd: CommandContext) throws(ReplyError) {
        let offset = try cmd.integer(2)
        guard offset >= 0 else { throw .offsetOutOfRange }
        let db = cmd.db
        let engine = cmd.engine
        let limit = Int64(engine.protocolLimits.maxBulkLength)
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            try cmd.withArgument(3) { (patch) throws(ReplyError) in
                let index = engine.lookupWrite(db, key)
                if let index {
                    let oldLength = try cmd.stringValue(db, index).stringLength ?? 0
                    if patch.isEmpty {
                        cmd.reply.integer(oldLength)
                        return
                    }
                } else if patch.isEmpty {
                    cmd.reply.integer(0)
                    return
                }
                let (total, overflow) = offset.addingReportingOverflow(Int64(patch.count))
                guard !overflow, total <= limit else { throw .stringTooLong }
                var bytes = index.map { takeMutableString(db, $0) } ?? ByteString()
                bytes.withMutableBytes(minimumCount: Int(total)) { out in
                    (out.baseAddress! + Int(offset)).copyMemory(from: patch.baseAddress!, byteCount: patch.count)
                }
                if let index {
                    db.value(at: index).pointee = .string(bytes)
                } else {
                    engine.addKey(db, key, .string(bytes))
                }
                engine.keyModified(db, key)
                engine.notify(.string, "setrange", key, db: db.index)
                cmd.reply.integer(bytes.count)
            }
        }
    }
}

/// Parses a long double as Redis's string2ld: the whole text, no leading space, not NaN.
func parseLongDouble(_ bytes: UnsafeRawBufferPointer) -> Float80? {
    guard bytes.count > 0, bytes.count < 5 * 1024 else { return nil }
    let first = bytes[0]
    if first == 0x20 || (first >= 0x09 && first <= 0x0D) { return nil }
    var text = [CChar](repeating: 0, count: bytes.count + 1)
    for index in 0..<bytes.count { text[index] = CChar(bitPattern: bytes[index]) }
    return text.withUnsafeBufferPointer { pointer -> Float80? in
        var end: UnsafeMutablePointer<CChar>?
        errno = 0
        let value = strtold(pointer.baseAddress!, &end)
        // The whole text must be the number (a NUL inside it is not its end).
        guard let end, end == pointer.baseAddress! + bytes.count else { return nil }
        if errno == ERANGE && (value.isInfinite || value == 0) { return nil }
        if value.isNaN { return nil }
        return value
    }
}

/// Formats a long double as Redis's "human" form: `%.17Lf` without trailing zeros (and "-0" as "0").
func formatLongDouble(_ value: Float80) -> String {
    var buffer = [CChar](repeating: 0, count: 5 * 1024 + 64)
    let length = withVaList([value]) { arguments in
        buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, "%.17Lf", arguments) }
    }
    var bytes = buffer[0..<Int(length)].map { UInt8(bitPattern: $0) }
    if bytes.contains(UInt8(ascii: ".")) {
        while bytes.last == UInt8(ascii: "0") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
    }
    if bytes == Array("-0".utf8) { bytes = [UInt8(ascii: "0")] }
    return String(decoding: bytes, as: UTF8.self)
}
