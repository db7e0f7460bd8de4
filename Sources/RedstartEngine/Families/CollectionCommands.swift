// What the collection families share: HSCAN, SSCAN and ZSCAN, the removal of
// members (HDEL, SREM, ZREM), and the arguments of LMPOP/ZMPOP and their
// blocking forms.
// The scan: the cursor, the key, MATCH and COUNT, in
// Redis's order of checks. Every call returns the whole collection and cursor
// 0, which is what Redis does for its compact encodings and keeps the SCAN
// guarantee (every element present from start to end is returned) for any
// size; COUNT is only a hint.
import RedstartRESP

enum CollectionScan {
    /// Runs a collection scan on the key at argument 1 with the cursor at argument 2;
    /// `elements` lists the collection (field, value, field, value ... when `pairs`).
    static func run(
        _ cmd: CommandContext, elements: (Database, Int32) throws(ReplyError) -> [ByteString], pairs: Bool
    ) throws(ReplyError) {
        _ = try KeyFamily.parseScanCursor(cmd, 2)
        let db = cmd.db
        guard let index = cmd.args.withBytes(at: 1, { cmd.engine.lookupRead(db, $0) }) else {
            replyScan(cmd, [])
            return
        }
        let all = try elements(db, index)
        var pattern: [UInt8]?
        var argument = 3
        while argument < cmd.args.count {
            let remaining = cmd.args.count - argument
            if cmd.argument(argument, is: "count") && remaining >= 2 {
                guard try cmd.integer(argument + 1) >= 1 else { throw .syntax }
            } else if cmd.argument(argument, is: "match") && remaining >= 2 {
                let bytes = cmd.args.bytes(at: argument + 1)
                pattern = bytes == [UInt8(ascii: "*")] ? nil : bytes
            } else {
                throw .syntax
            }
            argument += 2
        }
        guard let pattern else {
            replyScan(cmd, all)
            return
        }
        let step = pairs ? 2 : 1
        var kept: [ByteString] = []
        for position in stride(from: 0, to: all.count, by: step) {
            let matches = all[position].withUnsafeBytes { name in
                pattern.withUnsafeBytes { globMatch(pattern: $0, string: name) }
            }
            if matches { kept.append(contentsOf: all[position..<(position + step)]) }
        }
        replyScan(cmd, kept)
    }

    private static func replyScan(_ cmd: CommandContext, _ elements: [ByteString]) {
        cmd.reply.arrayHeader(2)
        cmd.reply.bulk("0")
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
