// Generic key commands: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, RANDOMKEY,
// RENAME, RENAMENX, COPY, TOUCH. Expiry commands are in ExpireFamily, database
// commands in DatabaseFamily, OBJECT in ObjectFamily.
import RedstartRESP

enum KeyFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init("del", arity: -2, flags: [.write], keys: .all, acl: [.keyspace], group: "generic", run: del),
            .init("unlink", arity: -2, flags: [.write, .fast], keys: .all, acl: [.keyspace], group: "generic", run: unlink),
            .init(
                "exists", arity: -2, flags: [.readonly, .fast], keys: .all, acl: [.keyspace], group: "generic",
                run: exists),
            .init("type", arity: 2, flags: [.readonly, .fast], keys: .first, acl: [.keyspace], group: "generic", run: type),
            .init("keys", arity: 2, flags: [.readonly], acl: [.keyspace, .dangerous], group: "generic", run: keys),
            .init("scan", arity: -2, flags: [.readonly, .touchesArbitraryKeys], acl: [.keyspace], group: "generic", run: scan),
            .init("randomkey", arity: 1, flags: [.readonly, .touchesArbitraryKeys], acl: [.keyspace], group: "generic", run: randomkey),
            .init(
                "rename", arity: 3, flags: [.write], keys: KeyPositions(first: 1, last: 2, step: 1), acl: [.keyspace],
                group: "generic", run: rename),
            .init(
                "renamenx", arity: 3, flags: [.write, .fast], keys: KeyPositions(first: 1, last: 2, step: 1),
                acl: [.keyspace], group: "generic", run: renamenx),
            .init(
                "copy", arity: -3, flags: [.write, .denyOOM], keys: KeyPositions(first: 1, last: 2, step: 1),
                acl: [.keyspace], group: "generic", run: copy),
            .init("touch", arity: -2, flags: [.readonly, .fast], keys: .all, acl: [.keyspace], group: "generic", run: touch),
        ]
    }

    /// DEL key [key ...] → integer: keys removed.
    static func del(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.integer(deleteKeys(cmd, lazily: cmd.engine.lazyFreeUserDelete))
    }

    /// UNLINK key [key ...] → integer: keys removed; big values are freed in the background.
    static func unlink(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.integer(deleteKeys(cmd, lazily: true))
    }

    private static func deleteKeys(_ cmd: CommandContext, lazily: Bool) -> Int {
        let db = cmd.db
        let engine = cmd.engine
        var removed = 0
        for argument in 1..<cmd.args.count {
            cmd.args.withBytes(at: argument) { key in
                // An expired key is removed by the lookup and does not count as deleted.
                if let index = engine.lookupWrite(db, key) {
                    engine.deleteKey(db, at: index, lazily: lazily)
                    engine.keyModified(db, key)
                    engine.notify(.generic, "del", key, db: db.index)
                    removed += 1
                }
            }
        }
        return removed
    }

    /// EXISTS key [key ...] → integer: how many of the keys exist (a repeated key counts again).
    static func exists(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        var found = 0
        for argument in 1..<cmd.args.count
        where cmd.args.withBytes(at: argument, { engine.lookupRead(db, $0, touch: false) }) != nil {
            found += 1
        }
        cmd.reply.integer(found)
    }

    /// TYPE key → status: string, list, set, zset, hash, stream, or none.
    static func type(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        if let index = cmd.args.withBytes(at: 1, { engine.lookupRead(db, $0, touch: false) }) {
            cmd.reply.simpleString(db.value(at: index).pointee.typeName)
        } else {
            cmd.reply.raw("+none\r\n")
        }
    }

    /// KEYS pattern → array of the keys matching the glob (expired keys excluded). O(n).
    static func keys(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        let now = cmd.now
        let pattern = cmd.args.bytes(at: 1)
        let matchesAll = pattern == [UInt8(ascii: "*")]
        let mark = cmd.reply.deferLength()
        var count = 0
        var cursor: UInt64 = 0
        var steps = 0
        repeat {
            cursor = db.table.scan(cursor) { index in
                if db.isExpired(index, now: now) { return }
                db.key(at: index).withUnsafeBytes { key in
                    let matched = matchesAll || pattern.withUnsafeBytes { globMatch(pattern: $0, string: key) }
                    if matched {
                        cmd.reply.bulk(key)
                        count += 1
                    }
                }
            }
            // A client past its output limit is closed after the command: stop early.
            steps += 1
        } while cursor != 0 && (steps & 255 != 0 || !cmd.replyPassedOutputLimit)
        cmd.reply.setDeferredArrayLength(mark, count)
    }

    /// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] → [next cursor, keys].
    static func scan(_ cmd: CommandContext) throws(ReplyError) {
        let cursor = try parseScanCursor(cmd, 1)
        var count: Int64 = 10
        var pattern: [UInt8]?
        var typeName: String?
        var index = 2
        while index < cmd.args.count {
            let remaining = cmd.args.count - index
            if cmd.argument(index, is: "count") && remaining >= 2 {
                count = try cmd.integer(index + 1)
                guard count >= 1 else { throw .syntax }
            } else if cmd.argument(index, is: "match") && remaining >= 2 {
                let bytes = cmd.args.bytes(at: index + 1)
                pattern = bytes == [UInt8(ascii: "*")] ? nil : bytes
            } else if cmd.argument(index, is: "type") && remaining >= 2 {
                typeName = cmd.args.string(at: index + 1)
            } else {
                throw .syntax
            }
            index += 2
        }
        let db = cmd.db
        var found: [ByteString] = []
        var next = cursor
        var iterations = count * 10
        repeat {
            next = db.table.scan(next) { entry in found.append(db.key(at: entry)) }
            iterations -= 1
        } while next != 0 && iterations > 0 && found.count < Int(count)
        // Filter as Redis does: the pattern, then expired keys (removed), then the type.
        let engine = cmd.engine
        var keys: [ByteString] = []
        for key in found {
            let kept = key.withUnsafeBytes { bytes -> Bool in
                if let pattern, !pattern.withUnsafeBytes({ globMatch(pattern: $0, string: bytes) }) { return false }
                guard let entry = engine.findLive(db, bytes) else { return false }
                if let typeName, db.value(at: entry).pointee.typeName != typeName.lowercased() { return false }
                return true
            }
            if kept { keys.append(key) }
        }
        cmd.reply.arrayHeader(2)
        cmd.reply.bulk(String(next))
        cmd.reply.arrayHeader(keys.count)
        for key in keys { key.withUnsafeBytes { cmd.reply.bulk($0) } }
    }

    /// A SCAN cursor: an unsigned 64-bit number, read as Redis reads it with strtoul.
    static func parseScanCursor(_ cmd: CommandContext, _ index: Int) throws(ReplyError) -> UInt64 {
        let text = cmd.args.bytes(at: index)
        var digits = text[...]
        var negative = false
        if let sign = digits.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            digits = digits.dropFirst()
        }
        // strtoul reads an empty text as 0.
        if text.isEmpty { return 0 }
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            let value = UInt64(String(decoding: digits, as: UTF8.self))
        else { throw ReplyError("invalid cursor") }
        // strtoul negates a leading minus in unsigned arithmetic.
        return negative ? 0 &- value : value
    }

    /// RANDOMKEY → a random key, or null when the database is empty.
    static func randomkey(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        // While clients are paused expired keys stay; give up after many expired picks.
        var expiredPicks = 0
        while let index = db.table.randomEntry() {
            if db.isExpired(index, now: cmd.now) {
                if cmd.engine.pause == nil {
                    cmd.engine.removeExpired(db, at: index)
                } else {
                    expiredPicks += 1
                    if expiredPicks == 100 { break }
                }
                continue
            }
            db.key(at: index).withUnsafeBytes { cmd.reply.bulk($0) }
            return
        }
        cmd.reply.null()
    }

    /// RENAME key newkey → +OK; the value keeps its expiry.
    static func rename(_ cmd: CommandContext) throws(ReplyError) {
        try renameKey(cmd, onlyIfMissing: false)
    }

    /// RENAMENX key newkey → 1 if renamed, 0 if newkey exists.
    static func renamenx(_ cmd: CommandContext) throws(ReplyError) {
        try renameKey(cmd, onlyIfMissing: true)
    }

    private static func renameKey(_ cmd: CommandContext, onlyIfMissing: Bool) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        try cmd.withArgument(1) { (source) throws(ReplyError) in
            guard let from = engine.lookupWrite(db, source) else { throw .noSuchKey }
            try cmd.withArgument(2) { (destination) throws(ReplyError) in
                if source.elementsEqual(destination) {
                    if onlyIfMissing { cmd.reply.integer(0) } else { cmd.reply.ok() }
                    return
                }
                let value = db.value(at: from).pointee
                let expiry = db.expiry(at: from)
                let clock = db.clock(at: from)
                if let existing = engine.lookupWrite(db, destination) {
                    if onlyIfMissing {
                        cmd.reply.integer(0)
                        return
                    }
                    engine.deleteKey(db, at: existing, lazily: false)
                }
                // Entries never move, so `from` is still the source after the deletion above.
                db.remove(at: from)
                let to = db.add(destination, value, clock: clock)
                if let expiry { db.setExpiry(at: to, to: expiry) }
                engine.keyAdded(db, destination, value)
                engine.keyModified(db, source)
                engine.keyModified(db, destination)
                engine.notify(.generic, "rename_from", source, db: db.index)
                engine.notify(.generic, "rename_to", destination, db: db.index)
                if onlyIfMissing { cmd.reply.integer(1) } else { cmd.reply.ok() }
            }
        }
    }

    /// COPY source destination [DB index] [REPLACE] → 1 if copied, 0 if not.
    static func copy(_ cmd: CommandContext) throws(ReplyError) {
        var replace = false
        var target = cmd.db
        var index = 3
        while index < cmd.args.count {
            if cmd.argument(index, is: "replace") {
                replace = true
            } else if cmd.argument(index, is: "db") && index + 1 < cmd.args.count {
                let number = try cmd.integer(index + 1)
                guard number >= Int64(Int32.min), number <= Int64(Int32.max) else { throw .notInteger }
                guard number >= 0, number < Int64(cmd.engine.databases.count) else { throw .invalidDBIndex }
                target = cmd.engine.databases[Int(number)]
                index += 1
            } else {
                throw .syntax
            }
            index += 1
        }
        let source = cmd.db
        let engine = cmd.engine
        if source === target && cmd.args.bytes(at: 1) == cmd.args.bytes(at: 2) { throw .sameObject }
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let from = engine.lookupRead(source, key) else {
                cmd.reply.integer(0)
                return
            }
            let value = source.value(at: from).pointee
            let expiry = source.expiry(at: from)
            try cmd.withArgument(2) { (destination) throws(ReplyError) in
                if let existing = engine.lookupWrite(target, destination) {
                    guard replace else {
                        cmd.reply.integer(0)
                        return
                    }
                    engine.deleteKey(target, at: existing, lazily: false)
                }
                let to = engine.addKey(target, destination, value.copied())
                if let expiry { target.setExpiry(at: to, to: expiry) }
                engine.keyModified(target, destination)
                engine.notify(.generic, "copy_to", destination, db: target.index)
                cmd.reply.integer(1)
            }
        }
    }

    /// TOUCH key [key ...] → integer: how many of the keys exist; refreshes their access time.
    static func touch(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        var found = 0
        for argument in 1..<cmd.args.count where cmd.args.withBytes(at: argument, { engine.lookupRead(db, $0) }) != nil {
            found += 1
        }
        cmd.reply.integer(found)
    }
}

extension Value {
    /// A copy that shares no mutable storage with this value (COPY). Strings are
    /// immutable until written through withMutableBytes, which copies a shared buffer;
    /// a long string's block belongs to one entry, so it is copied.
    func copied() -> Value {
        switch self {
        case .list(let list): return .list(list.copy())
        case .hash(let hash): return .hash(hash.copy())
        case .set(let set): return .set(set.copy())
        case .sortedSet(let zset): return .sortedSet(zset.copy())
        case .stream(let stream): return .stream(stream.copy())
        case .longString(let bytes): return .longString(bytes.copy())
        case .string, .integer: return self
        }
    }
}
