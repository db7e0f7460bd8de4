// The blocking list commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP. With
// data they act as their non-blocking form (and propagate as it); without,
// they block the session (Engine+Blocking.swift) unless blocking is not
// allowed (inside MULTI/EXEC), where they reply as a timeout at once. Timeouts
// are seconds as decimals, 0 = forever, parsed as Redis parses them.
import RedstartRESP

extension ListFamily {
    static var blockingCommands: [CommandSpec] {
        [
            .init(
                "blpop", arity: -3, flags: [.write, .noScript, .blocking], keys: KeyPositions(first: 1, last: -2, step: 1),
                acl: [.list], group: "list", run: blpop),
            .init(
                "brpop", arity: -3, flags: [.write, .noScript, .blocking], keys: KeyPositions(first: 1, last: -2, step: 1),
                acl: [.list], group: "list", run: brpop),
            .init(
                "blmove", arity: 6, flags: [.write, .denyOOM, .noScript, .blocking],
                keys: KeyPositions(first: 1, last: 2, step: 1), acl: [.list], group: "list", run: blmove),
            .init(
                "brpoplpush", arity: 4, flags: [.write, .denyOOM, .noScript, .blocking],
                keys: KeyPositions(first: 1, last: 2, step: 1), acl: [.list], group: "list", run: brpoplpush),
            .init(
                "blmpop", arity: -5, flags: [.write, .blocking, .movableKeys], acl: [.list], group: "list", run: blmpop),
        ]
    }

    static func blpop(_ cmd: CommandContext) throws(ReplyError) { try blockingPop(cmd, fromFront: true) }
    static func brpop(_ cmd: CommandContext) throws(ReplyError) { try blockingPop(cmd, fromFront: false) }

    /// B[LR]POP key [key ...] timeout → [key, element] from the first key with elements, or
    /// a null array at the timeout.
    private static func blockingPop(_ cmd: CommandContext, fromFront: Bool) throws(ReplyError) {
        let deadline = try cmd.blockingDeadline(cmd.args.count - 1)
        let db = cmd.db
        let engine = cmd.engine
        let popped = try cmd.withFirstExistingKey(1..<(cmd.args.count - 1)) { (key, index) throws(ReplyError) in
            let list = try cmd.listValue(db, index)
            cmd.reply.arrayHeader(2)
            cmd.reply.bulk(key)
            list.pop(fromFront: fromFront) { cmd.reply.bulk($0) }
            engine.listElementsRemoved(db, key, at: index, list, count: 1, fromFront: fromFront)
            engine.propagateRunningCommand(as: [fromFront ? Engine.lpopName : Engine.rpopName, Array(key)])
        }
        if popped { return }
        try waitForData(cmd, keys: 1..<(cmd.args.count - 1), operation: .pop(fromFront: fromFront), deadline: deadline)
    }

    /// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout → the element moved, or null.
    static func blmove(_ cmd: CommandContext) throws(ReplyError) {
        let fromFront = try cmd.listEnd(3)
        let toFront = try cmd.listEnd(4)
        let deadline = try cmd.blockingDeadline(5)
        try blockingMove(cmd, fromFront: fromFront, toFront: toFront, deadline: deadline, isRPopLPush: false)
    }

    /// BRPOPLPUSH source destination timeout → the element moved, or null.
    static func brpoplpush(_ cmd: CommandContext) throws(ReplyError) {
        let deadline = try cmd.blockingDeadline(3)
        try blockingMove(cmd, fromFront: false, toFront: true, deadline: deadline, isRPopLPush: true)
    }

    private static func blockingMove(
        _ cmd: CommandContext, fromFront: Bool, toFront: Bool, deadline: Int64, isRPopLPush: Bool
    ) throws(ReplyError) {
        if try move(cmd, fromFront: fromFront, toFront: toFront, replyNullIfMissing: false) {
            cmd.engine.propagateRunningCommand(
                as: isRPopLPush
                    ? [Engine.rpoplpushName, cmd.args.bytes(at: 1), cmd.args.bytes(at: 2)]
                    : [
                        Engine.lmoveName, cmd.args.bytes(at: 1), cmd.args.bytes(at: 2), Engine.sideName(fromFront),
                        Engine.sideName(toFront),
                    ])
            return
        }
        guard cmd.mayBlock else {
            cmd.reply.null()
            return
        }
        let destination = cmd.args.withBytes(at: 2) { ByteString($0) }
        try waitForData(
            cmd, keys: 1..<2,
            operation: .move(fromFront: fromFront, toFront: toFront, destination: destination, isRPopLPush: isRPopLPush),
            deadline: deadline)
    }

    /// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] → [key, [elements]], or a
    /// null array at the timeout.
    static func blmpop(_ cmd: CommandContext) throws(ReplyError) {
        let request = try MultiPopArguments(cmd, numkeysIndex: 2, ends: ("left", "right"))
        let deadline = try cmd.blockingDeadline(1)
        if try popFirstNonEmpty(cmd, request) { return }
        try waitForData(
            cmd, keys: request.keyIndexes, operation: .popMany(fromFront: request.firstEnd, count: request.count),
            deadline: deadline)
    }

    /// Blocks the session on the keys at `keys`, or replies a null array where blocking is
    /// not allowed (inside EXEC or a script).
    static func waitForData(
        _ cmd: CommandContext, keys: Range<Int>, operation: BlockedRequest.Operation, deadline: Int64
    ) throws(ReplyError) {
        guard cmd.mayBlock else {
            cmd.reply.nullArray()
            return
        }
        let names = keys.map { index in cmd.args.withBytes(at: index) { ByteString($0) } }
        cmd.engine.block(cmd.session, on: names, in: cmd.db, operation: operation, deadline: deadline, spec: cmd.spec)
    }
}

extension CommandContext {
    /// A blocking command's timeout at argument `index` (seconds, decimals allowed, 0 = forever)
    /// as an absolute deadline in unix milliseconds, 0 for none. Parsed as Redis does: a long
    /// double, rounded up to milliseconds; values too large to count in milliseconds end up
    /// negative there, and are refused the same way.
    func blockingDeadline(_ index: Int) throws(ReplyError) -> Int64 {
        let notFloat = ReplyError("timeout is not a float or out of range")
        let text = args.string(at: index)
        guard let first = text.utf8.first, !(first == 32 || (first >= 9 && first <= 13)),
            let seconds = Double(text), !seconds.isNaN
        else { throw notFloat }
        let milliseconds = (seconds * 1000).rounded(.up)
        guard milliseconds.isFinite, milliseconds < 9.2e18 else { throw .timeoutNegative }
        guard milliseconds >= 0 else { throw .timeoutNegative }
        let delay = Int64(milliseconds)
        guard delay > 0 else { return 0 }
        let (deadline, overflow) = now.addingReportingOverflow(delay)
        return overflow ? .max : deadline
    }
}
