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
        guard isRunning else {
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
        // The engine, the caller and the spec (the command table's) outlive the call:
        // borrowed, not retained.
        let refusal = engineReference._withUnsafeGuaranteedRef { engine in
            run.callerReference!._withUnsafeGuaranteedRef { caller in
                guard let spec else {
                    return engine.callFromScript(args, spec: nil, in: scriptSession, caller: caller, permissions: &run.permissions)
                }
                return spec._withUnsafeGuaranteedRef { spec in
                    engine.callFromScript(args, spec: spec, in: scriptSession, caller: caller, permissions: &run.permissions)
                }
            }
        }
        if let refusal {
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
    /// Specs belong to the engine's command table, which never changes: unretained.
    @inline(__always)
    private func calledCommand(_ args: CommandArguments) -> Unmanaged<CommandSpec>? {
        guard let name = args.withBytes(at: 0, CalledCommandName.init) else {
            return engine.lookupCommand(args).map { Unmanaged.passUnretained($0) }
        }
        if let last = lastCalledCommand, last.name == name { return last.spec }
        guard let spec = engine.lookupCommand(args) else { return nil }
        let reference = Unmanaged.passUnretained(spec)
        if !spec.isContainer { lastCalledCommand = (name, reference) }
        return reference
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
    /// number, or there is none. One Lua call per argument finds its type and bytes; all
    /// bytes are then written in one go (one buffer access).
    private func collectArguments(_ L: LuaState) -> String? {
        let count = Int(lua_gettop(L))
        guard count > 0 else { return "Please specify at least one argument for this redis lib call" }
        callStrings.reserve(count)
        var room = 0
        for index in 0..<count {
            switch lua_type(L, Int32(index + 1)) {
            case LUA_TNUMBER:
                callStrings[index] = LuaStringArgument(bytes: nil, length: 0)
                room += 32
            case LUA_TSTRING:
                var length = 0
                let bytes = lua_tolstring(L, Int32(index + 1), &length)
                callStrings[index] = LuaStringArgument(bytes: bytes, length: length)
                room += length
            default:
                lua_settop(L, 0)
                return "Lua redis lib command arguments must be strings or integers"
            }
        }
        // Written in place: scripts call commands of the same arity over and over.
        if callSpans.count != count {
            callSpans.removeAll(keepingCapacity: true)
            callSpans.append(contentsOf: repeatElement(ArgumentSpan(offset: 0, length: 0), count: count))
        }
        callBuffer.clear()
        callBuffer.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { out in
            var position = 0
            for index in 0..<count {
                let start = position
                let argument = callStrings[index]
                if let bytes = argument.bytes {
                    out.baseAddress!.advanced(by: position).copyMemory(from: bytes, byteCount: argument.length)
                    position += argument.length
                } else {
                    let text = out.baseAddress!.advanced(by: position).assumingMemoryBound(to: CChar.self)
                    position += Int(redstart_format_g17(lua_tonumber(L, Int32(index + 1)), text))
                }
                callSpans[index] = ArgumentSpan(offset: start, length: position - start)
            }
            return position
        }
        // The strings' bytes were Lua's, valid while on the stack: popped only now.
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

/// A string argument of redis.call as Lua holds it (nil bytes: a number, formatted later).
struct LuaStringArgument {
    var bytes: UnsafePointer<CChar>?
    var length: Int
}

/// Scratch room for the arguments of one redis.call, grown to the most arguments seen.
struct LuaArgumentScratch {
    private var storage = UnsafeMutablePointer<LuaStringArgument>.allocate(capacity: 8)
    private var capacity = 8

    mutating func reserve(_ count: Int) {
        guard count > capacity else { return }
        storage.deallocate()
        capacity = max(count, capacity * 2)
        storage = .allocate(capacity: capacity)
    }

    subscript(index: Int) -> LuaStringArgument {
        get { storage[index] }
        nonmutating set { storage[index] = newValue }
    }

    func deallocate() { storage.deallocate() }
}
