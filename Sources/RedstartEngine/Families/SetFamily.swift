// Set commands (Redis 7.0's t_set.c behaviour). Sets are SetValue values; a
// set left without members is deleted. Results of SUNION/SDIFF and the STORE
// forms are built as a new set (an intset when they can be, so integer
// results come out in ascending order, as Redis's do); SINTER walks the
// smallest set. Replies that are sets use RESP3's set type.
import RedstartRESP

enum SetFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init("sadd", arity: -3, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.set], group: "set", run: sadd),
            .init("srem", arity: -3, flags: [.write, .fast], keys: .first, acl: [.set], group: "set", run: srem),
            .init("smembers", arity: 2, flags: [.readonly], keys: .first, acl: [.set], group: "set", run: smembers),
            .init("sismember", arity: 3, flags: [.readonly, .fast], keys: .first, acl: [.set], group: "set", run: sismember),
            .init("smismember", arity: -3, flags: [.readonly, .fast], keys: .first, acl: [.set], group: "set", run: smismember),
            .init("scard", arity: 2, flags: [.readonly, .fast], keys: .first, acl: [.set], group: "set", run: scard),
            .init("spop", arity: -2, flags: [.write, .fast], keys: .first, acl: [.set], group: "set", run: spop),
            .init("srandmember", arity: -2, flags: [.readonly], keys: .first, acl: [.set], group: "set", run: srandmember),
            .init(
                "smove", arity: 4, flags: [.write, .fast], keys: KeyPositions(first: 1, last: 2, step: 1), acl: [.set],
                group: "set", run: smove),
            .init("sinter", arity: -2, flags: [.readonly], keys: .all, acl: [.set], group: "set", run: sinter),
            .init("sintercard", arity: -3, flags: [.readonly, .movableKeys], acl: [.set], group: "set", run: sintercard),
            .init("sinterstore", arity: -3, flags: [.write, .denyOOM], keys: .all, acl: [.set], group: "set", run: sinterstore),
            .init("sunion", arity: -2, flags: [.readonly], keys: .all, acl: [.set], group: "set", run: sunion),
            .init("sunionstore", arity: -3, flags: [.write, .denyOOM], keys: .all, acl: [.set], group: "set", run: sunionstore),
            .init("sdiff", arity: -2, flags: [.readonly], keys: .all, acl: [.set], group: "set", run: sdiff),
            .init("sdiffstore", arity: -3, flags: [.write, .denyOOM], keys: .all, acl: [.set], group: "set", run: sdiffstore),
            .init("sscan", arity: -3, flags: [.readonly], keys: .first, acl: [.set], group: "set", run: sscan),
        ]
    }

    // MARK: - One set

    /// SADD key member [member ...] → integer: members added.
    static func sadd(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            let added: Int
            if let existing = engine.lookupWrite(db, key) {
                added = addMembers(cmd, to: &(try cmd.setSlot(db, existing)).pointee.storedSet)
            } else {
                var set = SetValue()
                added = addMembers(cmd, to: &set)
                engine.addKey(db, key, .set(set))
            }
            if added > 0 {
                engine.keyModified(db, key, changes: added)
                engine.notify(.set, "sadd", key, db: db.index)
            }
            cmd.reply.integer(added)
        }
    }

    /// Adds the members from argument 2 on to `set`; returns how many were new.
    private static func addMembers(_ cmd: CommandContext, to set: inout SetValue) -> Int {
        let maxIntegers = cmd.engine.setMaxIntegers
        var added = 0
        for argument in 2..<cmd.args.count where cmd.args.withBytes(at: argument, { set.add($0, maxIntegers: maxIntegers) }) {
            added += 1
        }
        return added
    }

    /// SREM key member [member ...] → integer: members removed.
    static func srem(_ cmd: CommandContext) throws(ReplyError) {
        try cmd.removeMembers(event: .set, "srem") { (db, index) throws(ReplyError) in
            let slot = try cmd.setSlot(db, index)
            return ({ slot.pointee.storedSet.remove($0) }, { slot.pointee.storedSet.isEmpty })
        }
    }

    /// SMEMBERS key → the members (a set in RESP3).
    static func smembers(_ cmd: CommandContext) throws(ReplyError) {
        replySet(cmd, try cmd.setForRead(1))
    }

    /// SISMEMBER key member → 1 or 0.
    static func sismember(_ cmd: CommandContext) throws(ReplyError) {
        let set = try cmd.setForRead(1)
        cmd.reply.integer(cmd.args.withBytes(at: 2) { set?.contains($0) ?? false } ? 1 : 0)
    }

    /// SMISMEMBER key member [member ...] → an array of 1 and 0.
    static func smismember(_ cmd: CommandContext) throws(ReplyError) {
        let set = try cmd.setForRead(1)
        cmd.reply.arrayHeader(cmd.args.count - 2)
        for argument in 2..<cmd.args.count {
            cmd.reply.integer(cmd.args.withBytes(at: argument) { set?.contains($0) ?? false } ? 1 : 0)
        }
    }

    /// SCARD key → integer.
    static func scard(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.integer(try cmd.setForRead(1)?.count ?? 0)
    }

    /// SPOP key [count] → a random member (null when missing), or with a count a set of
    /// up to count members. Propagated as SREM of what was taken (DEL when it took all).
    static func spop(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count <= 3 else { throw .syntax }
        let count: Int? = cmd.args.count == 3 ? try cmd.positiveCount(2) : nil
        let db = cmd.db
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let index = engine.lookupWrite(db, key) else {
                if count == nil { cmd.reply.null() } else { cmd.reply.setHeader(0) }
                return
            }
            let set = try cmd.setValue(db, index)
            let wanted = count ?? 1
            let taken = min(wanted, set.count)
            if count != nil { cmd.reply.setHeader(taken) }
            guard taken > 0 else { return }
            if count != nil && taken == set.count {
                // The whole set, in its own order, as Redis replies it; propagated as DEL.
                set.forEach { cmd.reply.bulk($0) }
                engine.notify(.set, "spop", key, db: db.index)
                engine.removeEmptied(db, at: index, key)
                engine.keyModified(db, key, changes: taken)
                engine.propagateRunningCommand(as: [Engine.delName, Array(key)])
                return
            }
            var popped: [[UInt8]] = []
            let slot = db.value(at: index)
            for _ in 0..<taken {
                let position = Int.random(in: 0..<slot.pointee.storedSet.count)
                slot.pointee.storedSet.withMember(at: position) { member in
                    cmd.reply.bulk(member)
                    if engine.propagationSink != nil { popped.append(Array(member)) }
                }
                slot.pointee.storedSet.removeAt(position)
            }
            engine.notify(.set, "spop", key, db: db.index)
            if slot.pointee.storedSet.isEmpty { engine.removeEmptied(db, at: index, key) }
            engine.keyModified(db, key, changes: taken)
            engine.propagateRunningCommand(as: [Array("SREM".utf8), Array(key)] + popped)
        }
    }

    /// SRANDMEMBER key [count] → a random member, or with a count an array of distinct
    /// members (count > 0) or of |count| members with repeats (count < 0).
    static func srandmember(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count >= 3 else {
            guard let set = try cmd.setForRead(1) else {
                cmd.reply.null()
                return
            }
            set.withMember(at: Int.random(in: 0..<set.count)) { cmd.reply.bulk($0) }
            return
        }
        guard cmd.args.count == 3 else { throw .syntax }
        guard let count = cmd.args.int64(at: 2) else { throw .notInteger }
        guard count != .min else {
            throw ReplyError("value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        }
        guard let set = try cmd.setForRead(1), count != 0 else {
            cmd.reply.arrayHeader(0)
            return
        }
        let picks = RandomPicks(size: set.count, count: count)
        cmd.reply.arrayHeader(picks.total)
        picks.forEach(cmd) { position in set.withMember(at: position) { cmd.reply.bulk($0) } }
    }

    /// SMOVE source destination member → 1 when moved, 0 when not in the source.
    static func smove(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        let sourceIndex = cmd.args.withBytes(at: 1) { engine.lookupWrite(db, $0) }
        let targetIndex = cmd.args.withBytes(at: 2) { engine.lookupWrite(db, $0) }
        guard let sourceIndex else {
            cmd.reply.integer(0)
            return
        }
        let sourceSlot = try cmd.setSlot(db, sourceIndex)
        let targetSlot = try targetIndex.map { (index) throws(ReplyError) in try cmd.setSlot(db, index) }
        if targetIndex == sourceIndex {
            cmd.reply.integer(cmd.args.withBytes(at: 3) { sourceSlot.pointee.storedSet.contains($0) } ? 1 : 0)
            return
        }
        guard cmd.args.withBytes(at: 3, { sourceSlot.pointee.storedSet.remove($0) }) else {
            cmd.reply.integer(0)
            return
        }
        cmd.args.withBytes(at: 1) { key in
            engine.notify(.set, "srem", key, db: db.index)
            if sourceSlot.pointee.storedSet.isEmpty { engine.removeEmptied(db, at: sourceIndex, key) }
            engine.keyModified(db, key)
        }
        let maxIntegers = engine.setMaxIntegers
        let added: Bool
        if let targetSlot {
            added = cmd.args.withBytes(at: 3) { targetSlot.pointee.storedSet.add($0, maxIntegers: maxIntegers) }
        } else {
            var set = SetValue()
            added = cmd.args.withBytes(at: 3) { set.add($0, maxIntegers: maxIntegers) }
            cmd.args.withBytes(at: 2) { engine.addKey(db, $0, .set(set)) }
        }
        cmd.args.withBytes(at: 2) { key in
            // A member the destination already had changes nothing there (WATCH stays valid).
            if added {
                engine.keyModified(db, key)
                engine.notify(.set, "sadd", key, db: db.index)
            }
        }
        cmd.reply.integer(1)
    }

    // MARK: - Several sets

    static func sinter(_ cmd: CommandContext) throws(ReplyError) {
        guard let sets = try sets(cmd, 1..<cmd.args.count) else {
            cmd.reply.setHeader(0)
            return
        }
        var members: [ByteString] = []
        intersect(sets, limit: 0) { members.append(ByteString($0)) }
        cmd.reply.setHeader(members.count)
        for member in members { member.withUnsafeBytes { cmd.reply.bulk($0) } }
    }

    /// SINTERCARD numkeys key [key ...] [LIMIT limit] → integer.
    static func sintercard(_ cmd: CommandContext) throws(ReplyError) {
        guard let numkeys = cmd.args.int64(at: 1), numkeys > 0 else {
            throw ReplyError("numkeys should be greater than 0")
        }
        guard numkeys <= Int64(cmd.args.count - 2) else {
            throw ReplyError("Number of keys can't be greater than number of args")
        }
        var limit = 0
        var argument = 2 + Int(numkeys)
        while argument < cmd.args.count {
            guard cmd.argument(argument, is: "limit"), argument + 1 < cmd.args.count else { throw .syntax }
            limit = Int(try cmd.nonNegative(argument + 1, error: "LIMIT can't be negative"))
            argument += 2
        }
        guard let sets = try sets(cmd, 2..<(2 + Int(numkeys))) else {
            cmd.reply.integer(0)
            return
        }
        var count = 0
        intersect(sets, limit: limit) { _ in count += 1 }
        cmd.reply.integer(count)
    }

    static func sinterstore(_ cmd: CommandContext) throws(ReplyError) {
        var result = SetValue()
        if let sets = try sets(cmd, 2..<cmd.args.count) {
            let maxIntegers = cmd.engine.setMaxIntegers
            intersect(sets, limit: 0) { _ = result.add($0, maxIntegers: maxIntegers) }
        }
        store(cmd, result, event: "sinterstore")
    }

    static func sunion(_ cmd: CommandContext) throws(ReplyError) {
        let union = try combine(cmd, 1..<cmd.args.count, difference: false)
        replySet(cmd, union)
        union.release()
    }

    static func sunionstore(_ cmd: CommandContext) throws(ReplyError) {
        store(cmd, try combine(cmd, 2..<cmd.args.count, difference: false), event: "sunionstore")
    }

    static func sdiff(_ cmd: CommandContext) throws(ReplyError) {
        let difference = try combine(cmd, 1..<cmd.args.count, difference: true)
        replySet(cmd, difference)
        difference.release()
    }

    static func sdiffstore(_ cmd: CommandContext) throws(ReplyError) {
        store(cmd, try combine(cmd, 2..<cmd.args.count, difference: true), event: "sdiffstore")
    }

    /// SSCAN key cursor [MATCH pattern] [COUNT count] → [cursor, [members]].
    static func sscan(_ cmd: CommandContext) throws(ReplyError) {
        try CollectionScan.run(
            cmd,
            source: { (db, index) throws(ReplyError) -> ScanSource in
                let set = try cmd.setValue(db, index)
                // Hashtable members keep their positions but for the last one filling a hole.
                if set.encodingName == "hashtable" {
                    return .positional(count: set.count) { [set.member(at: $0)] }
                }
                return .whole((0..<set.count).map { set.member(at: $0) }, pairs: false)
            })
    }

    // MARK: - Helpers

    /// The sets at `arguments`, type-checked in order; nil when any is missing (an empty
    /// intersection).
    private static func sets(_ cmd: CommandContext, _ arguments: Range<Int>) throws(ReplyError) -> [SetValue]? {
        var sets: [SetValue] = []
        var missing = false
        for argument in arguments {
            if let set = try cmd.setForRead(argument) { sets.append(set) } else { missing = true }
        }
        return missing ? nil : sets
    }

    /// Calls `body` with the members of every set, walking the smallest (at most `limit`
    /// results when it is not 0).
    private static func intersect(_ sets: [SetValue], limit: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        let ordered = sets.sorted { $0.count < $1.count }
        guard let smallest = ordered.first else { return }
        var found = 0
        for position in 0..<smallest.count {
            let member = smallest.member(at: position)
            let inAll = member.withUnsafeBytes { bytes in
                ordered.dropFirst().allSatisfy { $0.isSame(as: smallest) || $0.contains(bytes) }
            }
            guard inAll else { continue }
            member.withUnsafeBytes(body)
            found += 1
            if limit > 0 && found >= limit { return }
        }
    }

    /// The union, or the difference of the first set minus the others, as a new set.
    private static func combine(_ cmd: CommandContext, _ arguments: Range<Int>, difference: Bool) throws(ReplyError)
        -> SetValue
    {
        var sets: [SetValue?] = []
        for argument in arguments { sets.append(try cmd.setForRead(argument)) }
        var result = SetValue()
        let maxIntegers = cmd.engine.setMaxIntegers
        if difference {
            guard let first = sets[0] else { return result }
            let others = sets.dropFirst().compactMap { $0 }
            first.forEach { member in
                if !others.contains(where: { $0.contains(member) }) { _ = result.add(member, maxIntegers: maxIntegers) }
            }
        } else {
            for set in sets.compactMap({ $0 }) {
                set.forEach { _ = result.add($0, maxIntegers: maxIntegers) }
            }
        }
        return result
    }

    /// Replaces the destination (argument 1) with `result` (reporting `event`), or deletes it
    /// when empty; replies the result's size.
    private static func store(_ cmd: CommandContext, _ result: consuming SetValue, event: StaticString) {
        // The key takes the result over (or it is released): its count is read first.
        let count = result.count
        cmd.storeResult(.set(result), isEmpty: result.isEmpty, at: 1, event: .set, event)
        cmd.reply.integer(count)
    }

    /// Replies the members of `set` (none when nil) as a set.
    private static func replySet(_ cmd: CommandContext, _ set: SetValue?) {
        cmd.reply.setHeader(set?.count ?? 0)
        set?.forEach { cmd.reply.bulk($0) }
    }
}

extension CommandContext {
    /// The set of entry `index`, else `-WRONGTYPE`.
    func setValue(_ db: Database, _ index: Int32) throws(ReplyError) -> SetValue {
        guard let set = db.value(at: index).pointee.set else { throw .wrongType }
        return set
    }

    /// The value slot of entry `index`, whose set is changed in place through `storedSet`,
    /// else `-WRONGTYPE`.
    func setSlot(_ db: Database, _ index: Int32) throws(ReplyError) -> UnsafeMutablePointer<Value> {
        let slot = db.value(at: index)
        guard slot.pointee.set != nil else { throw .wrongType }
        return slot
    }

    /// The set at argument `argument` looked up for reading, nil when missing.
    func setForRead(_ argument: Int) throws(ReplyError) -> SetValue? {
        let db = self.db
        guard let index = args.withBytes(at: argument, { engine.lookupRead(db, $0) }) else { return nil }
        return try setValue(db, index)
    }
}
