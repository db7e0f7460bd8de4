// Hash commands (Redis 7.0's t_hash.c behaviour). Hashes are HashValue
// values; a hash left without fields is deleted. HSCAN shares the collection
// scan and member removal of CollectionCommands.swift.
import RedstartRESP

enum HashFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init("hset", arity: -4, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.hash], group: "hash", run: hset),
            .init("hmset", arity: -4, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.hash], group: "hash", run: hmset),
            .init("hsetnx", arity: 4, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.hash], group: "hash", run: hsetnx),
            .init("hget", arity: 3, flags: [.readonly, .fast], keys: .first, acl: [.hash], group: "hash", run: hget),
            .init("hmget", arity: -3, flags: [.readonly, .fast], keys: .first, acl: [.hash], group: "hash", run: hmget),
            .init("hdel", arity: -3, flags: [.write, .fast], keys: .first, acl: [.hash], group: "hash", run: hdel),
            .init("hlen", arity: 2, flags: [.readonly, .fast], keys: .first, acl: [.hash], group: "hash", run: hlen),
            .init("hstrlen", arity: 3, flags: [.readonly, .fast], keys: .first, acl: [.hash], group: "hash", run: hstrlen),
            .init("hexists", arity: 3, flags: [.readonly, .fast], keys: .first, acl: [.hash], group: "hash", run: hexists),
            .init("hkeys", arity: 2, flags: [.readonly], keys: .first, acl: [.hash], group: "hash", run: hkeys),
            .init("hvals", arity: 2, flags: [.readonly], keys: .first, acl: [.hash], group: "hash", run: hvals),
            .init("hgetall", arity: 2, flags: [.readonly], keys: .first, acl: [.hash], group: "hash", run: hgetall),
            .init("hincrby", arity: 4, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.hash], group: "hash", run: hincrby),
            .init(
                "hincrbyfloat", arity: 4, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.hash], group: "hash",
                run: hincrbyfloat),
            .init("hrandfield", arity: -2, flags: [.readonly], keys: .first, acl: [.hash], group: "hash", run: hrandfield),
            .init("hscan", arity: -3, flags: [.readonly], keys: .first, acl: [.hash], group: "hash", run: hscan),
        ]
    }

    // MARK: - Writing

    /// HSET key field value [field value ...] → integer: fields added.
    static func hset(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.integer(try setPairs(cmd))
    }

    /// HMSET key field value [field value ...] → +OK.
    static func hmset(_ cmd: CommandContext) throws(ReplyError) {
        _ = try setPairs(cmd)
        cmd.reply.ok()
    }

    /// Sets the pairs from argument 2 on; returns how many fields were new.
    private static func setPairs(_ cmd: CommandContext) throws(ReplyError) -> Int {
        guard cmd.args.count % 2 == 0 else { throw .wrongArity(cmd.spec.fullName) }
        let engine = cmd.engine
        return try cmd.withArgument(1) { (key) throws(ReplyError) -> Int in
            let added = setPairs(cmd, in: &(try cmd.hashSlot(key)).pointee.storedHash)
            engine.keyModified(cmd.db, key, changes: (cmd.args.count - 2) / 2)
            engine.notify(.hash, "hset", key, db: cmd.db.index)
            return added
        }
    }

    /// Sets the pairs from argument 2 on in `hash`; returns how many fields were new.
    private static func setPairs(_ cmd: CommandContext, in hash: inout HashValue) -> Int {
        let limits = cmd.engine.hashLimits
        if hash.isEmpty { reserveForPairs(cmd, &hash, limits: limits) }
        var added = 0
        for index in stride(from: 2, to: cmd.args.count, by: 2) {
            let value = cmd.args.withBytes(at: index + 1) { ByteString($0) }
            if cmd.args.withBytes(at: index, { hash.set($0, value, limits: limits) }) { added += 1 }
        }
        return added
    }

    /// Sizes a hash created by this HSET for all its pairs at once, when they keep it small.
    private static func reserveForPairs(_ cmd: CommandContext, _ hash: inout HashValue, limits: (entries: Int, length: Int)) {
        guard (cmd.args.count - 2) / 2 <= limits.entries else { return }
        var bytes = 0
        for index in 2..<cmd.args.count {
            let length = cmd.args.withBytes(at: index) { $0.count }
            guard length <= limits.length else { return }
            bytes += HashValue.packedSize(length)
        }
        hash.reservePacked(bytes: bytes)
    }

    /// HSETNX key field value → 1 when set, 0 when the field existed.
    static func hsetnx(_ cmd: CommandContext) throws(ReplyError) {
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            let slot = try cmd.hashSlot(key)
            if cmd.args.withBytes(at: 2, { slot.pointee.storedHash.position(of: $0) }) != nil {
                cmd.reply.integer(0)
                return
            }
            let value = cmd.args.withBytes(at: 3) { ByteString($0) }
            cmd.args.withBytes(at: 2) { _ = slot.pointee.storedHash.set($0, value, limits: engine.hashLimits) }
            engine.keyModified(cmd.db, key)
            engine.notify(.hash, "hset", key, db: cmd.db.index)
            cmd.reply.integer(1)
        }
    }

    /// HDEL key field [field ...] → integer: fields removed.
    static func hdel(_ cmd: CommandContext) throws(ReplyError) {
        try cmd.removeMembers(event: .hash, "hdel") { (db, index) throws(ReplyError) in
            _ = try cmd.hashValue(db, index)
            let slot = db.value(at: index)
            return ({ slot.pointee.storedHash.remove($0) }, { slot.pointee.storedHash.isEmpty })
        }
    }

    /// HINCRBY key field increment → integer: the new value.
    static func hincrby(_ cmd: CommandContext) throws(ReplyError) {
        let increment = try cmd.integer(3)
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            let slot = try cmd.hashSlot(key)
            let current: Int64
            if let value = cmd.args.withBytes(at: 2, { slot.pointee.storedHash.value(of: $0) }) {
                guard let number = value.withUnsafeBytes({ parseRedisInteger($0) }) else {
                    throw ReplyError("hash value is not an integer")
                }
                current = number
            } else {
                current = 0
            }
            let (result, overflow) = current.addingReportingOverflow(increment)
            guard !overflow else { throw .overflow }
            var digits = DecimalDigits(result)
            let text = digits.withBytes { ByteString($0) }
            cmd.args.withBytes(at: 2) { _ = slot.pointee.storedHash.set($0, text, limits: engine.hashLimits) }
            engine.keyModified(cmd.db, key)
            engine.notify(.hash, "hincrby", key, db: cmd.db.index)
            cmd.reply.integer(result)
        }
    }

    /// HINCRBYFLOAT key field increment → bulk string: the new value, formatted as INCRBYFLOAT does.
    static func hincrbyfloat(_ cmd: CommandContext) throws(ReplyError) {
        guard let increment = cmd.args.withBytes(at: 3, { parseLongDouble($0) }) else { throw .notFloat }
        guard increment.isFinite else { throw ReplyError("value is NaN or Infinity") }
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            let slot = try cmd.hashSlot(key)
            var current: Float80 = 0
            if let value = cmd.args.withBytes(at: 2, { slot.pointee.storedHash.value(of: $0) }) {
                guard let number = value.withUnsafeBytes({ parseLongDouble($0) }) else {
                    throw ReplyError("hash value is not a float")
                }
                current = number
            }
            let result = current + increment
            guard result.isFinite else { throw .incrementNaN }
            let text = ByteString(formatLongDouble(result))
            cmd.args.withBytes(at: 2) { _ = slot.pointee.storedHash.set($0, text, limits: engine.hashLimits) }
            engine.keyModified(cmd.db, key)
            engine.notify(.hash, "hincrbyfloat", key, db: cmd.db.index)
            text.withUnsafeBytes { cmd.reply.bulk($0) }
            // Replicas must not compute the float again: Redis propagates HSET with the result.
            engine.propagateRunningCommand(as: [Array("HSET".utf8), Array(key), cmd.args.bytes(at: 2), text.bytes])
        }
    }

    // MARK: - Reading

    /// HGET key field → the value, or null.
    static func hget(_ cmd: CommandContext) throws(ReplyError) {
        guard let hash = try cmd.hashForRead() else {
            cmd.reply.null()
            return
        }
        let found = cmd.args.withBytes(at: 2) { field in hash.withValue(of: field) { cmd.reply.bulk($0) } }
        if found == nil { cmd.reply.null() }
    }

    /// HMGET key field [field ...] → an array of values and nulls.
    static func hmget(_ cmd: CommandContext) throws(ReplyError) {
        let hash = try cmd.hashForRead()
        cmd.reply.arrayHeader(cmd.args.count - 2)
        for argument in 2..<cmd.args.count {
            let found = cmd.args.withBytes(at: argument) { field in hash?.withValue(of: field) { cmd.reply.bulk($0) } }
            if found == nil { cmd.reply.null() }
        }
    }

    /// HLEN key → integer.
    static func hlen(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.integer(try cmd.hashForRead()?.count ?? 0)
    }

    /// HSTRLEN key field → integer: the value's length, 0 when missing.
    static func hstrlen(_ cmd: CommandContext) throws(ReplyError) {
        let hash = try cmd.hashForRead()
        cmd.reply.integer(cmd.args.withBytes(at: 2) { field in hash?.withValue(of: field) { $0.count } } ?? 0)
    }

    /// HEXISTS key field → 1 or 0.
    static func hexists(_ cmd: CommandContext) throws(ReplyError) {
        let hash = try cmd.hashForRead()
        cmd.reply.integer(cmd.args.withBytes(at: 2) { hash?.position(of: $0) } != nil ? 1 : 0)
    }

    static func hkeys(_ cmd: CommandContext) throws(ReplyError) { try replyAll(cmd, fields: true, values: false) }
    static func hvals(_ cmd: CommandContext) throws(ReplyError) { try replyAll(cmd, fields: false, values: true) }
    static func hgetall(_ cmd: CommandContext) throws(ReplyError) { try replyAll(cmd, fields: true, values: true) }

    /// HKEYS / HVALS (arrays) and HGETALL (a map in RESP3, a flat array in RESP2).
    private static func replyAll(_ cmd: CommandContext, fields: Bool, values: Bool) throws(ReplyError) {
        let hash = try cmd.hashForRead()
        let count = hash?.count ?? 0
        if fields && values { cmd.reply.mapHeader(count) } else { cmd.reply.arrayHeader(count) }
        hash?.forEachPair { field, value in
            if fields { cmd.reply.bulk(field) }
            if values { cmd.reply.bulk(value) }
        }
    }

    /// HRANDFIELD key [count [WITHVALUES]] → a random field, or with a count an array of
    /// distinct fields (count > 0) or of count fields with repeats (count < 0).
    static func hrandfield(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count >= 3 else {
            guard let hash = try cmd.hashForRead(), !hash.isEmpty else {
                cmd.reply.null()
                return
            }
            let all = hash.pairs()
            all[Int.random(in: 0..<all.count)].field.withUnsafeBytes { cmd.reply.bulk($0) }
            return
        }
        guard let count = cmd.args.int64(at: 2) else { throw .notInteger }
        guard count != .min else {
            throw ReplyError("value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        }
        var withValues = false
        if cmd.args.count > 4 || (cmd.args.count == 4 && !cmd.argument(3, is: "withvalues")) { throw .syntax }
        if cmd.args.count == 4 {
            withValues = true
            guard count >= -(Int64.max / 2), count <= Int64.max / 2 else { throw ReplyError("value is out of range") }
        }
        guard let hash = try cmd.hashForRead(), count != 0 else {
            cmd.reply.arrayHeader(0)
            return
        }
        let all = hash.pairs()
        let picks = RandomPicks(size: all.count, count: count)
        let pairs = withValues && cmd.session.protocolVersion == .resp3
        cmd.reply.arrayHeader(withValues && !pairs ? picks.total * 2 : picks.total)
        picks.forEach(cmd) { position in
            let (field, value) = all[position]
            if pairs { cmd.reply.arrayHeader(2) }
            field.withUnsafeBytes { cmd.reply.bulk($0) }
            if withValues { value.withUnsafeBytes { cmd.reply.bulk($0) } }
        }
    }

    /// HSCAN key cursor [MATCH pattern] [COUNT count] → [cursor, [field, value, ...]].
    static func hscan(_ cmd: CommandContext) throws(ReplyError) {
        try CollectionScan.run(
            cmd,
            source: { (db, index) throws(ReplyError) -> ScanSource in
                let hash = try cmd.hashValue(db, index)
                if let count = hash.positionCount {
                    return .positional(count: count) { position in
                        let (field, value) = hash.pair(at: position)
                        return [field, value]
                    }
                }
                var items: [ByteString] = []
                hash.forEachPair { field, value in
                    items.append(ByteString(field))
                    items.append(ByteString(value))
                }
                return .whole(items, pairs: true)
            })
    }
}

extension Engine {
    /// hash-max-listpack-entries and hash-max-listpack-value.
    var hashLimits: (entries: Int, length: Int) { (hashMaxEntries, hashMaxValue) }
}

extension CommandContext {
    /// The hash of entry `index`, else `-WRONGTYPE`.
    func hashValue(_ db: Database, _ index: Int32) throws(ReplyError) -> HashValue {
        guard let hash = db.value(at: index).pointee.hash else { throw .wrongType }
        return hash
    }

    /// The hash at argument 1 looked up for reading, nil when missing.
    func hashForRead() throws(ReplyError) -> HashValue? {
        let db = self.db
        guard let index = args.withBytes(at: 1, { engine.lookupRead(db, $0) }) else { return nil }
        return try hashValue(db, index)
    }

    /// The value slot of the hash under `key` (created empty, and added, when missing), whose
    /// hash is changed in place through `storedHash`, else `-WRONGTYPE`.
    func hashSlot(_ key: UnsafeRawBufferPointer) throws(ReplyError) -> UnsafeMutablePointer<Value> {
        guard let found = engine.lookupWrite(db, key) else { return db.value(at: engine.addKey(db, key, .hash(HashValue()))) }
        _ = try hashValue(db, found)
        return db.value(at: found)
    }
}
