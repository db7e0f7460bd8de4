// The one gatekeeper every command passes, in Redis's order: existence, arity,
// protected commands, authentication, CLIENT PAUSE; then the handler runs and
// the bookkeeping follows (commandstats, errorstats, SLOWLOG, latency monitor,
// MONITOR feed, CLIENT REPLY). Later checks (MULTI queueing, OOM, pub/sub
// context) slot in here, before the handler, in Redis's order.
import RedstartRESP

/// What happened to a request.
public enum ExecutionResult {
    /// It ran (or was refused with an error reply).
    case executed
    /// A CLIENT PAUSE holds it: run it again when the session resumes.
    case postponed
}

extension Engine {
    /// Runs one request for `session`, writing its reply to `session.reply`.
    public func execute(_ args: CommandArguments, for session: Session) -> ExecutionResult {
        updateCommandTime()
        session.lastInteraction = commandTime
        let replyMark = session.reply.buffer.writerIndex
        if session.replyMode == .skipNext { session.replyMode = .skipping }
        defer { applyReplyMode(session, mark: replyMark) }

        guard let spec = resolve(args, for: session) else { return .executed }

        if spec.flags.contains(.protected) && !debugCommandAccess.allows(session) {
            reject(spec, session, ReplyError(
                "\(spec.name.uppercased()) command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
            ))
            return .executed
        }
        if !session.isAuthenticated && !spec.flags.contains(.noAuth) {
            reject(spec, session, .noAuth)
            return .executed
        }
        if let pause, pause.holds(spec) {
            session.isPaused = true
            pausedSessions.append(session)
            return .postponed
        }
        call(spec, args, session)
        return .executed
    }

    /// Looks the command up and checks its arity; on failure replies the error and returns nil.
    private func resolve(_ args: CommandArguments, for session: Session) -> CommandSpec? {
        guard args.count > 0, let name = CommandName(args, at: 0), var spec = table.command(name) else {
            replyError(session, unknownCommandError(args))
            return nil
        }
        if spec.isContainer && args.count >= 2 {
            guard let sub = CommandName(args, at: 1).flatMap(spec.subcommand) else {
                replyError(session, .unknownSubcommand(args.string(at: 1), of: args.string(at: 0)))
                return nil
            }
            spec = sub
        }
        guard spec.accepts(argumentCount: args.count) else {
            reject(spec, session, .wrongArity(spec.fullName))
            return nil
        }
        return spec
    }

    /// Runs the handler and does the bookkeeping after it.
    func call(_ spec: CommandSpec, _ args: CommandArguments, _ session: Session) {
        let errorsBefore = stats.totalErrorReplies
        let start = commandStartMicros
        // Set before the handler runs: CLIENT INFO shows itself as the current command.
        session.lastCommand = spec
        // TOUCH refreshes access clocks even for a NO-TOUCH client, as in Redis.
        isNoTouchCall = session.isNoTouch && spec.name != "touch"
        if let handler = spec.handler {
            do {
                try handler(CommandContext(engine: self, session: session, args: args, spec: spec))
            } catch {
                replyError(session, error)
            }
        }
        let duration = clock.wallMicroseconds - start
        spec.calls += 1
        spec.microseconds += duration
        if latencyTracking { spec.latency.record(nanoseconds: duration * 1000) }
        if stats.totalErrorReplies != errorsBefore { spec.failedCalls += 1 }
        stats.totalCommandsProcessed += 1
        if slowlogThreshold >= 0 && duration >= slowlogThreshold && !spec.flags.contains(.skipSlowlog) {
            addSlowlogEntry(spec, args, session, duration: duration, start: start)
        }
        if latencyThreshold > 0 && duration / 1000 >= latencyThreshold {
            latency.add(
                event: spec.flags.contains(.fast) ? "fast-command" : "command", milliseconds: duration / 1000,
                time: start / 1_000_000)
        }
        if !monitors.isEmpty && !spec.flags.contains(.skipMonitor) && !spec.flags.contains(.admin) {
            feedMonitors(args, from: session, spec: spec)
        }
    }

    /// Replies an error that prevented a known command from running.
    private func reject(_ spec: CommandSpec, _ session: Session, _ error: ReplyError) {
        spec.rejectedCalls += 1
        replyError(session, error)
    }

    /// Writes an error reply and counts it in errorstats.
    public func replyError(_ session: Session, _ error: ReplyError) {
        session.reply.error(error.line)
        stats.countError(code: error.code)
    }

    /// `ERR unknown command '<name>', with args beginning with: '<a1>' ...`, trimmed as Redis trims it.
    private func unknownCommandError(_ args: CommandArguments) -> ReplyError {
        guard args.count > 0 else { return ReplyError("unknown command '', with args beginning with: ") }
        var list = ""
        var index = 1
        while index < args.count && list.utf8.count < 128 {
            let room = 128 - list.utf8.count
            list += "'" + args.string(at: index).prefixBytes(room) + "' "
            index += 1
        }
        return ReplyError("unknown command '\(args.string(at: 0).prefixBytes(128))', with args beginning with: \(list)")
    }

    /// Drops the reply of a command run under CLIENT REPLY OFF/SKIP.
    private func applyReplyMode(_ session: Session, mark: Int) {
        switch session.replyMode {
        case .on, .skipNext:
            return
        case .off:
            session.reply.buffer.moveWriterIndex(to: mark)
        case .skipping:
            session.reply.buffer.moveWriterIndex(to: mark)
            session.replyMode = .on
        }
    }
}
