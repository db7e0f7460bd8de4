// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT: Lua scripts named by the SHA1 of
// their body, compiled once into the EVAL state and cached until SCRIPT FLUSH.
// The run itself (checks, KEYS/ARGV, the reply) is Scripting+Run.swift's.
#if canImport(Glibc)
import Glibc
#endif
import CLua
import CRedstartLua
import RedstartEngine
import RedstartRESP

enum EvalFamily {
    static var commands: [CommandSpec] {
        let scriptFlags: CommandFlags = [
            .noScript, .stale, .skipMonitor, .noMandatoryKeys, .movableKeys, .mayReplicate, .runsScript,
        ]
        return [
            .init(
                "eval", arity: -3, flags: scriptFlags, acl: [.slow, .scripting], group: "scripting",
                flagsForArguments: { evalFlags($0, $1, bySHA: false, declared: scriptFlags) }, run: eval),
            .init(
                "evalsha", arity: -3, flags: scriptFlags, acl: [.slow, .scripting], group: "scripting",
                flagsForArguments: { evalFlags($0, $1, bySHA: true, declared: scriptFlags) }, run: evalsha),
            .init(
                "eval_ro", arity: -3, flags: scriptFlags.union(.readonly).subtracting(.mayReplicate),
                acl: [.slow, .scripting], group: "scripting", run: evalRO),
            .init(
                "evalsha_ro", arity: -3, flags: scriptFlags.union(.readonly).subtracting(.mayReplicate),
                acl: [.slow, .scripting], group: "scripting", run: evalshaRO),
            .init(
                "script", arity: -2, group: "scripting",
                subcommands: [
                    .init("flush", arity: -2, flags: [.noScript], acl: [.slow, .scripting], group: "scripting", run: flush),
                    .init("exists", arity: -3, flags: [.noScript], acl: [.slow, .scripting], group: "scripting", run: exists),
                    .init("help", arity: 2, flags: [.loading, .stale], acl: [.slow, .scripting], group: "scripting", run: help),
                    .init("load", arity: 3, flags: [.noScript, .stale], acl: [.slow, .scripting], group: "scripting", run: load),
                    .init(
                        "kill", arity: 2, flags: [.noScript, .allowBusy], acl: [.slow, .scripting], group: "scripting",
                        run: kill),
                ]),
        ]
    }

    /// EVAL script numkeys [key ...] [arg ...] → the script's reply.
    static func eval(_ cmd: CommandContext) throws(ReplyError) {
        try Scripting.of(cmd).eval(cmd, bySHA: false, readOnly: false)
    }

    /// EVALSHA sha1 numkeys [key ...] [arg ...] → the cached script's reply, or -NOSCRIPT.
    static func evalsha(_ cmd: CommandContext) throws(ReplyError) {
        try Scripting.of(cmd).eval(cmd, bySHA: true, readOnly: false)
    }

    /// EVAL_RO script numkeys [key ...] [arg ...] → as EVAL, refusing write commands.
    static func evalRO(_ cmd: CommandContext) throws(ReplyError) {
        try Scripting.of(cmd).eval(cmd, bySHA: false, readOnly: true)
    }

    /// EVALSHA_RO sha1 numkeys [key ...] [arg ...] → as EVALSHA, refusing write commands.
    static func evalshaRO(_ cmd: CommandContext) throws(ReplyError) {
        try Scripting.of(cmd).eval(cmd, bySHA: true, readOnly: true)
    }

    /// The flags the gatekeeper judges for an EVAL: those its script's shebang declares
    /// (Redis's evalGetCommandFlags), for a script already cached or with a shebang.
    private static func evalFlags(
        _ engine: Engine, _ args: CommandArguments, bySHA: Bool, declared: CommandFlags
    ) -> CommandFlags {
        guard args.count > 1, let scripting = Scripting.of(engine) else { return declared }
        return args.withBytes(at: 1) { body in
            if let script = scripting.cachedScript(body, bySHA: bySHA) {
                return script._withUnsafeGuaranteedRef { $0.flags.commandFlags(from: declared) }
            }
            guard !bySHA, let shebang = try? Shebang.parse(body) else { return declared }
            return shebang.flags.commandFlags(from: declared)
        }
    }

    /// SCRIPT FLUSH [ASYNC|SYNC] → +OK: every cached script is gone, and the Lua state is new.
    static func flush(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count == 2 || (cmd.args.count == 3 && (cmd.argument(2, is: "sync") || cmd.argument(2, is: "async")))
        else { throw ReplyError("SCRIPT FLUSH only support SYNC|ASYNC option") }
        Scripting.of(cmd).resetEval()
        cmd.reply.ok()
    }

    /// SCRIPT EXISTS sha1 [sha1 ...] → an array of 1 (cached) and 0.
    static func exists(_ cmd: CommandContext) throws(ReplyError) {
        let scripting = Scripting.of(cmd)
        cmd.reply.arrayHeader(cmd.args.count - 2)
        for index in 2..<cmd.args.count {
            let known = cmd.args.withBytes(at: index) { scripting.cachedScript($0, bySHA: true) != nil }
            cmd.reply.integer(known ? 1 : 0)
        }
    }

    /// SCRIPT LOAD script → the script's SHA1 (compiled and cached, not run).
    static func load(_ cmd: CommandContext) throws(ReplyError) {
        let script = try cmd.withArgument(2) { body throws(ReplyError) in try Scripting.of(cmd).compile(body) }
        cmd.reply.bulk(script.sha)
    }

    /// SCRIPT KILL → +OK: the running EVAL script stops at its next hook (if it wrote nothing).
    static func kill(_ cmd: CommandContext) throws(ReplyError) {
        try Scripting.of(cmd).kill(eval: true)
        cmd.reply.ok()
    }

    /// SCRIPT HELP → status lines.
    static func help(_ cmd: CommandContext) throws(ReplyError) {
        cmd.replyHelp([
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ])
    }
}

extension Scripting {
    /// The cached script `text` names: its SHA1 (`bySHA`) or its body.
    func cachedScript(_ text: UnsafeRawBufferPointer, bySHA: Bool) -> Unmanaged<CachedScript>? {
        if bySHA {
            let given = SHAText(text)
            if let given, given == lastSHA, let last = lastSHAScript { return last }
            guard let digest = ScriptDigest(hex: text), let script = scripts[digest] else { return nil }
            lastSHA = given
            lastSHAScript = .passUnretained(script)
            return lastSHAScript
        }
        return scripts[ScriptDigest.of(text).digest].map { .passUnretained($0) }
    }

    /// The cached script of `body`, compiling and caching it first if needed (Redis's
    /// luaCreateFunction); throws the shebang's or the compiler's error.
    func compile(_ body: UnsafeRawBufferPointer) throws(ReplyError) -> CachedScript {
        let (digest, sha) = ScriptDigest.of(body)
        if let script = scripts[digest] { return script }
        let shebang = try Shebang.parse(body)
        let L = evalEngine.state!
        // The shebang is skipped but its newline kept, so line numbers stay the user's.
        let code = UnsafeRawBufferPointer(rebasing: body[shebang.length...])
        let status = redstart_lua_load_text(
            L, code.baseAddress?.assumingMemoryBound(to: CChar.self), code.count, "@user_script")
        if status != 0 {
            let message = Lua.text(L, -1) ?? []
            Lua.pop(L)
            throw ReplyError("Error compiling script (new function): " + String(decoding: message, as: UTF8.self))
        }
        let function = luaL_ref(L, LUA_REGISTRYINDEX)
        let script = CachedScript(sha: sha, body: Array(body), flags: shebang.flags, function: function)
        scripts[digest] = script
        scriptBytes += body.count
        return script
    }

    /// Runs an EVAL-family command.
    func eval(_ cmd: CommandContext, bySHA: Bool, readOnly: Bool) throws(ReplyError) {
        // Scripts show in MONITOR before the commands they run.
        cmd.engine.feedMonitorsBeforeScript(cmd.args, from: cmd.session, spec: cmd.spec)
        // (The error is loaded only where it is thrown: a load is two retains and releases.)
        if bySHA && cmd.args.length(at: 1) != 40 { throw Scripting.noScript }
        let keyCount = try numberOfKeys(cmd, ofFunction: false)
        // Unretained: the cache holds it, and nothing empties the cache while it runs.
        let script: Unmanaged<CachedScript>
        if bySHA {
            guard let cached = cmd.args.withBytes(at: 1, { cachedScript($0, bySHA: true) }) else {
                throw Scripting.noScript
            }
            script = cached
        } else {
            script = .passUnretained(try cmd.withArgument(1) { body throws(ReplyError) in try compile(body) })
        }
        let (flags, function) = script._withUnsafeGuaranteedRef { ($0.flags, $0.function) }
        try runScript(
            cmd, on: evalEngine, source: .eval(script), flags: flags, readOnly: readOnly, keyCount: keyCount,
            function: function)
    }

    /// EVALSHA's reply for an unknown SHA1; built once (it is needed on every EVALSHA's path).
    static let noScript = ReplyError(code: "NOSCRIPT", "No matching script. Please use EVAL.")

    /// SCRIPT FLUSH: a new EVAL state and an empty cache.
    func resetEval() {
        scripts.removeAll()
        lastSHA = nil
        lastSHAScript = nil
        scriptBytes = 0
        let fresh = LuaEngine(kind: .eval, randomState: randomState)
        fresh.scripting = self
        evalEngine = fresh
    }

    /// SCRIPT KILL (`eval`) and FUNCTION KILL: stops the running script at its next hook,
    /// unless it wrote, or it is of the other kind (Redis's scriptKill).
    func kill(eval: Bool) throws(ReplyError) {
        guard let run else { throw ReplyError(code: "NOTBUSY", "No scripts in execution right now.") }
        if run.permissions.hasWritten {
            throw ReplyError(
                code: "UNKILLABLE",
                "Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
            )
        }
        if eval != run.isEval { throw BusyScript(session: run.caller, isEval: run.isEval).error }
        run.isKilled = true
    }

    /// Argument 2 as the number of keys, checked against the arguments that follow.
    /// (The error is made only where it is thrown: passing one in was two retains and releases.)
    func numberOfKeys(_ cmd: CommandContext, ofFunction: Bool) throws(ReplyError) -> Int {
        guard let count = cmd.args.int64(at: 2) else {
            throw ofFunction ? ReplyError("Bad number of keys provided") : .notInteger
        }
        if count > Int64(cmd.args.count - 3) { throw ReplyError("Number of keys can't be greater than number of args") }
        if count < 0 { throw ReplyError("Number of keys can't be negative") }
        return Int(count)
    }
}
