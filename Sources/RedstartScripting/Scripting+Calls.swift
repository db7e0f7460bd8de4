// redis.call and redis.pcall: the Lua arguments become a command (numbers written
// with %.17g, as Redis does to keep their precision), the engine runs it in the
// script's client with the checks for commands from scripts, and its reply comes
// back to Lua (RESPToLua.swift). An error reply, or a refusal, is an error table;
// redis.call raises it, redis.pcall returns it.
import CLua
import CRedstartLua
import CRedstartShims
import NIOCore
import RedstartEngine
import RedstartRESP

extension Scripting {
    /// redis.call (`raising`) or redis.pcall with the arguments on the stack.
    func redisCall(_ L: LuaState, raising: Bool) -> Int32 {
        guard self.run != nil else {
            Lua.pushErrorTable(L, "redis.call/pcall can only be called inside a script invocation")
            return -1
        }
        // The run is always `runState`, a constant: no retain of it per call.
        let run = runState
        if let problem = collectArguments(L) {
            Lua.pushErrorTable(L, problem)
            return raising ? -1 : 1
        }
        let args = CommandArguments(storage: callBuffer, base: 0, spans: callSpans)
        let spec = calledCommand(args)
        if let refusal = engine.callFromScript(
            args, spec: spec, in: scriptSession, caller: run.caller, permissions: &run.permissions)
        {
            Lua.pushErrorTable(L, [UInt8(ascii: "-")] + Array(refusal.line.utf8), ignoresStats: true)
            return raising ? -1 : 1
        }
        let isError = pushReply(L, scriptSession.reply.buffer)
        scriptSession.reply.buffer.clear()
        return isError && raising ? -1 : 1
    }

    /// The command `args` call (nil: none). Scripts call the same few commands over and over,
    /// so the last one found is kept with its name as the script wrote it: comparing a few
    /// bytes is cheaper than folding the name's case and looking it up (a container's
    /// subcommands are looked up every time).
    @inline(__always)
    private func calledCommand(_ args: CommandArguments) -> CommandSpec? {
        guard let name = args.withBytes(at: 0, CalledCommandName.init) else { return engine.lookupCommand(args) }
        if let last = lastCalledCommand, last.name == name { return last.spec }
        let spec = engine.lookupCommand(args)
        if let spec, !spec.isContainer { lastCalledCommand = (name, spec) }
        return spec
    }

    /// redis.acl_check_cmd(command, ...): whether the script's user may run the command.
    func aclCheck(_ L: LuaState) -> Int32 {
        if let problem = collectArguments(L) {
            Lua.pushErrorTable(L, problem)
            return -1
        }
        let args = CommandArguments(storage: callBuffer, base: 0, spans: callSpans)
        guard let spec = engine.lookupCommand(args) else {
            Lua.pushErrorTable(L, "Invalid command passed to redis.acl_check_cmd()")
            return -1
        }
        lua_pushboolean(L, engine.permits(scriptSession.aclUser, spec, args) ? 1 : 0)
        return 1
    }

    /// Turns the stack's values into the command arguments (`callBuffer`, `callSpans`) and
    /// empties the stack; returns the error text when an argument is neither a string nor a
    /// number, or there is none. All bytes are written in one go (one buffer access).
    private func collectArguments(_ L: LuaState) -> String? {
        let count = lua_gettop(L)
        guard count > 0 else { return "Please specify at least one argument for this redis lib call" }
        var room = 0
        for index in 1...count {
            switch lua_type(L, index) {
            case LUA_TNUMBER: room += 32
            case LUA_TSTRING: room += Int(lua_objlen(L, index))
            default:
                lua_settop(L, 0)
                return "Lua redis lib command arguments must be strings or integers"
            }
        }
        callBuffer.clear()
        callSpans.removeAll(keepingCapacity: true)
        callBuffer.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { out in
            var position = 0
            for index in 1...count {
                let start = position
                if lua_type(L, index) == LUA_TNUMBER {
                    let text = out.baseAddress!.advanced(by: position).assumingMemoryBound(to: CChar.self)
                    position += Int(redstart_format_g17(lua_tonumber(L, index), text))
                } else {
                    var length = 0
                    let bytes = lua_tolstring(L, index, &length)!
                    out.baseAddress!.advanced(by: position).copyMemory(from: bytes, byteCount: length)
                    position += length
                }
                callSpans.append(ArgumentSpan(offset: start, length: position - start))
            }
            return position
        }
        lua_settop(L, 0)
        return nil
    }
}

/// A command name of at most 16 bytes as a script wrote it, compared in two words.
struct CalledCommandName: Equatable {
    private var words: (UInt64, UInt64) = (0, 0)
    private let length: Int

    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= 16 else { return nil }
        length = bytes.count
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: bytes) }
    }

    static func == (a: Self, b: Self) -> Bool {
        a.length == b.length && a.words.0 == b.words.0 && a.words.1 == b.words.1
    }
}
