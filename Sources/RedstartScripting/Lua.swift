// Swift spellings of the Lua 5.1 C API's macros (Swift does not import function-like
// macros) and byte-level helpers. Rule for this module: no Lua API call made from Swift
// may raise a Lua error (longjmp must never cross Swift frames), so only calls that
// cannot fail except on memory exhaustion are made here; anything that can raise
// (running code, metamethods) goes through the C side.
import CLua
import CRedstartLua

typealias LuaState = OpaquePointer

enum Lua {
    static let maskCount: Int32 = 1 << 3
    static let maskLine: Int32 = 1 << 2

    @inline(__always) static func pop(_ L: LuaState, _ count: Int32 = 1) { lua_settop(L, -count - 1) }

    @inline(__always) static func newTable(_ L: LuaState, array: Int32 = 0, hash: Int32 = 0) {
        lua_createtable(L, array, hash)
    }

    /// Pushes `bytes` as a Lua string.
    @inline(__always) static func push(_ L: LuaState, _ bytes: UnsafeRawBufferPointer) {
        lua_pushlstring(L, bytes.baseAddress?.assumingMemoryBound(to: CChar.self) ?? emptyCString, bytes.count)
    }

    static func push(_ L: LuaState, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { push(L, $0) }
    }

    static func push(_ L: LuaState, _ text: String) {
        var text = text
        text.withUTF8 { push(L, UnsafeRawBufferPointer($0)) }
    }

    /// The bytes of the string at `index` (valid while it stays on the stack), or nil when
    /// the value is not a string. Numbers are not converted (that would change the stack).
    @inline(__always) static func stringBytes(_ L: LuaState, _ index: Int32) -> UnsafeRawBufferPointer? {
        guard lua_type(L, index) == LUA_TSTRING else { return nil }
        var length = 0
        guard let pointer = lua_tolstring(L, index, &length) else { return nil }
        return UnsafeRawBufferPointer(start: pointer, count: length)
    }

    /// A copy of the string or number at `index` as Lua's tostring would give it (numbers
    /// with %.14g), converting a copy so the stack is not changed.
    static func text(_ L: LuaState, _ index: Int32) -> [UInt8]? {
        let type = lua_type(L, index)
        guard type == LUA_TSTRING || type == LUA_TNUMBER else { return nil }
        lua_pushvalue(L, index)
        defer { pop(L) }
        var length = 0
        guard let pointer = lua_tolstring(L, -1, &length) else { return nil }
        return Array(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    /// `table[key]` without metamethods, pushed.
    @inline(__always) static func rawField(_ L: LuaState, _ table: Int32, _ key: StaticString) {
        lua_pushlstring(L, UnsafeRawPointer(key.utf8Start).assumingMemoryBound(to: CChar.self), key.utf8CodeUnitCount)
        lua_rawget(L, table < 0 && table > LUA_REGISTRYINDEX ? table - 1 : table)
    }

    /// `table[key] = top` without metamethods; pops the value. `table` must not be relative
    /// to the value just pushed (pass an absolute index).
    @inline(__always) static func setRawField(_ L: LuaState, _ table: Int32, _ key: StaticString) {
        lua_pushlstring(L, UnsafeRawPointer(key.utf8Start).assumingMemoryBound(to: CChar.self), key.utf8CodeUnitCount)
        lua_insert(L, -2)
        lua_rawset(L, table)
    }

    /// An absolute stack index for `index`.
    @inline(__always) static func absolute(_ L: LuaState, _ index: Int32) -> Int32 {
        index < 0 && index > LUA_REGISTRYINDEX ? lua_gettop(L) + index + 1 : index
    }

    /// Pushes {err = "<CODE> <message>"} the way Redis's luaPushErrorBuff builds it: `text`
    /// starting with `-` names its code in its first word; other text gets ERR; CR/LF at
    /// either end of the message are trimmed. With `ignoresStats` the table also says that
    /// the error was counted already (ignore_error_stats_update).
    static func pushErrorTable(_ L: LuaState, _ text: [UInt8], ignoresStats: Bool = false) {
        var code: ArraySlice<UInt8> = ArraySlice("ERR".utf8)
        var message = text[...]
        if text.first == UInt8(ascii: "-") {
            if let space = text.firstIndex(of: UInt8(ascii: " ")) {
                code = text[1..<space]
                message = text[(space + 1)...]
            } else {
                message = text[1...]
            }
        }
        while let first = message.first, first == 13 || first == 10 { message = message.dropFirst() }
        while let last = message.last, last == 13 || last == 10 { message = message.dropLast() }
        newTable(L, hash: 2)
        let table = lua_gettop(L)
        push(L, Array(code) + [UInt8(ascii: " ")] + Array(message))
        setRawField(L, table, "err")
        if ignoresStats {
            lua_pushboolean(L, 1)
            setRawField(L, table, "ignore_error_stats_update")
        }
    }

    static func pushErrorTable(_ L: LuaState, _ text: String, ignoresStats: Bool = false) {
        pushErrorTable(L, Array(text.utf8), ignoresStats: ignoresStats)
    }
}

nonisolated(unsafe) private let emptyCString: UnsafePointer<CChar> = {
    let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    pointer.initialize(to: 0)
    return UnsafePointer(pointer)
}()
