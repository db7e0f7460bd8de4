// A script's return value turned into the reply (Redis's luaReplyToRedisReply):
// strings are bulk strings, numbers integers (truncated as C's cast does), true
// 1 and false a null (or RESP3 booleans after redis.setresp(3)), tables arrays up
// to their first nil, except the tables that stand for other replies: {err=...},
// {ok=...}, {double=...}, {big_number=...}, {verbatim_string={...}}, {map={...}}
// and {set={...}}. Fields are read raw, so a metatable on the returned table
// changes nothing. Nesting deeper than Lua's stack allows ends in an error element.
import CLua
import RedstartEngine
import RedstartRESP

extension Scripting {
    /// Writes the value on the top of the stack to `session`'s replies and pops it.
    func writeReturnValue(_ L: LuaState, to session: Session, run: ScriptRun) {
        guard lua_checkstack(L, 4) != 0 else {
            engine.replyError(session, ReplyError("reached lua stack limit"))
            Lua.pop(L)
            return
        }
        switch lua_type(L, -1) {
        case LUA_TSTRING:
            session.reply.bulk(Lua.stringBytes(L, -1)!)
        case LUA_TBOOLEAN:
            let value = lua_toboolean(L, -1) != 0
            if run.protocolVersion == .resp2 {
                if value { session.reply.integer(1) } else { session.reply.null() }
            } else {
                session.reply.bool(value)
            }
        case LUA_TNUMBER:
            session.reply.integer(truncatedLikeC(lua_tonumber(L, -1)))
        case LUA_TTABLE:
            writeTable(L, to: session, run: run)
        default:
            session.reply.null()
        }
        Lua.pop(L)
    }

    /// The table on the top of the stack (left there).
    private func writeTable(_ L: LuaState, to session: Session, run: ScriptRun) {
        let table = lua_gettop(L)
        Lua.rawField(L, table, "err")
        if let message = Lua.stringBytes(L, -1) {
            // Redis copies the text as a C string: it ends at the first NUL.
            let text = Array(message.prefix { $0 != 0 })
            Lua.pop(L)
            engine.replyScriptError(session, line: text, countsStats: !ignoresStats(L, table: table), spec: run.spec)
            return
        }
        Lua.pop(L)
        if let text = stringField(L, table, "ok") {
            writeLine(session, prefix: "+", Array(text.prefix { $0 != 0 }))
            return
        }
        Lua.rawField(L, table, "double")
        if lua_type(L, -1) == LUA_TNUMBER {
            session.reply.double(lua_tonumber(L, -1))
            Lua.pop(L)
            return
        }
        Lua.pop(L)
        if let digits = stringField(L, table, "big_number") {
            if session.protocolVersion == .resp3 {
                writeLine(session, prefix: "(", digits)
            } else {
                session.reply.bulk(digits.map { $0 == 13 || $0 == 10 ? UInt8(ascii: " ") : $0 })
            }
            return
        }
        if writeVerbatim(L, table, to: session) { return }
        Lua.rawField(L, table, "map")
        if lua_type(L, -1) == LUA_TTABLE {
            let map = lua_gettop(L)
            session.reply.mapHeader(pairCount(L, map))
            lua_pushnil(L)
            while lua_next(L, map) != 0 {
                lua_pushvalue(L, -2)
                writeReturnValue(L, to: session, run: run)  // the key
                writeReturnValue(L, to: session, run: run)  // the value
            }
            Lua.pop(L)
            return
        }
        Lua.pop(L)
        Lua.rawField(L, table, "set")
        if lua_type(L, -1) == LUA_TTABLE {
            let set = lua_gettop(L)
            session.reply.setHeader(pairCount(L, set))
            lua_pushnil(L)
            while lua_next(L, set) != 0 {
                Lua.pop(L)
                lua_pushvalue(L, -1)
                writeReturnValue(L, to: session, run: run)
            }
            Lua.pop(L)
            return
        }
        Lua.pop(L)
        // An array: the elements up to the first nil.
        var count: Int32 = 0
        while true {
            lua_rawgeti(L, table, count + 1)
            let isNil = lua_type(L, -1) == LUA_TNIL
            Lua.pop(L)
            if isNil { break }
            count += 1
        }
        session.reply.arrayHeader(Int(count))
        for index in 0..<count {
            lua_rawgeti(L, table, index + 1)
            writeReturnValue(L, to: session, run: run)
        }
    }

    /// `{verbatim_string = {format = ..., string = ...}}`: writes it and returns true.
    private func writeVerbatim(_ L: LuaState, _ table: Int32, to session: Session) -> Bool {
        Lua.rawField(L, table, "verbatim_string")
        defer { Lua.pop(L) }
        guard lua_type(L, -1) == LUA_TTABLE else { return false }
        let inner = lua_gettop(L)
        guard let format = stringField(L, inner, "format"), let text = stringField(L, inner, "string") else {
            return false
        }
        if session.protocolVersion == .resp3 {
            // Three bytes of format, padded with spaces as Redis's reply does.
            let prefix = Array((format + [32, 32, 32]).prefix(3)) + [UInt8(ascii: ":")]
            session.reply.writeNumberLine(prefix: UInt8(ascii: "="), Int64(text.count + 4))
            session.reply.buffer.writeBytes(prefix)
            session.reply.buffer.writeBytes(text)
            session.reply.buffer.writeStaticString("\r\n")
        } else {
            session.reply.bulk(text)
        }
        return true
    }

    /// The string field `key` of the table at `table` (read raw), or nil.
    private func stringField(_ L: LuaState, _ table: Int32, _ key: StaticString) -> [UInt8]? {
        Lua.rawField(L, table, key)
        defer { Lua.pop(L) }
        return Lua.stringBytes(L, -1).map { Array($0) }
    }

    /// The number of pairs in the table at `table`.
    private func pairCount(_ L: LuaState, _ table: Int32) -> Int {
        var count = 0
        lua_pushnil(L)
        while lua_next(L, table) != 0 {
            Lua.pop(L)
            count += 1
        }
        return count
    }

    /// `<prefix><text>\r\n` with CR and LF in `text` as spaces (status and big number lines).
    private func writeLine(_ session: Session, prefix: Character, _ text: [UInt8]) {
        session.reply.buffer.writeInteger(prefix.asciiValue!)
        session.reply.buffer.writeBytes(text.map { $0 == 13 || $0 == 10 ? UInt8(ascii: " ") : $0 })
        session.reply.buffer.writeStaticString("\r\n")
    }
}

/// A Lua number as C's `(long long)` cast gives it on x86-64, the reference: truncated
/// toward zero, and the minimum for NaN and values out of range.
func truncatedLikeC(_ value: Double) -> Int64 {
    guard value >= -9_223_372_036_854_775_808.0 && value < 9_223_372_036_854_775_808.0 else { return .min }
    return Int64(value)
}
