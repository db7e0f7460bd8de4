// What a handler gets: the engine, the calling session, the arguments and its
// own spec. Replies go to `session.reply`; side effects that other parts of the
// engine react to (dirty counter, later WATCH and notifications) are reported
// through the engine's methods, not performed ad hoc.
import RedstartRESP

/// The context of one command execution.
public struct CommandContext {
    public let engine: Engine
    public let session: Session
    public let args: CommandArguments
    public let spec: CommandSpec

    /// The session's selected database.
    public var db: Database { engine.databases[session.databaseIndex] }

    /// Whether the command may block: not inside EXEC, not for a script (Redis's
    /// CLIENT_DENY_BLOCKING): a blocking command then answers as if it timed out.
    public var mayBlock: Bool { !engine.isExecutingTransaction && !session.isScriptClient && !session.isReplayClient }

    /// The current time in unix milliseconds.
    public var now: Int64 { engine.commandTime }

    /// Writes replies for this command.
    public var reply: ReplyWriter {
        get { session.reply }
        nonmutating _modify { yield &session.reply }
    }

    /// Calls `body` with the bytes of argument `index` (a key, say); valid only inside `body`.
    public func withArgument<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws(ReplyError) -> R) throws(ReplyError) -> R {
        try args.withBytes(at: index) { raw in Result { () throws(ReplyError) in try body(raw) } }.get()
    }

    /// Argument `index` as a strict integer, or `-ERR value is not an integer or out of range`.
    public func integer(_ index: Int) throws(ReplyError) -> Int64 {
        guard let value = args.int64(at: index) else { throw .notInteger }
        return value
    }

    /// True when argument `index` is `word` in any case (`word` lowercase).
    public func argument(_ index: Int, is word: StaticString) -> Bool {
        args.isEqual(at: index, toLowercase: word)
    }
}
