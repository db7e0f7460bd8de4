// Running one script (an EVAL script or a function), as Redis's
// scriptPrepareForRun + luaCallFunction: the checks its flags ask for, the run
// context, KEYS and ARGV, the count hook, the protected call under the error
// handler, then the reply: the script's return value converted, or its error
// with the line it came from.
import CLua
import CRedstartLua
import RedstartEngine
import RedstartRESP

extension Scripting {
    /// Runs the function with registry reference `function` in `lua` for `cmd`, whose
    /// argument 2 is the key count (checked: `keyCount`), and replies.
    func runScript(
        _ cmd: CommandContext, on lua: LuaEngine, source: ScriptSource, flags: ScriptFlags, readOnly: Bool,
        keyCount: Int, function: Int32
    ) throws(ReplyError) {
        if !flags.contains(.evalCompatibility) && !flags.contains(.noWrites) && readOnly {
            throw ReplyError("Can not execute a script with write flag using *_ro command.")
        }
        var permissions = ScriptCallPermissions(
            isReadOnly: readOnly || (!flags.contains(.evalCompatibility) && flags.contains(.noWrites)))
        permissions.propagation = .all
        permissions.allowsOOM = !flags.contains(.evalCompatibility) && flags.contains(.allowOOM)
        // The run borrows the command's arguments for as long as it lasts (ScriptRun).
        withUnsafePointer(to: cmd.args) { arguments in
            runBorrowing(
                cmd, arguments: arguments, on: lua, source: source, permissions: permissions, keyCount: keyCount,
                function: function)
        }
    }

    /// The run itself, once its flags allowed it.
    private func runBorrowing(
        _ cmd: CommandContext, arguments: UnsafePointer<CommandArguments>, on lua: LuaEngine, source: ScriptSource,
        permissions: ScriptCallPermissions, keyCount: Int, function: Int32
    ) {
        let isEval = source.isEval
        // (`cmd.engine`, not `engine`: each use of that unowned(unsafe) property retains.)
        let engine = cmd.engine
        let run = runState
        run.begin(
            caller: cmd.session, spec: cmd.spec, arguments: arguments, source: source, permissions: permissions,
            start: engine.clock.monotonicMicroseconds)
        isRunning = true
        scriptSession.databaseIndex = cmd.session.databaseIndex
        scriptSession.protocolVersion = .resp2
        if scriptSession.aclUser !== cmd.session.aclUser { scriptSession.aclUser = cmd.session.aclUser }
        defer {
            isRunning = false
            run.end()
        }

        let L = lua.state!
        let base = lua_gettop(L)
        redstart_lua_push_error_handler(L)
        lua_rawgeti(L, LUA_REGISTRYINDEX, function)
        pushArray(L, cmd.args, 3..<(3 + keyCount))
        pushArray(L, cmd.args, (3 + keyCount)..<cmd.args.count)
        if isEval { redstart_lua_set_keys_and_argv(L) }
        if engine.busyReplyThreshold > 0 { lua_sethook(L, redstart_lua_count_hook, Lua.maskCount, Scripting.hookInterval) }

        let status = redstart_lua_pcall(L, isEval ? 0 : 2, 1, base + 1)
        lua.collectGarbageIncrementally()
        if status == 0 {
            writeReturnValue(L, to: cmd.session, run: run)
        } else {
            replyFailure(L, to: cmd, run: run)
        }
        lua_sethook(L, nil, 0, 0)
        lua_settop(L, base)
    }

    /// Pushes a Lua array of the arguments in `range`.
    private func pushArray(_ L: LuaState, _ args: CommandArguments, _ range: Range<Int>) {
        Lua.newTable(L, array: Int32(range.count))
        var position: Int32 = 1
        for index in range {
            args.withBytes(at: index) { Lua.push(L, $0) }
            lua_rawseti(L, -2, position)
            position += 1
        }
    }

    /// Replies the error a script raised (on the top of the stack): `-<err> script: <name>,
    /// on <source>:<line>.`, counted in errorstats unless the command that raised it was.
    private func replyFailure(_ L: LuaState, to cmd: CommandContext, run: ScriptRun) {
        let error = lua_gettop(L)
        guard lua_type(L, error) == LUA_TTABLE else {
            // Only an error in the error handler itself (or no memory) leaves a plain value.
            let message = Lua.text(L, error).map { String(decoding: $0.prefix(100), as: UTF8.self) } ?? "execution failure"
            cmd.engine.replyError(cmd.session, ReplyError("Error running script \(run.name), \(message) "))
            return
        }
        var line = errorText(L, table: error)
        Lua.rawField(L, error, "source")
        let source = Lua.text(L, -1)
        Lua.rawField(L, error, "line")
        let number = Lua.text(L, -1)
        Lua.pop(L, 2)
        if let source, let number {
            line += Array(" script: \(run.name), on ".utf8) + source + [UInt8(ascii: ":")] + number + [UInt8(ascii: ".")]
        }
        engine.replyScriptError(cmd.session, line: line, countsStats: !ignoresStats(L, table: error), spec: cmd.spec)
    }

    /// The `err` text of the error table at `table`. A table without one is not something
    /// Redis handles (it crashes); it is reported as a failure of the script.
    func errorText(_ L: LuaState, table: Int32) -> [UInt8] {
        Lua.rawField(L, table, "err")
        defer { Lua.pop(L) }
        guard let text = Lua.text(L, -1) else {
            return Array("ERR Error running script: the error object has no 'err' field".utf8)
        }
        return Array(text.prefix { $0 != 0 })
    }

    /// Whether the error table at `table` was already counted by the command that raised it.
    func ignoresStats(_ L: LuaState, table: Int32) -> Bool {
        Lua.rawField(L, table, "ignore_error_stats_update")
        defer { Lua.pop(L) }
        return lua_type(L, -1) == LUA_TBOOLEAN && lua_toboolean(L, -1) != 0
    }

    // MARK: - The count hook

    /// Instructions between two calls of the count hook: often enough to pause a script
    /// that runs slow commands within a millisecond or so, rarely enough to cost nothing.
    static let hookInterval: Int32 = 10_000

    /// Every `hookInterval` instructions: stops a killed script, and once the script has run past
    /// busy-reply-threshold, pauses it so that the server answers others (-BUSY).
    func hookFired(_ L: LuaState, _ lua: LuaEngine) -> Int32 {
        if let load = loadingLibrary { return load.checkTimeout(L, now: engine.clock.monotonicMicroseconds) }
        guard let run else { return 0 }
        if !run.isKilled && !run.isTimedOut {
            let elapsed = (engine.clock.monotonicMicroseconds - run.start) / 1000
            if engine.busyReplyThreshold <= 0 || elapsed < engine.busyReplyThreshold { return 0 }
            run.isTimedOut = true
            engine.log(
                .warning,
                "Slow script detected: still in execution after \(elapsed) milliseconds. You can try killing the script using the \(run.isEval ? "SCRIPT KILL" : "FUNCTION KILL") command. Script name is: \(run.name)."
            )
        }
        if !run.isKilled { pauseIfPossible(run) }
        guard run.isKilled else { return 0 }
        if lua_gethookmask(L) != Lua.maskLine { engine.log(.warning, "Lua script killed by user with SCRIPT KILL.") }
        // From now on every line raises again, so that pcall cannot catch the kill for good.
        lua_sethook(L, redstart_lua_count_hook, Lua.maskLine, 0)
        Lua.pushErrorTable(L, "Script killed by user with SCRIPT KILL...")
        return -1
    }
}
