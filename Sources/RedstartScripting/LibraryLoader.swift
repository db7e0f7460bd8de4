// Loading a function library (FUNCTION LOAD, FUNCTION RESTORE): the metadata
// line (`#!lua name=mylib`), then the library's code run once in the functions
// state with only the loading API visible (`redis.register_function`,
// `redis.log`), under a 500 ms timeout. A library that fails leaves everything
// as it was, including the library it was to replace. Redis's
// functionsCreateWithLibraryCtx and luaEngineCreate, with their error texts.
import CLua
import CRedstartLua
import RedstartEngine
import RedstartRESP

/// The library whose code is running, collecting what it registers.
final class LibraryLoad {
    let library: FunctionLibrary
    let start: Int64
    /// Microseconds the code may run; 0 for no limit.
    let timeout: Int64

    init(library: FunctionLibrary, start: Int64, timeout: Int64) {
        self.library = library
        self.start = start
        self.timeout = timeout
    }

    /// From the count hook: raises "FUNCTION LOAD timeout" once the code ran too long.
    func checkTimeout(_ L: LuaState, now: Int64) -> Int32 {
        guard timeout > 0 && now - start > timeout else { return 0 }
        lua_sethook(L, redstart_lua_count_hook, Lua.maskLine, 0)
        Lua.pushErrorTable(L, "FUNCTION LOAD timeout")
        return -1
    }
}

/// The `#!<engine> name=<library>` line of a library's code.
struct LibraryMetadata {
    var engine: [UInt8]
    var name: [UInt8]
    /// The code after the metadata line (from its newline on).
    var codeStart: Int

    /// Parses the metadata of `code` (Redis's functionExtractLibMetaData).
    static func parse(_ code: [UInt8]) throws(ReplyError) -> LibraryMetadata {
        guard code.starts(with: "#!".utf8) else { throw ReplyError("Missing library metadata") }
        guard let end = code.firstIndex(of: UInt8(ascii: "\n")) else { throw ReplyError("Invalid library metadata") }
        guard let parts = code.withUnsafeBytes({ splitInlineArguments(UnsafeRawBufferPointer(rebasing: $0[..<end])) }),
            !parts.isEmpty
        else { throw ReplyError("Invalid library metadata") }
        var name: [UInt8]?
        for part in parts.dropFirst() {
            guard part.count >= 5, part.prefix(5).map({ $0 | 0x20 }) == Array("name=".utf8) else {
                throw ReplyError("Invalid metadata value given: " + String(decoding: part, as: UTF8.self))
            }
            guard name == nil else { throw ReplyError("Invalid metadata value, name argument was given multiple times") }
            name = Array(part.dropFirst(5))
        }
        guard let name else { throw ReplyError("Library name was not given") }
        return LibraryMetadata(engine: Array(parts[0].dropFirst(2)), name: name, codeStart: end)
    }
}

/// Library and function names: letters, digits and underscores, at least one.
func isValidFunctionName(_ name: [UInt8]) -> Bool {
    !name.isEmpty
        && name.allSatisfy { byte in
            (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || (byte >= 48 && byte <= 57) || byte == 95
        }
}

private let invalidNameError = ReplyError(
    "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")

extension Scripting {
    /// Loads the library in `code` into `libraries` (replacing one of the same name when
    /// `replace`), returning it; throws Redis's error and changes nothing on failure.
    func loadLibrary(
        _ code: [UInt8], replace: Bool, into libraries: inout FunctionLibraries, timeLimited: Bool
    ) throws(ReplyError) -> FunctionLibrary {
        let metadata = try LibraryMetadata.parse(code)
        guard isValidFunctionName(metadata.name) else { throw invalidNameError }
        guard metadata.engine.map({ $0 | 0x20 }) == Array("lua".utf8) else {
            throw ReplyError("Engine '\(String(decoding: metadata.engine, as: UTF8.self))' not found")
        }
        let name = String(decoding: metadata.name, as: UTF8.self)
        let old = libraries.library(named: name)
        if old != nil && !replace { throw ReplyError("Library '\(name)' already exists") }
        if let old { libraries.unlink(old) }
        let library = FunctionLibrary(name: name, code: code)
        let L = functionsEngine.state!
        do throws(ReplyError) {
            try runLibraryCode(library, code[metadata.codeStart...], timeLimited: timeLimited)
            if library.functions.isEmpty { throw ReplyError("No functions registered") }
            if let taken = libraries.collision(with: library) { throw ReplyError("Function \(taken.name) already exists") }
        } catch {
            library.release(in: L)
            if let old { libraries.link(old) }
            throw error
        }
        libraries.link(library)
        old?.release(in: L)
        return library
    }

    /// Runs a library's code with the loading API as its globals (Redis's luaEngineCreate).
    private func runLibraryCode(_ library: FunctionLibrary, _ code: ArraySlice<UInt8>, timeLimited: Bool) throws(ReplyError) {
        let L = functionsEngine.state!
        let base = lua_gettop(L)
        redstart_lua_functions_set_loading(L, 1)
        defer {
            redstart_lua_functions_set_loading(L, 0)
            lua_sethook(L, nil, 0, 0)
            loadingLibrary = nil
            lua_settop(L, base)
        }
        let status = code.withUnsafeBytes { raw in
            redstart_lua_load_text(L, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count, "@user_function")
        }
        if status != 0 {
            throw ReplyError("Error compiling function: " + String(decoding: Lua.text(L, -1) ?? [], as: UTF8.self))
        }
        loadingLibrary = LibraryLoad(
            library: library, start: engine.clock.monotonicMicroseconds, timeout: timeLimited ? 500_000 : 0)
        lua_sethook(L, redstart_lua_count_hook, Lua.maskCount, Scripting.hookInterval)
        if redstart_lua_pcall(L, 0, 0, 0) != 0 {
            let message: [UInt8]
            if lua_type(L, -1) == LUA_TTABLE {
                message = errorText(L, table: lua_gettop(L))
            } else {
                message = Array("ERR ".utf8) + (Lua.text(L, -1) ?? [])
            }
            throw ReplyError("Error registering functions: " + String(decoding: message, as: UTF8.self))
        }
    }

    /// redis.register_function(name, callback) or redis.register_function{function_name=...,
    /// callback=..., description=..., flags={...}} while a library loads.
    func registerFunction(_ L: LuaState) -> Int32 {
        guard let load = loadingLibrary else {
            Lua.pushErrorTable(L, "redis.register_function can only be called on FUNCTION LOAD command")
            return -1
        }
        var name: [UInt8]?
        var description: [UInt8]?
        var flags: ScriptFlags = []
        var callback: Int32?
        func fail(_ message: String) -> Int32 {
            if let callback { luaL_unref(L, LUA_REGISTRYINDEX, callback) }
            Lua.pushErrorTable(L, message)
            return -1
        }
        let count = lua_gettop(L)
        guard count == 1 || count == 2 else { return fail("wrong number of arguments to redis.register_function") }
        if count == 2 {
            guard let given = Lua.text(L, 1) else { return fail("first argument to redis.register_function must be a string") }
            guard lua_type(L, 2) == LUA_TFUNCTION else {
                return fail("second argument to redis.register_function must be a function")
            }
            name = given
            callback = luaL_ref(L, LUA_REGISTRYINDEX)
        } else {
            guard lua_type(L, 1) == LUA_TTABLE else {
                return fail(
                    "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments)."
                )
            }
            lua_pushnil(L)
            while lua_next(L, 1) != 0 {
                guard let key = Lua.text(L, -2) else {
                    return fail("named argument key given to redis.register_function is not a string")
                }
                switch String(decoding: key.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }, as: UTF8.self) {
                case "function_name":
                    guard let given = Lua.text(L, -1) else {
                        return fail("function_name argument given to redis.register_function must be a string")
                    }
                    name = given
                case "description":
                    guard let given = Lua.text(L, -1) else {
                        return fail("description argument given to redis.register_function must be a string")
                    }
                    description = given
                case "callback":
                    guard lua_type(L, -1) == LUA_TFUNCTION else {
                        return fail("callback argument given to redis.register_function must be a function")
                    }
                    if let callback { luaL_unref(L, LUA_REGISTRYINDEX, callback) }
                    callback = luaL_ref(L, LUA_REGISTRYINDEX)  // pops the value
                    continue
                case "flags":
                    guard lua_type(L, -1) == LUA_TTABLE else {
                        return fail(
                            "flags argument to redis.register_function must be a table representing function flags")
                    }
                    guard let declared = readFlags(L, table: lua_gettop(L)) else { return fail("unknown flag given") }
                    flags = declared
                default:
                    return fail("unknown argument given to redis.register_function")
                }
                Lua.pop(L)
            }
            guard name != nil else { return fail("redis.register_function must get a function name argument") }
            guard callback != nil else { return fail("redis.register_function must get a callback argument") }
        }
        guard let name, let callback else { return 0 }
        guard isValidFunctionName(name) else { return fail(invalidNameError.line.dropFirst(4).description) }
        let functionName = String(decoding: name, as: UTF8.self)
        guard load.library.function(named: functionName) == nil else {
            return fail("Function already exists in the library")
        }
        load.library.add(
            ScriptFunction(
                name: functionName, description: description, flags: flags, reference: callback, library: load.library))
        return 0
    }

    /// The flags listed in the array at `table`, or nil for one that is not a known name.
    private func readFlags(_ L: LuaState, table: Int32) -> ScriptFlags? {
        var flags: ScriptFlags = []
        var index: Int32 = 1
        while true {
            lua_rawgeti(L, table, index)
            defer { Lua.pop(L) }
            if lua_type(L, -1) == LUA_TNIL { return flags }
            guard let text = Lua.text(L, -1), let flag = ScriptFlags.named(ignoringCase: text) else { return nil }
            flags.insert(flag)
            index += 1
        }
    }
}
