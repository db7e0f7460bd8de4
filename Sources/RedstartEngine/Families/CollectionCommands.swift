// What the collection families share: HSCAN, SSCAN and ZSCAN, the removal of
// members (HDEL, SREM, ZREM), and the arguments of LMPOP/ZMPOP and their
// blocking forms.
// The scan: the cursor, the key, MATCH and COUNT, in Redis's order of checks.
// A compact collection (listpack, intset) is returned whole with cursor 0, as
// Redis does. A hashtable-encoded hash or set is walked by position from the
// last one down, COUNT positions per call: removals move the last element into
// the hole (behind the cursor, or into the part still to walk), additions go to
// the end (already passed), so every element present from start to end is
// returned, as SCAN promises. A big sorted set is walked by member record the
// same way (a member keeps its record).
import RedstartRESP

/// What a collection scan walks.
enum ScanSource {
    /// Everything at once; with `pairs`, as name, value, name, value ... (MATCH looks at
    /// the names); cursor 0.
    case whole([ByteString], pairs: Bool)
    /// `count` positions; `items(position)` is the element (or field and value) there.
    case positional(count: Int, items: (Int) -> [ByteString])
}

enum CollectionScan {
    /// Runs a collection scan on the key at argument 1 with the cursor at argument 2.
    static func run(
        _ cmd: CommandContext, source: (Database, Int32) throws(ReplyError) -> ScanSource
    ) throws(ReplyError) {
        let cursor = try KeyFamily.parseScanCursor(cmd, 2)
        let db = cmd.db
        guard let index = cmd.args.withBytes(at: 1, { cmd.engine.lookupRead(db, $0) }) else {
            replyScan(cmd, cursor: 0, [])
            return
        }
        let walked = try source(db, index)
        var pattern: [UInt8]?
        var wanted: Int64 = 10
        var argument = 3
        while argument < cmd.args.count {
            let remaining = cmd.args.count - argument
            if cmd.argument(argument, is: "count") && remaining >= 2 {
                wanted = try cmd.integer(argument + 1)
                guard wanted >= 1 else { throw .syntax }
            } else if cmd.argument(argument, is: "match") && remaining >= 2 {
                let bytes = cmd.args.bytes(at: argument + 1)
                pattern = bytes == [UInt8(ascii: "*")] ? nil : bytes
            } else {
                throw .syntax
            }
            argument += 2
        }
        func matches(_ name: ByteString) -> Bool {
            guard let pattern else { return true }
            return name.withUnsafeBytes { bytes in pattern.withUnsafeBytes { globMatch(pattern: $0, string: bytes) } }
        }
        switch walked {
        case .whole(let all, let pairs):
            var kept: [ByteString] = []
            let step = pairs ? 2 : 1
            for position in stride(from: 0, to: all.count, by: step) where matches(all[position]) {
                kept.append(contentsOf: all[position..<(position + step)])
            }
            replyScan(cmd, cursor: 0, kept)
        case .positional(let count, let items):
            // Cursor c > 0 means "position c - 1 is next"; a collection that shrank starts at its end.
            var next = cursor == 0 || cursor > UInt64(count) ? count - 1 : Int(cursor) - 1
            var kept: [ByteString] = []
            var visited: Int64 = 0
            while next >= 0 && visited < wanted {
                let found = items(next)
                if let name = found.first, matches(name) { kept.append(contentsOf: found) }
                next -= 1
                visited += 1
            }
            replyScan(cmd, cursor: next < 0 ? 0 : UInt64(next + 1), kept)
        }
    }

    private static func replyScan(_ cmd: CommandContext, cursor: UInt64, _ elements: [ByteString]) {
        cmd.reply.arrayHeader(2)
        cmd.reply.bulk(String(cursor))
        cmd.reply.arrayHeader(elements.count)
        for element in elements { element.withUnsafeBytes { cmd.reply.bulk($0) } }
    }
}

extension CommandContext {
    /// The body of HDEL, SREM and ZREM: removes arguments 2... from the collection under
    /// argument 1 (`collection` type-checks it and gives its remove and isEmpty), reports
    /// `event` of class `type` when something went, deletes the key once empty, and replies
    /// how many were removed.
    func removeMembers(
        event type: KeyspaceEvents, _ event: StaticString,
        _ collection: (Database, Int32) throws(ReplyError) -> (
            remove: (UnsafeRawBufferPointer) -> Bool, isEmpty: () -> Bool
        )
    ) throws(ReplyError) {
        let db = self.db
        let engine = self.engine
        try withArgument(1) { (key) throws(ReplyError) in
            guard let index = engine.lookupWrite(db, key) else {
                reply.integer(0)
                return
            }
            let (remove, isEmpty) = try collection(db, index)
            var removed = 0
            for argument in 2..<args.count {
                if args.withBytes(at: argument, { remove($0) }) { removed += 1 }
                if isEmpty() { break }
            }
            if removed > 0 {
                engine.keyModified(db, key, changes: removed)
                engine.notify(type, event, key, db: db.index)
            }
            if isEmpty() { engine.removeEmptied(db, at: index, key) }
            reply.integer(removed)
        }
    }
}

extension CommandContext {
    /// Runs `body` on the first of the keys at `arguments` that exists (looked up for
    /// writing, in argument order); false when none does. The loop of LMPOP, ZMPOP and the
    /// blocking pops, which act on the first key with data.
    func withFirstExistingKey(
        _ arguments: Range<Int>, _ body: (UnsafeRawBufferPointer, Int32) throws(ReplyError) -> Void
    ) throws(ReplyError) -> Bool {
        let db = self.db
        for argument in arguments {
            let found = try withArgument(argument) { (key) throws(ReplyError) -> Bool in
                guard let index = engine.lookupWrite(db, key) else { return false }
                try body(key, index)
                return true
            }
            if found { return true }
        }
        return false
    }
}

extension CommandContext {
    /// The STORE forms (SINTERSTORE, ZUNIONSTORE, ZRANGESTORE ...): replaces the key at
    /// argument `argument` with `result` (clearing its TTL) and reports `event` of class
    /// `type`, or deletes it when the result is empty (reporting `del`).
    func storeResult(_ result: Value, isEmpty: Bool, at argument: Int, event type: KeyspaceEvents, _ event: StaticString) {
        let db = self.db
        let engine = self.engine
        args.withBytes(at: argument) { key in
            let existing = engine.lookupWrite(db, key)
            if isEmpty {
                result.release()
                guard let existing else { return }
                engine.deleteKey(db, at: existing, lazily: false)
                engine.notify(.generic, "del", key, db: db.index)
            } else {
                if let existing {
                    db.overwrite(at: existing, with: result)
                } else {
                    engine.addKey(db, key, result)
                }
                engine.notify(type, event, key, db: db.index)
            }
            engine.keyModified(db, key)
        }
    }
}

/// The arguments of LMPOP/BLMPOP (LEFT|RIGHT) and ZMPOP/BZMPOP (MIN|MAX): numkeys, the
/// keys, which end, and COUNT (default 1), with Redis's errors.
struct MultiPopArguments {
    var keyIndexes: Range<Int>
    /// The first of the two end words was given (LEFT, MIN).
    var firstEnd: Bool
    var count: Int

    init(_ cmd: CommandContext, numkeysIndex: Int, ends: (first: StaticString, second: StaticString)) throws(ReplyError) {
        guard let numkeys = cmd.args.int64(at: numkeysIndex), numkeys > 0 else {
            throw ReplyError("numkeys should be greater than 0")
        }
        // Compared before adding, so that a numkeys near Int64.max cannot overflow.
        guard numkeys < Int64(cmd.args.count - numkeysIndex - 1) else { throw .syntax }
        let endIndex = Int64(numkeysIndex) + numkeys + 1
        keyIndexes = (numkeysIndex + 1)..<Int(endIndex)
        if cmd.argument(Int(endIndex), is: ends.first) {
            firstEnd = true
        } else if cmd.argument(Int(endIndex), is: ends.second) {
            firstEnd = false
        } else {
            throw .syntax
        }
        var count: Int?
        var index = Int(endIndex) + 1
        while index < cmd.args.count {
            guard count == nil, index + 1 < cmd.args.count, cmd.argument(index, is: "count") else { throw .syntax }
            guard let value = cmd.args.int64(at: index + 1), value > 0 else {
                throw ReplyError("count should be greater than 0")
            }
            count = Int(value)
            index += 2
        }
        self.count = count ?? 1
    }
}
