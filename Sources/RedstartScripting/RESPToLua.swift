// A command's reply, as the engine wrote it in RESP2 or RESP3, turned into the Lua
// value a script sees (Redis's redisProtocolToLuaType): integers become numbers,
// bulk strings strings, a nil bulk or nil array false, arrays tables, a status
// {ok=...}, an error an error table (already counted), and under RESP3 maps
// {map={...}}, sets {set={member=true}}, doubles {double=...}, big numbers
// {big_number=...}, verbatim strings {verbatim_string={format=..., string=...}},
// booleans booleans and null nil. Attributes are skipped. The bytes come from the
// engine, so they are well formed; the parser still never reads past them.
import CLua
import NIOCore

extension Scripting {
    /// Pushes the Lua value of the reply in `buffer`; returns whether it is an error.
    func pushReply(_ L: LuaState, _ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { bytes in
            var parser = ReplyParser(bytes: bytes)
            return parser.push(L)
        }
    }
}

/// Walks one reply and pushes its Lua value.
private struct ReplyParser {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Pushes the next value (nothing when `L` is nil: skipping an attribute); returns
    /// whether it was an error.
    @discardableResult
    mutating func push(_ L: LuaState?) -> Bool {
        guard position < bytes.count else {
            if let L { lua_pushnil(L) }
            return false
        }
        if let L { _ = lua_checkstack(L, 5) }
        let type = bytes[position]
        position += 1
        switch type {
        case UInt8(ascii: ":"):
            let value = integerLine()
            if let L { lua_pushnumber(L, Double(value)) }
        case UInt8(ascii: "$"):
            let length = integerLine()
            guard length >= 0 else {
                if let L { lua_pushboolean(L, 0) }
                return false
            }
            let text = take(Int(length))
            position += 2
            if let L { Lua.push(L, text) }
        case UInt8(ascii: "+"):
            let text = line()
            if let L {
                Lua.newTable(L, hash: 1)
                Lua.push(L, text)
                Lua.setRawField(L, lua_gettop(L) - 1, "ok")
            }
        case UInt8(ascii: "-"):
            let text = line()
            if let L { Lua.pushErrorTable(L, [UInt8(ascii: "-")] + Array(text), ignoresStats: true) }
            return true
        case UInt8(ascii: "*"):
            let count = integerLine()
            guard count >= 0 else {
                if let L { lua_pushboolean(L, 0) }
                return false
            }
            if let L { Lua.newTable(L, array: Int32(clamping: count)) }
            for index in 0..<Int(count) {
                push(L)
                if let L { lua_rawseti(L, -2, Int32(index + 1)) }
            }
        case UInt8(ascii: "%"):
            let count = integerLine()
            pushWrapped(L, "map", hash: Int32(clamping: count)) { parser in
                for _ in 0..<Int(count) {
                    parser.push(L)
                    parser.push(L)
                    if let L { lua_rawset(L, -3) }
                }
            }
        case UInt8(ascii: "~"):
            let count = integerLine()
            pushWrapped(L, "set", hash: Int32(clamping: count)) { parser in
                for _ in 0..<Int(count) {
                    parser.push(L)
                    if let L {
                        lua_pushboolean(L, 1)
                        lua_rawset(L, -3)
                    }
                }
            }
        case UInt8(ascii: "_"):
            position += 2
            if let L { lua_pushnil(L) }
        case UInt8(ascii: "#"):
            let value = line()
            if let L { lua_pushboolean(L, value.first == UInt8(ascii: "t") ? 1 : 0) }
        case UInt8(ascii: ","):
            let text = String(decoding: line(), as: UTF8.self)
            if let L {
                Lua.newTable(L, hash: 1)
                lua_pushnumber(L, parseDouble(text))
                Lua.setRawField(L, lua_gettop(L) - 1, "double")
            }
        case UInt8(ascii: "("):
            let text = line()
            if let L {
                Lua.newTable(L, hash: 1)
                Lua.push(L, text)
                Lua.setRawField(L, lua_gettop(L) - 1, "big_number")
            }
        case UInt8(ascii: "="):
            let length = Int(integerLine())
            let all = take(length)
            position += 2
            if let L {
                Lua.newTable(L, hash: 1)
                Lua.newTable(L, hash: 2)
                let inner = lua_gettop(L)
                Lua.push(L, UnsafeRawBufferPointer(rebasing: all[min(4, all.count)...]))
                Lua.setRawField(L, inner, "string")
                Lua.push(L, UnsafeRawBufferPointer(rebasing: all[..<min(3, all.count)]))
                Lua.setRawField(L, inner, "format")
                Lua.setRawField(L, inner - 1, "verbatim_string")
            }
        case UInt8(ascii: "|"):
            let count = integerLine()
            for _ in 0..<(2 * Int(count)) { push(nil) }
            return push(L)
        default:
            // Not a reply the engine writes for a script's client: nil, and stop here.
            position = bytes.count
            if let L { lua_pushnil(L) }
        }
        return false
    }

    /// Pushes {<name> = {...}} with the inner table filled by `fill` (on the stack's top).
    private mutating func pushWrapped(
        _ L: LuaState?, _ name: StaticString, hash: Int32, _ fill: (inout ReplyParser) -> Void
    ) {
        if let L {
            Lua.newTable(L, hash: 1)
            Lua.newTable(L, hash: hash)
        }
        fill(&self)
        if let L { Lua.setRawField(L, lua_gettop(L) - 1, name) }
    }

    /// The bytes up to CRLF, moving past it.
    private mutating func line() -> UnsafeRawBufferPointer {
        let start = position
        while position + 1 < bytes.count && !(bytes[position] == 13 && bytes[position + 1] == 10) { position += 1 }
        let text = UnsafeRawBufferPointer(rebasing: bytes[start..<min(position, bytes.count)])
        position = min(position + 2, bytes.count)
        return text
    }

    private mutating func integerLine() -> Int64 {
        let text = line()
        var value: Int64 = 0
        var negative = false
        for byte in text {
            if byte == UInt8(ascii: "-") {
                negative = true
            } else {
                value = value &* 10 &+ Int64(byte &- UInt8(ascii: "0"))
            }
        }
        return negative ? -value : value
    }

    private mutating func take(_ count: Int) -> UnsafeRawBufferPointer {
        let end = min(position + max(count, 0), bytes.count)
        defer { position = end }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<end])
    }

    private func parseDouble(_ text: String) -> Double {
        switch text {
        case "inf": return .infinity
        case "-inf": return -.infinity
        default: return Double(text) ?? .nan
        }
    }
}
