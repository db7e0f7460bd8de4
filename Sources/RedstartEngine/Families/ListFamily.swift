// List commands (Redis 7.0's t_list.c behaviour): pushes and pops at both
// ends, ranges, positions, LINSERT/LREM/LTRIM/LSET, LMOVE and LMPOP. A list
// that becomes empty is deleted. The blocking forms are in
// ListFamily+Blocking.swift. Lists are ChunkedList values.
import RedstartRESP

enum ListFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init("lpush", arity: -3, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.list], group: "list", run: lpush),
            .init("rpush", arity: -3, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.list], group: "list", run: rpush),
            .init("lpushx", arity: -3, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.list], group: "list", run: lpushx),
            .init("rpushx", arity: -3, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.list], group: "list", run: rpushx),
            .init("lpop", arity: -2, flags: [.write, .fast], keys: .first, acl: [.list], group: "list", run: lpop),
            .init("rpop", arity: -2, flags: [.write, .fast], keys: .first, acl: [.list], group: "list", run: rpop),
            .init("llen", arity: 2, flags: [.readonly, .fast], keys: .first, acl: [.list], group: "list", run: llen),
            .init("lrange", arity: 4, flags: [.readonly], keys: .first, acl: [.list], group: "list", run: lrange),
            .init("lindex", arity: 3, flags: [.readonly], keys: .first, acl: [.list], group: "list", run: lindex),
            .init("lset", arity: 4, flags: [.write, .denyOOM], keys: .first, acl: [.list], group: "list", run: lset),
            .init("linsert", arity: 5, flags: [.write, .denyOOM], keys: .first, acl: [.list], group: "list", run: linsert),
            .init("lrem", arity: 4, flags: [.write], keys: .first, acl: [.list], group: "list", run: lrem),
            .init("ltrim", arity: 4, flags: [.write], keys: .first, acl: [.list], group: "list", run: ltrim),
            .init("lpos", arity: -3, flags: [.readonly], keys: .first, acl: [.list], group: "list", run: lpos),
            .init(
                "lmove", arity: 5, flags: [.write, .denyOOM], keys: KeyPositions(first: 1, last: 2, step: 1), acl: [.list],
                group: "list", run: lmove),
            .init(
                "rpoplpush", arity: 3, flags: [.write, .denyOOM], keys: KeyPositions(first: 1, last: 2, step: 1),
                acl: [.list], group: "list", run: rpoplpush),
            .init("lmpop", arity: -4, flags: [.write, .movableKeys], acl: [.list], group: "list", run: lmpop),
        ] + blockingCommands
    }

    // MARK: - Push

    static func lpush(_ cmd: CommandContext) throws(ReplyError) { try push(cmd, atFront: true, onlyIfExists: false) }
    static func rpush(_ cmd: CommandContext) throws(ReplyError) { try push(cmd, atFront: false, onlyIfExists: false) }
    static func lpushx(_ cmd: CommandContext) throws(ReplyError) { try push(cmd, atFront: true, onlyIfExists: true) }
    static func rpushx(_ cmd: CommandContext) throws(ReplyError) { try push(cmd, atFront: false, onlyIfExists: true) }

    /// [LR]PUSH[X] key element [element ...] → integer: the length after the pushes.
    private static func push(_ cmd: CommandContext, atFront: Bool, onlyIfExists: Bool) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            let existing = engine.lookupWrite(db, key)
            let list: ChunkedList
            if let existing {
                list = try cmd.listValue(db, existing)
            } else if onlyIfExists {
                cmd.reply.integer(0)
                return
            } else {
                list = ChunkedList(shape: engine.listShape)
                list.reserveFirstChunk(forLengths: (2..<cmd.args.count).lazy.map { cmd.args.length(at: $0) }, atFront: atFront)
            }
            for index in 2..<cmd.args.count {
                cmd.args.withBytes(at: index) { list.push($0, atFront: atFront) }
            }
            // Added after the pushes: a new list signals blocked clients, who need its elements.
            if existing == nil { engine.addKey(db, key, .list(list)) }
            engine.keyModified(db, key, changes: cmd.args.count - 2)
            engine.notify(.list, atFront ? "lpush" : "rpush", key, db: db.index)
            cmd.reply.integer(list.count)
        }
    }

    // MARK: - Pop

    static func lpop(_ cmd: CommandContext) throws(ReplyError) { try pop(cmd, fromFront: true) }
    static func rpop(_ cmd: CommandContext) throws(ReplyError) { try pop(cmd, fromFront: false) }

    /// [LR]POP key [count] → the element (null when missing), or with a count an array
    /// (a null array when missing).
    private static func pop(_ cmd: CommandContext, fromFront: Bool) throws(ReplyError) {
        guard cmd.args.count <= 3 else { throw .wrongArity(cmd.spec.fullName) }
        let count: Int? = cmd.args.count == 3 ? try cmd.positiveCount(2) : nil
        let db = cmd.db
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let index = engine.lookupWrite(db, key) else {
                if count == nil { cmd.reply.null() } else { cmd.reply.nullArray() }
                return
            }
            let list = try cmd.listValue(db, index)
            guard let count else {
                list.pop(fromFront: fromFront) { cmd.reply.bulk($0) }
                engine.listElementsRemoved(db, key, at: index, list, count: 1, fromFront: fromFront)
                return
            }
            let taken = min(count, list.count)
            cmd.reply.arrayHeader(taken)
            guard taken > 0 else { return }
            for _ in 0..<taken { list.pop(fromFront: fromFront) { cmd.reply.bulk($0) } }
            engine.listElementsRemoved(db, key, at: index, list, count: taken, fromFront: fromFront)
        }
    }

    // MARK: - Reading

    /// LLEN key → integer (0 for a missing key).
    static func llen(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        guard let index = cmd.args.withBytes(at: 1, { cmd.engine.lookupRead(db, $0) }) else {
            cmd.reply.integer(0)
            return
        }
        cmd.reply.integer(try cmd.listValue(db, index).count)
    }

    /// LRANGE key start stop → the elements in the inclusive range (negative indexes count from the end).
    static func lrange(_ cmd: CommandContext) throws(ReplyError) {
        let start = try cmd.integer(2)
        let stop = try cmd.integer(3)
        let db = cmd.db
        guard let index = cmd.args.withBytes(at: 1, { cmd.engine.lookupRead(db, $0) }) else {
            cmd.reply.arrayHeader(0)
            return
        }
        let list = try cmd.listValue(db, index)
        guard let range = clampedRange(start, stop, count: list.count) else {
            cmd.reply.arrayHeader(0)
            return
        }
        cmd.reply.arrayHeader(range.count)
        list.forEach(in: range) { cmd.reply.bulk($0) }
    }

    /// A start/stop pair of LRANGE or LTRIM as a range within `count`, or nil when empty.
    static func clampedRange(_ start: Int64, _ stop: Int64, count: Int) -> ClosedRange<Int>? {
        let length = Int64(count)
        var first = start < 0 ? length + start : start
        var last = stop < 0 ? length + stop : stop
        if first < 0 { first = 0 }
        guard first <= last, first < length else { return nil }
        if last >= length { last = length - 1 }
        return Int(first)...Int(last)
    }

    /// LINDEX key index → the element, or null.
    static func lindex(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        guard let index = cmd.args.withBytes(at: 1, { cmd.engine.lookupRead(db, $0) }) else {
            cmd.reply.null()
            return
        }
        let list = try cmd.listValue(db, index)
        // Redis reads the index only once it has the list.
        let position = try cmd.integer(2)
        guard let element = list.normalizedIndex(position) else {
            cmd.reply.null()
            return
        }
        list.withElement(at: element) { cmd.reply.bulk($0) }
    }

    /// LPOS key element [RANK rank] [COUNT num] [MAXLEN len] → the index of a match, or with
    /// COUNT an array of indexes.
    static func lpos(_ cmd: CommandContext) throws(ReplyError) {
        var rank: Int64 = 1
        var count: Int64?
        var maxLength: Int64 = 0
        var index = 3
        while index < cmd.args.count {
            let hasValue = index + 1 < cmd.args.count
            if hasValue && cmd.argument(index, is: "rank") {
                rank = try cmd.integer(index + 1)
                if rank == 0 {
                    throw ReplyError(
                        "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
                    )
                }
            } else if hasValue && cmd.argument(index, is: "count") {
                count = try cmd.nonNegative(index + 1, error: "COUNT can't be negative")
            } else if hasValue && cmd.argument(index, is: "maxlen") {
                maxLength = try cmd.nonNegative(index + 1, error: "MAXLEN can't be negative")
            } else {
                throw .syntax
            }
            index += 2
        }
        let db = cmd.db
        guard let entry = cmd.args.withBytes(at: 1, { cmd.engine.lookupRead(db, $0) }) else {
            if count != nil { cmd.reply.arrayHeader(0) } else { cmd.reply.null() }
            return
        }
        let list = try cmd.listValue(db, entry)
        // Redis negates Int64.min into itself, which every match then satisfies.
        let wanted = rank == .min ? 1 : abs(rank)
        var matches: Int64 = 0
        var found: [Int] = []
        var scanned: Int64 = 0
        let limit = count.map { $0 == 0 ? Int64.max : $0 } ?? 1
        cmd.args.withBytes(at: 2) { element in
            list.scan(fromFront: rank > 0) { position, bytes in
                if maxLength != 0 && scanned >= maxLength { return false }
                scanned += 1
                guard bytes.elementsEqual(element) else { return true }
                matches += 1
                guard matches >= wanted else { return true }
                found.append(position)
                return Int64(found.count) < limit
            }
        }
        if count != nil {
            cmd.reply.arrayHeader(found.count)
            for position in found { cmd.reply.integer(position) }
        } else if let position = found.first {
            cmd.reply.integer(position)
        } else {
            cmd.reply.null()
        }
    }

    // MARK: - Changes in the middle

    /// LSET key index element → +OK.
    static func lset(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let index = engine.lookupWrite(db, key) else { throw .noSuchKey }
            let list = try cmd.listValue(db, index)
            let position = try cmd.integer(2)
            guard let element = list.normalizedIndex(position) else { throw .indexOutOfRange }
            cmd.args.withBytes(at: 3) { list.replace(at: element, with: $0) }
            engine.keyModified(db, key)
            engine.notify(.list, "lset", key, db: db.index)
            cmd.reply.ok()
        }
    }

    /// LINSERT key BEFORE|AFTER pivot element → the new length, -1 without the pivot, 0 without the key.
    static func linsert(_ cmd: CommandContext) throws(ReplyError) {
        let after: Bool
        if cmd.argument(2, is: "after") {
            after = true
        } else if cmd.argument(2, is: "before") {
            after = false
        } else {
            throw .syntax
        }
        let db = cmd.db
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let index = engine.lookupWrite(db, key) else {
                cmd.reply.integer(0)
                return
            }
            let list = try cmd.listValue(db, index)
            let inserted = cmd.args.withBytes(at: 3) { pivot in
                cmd.args.withBytes(at: 4) { list.insert($0, relativeTo: pivot, after: after) }
            }
            guard inserted else {
                cmd.reply.integer(-1)
                return
            }
            engine.keyModified(db, key)
            engine.notify(.list, "linsert", key, db: db.index)
            cmd.reply.integer(list.count)
        }
    }

    /// LREM key count element → integer: elements removed (count > 0 from the head, < 0 from
    /// the tail, 0 all).
    static func lrem(_ cmd: CommandContext) throws(ReplyError) {
        let count = try cmd.integer(2)
        let db = cmd.db
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let index = engine.lookupWrite(db, key) else {
                cmd.reply.integer(0)
                return
            }
            let list = try cmd.listValue(db, index)
            let limit = count == .min ? Int.max : Int(abs(count))
            let removed = cmd.args.withBytes(at: 3) {
                list.removeAll(equalTo: $0, limit: limit, fromFront: count >= 0)
            }
            if removed > 0 {
                engine.keyModified(db, key, changes: removed)
                engine.notify(.list, "lrem", key, db: db.index)
            }
            if list.isEmpty { engine.removeEmptied(db, at: index, key) }
            cmd.reply.integer(removed)
        }
    }

    /// LTRIM key start stop → +OK: keeps only the range.
    static func ltrim(_ cmd: CommandContext) throws(ReplyError) {
        let start = try cmd.integer(2)
        let stop = try cmd.integer(3)
        let db = cmd.db
        let engine = cmd.engine
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let index = engine.lookupWrite(db, key) else {
                cmd.reply.ok()
                return
            }
            let list = try cmd.listValue(db, index)
            let length = list.count
            let (front, back) = clampedRange(start, stop, count: length).map {
                ($0.lowerBound, length - 1 - $0.upperBound)
            } ?? (length, 0)
            list.removeEnds(front: front, back: back)
            engine.notify(.list, "ltrim", key, db: db.index)
            if list.isEmpty { engine.removeEmptied(db, at: index, key) }
            engine.keyModified(db, key, changes: front + back)
            cmd.reply.ok()
        }
    }

    // MARK: - Moving

    /// LMOVE source destination LEFT|RIGHT LEFT|RIGHT → the element moved, or null.
    static func lmove(_ cmd: CommandContext) throws(ReplyError) {
        let fromFront = try cmd.listEnd(3)
        let toFront = try cmd.listEnd(4)
        try move(cmd, fromFront: fromFront, toFront: toFront)
    }

    /// RPOPLPUSH source destination → the element moved, or null.
    static func rpoplpush(_ cmd: CommandContext) throws(ReplyError) {
        try move(cmd, fromFront: false, toFront: true)
    }

    /// The body of LMOVE and its variants once the source is known to hold elements (or not).
    /// Returns false when the source is missing (nothing replied).
    @discardableResult
    static func move(_ cmd: CommandContext, fromFront: Bool, toFront: Bool, replyNullIfMissing: Bool = true) throws(ReplyError)
        -> Bool
    {
        let db = cmd.db
        let engine = cmd.engine
        return try cmd.withArgument(1) { (source) throws(ReplyError) -> Bool in
            guard let index = engine.lookupWrite(db, source) else {
                if replyNullIfMissing { cmd.reply.null() }
                return false
            }
            let list = try cmd.listValue(db, index)
            try cmd.withArgument(2) { (destination) throws(ReplyError) in
                let target = try engine.lookupWrite(db, destination).map { (entry) throws(ReplyError) in
                    try cmd.listValue(db, entry)
                }
                guard let element = list.pop(fromFront: fromFront) else { return }
                engine.pushMoved(element, to: destination, in: db, atFront: toFront, into: target)
                element.withUnsafeBytes { cmd.reply.bulk($0) }
                engine.notify(.list, fromFront ? "lpop" : "rpop", source, db: db.index)
            }
            // The source may also have been the destination: it is only removed when still empty
            // (entries never move, so `index` is still the source's).
            if list.isEmpty { engine.removeEmptied(db, at: index, source) }
            // One change in all: pushMoved counted it for the destination.
            engine.keyModified(db, source, changes: 0)
            return true
        }
    }

    // MARK: - LMPOP

    /// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] → [key, [elements]] from the first
    /// non-empty list, or a null array.
    static func lmpop(_ cmd: CommandContext) throws(ReplyError) {
        let request = try MultiPopArguments(cmd, numkeysIndex: 1, ends: ("left", "right"))
        if try !popFirstNonEmpty(cmd, request) { cmd.reply.nullArray() }
    }

    /// Pops from the first of the request's keys that holds elements, replying
    /// [key, [elements]]; false when every key is missing.
    static func popFirstNonEmpty(_ cmd: CommandContext, _ request: MultiPopArguments) throws(ReplyError) -> Bool {
        let db = cmd.db
        let engine = cmd.engine
        return try cmd.withFirstExistingKey(request.keyIndexes) { (key, index) throws(ReplyError) in
            let list = try cmd.listValue(db, index)
            let taken = min(request.count, list.count)
            cmd.reply.arrayHeader(2)
            cmd.reply.bulk(key)
            cmd.reply.arrayHeader(taken)
            for _ in 0..<taken { list.pop(fromFront: request.firstEnd) { cmd.reply.bulk($0) } }
            engine.listElementsRemoved(db, key, at: index, list, count: taken, fromFront: request.firstEnd)
            engine.propagateRunningCommand(
                as: [request.firstEnd ? Engine.lpopName : Engine.rpopName, Array(key), Array(String(taken).utf8)])
        }
    }
}

extension Engine {
    /// After elements were popped from `list` (entry `index` of `key`): reports the pop,
    /// removes an emptied list and records the change (Redis's listElementsRemoved).
    func listElementsRemoved(
        _ db: Database, _ key: UnsafeRawBufferPointer, at index: Int32, _ list: ChunkedList, count: Int, fromFront: Bool
    ) {
        notify(.list, fromFront ? "lpop" : "rpop", key, db: db.index)
        if list.isEmpty { removeEmptied(db, at: index, key) }
        keyModified(db, key, changes: count)
    }
}

extension CommandContext {
    /// The list of entry `index`, else `-WRONGTYPE`.
    func listValue(_ db: Database, _ index: Int32) throws(ReplyError) -> ChunkedList {
        guard let list = db.value(at: index).pointee.list else { throw .wrongType }
        return list
    }

    /// LEFT (true) or RIGHT (false) at argument `index`, else a syntax error.
    func listEnd(_ index: Int) throws(ReplyError) -> Bool {
        if argument(index, is: "left") { return true }
        if argument(index, is: "right") { return false }
        throw .syntax
    }

    /// A count that must be >= 0 (Redis's getPositiveLongFromObjectOrReply).
    func positiveCount(_ index: Int) throws(ReplyError) -> Int {
        guard let value = args.int64(at: index), value >= 0 else { throw .notPositive }
        return Int(value)
    }

    /// An integer that must be >= 0, else `error`.
    func nonNegative(_ index: Int, error: String) throws(ReplyError) -> Int64 {
        guard let value = args.int64(at: index), value >= 0 else { throw ReplyError(error) }
        return value
    }
}
