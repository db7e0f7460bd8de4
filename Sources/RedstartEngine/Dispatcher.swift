// The one gatekeeper every command passes, in Redis's order: existence, arity,
// protected commands, authentication, MULTI restrictions, ACL permissions, CLIENT PAUSE; then
// the command is queued (inside MULTI) or run, and the bookkeeping follows
// (commandstats, errorstats, SLOWLOG, latency monitor, MONITOR feed,
// propagation, CLIENT REPLY). A refusal inside MULTI makes the transaction
// fail at EXEC; a refused EXEC aborts it. The OOM check slots in here later,
// before the queueing, as in Redis.
import RedstartRESP

/// What happened to a request.
public enum ExecutionResult {
    /// It ran (or was refused with an error reply).
    case executed
    /// A CLIENT PAUSE holds it: run it again when the session resumes.
    case postponed
    /// It blocked (BLPOP ...): the session runs nothing else until the engine resumes it.
    case blocked
    /// The script it runs paused to let other clients be served (-BUSY): the session runs
    /// and sends nothing until the command ends and the engine resumes it.
    case scriptPaused
}

extension Engine {
    /// Runs one request for `session`, writing its reply to `session.reply`.
    public func execute(_ args: CommandArguments, for session: Session) -> ExecutionResult {
        updateCommandTime()
        session.lastInteraction = commandTime
        let replyMark = session.reply.buffer.writerIndex
        if session.replyMode == .skipNext { session.replyMode = .skipping }
        runningSession = session

        guard let reference = admit(args, session) else {
            endCommand(session, replyMark: replyMark)
            return session.isPaused ? .postponed : .executed
        }
        return reference._withUnsafeGuaranteedRef { spec in executeAdmitted(spec, args, session, replyMark: replyMark) }
    }

    /// Runs a command the gatekeeper let through.
    private func executeAdmitted(_ spec: CommandSpec, _ args: CommandArguments, _ session: Session, replyMark: Int)
        -> ExecutionResult
    {
        if runsScript(spec, session), let scripting {
            if !scripting.runPausable(AdmittedCommand(spec: spec, args: args, session: session, replyMark: replyMark)) {
                return .scriptPaused
            }
            return session.isBlocked ? .blocked : .executed
        }
        runAdmitted(spec, args, session)
        endCommand(session, replyMark: replyMark)
        if session.isBlocked { return .blocked }
        // A command whose work goes on after it returned (DEBUG LOADAOF) replies later.
        return session.isProtected ? .scriptPaused : .executed
    }

    /// Whether the request names a command (or container command) Redstart has, by the
    /// name clients use or, as the AOF and a primary write them, its own.
    public func knowsCommand(_ args: CommandArguments) -> Bool {
        args.count > 0 && (table.command(args, at: 0) ?? table.original.command(args, at: 0)) != nil
    }

    /// Runs a command the gatekeeper let through, to its end (what `runPausable` runs).
    public func run(_ command: AdmittedCommand) {
        runAdmitted(command.spec, command.args, command.session)
        endCommand(command.session, replyMark: command.replyMark)
    }

    /// The gatekeeper: returns the spec of a command to run now, or nil when it was
    /// refused, queued inside MULTI or postponed by CLIENT PAUSE (`session.isPaused`).
    /// The spec is unretained: specs belong to the engine's command table, which never changes.
    private func admit(_ args: CommandArguments, _ session: Session) -> Unmanaged<CommandSpec>? {
        guard let reference = resolve(args, for: session) else { return nil }
        return reference._withUnsafeGuaranteedRef { admits($0, args, session) } ? reference : nil
    }

    /// Whether the resolved command runs now (see `admit`).
    private func admits(_ spec: CommandSpec, _ args: CommandArguments, _ session: Session) -> Bool {
        // The AOF's commands run as written, without the checks that guard clients (Redis
        // calls their handlers directly); only MULTI's queueing applies.
        if session.isReplayClient {
            if session.isInTransaction && !spec.flags.contains(.skipsQueue) {
                queue(spec, args, session)
                return false
            }
            return true
        }

        if spec.flags.contains(.protected) {
            // DEBUG and MODULE's LOAD, LOADEX and UNLOAD, each behind its own setting.
            let isModule = spec.parent?.name == "module"
            if !(isModule ? moduleCommandAccess : debugCommandAccess).allows(session) {
                let (name, setting) = isModule ? ("MODULE", "enable-module-command") : ("DEBUG", "enable-debug-command")
                reject(spec, args, session, ReplyError(
                    "\(name) command not allowed. If the \(setting) option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
                ))
                return false
            }
        }
        if !session.isAuthenticated && !acl.defaultUserNeedsNoAuth && !spec.flags.contains(.noAuth) {
            reject(spec, args, session, .noAuth)
            return false
        }
        if session.isInTransaction && spec.flags.contains(.noMulti) {
            reject(spec, args, session, ReplyError("Command not allowed inside a transaction"))
            return false
        }
        if let user = session.aclUser, !user.isUnrestricted, let denial = aclDenial(user, spec, args) {
            reject(spec, args, session, refuseByACL(denial, user, spec, args, session))
            return false
        }
        // maxmemory: evict first; when that cannot free enough, commands that may grow
        // memory are refused (anything queued inside MULTI too, but never EXEC or DISCARD
        // themselves unless what they would run may). Invalidations of evicted keys for
        // this client come before its reply.
        if maxMemory > 0 && busyScript == nil {
            let running = runningSession
            runningSession = nil
            let outOfMemory = performEvictions() == .failed
            runningSession = running
            if !sessionsWithOutput.isEmpty { flushNotedOutput() }
            var refuses = effectiveFlags(spec, args, session).contains(.denyOOM)
            if session.isInTransaction && spec !== execSpec && spec.name != "discard" && spec.name != "quit"
                && spec.name != "reset"
            {
                refuses = true
            }
            if outOfMemory && refuses {
                reject(spec, args, session, Self.outOfMemory)
                return false
            }
            startedOutOfMemory = outOfMemory
        }
        // Keep the tracking table within tracking-table-max-keys; invalidations for this
        // client come before its reply.
        if tracking.clientCount > 0 {
            let running = runningSession
            runningSession = nil
            enforceTrackingTableLimit()
            runningSession = running
            if !sessionsWithOutput.isEmpty { flushNotedOutput() }
        }
        if hasDiskError, let refusal = diskErrorRefusal,
            spec.name == "ping" || effectiveFlags(spec, args, session).contains(.write)
        {
            // The primary's stream is obeyed, never refused: a replica that cannot keep it
            // stops, unless replica-ignore-disk-write-errors (Redis's processCommand).
            guard session.replicationKind == .master else {
                reject(spec, args, session, refusal)
                return false
            }
            applyDespiteDiskError(spec)
        }
        if replicationGate.isReplica || replicationGate.lacksGoodReplicas,
            let refusal = replicationRefusal(effectiveFlags(spec, args, session), session)
        {
            reject(spec, args, session, refusal)
            return false
        }
        if session.isSubscribed && session.protocolVersion == .resp2 && !spec.flags.contains(.allowedWhileSubscribed) {
            reject(spec, args, session, ReplyError(
                "Can't execute '\(spec.fullName)': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
            ))
            return false
        }
        if persistence.loading != nil && !loadingAllows(spec, session) {
            reject(spec, args, session, .loading)
            return false
        }
        if persistence.asyncLoading && effectiveFlags(spec, args, session).contains(.noAsyncLoading) {
            reject(spec, args, session, .loading)
            return false
        }
        // A paused script holds the server: only allow-busy commands (SCRIPT KILL, ...) run.
        if let busy = busyScript, busy.session !== session, !spec.flags.contains(.allowBusy) {
            reject(spec, args, session, busy.error)
            return false
        }
        if let pause, pause.holds(flags: effectiveFlags(spec, args, session)) {
            session.isPaused = true
            pausedSessions.append(session)
            return false
        }
        if session.isInTransaction && !spec.flags.contains(.skipsQueue) {
            queue(spec, args, session)
            return false
        }
        return true
    }

    /// Runs an admitted command and what follows it: its propagation, the blocked clients
    /// its writes made ready, the messages it sent.
    private func runAdmitted(_ spec: CommandSpec, _ args: CommandArguments, _ session: Session) {
        errorsAttributed = stats.totalErrorReplies
        withUnsafePointer(to: args) { address in
            runningCommand = RunningCommand(spec: spec, args: address)
            call(spec, args, session)
            runningCommand = nil
        }
        if !pendingPropagation.isEmpty {
            // Expired keys that SCAN or RANDOMKEY happened to remove are not one atomic change.
            flushPropagation(wrap: !spec.flags.contains(.touchesArbitraryKeys))
        }
        if !readyKeys.isEmpty {
            // Served after the command, at the time it ended (Redis reads a fresh time outside
            // call()): a key that expired while a transaction ran is found expired.
            advanceCommandTimeToCommandEnd()
            serveReadyKeys()
        }
        if !sessionsWithOutput.isEmpty { flushNotedOutput() }
    }

    /// The end of every request: CLIENT REPLY, the running session, its own pushes.
    private func endCommand(_ session: Session, replyMark: Int) {
        applyReplyMode(session, mark: replyMark)
        runningSession = nil
        if let mode = session.tracking, mode.caching, let last = session.lastCommand {
            endTrackingCachingWindow(session, after: last)
        }
        // Pushes are not replies: CLIENT REPLY OFF/SKIP keeps them.
        if selfPushes.readableBytes > 0 {
            session.reply.raw(selfPushes)
            selfPushes.clear()
        }
    }

    /// Whether a command may run while the dataset loads: flagged `loading`, and for EXEC
    /// every queued command too.
    private func loadingAllows(_ spec: CommandSpec, _ session: Session) -> Bool {
        guard spec.flags.contains(.loading) else { return false }
        guard spec === execSpec, let transaction = session.transaction else { return true }
        return transaction.allAllowedWhileLoading
    }

    /// Whether the command runs a script: itself, or an EXEC whose queue holds one.
    private func runsScript(_ spec: CommandSpec, _ session: Session) -> Bool {
        if spec.flags.contains(.runsScript) { return true }
        guard spec === execSpec, let transaction = session.transaction else { return false }
        return transaction.flags.contains(.runsScript)
    }

    /// Looks the command up and checks its arity; on failure replies the error and returns nil.
    private func resolve(_ args: CommandArguments, for session: Session) -> Unmanaged<CommandSpec>? {
        // What the AOF replays and a primary sends is applied whatever rename-command made
        // of the names: effect forms name commands by their own names (MULTI, EXEC,
        // PEXPIREAT, DEL ...). Redis looks at the new names only there, so it refuses its
        // own AOF once MULTI is renamed, and a replica skips what its primary sends.
        guard args.count > 0,
            var reference = table.commandReference(args, at: 0)
                ?? (session.mustObey ? table.original.commandReference(args, at: 0) : nil)
        else {
            flagTransaction(session)
            replyRawError(session, unknownCommandError(args))
            return nil
        }
        if reference._withUnsafeGuaranteedRef({ $0.isContainer }) && args.count >= 2 {
            // A subcommand belongs to its container, which holds it.
            guard let sub = CommandName(args, at: 1).flatMap(reference.takeUnretainedValue().subcommand) else {
                flagTransaction(session)
                replyRawError(session, unknownSubcommandError(args))
                return nil
            }
            reference = .passUnretained(sub)
        }
        let accepts = reference._withUnsafeGuaranteedRef { $0.accepts(argumentCount: args.count) }
        guard accepts else {
            let spec = reference.takeUnretainedValue()
            reject(spec, args, session, .wrongArity(spec.fullName))
            return nil
        }
        return reference
    }

    /// The flags CLIENT PAUSE judges: EXEC counts as the commands it will run, a script as
    /// its shebang declares.
    private func effectiveFlags(_ spec: CommandSpec, _ args: CommandArguments, _ session: Session) -> CommandFlags {
        guard spec === execSpec, let transaction = session.transaction else { return spec.flags(for: args, in: self) }
        // EXEC runs on a stale replica only when every queued command may (Redis's
        // cmd_inv_flags): a replica that went stale after the queueing refuses it.
        return spec.flags.union(transaction.flags).subtracting(transaction.flagsLackedBySome)
    }

    /// Queues a command of a session in MULTI and replies +QUEUED (nothing is kept once
    /// the transaction is bound to fail).
    private func queue(_ spec: CommandSpec, _ args: CommandArguments, _ session: Session) {
        if !session.isWatchDirty && session.transaction?.hasQueueingError == false {
            session.transaction?.append(spec, args, flags: spec.flags(for: args, in: self))
        }
        session.lastCommand = spec
        session.reply.raw("+QUEUED\r\n")
    }

    /// Runs the handler and does the bookkeeping after it. EXEC calls this for each
    /// queued command.
    func call(_ spec: CommandSpec, _ args: CommandArguments, _ session: Session) {
        let dirtyBefore = stats.dirty
        // A command run by EXEC or a script is timed on its own (with the cheap monotonic
        // clock), not from its caller's start.
        let isNested = isExecutingTransaction || session.isScriptClient
        let start = isNested ? clock.monotonicMicroseconds : commandStartMicros
        // Set before the handler runs: CLIENT INFO shows itself as the current command.
        // (Compared first: a client repeating a command costs no retain and release.)
        if session.lastCommand !== spec { session.lastCommand = spec }
        // TOUCH refreshes access clocks even for a NO-TOUCH client, as in Redis.
        isNoTouchCall = session.isNoTouch && spec.name != "touch"
        isWriteCall = spec.flags.contains(.write)
        if isWriteCall && runningSnapshot != nil { preserveKeysForSnapshot(spec, args, session) }
        // Called through the optional, not bound to a local: a local copy of the closure is
        // a retain and a release per command.
        do {
            try spec.handler?(CommandContext(engine: self, session: session, args: args, spec: spec))
        } catch {
            replyError(session, error)
        }
        if replicationGate.isReplica && isWriteCall && stats.dirty != dirtyBefore && session.replicationKind != .master {
            rememberKeysWrittenOnReplica(spec, args, session)
        }
        // The keys a tracking client read are now in its cache (EVAL_RO and the like track
        // through the commands their script calls).
        if tracking.clientCount > 0 && spec.flags.contains(.readonly) && !spec.flags.contains(.runsScript) {
            rememberTrackedKeys(spec, args, session)
        }
        let duration = (isNested ? clock.monotonicMicroseconds : readClockAtCommandEnd()) - start
        // When it ran, in wall-clock microseconds (SLOWLOG and latency events show it).
        let startTime = isNested ? commandStartMicros : start
        spec.calls += 1
        spec.microseconds += duration
        // Errors of commands run inside this one (EXEC) were claimed by them.
        if stats.totalErrorReplies > errorsAttributed { spec.failedCalls += 1 }
        errorsAttributed = stats.totalErrorReplies
        stats.totalCommandsProcessed += 1
        // A blocked command is timed when it is served (Redis's updateStatsOnUnblock).
        if !session.isBlocked {
            if latencyTracking { spec.latency.record(nanoseconds: duration * 1000) }
            if slowlogThreshold >= 0 && duration >= slowlogThreshold && !spec.flags.contains(.skipSlowlog) {
                addSlowlogEntry(spec, args, session, duration: duration, start: startTime)
            }
        }
        if latencyThreshold > 0 && duration / 1000 >= latencyThreshold {
            latency.add(
                event: spec.flags.contains(.fast) ? "fast-command" : "command", milliseconds: duration / 1000,
                time: startTime / 1_000_000)
        }
        if !monitors.isEmpty && !spec.flags.contains(.skipMonitor) && !spec.flags.contains(.admin) {
            feedMonitors(args, from: session, spec: spec)
        }
        // A command that changed the dataset is replayed as called; the commands EXEC and
        // scripts run record themselves.
        // One that changed nothing but was forced goes where it was forced to (PUBLISH: to
        // replicas, not the AOF).
        let changed = stats.dirty != dirtyBefore
        if (changed || !forcedPropagationTargets.isEmpty) && propagationSink != nil && spec !== execSpec
            && !spec.flags.contains(.runsScript)
        {
            let targets: PropagationTargets = changed ? .all : forcedPropagationTargets
            if let rewritten = rewrittenCommand {
                // An empty rewrite: the command recorded its effects itself (XREADGROUP, XCLAIM).
                if !rewritten.isEmpty { alsoPropagate(database: session.databaseIndex, rewritten, narrowedTo: targets) }
            } else {
                propagate(args, database: session.databaseIndex, narrowedTo: targets)
            }
        }
        rewrittenCommand = nil
        forcedPropagationTargets = []
    }

    /// Lets the snapshot being written take the keys a write command names before it
    /// changes them (see DatasetSnapshot).
    private func preserveKeysForSnapshot(_ spec: CommandSpec, _ args: CommandArguments, _ session: Session) {
        let db = databases[session.databaseIndex]
        guard db.snapshot != nil, db.table.unsaved != nil,
            let keys = KeySpec.keys(of: spec, specs: catalog.parsedKeySpecs(spec.fullName), in: args)
        else { return }
        for key in keys where key.position < args.count {
            if let index = args.withBytes(at: key.position, { db.table.find($0) }) { db.willChange(index) }
        }
    }

    /// Refuses a known command before it runs: inside MULTI the transaction will fail;
    /// a refused EXEC aborts the transaction.
    private func reject(_ spec: CommandSpec, _ args: CommandArguments, _ session: Session, _ error: ReplyError) {
        flagTransaction(session)
        spec.rejectedCalls += 1
        if spec === execSpec {
            abortTransaction(session, because: error, exec: spec, args: args)
        } else {
            replyError(session, error, command: spec)
        }
    }

/// Replies an error that prevented a known command from running.
    private func reject(_ spec: CommandSpec, _ session: Session, _ error: ReplyError) {
        spec.rejectedCalls += 1
        replyError(session, error, command: spec)
    }

    /// Writes an error reply and counts it in errorstats. `command` is the refused command
    /// (nil: the one running, which for a command run by EXEC is the EXEC, as Redis's
    /// lastcmd).
    public func replyError(_ session: Session, _ error: ReplyError, command: CommandSpec? = nil) {
        session.reply.error(error.line)
        stats.countError(code: error.code)
        if session.mustObey {
            notePropagatedError(session, error.line, command: (command ?? runningCommand?.spec ?? session.lastCommand)?.fullName)
        }
    }

    /// Writes an `ERR` error given as raw bytes (an unknown command) and counts it.
    private func replyRawError(_ session: Session, _ line: [UInt8]) {
        session.reply.error(bytes: line)
        stats.countError(code: "ERR")
        if session.mustObey {
            notePropagatedError(session, String(decoding: line, as: UTF8.self), command: nil)
        }
    }

    /// Redis's afterErrorReply for a client this server obeys (its primary's link, the AOF's
    /// loading client): the datasets may have diverged, which the host logs, counts and,
    /// under propagation-error-behavior, panics for. Every error reply passes here, those of
    /// commands run by EXEC included.
    func notePropagatedError(_ session: Session, _ line: String, command: String?) {
        host?.propagatedCommandFailed(session, error: line, command: command ?? "<unknown>")
    }

    /// `ERR unknown command '<name>', with args beginning with: '<a1>' ...`: the client's bytes
    /// as they came, each cut at its first NUL and the whole trimmed as Redis's printf does.
    private func unknownCommandError(_ args: CommandArguments) -> [UInt8] {
        var quoted: [UInt8] = []
        var index = 1
        while index < args.count && quoted.count < 128 {
            quoted += Array("'".utf8) + cString(args, index, limit: 128 - quoted.count) + Array("' ".utf8)
            index += 1
        }
        let name = args.count > 0 ? cString(args, 0, limit: 128) : []
        return Array("ERR unknown command '".utf8) + name + Array("', with args beginning with: ".utf8) + quoted
    }

    /// `ERR unknown subcommand '<sub>'. Try <COMMAND> HELP.`, quoting the client's bytes.
    private func unknownSubcommandError(_ args: CommandArguments) -> [UInt8] {
        let command = args.bytes(at: 0).map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }
        return Array("ERR unknown subcommand '".utf8) + cString(args, 1, limit: 128) + Array("'. Try ".utf8)
            + command + Array(" HELP.".utf8)
    }

    /// Argument `index` as C's `%.*s` prints it: up to the first NUL, at most `limit` bytes.
    private func cString(_ args: CommandArguments, _ index: Int, limit: Int) -> [UInt8] {
        args.withBytes(at: index) { raw in Array(raw.prefix { $0 != 0 }.prefix(limit)) }
    }

    /// Drops the reply of a command run under CLIENT REPLY OFF/SKIP.
    /// Pushes (Pub/Sub confirmations) are kept: CLIENT REPLY does not silence them (Redis's
    /// CLIENT_PUSHING).
    private func applyReplyMode(_ session: Session, mark: Int) {
        let keep = session.repliesArePushes
        session.repliesArePushes = false
        switch session.replyMode {
        case .on, .skipNext:
            return
        case .off:
            if !keep { session.reply.buffer.moveWriterIndex(to: mark) }
        case .skipping:
            if !keep { session.reply.buffer.moveWriterIndex(to: mark) }
            session.replyMode = .on
        }
    }
}
