// What the engine does for running scripts: the commands a script calls (Redis's
// scriptCall: the checks for commands from Lua, then the ordinary call path),
// error replies whose statistics Redis counts its own way, and the busy state
// of a paused script: the running command's engine state is set aside while
// other clients are served, and put back when the script goes on.
import NIOCore
import RedstartRESP

/// The engine state of a command that is running; set aside while its script is paused.
struct SuspendedCommand {
    let commandTime: Int64
    let commandStartMicros: Int64
    let isNoTouchCall: Bool
    let isWriteCall: Bool
    let isExecutingTransaction: Bool
    let pendingPropagation: [PropagatedCommand]
    let propagationTargets: PropagationTargets
    let rewrittenCommand: [[UInt8]]?
    let errorsAttributed: Int
    let errorTotalAtSuspension: Int
    let readyKeys: [ReadyKey]
    let sessionsWithOutput: [Session]
    let runningSession: Session?
    let runningCommand: RunningCommand?
    let selfPushes: ByteBuffer
}

extension Engine {
    // MARK: - Commands called by scripts

    /// Runs a command a script called (redis.call / redis.pcall) in `session`, the
    /// script's own client. `spec` is the command `lookupCommand` found for `args` (nil:
    /// none). Returns nil when the command ran (its reply, perhaps an error, is in
    /// `session.reply`), or the error that refused it before it ran; the refusal is
    /// counted in errorstats here, so the script's final error must not count it again.
    /// `caller` is the client that ran the script (ACL LOG names it).
    public func callFromScript(
        _ args: CommandArguments, spec: CommandSpec?, in session: Session, caller: Session,
        permissions: inout ScriptCallPermissions
    ) -> ReplyError? {
        guard let spec else {
            return refuseScriptCall(nil, ReplyError("Unknown Redis command called from script"))
        }
        guard spec.accepts(argumentCount: args.count) else {
            return refuseScriptCall(spec, ReplyError("Wrong number of args calling Redis command from script"))
        }
        if spec.flags.contains(.noScript) && !scriptDenyDisabled {
            return refuseScriptCall(spec, ReplyError("This Redis command is not allowed from script"))
        }
        if let user = session.aclUser, !user.isUnrestricted, let denial = aclDenial(user, spec, args) {
            return refuseScriptCall(spec, refuseScriptCallByACL(denial, user, spec, args, caller: caller))
        }
        if permissions.isReadOnly && !spec.flags.isDisjoint(with: [.write, .mayReplicate]) {
            return refuseScriptCall(spec, ReplyError("Write commands are not allowed from read-only scripts."))
        }
        if spec.flags.contains(.write) {
            let gate = replicationGate
            if gate.isReplica && gate.readOnly && caller.replicationKind != .master {
                return refuseScriptCall(spec, .readOnlyReplica)
            }
            if let refusal = diskErrorRefusal { return refuseScriptCall(spec, refusal) }
            if gate.lacksGoodReplicas && !gate.isReplica { return refuseScriptCall(spec, .noReplicas) }
        }
        // Out of memory when the script started: its first write that may grow memory is
        // refused (a later one would break the script's atomicity), unless allow-oom.
        if spec.flags.contains(.denyOOM) && maxMemory > 0 && startedOutOfMemory && !permissions.hasWritten
            && !permissions.allowsOOM
        {
            return refuseScriptCall(spec, Self.outOfMemory)
        }
        if spec.flags.contains(.write) { permissions.hasWritten = true }
        propagationTargets = permissions.propagation
        call(spec, args, session)
        propagationTargets = .all
        return nil
    }

    /// The command `args` call, a container's subcommand when there is one (Redis's
    /// lookupCommand): nil for an unknown command or subcommand.
    public func lookupCommand(_ args: CommandArguments) -> CommandSpec? {
        guard args.count > 0, let spec = table.command(args, at: 0) else { return nil }
        guard spec.isContainer, args.count >= 2 else { return spec }
        return CommandName(args, at: 1).flatMap(spec.subcommand)
    }

    /// Counts a refused script call as Redis's scriptCall does (an error reply, and a
    /// rejected call of the command when it exists) and returns the refusal.
    private func refuseScriptCall(_ spec: CommandSpec?, _ error: ReplyError) -> ReplyError {
        stats.countError(code: error.code)
        // The refusal is this inner call's error: the script command is not failed by it.
        errorsAttributed = stats.totalErrorReplies
        spec?.rejectedCalls += 1
        return error
    }

    /// Writes `-<line>` as given (CR and LF become spaces) and counts it as Redis's
    /// afterErrorReply does: the code is the first word when a space comes within the first
    /// 31 bytes, ERR otherwise. With `countsStats` false (an error its command already
    /// counted, returned by a script) errorstats stay as they are and `spec` is counted
    /// as failed instead.
    public func replyScriptError(_ session: Session, line: [UInt8], countsStats: Bool, spec: CommandSpec) {
        session.reply.error(bytes: line)
        if session.mustObey {
            notePropagatedError(session, String(decoding: line, as: UTF8.self), command: spec.fullName)
        }
        if countsStats {
            let space = line.prefix(31).firstIndex(of: UInt8(ascii: " "))
            let code = space.map { String(decoding: line[..<$0], as: UTF8.self) } ?? "ERR"
            stats.countError(code: Substring(code))
        } else {
            spec.failedCalls += 1
        }
    }

    /// Shows a script command to MONITOR before the commands its script runs (script
    /// commands are flagged skip_monitor so that the gatekeeper does not show them after).
    public func feedMonitorsBeforeScript(_ args: CommandArguments, from session: Session, spec: CommandSpec) {
        if !monitors.isEmpty { feedMonitors(args, from: session, spec: spec) }
    }

    // MARK: - Paused scripts

    /// Marks the server busy with `script`, whose command is about to pause: its session is
    /// protected (runs and sends nothing) until `finishPausedCommand`.
    public func enterBusyState(_ script: BusyScript) {
        busyScript = script
        script.session.isProtected = true
    }

    /// Holds the running command of `session` open after its handler returns: the session runs
    /// and sends nothing until `finishPausedCommand` (DEBUG LOADAOF, which loads in steps).
    public func holdCommand(of session: Session) {
        session.isProtected = true
    }

    /// Sets aside the running command's engine state, for the other clients' commands to
    /// run while its script is paused.
    func suspendRunningCommand() -> SuspendedCommand {
        let suspended = SuspendedCommand(
            commandTime: commandTime, commandStartMicros: commandStartMicros, isNoTouchCall: isNoTouchCall,
            isWriteCall: isWriteCall, isExecutingTransaction: isExecutingTransaction,
            pendingPropagation: pendingPropagation, propagationTargets: propagationTargets,
            rewrittenCommand: rewrittenCommand, errorsAttributed: errorsAttributed,
            errorTotalAtSuspension: stats.totalErrorReplies, readyKeys: readyKeys,
            sessionsWithOutput: sessionsWithOutput, runningSession: runningSession, runningCommand: runningCommand,
            selfPushes: selfPushes)
        isExecutingTransaction = false
        pendingPropagation = []
        propagationTargets = .all
        rewrittenCommand = nil
        readyKeys = []
        sessionsWithOutput = []
        runningSession = nil
        runningCommand = nil
        selfPushes = ByteBufferAllocator().buffer(capacity: 0)
        return suspended
    }

    /// Puts back what `suspendRunningCommand` set aside; the errors other clients got
    /// meanwhile are not the paused command's.
    func resumeRunningCommand(_ suspended: SuspendedCommand) {
        commandTime = suspended.commandTime
        commandStartMicros = suspended.commandStartMicros
        isNoTouchCall = suspended.isNoTouchCall
        isWriteCall = suspended.isWriteCall
        isExecutingTransaction = suspended.isExecutingTransaction
        pendingPropagation = suspended.pendingPropagation
        propagationTargets = suspended.propagationTargets
        rewrittenCommand = suspended.rewrittenCommand
        errorsAttributed = suspended.errorsAttributed + (stats.totalErrorReplies - suspended.errorTotalAtSuspension)
        readyKeys = suspended.readyKeys
        sessionsWithOutput = suspended.sessionsWithOutput
        runningSession = suspended.runningSession
        runningCommand = suspended.runningCommand
        selfPushes = suspended.selfPushes
    }

    /// Runs `body` (which pauses the running script) with the running command's state set
    /// aside, and puts it back when `body` returns (the script goes on).
    public func whileCommandIsSetAside(_ body: () -> Void) {
        let suspended = suspendRunningCommand()
        body()
        resumeRunningCommand(suspended)
    }

    /// The paused command of `session` has ended: the server is no longer busy, the
    /// session runs its next commands again (or is forgotten, if its connection closed),
    /// and timers skipped while busy catch up.
    public func finishPausedCommand(_ session: Session) {
        if busyScript?.session === session { busyScript = nil }
        session.isProtected = false
        if session.closesWhenUnprotected {
            closeSession(session)
        } else {
            session.transport?.resume()
        }
        handleBlockingTimeouts()
    }
}
