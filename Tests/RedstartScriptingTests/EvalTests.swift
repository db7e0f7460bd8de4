// EVAL and friends in-process: conversions both ways, errors with their script
// location and statistics, the sandbox's protections, the script cache. Expected
// replies are redis-server 7.0.15's, byte for byte.
import NIOCore
import RedstartEngine
import Testing

@Suite struct EvalTests {
    let h = ScriptingHarness()

    @Test func luaValuesBecomeReplies() {
        let s = h.connect()
        #expect(h.raw(s, "EVAL", "return 'hello'", "0") == "$5\r\nhello\r\n")
        #expect(h.raw(s, "EVAL", "return 100.5", "0") == ":100\r\n")
        #expect(h.raw(s, "EVAL", "return -3.9", "0") == ":-3\r\n")
        #expect(h.raw(s, "EVAL", "return 0/0", "0") == ":-9223372036854775808\r\n")
        #expect(h.raw(s, "EVAL", "return true", "0") == ":1\r\n")
        #expect(h.raw(s, "EVAL", "return false", "0") == "$-1\r\n")
        #expect(h.raw(s, "EVAL", "return nil", "0") == "$-1\r\n")
        #expect(h.raw(s, "EVAL", "return {ok='fine'}", "0") == "+fine\r\n")
        #expect(h.raw(s, "EVAL", "return {err='ERR this is an error'}", "0") == "-ERR this is an error\r\n")
        #expect(h.raw(s, "EVAL", "return {1,2,3,'ciao',{1,2}}", "0") == "*5\r\n:1\r\n:2\r\n:3\r\n$4\r\nciao\r\n*2\r\n:1\r\n:2\r\n")
        // Arrays end at the first nil; a table's other fields do not count.
        #expect(h.raw(s, "EVAL", "return {1,2,nil,3}", "0") == "*2\r\n:1\r\n:2\r\n")
        #expect(h.raw(s, "EVAL", "return {err=12}", "0") == "*0\r\n")
        #expect(h.raw(s, "EVAL", "return {1, {err='x'}, 3}", "0") == "*3\r\n:1\r\n-x\r\n:3\r\n")
        #expect(h.raw(s, "EVAL", "return redis.status_reply('a\\r\\nb')", "0") == "+a  b\r\n")
        #expect(h.raw(s, "EVAL", "return redis.error_reply('X Y')", "0") == "-X Y\r\n")
        #expect(h.raw(s, "EVAL", "return redis.error_reply('')", "0") == "-ERR \r\n")
    }

    @Test func resp3TypesFollowTheScriptsAndTheClientsProtocol() {
        let s = h.connect()
        h.raw(s, "HSET", "h", "f", "v")
        let map = "redis.setresp(3); return redis.call('hgetall', KEYS[1])"
        #expect(h.raw(s, "EVAL", map, "1", "h") == "*2\r\n$1\r\nf\r\n$1\r\nv\r\n")
        h.raw(s, "HELLO", "3")
        #expect(h.raw(s, "EVAL", map, "1", "h") == "%1\r\n$1\r\nf\r\n$1\r\nv\r\n")
        #expect(h.raw(s, "EVAL", "redis.setresp(2); return redis.call('hgetall', KEYS[1])", "1", "h")
            == "*2\r\n$1\r\nf\r\n$1\r\nv\r\n")
        #expect(h.raw(s, "EVAL", "return {double=3.5}", "0") == ",3.5\r\n")
        #expect(h.raw(s, "EVAL", "return {big_number='123\\r\\n4'}", "0") == "(123  4\r\n")
        #expect(h.raw(s, "EVAL", "return {verbatim_string={format='txt', string='hi'}}", "0") == "=6\r\ntxt:hi\r\n")
        #expect(h.raw(s, "EVAL", "return {set={a=true}}", "0") == "~1\r\n$1\r\na\r\n")
        #expect(h.raw(s, "EVAL", "return false", "0") == "_\r\n")
        #expect(h.raw(s, "EVAL", "redis.setresp(3) return false", "0") == "#f\r\n")
        h.raw(s, "ZADD", "z", "1.5", "m")
        #expect(h.raw(s, "EVAL", "redis.setresp(3) local d = redis.call('zscore', 'z', 'm') return {type(d), d.double}", "0")
            == "*2\r\n$5\r\ntable\r\n:1\r\n")
    }

    @Test func repliesBecomeLuaValues() {
        let s = h.connect()
        h.raw(s, "SET", "x", "0")
        #expect(h.raw(s, "EVAL", "local v = redis.pcall('incr', KEYS[1]) return {type(v), v}", "1", "x")
            == "*2\r\n$6\r\nnumber\r\n:1\r\n")
        #expect(h.raw(s, "EVAL", "local v = redis.call('get', 'nope') return {type(v), v == false}", "0")
            == "*2\r\n$7\r\nboolean\r\n:1\r\n")
        #expect(h.raw(s, "EVAL", "local v = redis.call('set', 'k', 'v') return {type(v), v['ok']}", "0")
            == "*2\r\n$5\r\ntable\r\n$2\r\nOK\r\n")
        h.raw(s, "SET", "str", "abc")
        #expect(h.raw(s, "EVAL", "local v = redis.pcall('incr', 'str') return v['err']", "0")
            == "$43\r\nERR value is not an integer or out of range\r\n")
        #expect(h.raw(s, "EVAL", "return redis.call('set', 'p', 9007199254740991) and redis.call('get', 'p')", "0")
            == "$16\r\n9007199254740991\r\n")
        #expect(h.raw(s, "EVAL", "redis.call('set', 'f', 0.1) return redis.call('get', 'f')", "0")
            == "$19\r\n0.10000000000000001\r\n")
    }

    @Test func errorsCarryTheScriptAndLine() {
        let s = h.connect()
        #expect(h.raw(s, "EVAL", "return a", "0")
            == "-ERR user_script:1: Script attempted to access nonexistent global variable 'a' script: bbfcd1ececc90deec823f7fb730e4bfb2a4ba625, on @user_script:1.\r\n")
        #expect(h.raw(s, "EVAL", "redis.call('incr','x','y')", "0")
            == "-ERR Wrong number of args calling Redis command from script script: a9326b000e2247558d77ff6bcce63bc9d102d37b, on @user_script:1.\r\n")
        #expect(h.raw(s, "EVAL", "error({err='-E X'})", "0")
            == "--E X script: c01a2669961fa2ec668bffaa74f97145cf353083, on @user_script:1.\r\n")
        #expect(h.raw(s, "EVAL", "return redis.pcall('nosuch')", "0") == "-ERR Unknown Redis command called from script\r\n")
        #expect(h.raw(s, "EVAL", "return redis.pcall('blpop', 'a', 0)", "0") == "-ERR This Redis command is not allowed from script\r\n")
        #expect(h.raw(s, "EVAL", "return redis.pcall('get', {})", "0") == "-ERR Lua redis lib command arguments must be strings or integers\r\n")
        #expect(h.raw(s, "EVAL", "return redis.pcall()", "0") == "-ERR Please specify at least one argument for this redis lib call\r\n")
        #expect(h.raw(s, "EVAL_RO", "redis.call('del', KEYS[1])", "1", "x").hasPrefix(
            "-ERR Write commands are not allowed from read-only scripts."))
        #expect(h.raw(s, "EVAL", "local ok, e = pcall(function() redis.call('incr', 'x', 'y') end) return e", "0")
            == "$58\r\nERR Wrong number of args calling Redis command from script\r\n")
        #expect(h.raw(s, "EVAL", "return 'x'", "-1") == "-ERR Number of keys can't be negative\r\n")
        #expect(h.raw(s, "EVAL", "return 'x'", "2", "a") == "-ERR Number of keys can't be greater than number of args\r\n")
        #expect(h.raw(s, "EVAL", "return 'x'", "a") == "-ERR value is not an integer or out of range\r\n")
        #expect(h.raw(s, "EVAL", "bad script", "0").hasPrefix("-ERR Error compiling script (new function): user_script:1:"))
    }

    @Test func errorStatisticsCountEachErrorOnce() {
        let s = h.connect()
        h.raw(s, "EVAL", "return redis.call('select', 99)", "0")
        let info = h.raw(s, "INFO", "stats")
        #expect(info.contains("total_error_replies:1\r\n"))
        let commandStats = h.raw(s, "INFO", "commandstats")
        #expect(commandStats.contains("cmdstat_select:calls=1,") && commandStats.contains("rejected_calls=0,failed_calls=1"))
        #expect(commandStats.contains("cmdstat_eval:calls=1,"))
        #expect(h.raw(s, "INFO", "errorstats").contains("errorstat_ERR:count=1\r\n"))

        h.raw(s, "CONFIG", "RESETSTAT")
        #expect(h.raw(s, "EVAL_RO", "local t = redis.pcall('set', 'x', 'y') return 1", "0") == ":1\r\n")
        let after = h.raw(s, "INFO", "commandstats")
        #expect(after.contains("cmdstat_set:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0"))
        #expect(after.contains("cmdstat_eval_ro:calls=1,") && after.contains("rejected_calls=0,failed_calls=0"))
        #expect(h.raw(s, "INFO", "stats").contains("total_error_replies:1\r\n"))

        h.raw(s, "CONFIG", "RESETSTAT")
        #expect(h.raw(s, "EVAL", "return redis.error_reply('MY_CODE custom')", "0") == "-MY_CODE custom\r\n")
        #expect(h.raw(s, "INFO", "errorstats").contains("errorstat_MY_CODE:count=1\r\n"))
    }

    @Test func theSandboxIsReadOnly() {
        let s = h.connect()
        let readonly = "Attempt to modify a readonly table"
        for script in [
            "a = 10", "redis = function() return 1 end", "redis.call = 1", "cjson.encode = 1", "cmsgpack.pack = 1",
            "bit.lshift = 1", "_G = {}", "local g = getmetatable(_G); g.__index = {}", "getmetatable('').__index = {}",
            "KEYS = {}",
        ] {
            #expect(h.raw(s, "EVAL", script, "0").contains("user_script:1: \(readonly)"), "\(script)")
        }
        for script in ["rawset(redis, 'x', 1)", "setmetatable(_G, {})", "table.insert(string, 1)",
                       "local f, t = pairs(string); rawset(t, 'x', 1)"] {
            #expect(h.raw(s, "EVAL", script, "0").hasPrefix("-ERR \(readonly) script:"), "\(script)")
        }
        for name in ["print", "loadfile", "dofile", "getfenv", "setfenv", "newproxy"] {
            #expect(h.raw(s, "EVAL", "\(name)('x')", "0").contains("nonexistent global variable '\(name)'"))
        }
        #expect(h.raw(s, "EVAL", "return rawget(redis, 'call') ~= nil", "0") == ":1\r\n")
        #expect(h.raw(s, "EVAL", "local n = 0 for k in pairs(redis) do n = n + 1 end return n", "0") == ":23\r\n")
        #expect(h.raw(s, "EVAL", "return loadstring(string.dump(function() return 1 end))", "0") == "$-1\r\n")
        #expect(h.raw(s, "EVAL", "table.sort(_G) return 1", "0") == ":1\r\n")
        // Tables a script makes are its own.
        #expect(h.raw(s, "EVAL", "local t = {} setmetatable(t, {}) rawset(t, 'a', 1) KEYS[1] = 'k' return t.a", "0") == ":1\r\n")
    }

    @Test func theScriptCacheKeysScriptsBySHA1() {
        let s = h.connect()
        h.raw(s, "SET", "mykey", "myval")
        #expect(h.raw(s, "EVAL", "return redis.call('get',KEYS[1])", "1", "mykey") == "$5\r\nmyval\r\n")
        #expect(h.raw(s, "EVALSHA", "fd758d1589d044dd850a6f05d52f2eefd27f033f", "1", "mykey") == "$5\r\nmyval\r\n")
        #expect(h.raw(s, "EVALSHA", "FD758D1589D044DD850A6F05D52F2EEFD27F033F", "1", "mykey") == "$5\r\nmyval\r\n")
        #expect(h.raw(s, "EVALSHA", "NotValidShaSUM", "0") == "-NOSCRIPT No matching script. Please use EVAL.\r\n")
        #expect(h.raw(s, "SCRIPT", "LOAD", "return 'loaded'") == "$40\r\nb534286061d4b9e4026607613b95c06c06015ae8\r\n")
        #expect(h.raw(s, "SCRIPT", "EXISTS", "b534286061d4b9e4026607613b95c06c06015ae8", "ffd632c7d33e571e9f24556ebed26c3479a87130")
            == "*2\r\n:1\r\n:0\r\n")
        #expect(h.raw(s, "INFO", "memory").contains("number_of_cached_scripts:2\r\n"))
        #expect(h.raw(s, "SCRIPT", "FLUSH", "ASYNC") == "+OK\r\n")
        #expect(h.raw(s, "EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "0").hasPrefix("-NOSCRIPT"))
        #expect(h.raw(s, "SCRIPT", "FLUSH", "bad") == "-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n")
        #expect(h.raw(s, "SCRIPT", "KILL") == "-NOTBUSY No scripts in execution right now.\r\n")
    }

    @Test func shebangsDeclareFlags() {
        let s = h.connect()
        #expect(h.raw(s, "EVAL", "#!lua\nreturn 1", "0") == ":1\r\n")
        #expect(h.raw(s, "EVAL", "#!not-lua\nreturn 1", "0") == "-ERR Unexpected engine in script shebang: #!not-lua\r\n")
        #expect(h.raw(s, "EVAL", "#!lua badger=data\nreturn 1", "0") == "-ERR Unknown lua shebang option: badger=data\r\n")
        #expect(h.raw(s, "EVAL", "#!lua flags=allow-oom,what?\nreturn 1", "0") == "-ERR Unexpected flag in script shebang: what?\r\n")
        #expect(h.raw(s, "EVAL", "#!lua", "0") == "-ERR Invalid script shebang\r\n")
        #expect(h.raw(s, "EVAL", "#!lua flags=no-writes\nredis.call('set','x',1)", "1", "x").hasPrefix(
            "-ERR Write commands are not allowed from read-only scripts. script:"))
        #expect(h.raw(s, "EVAL_RO", "#!lua\nreturn 1", "0") == "-ERR Can not execute a script with write flag using *_ro command.\r\n")
        #expect(h.raw(s, "EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0") == ":1\r\n")
        // Line numbers stay the user's: the shebang line is counted.
        #expect(h.raw(s, "EVAL", "#!lua\nerror('x')", "0").contains("user_script:2: x"))
    }

    @Test func scriptsRunInTheCallersDatabaseWithoutChangingIt() {
        let s = h.connect()
        h.raw(s, "SELECT", "10")
        h.raw(s, "SET", "k", "ten")
        #expect(h.raw(s, "EVAL", "return redis.call('get', KEYS[1])", "1", "k") == "$3\r\nten\r\n")
        #expect(h.raw(s, "EVAL", "redis.call('select', '9') redis.call('set', 'k', 'nine') return 1", "0") == ":1\r\n")
        #expect(h.raw(s, "GET", "k") == "$3\r\nten\r\n")
    }

    @Test func sortOrdersSetsForScripts() {
        let s = h.connect()
        h.raw(s, "SADD", "myset", "a", "b", "c", "d", "aa", "z")
        #expect(h.raw(s, "EVAL", "return redis.call('sort', KEYS[1], 'by', '_')", "1", "myset")
            == "*6\r\n$1\r\na\r\n$2\r\naa\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\nz\r\n")
    }

    @Test func libraries() {
        let s = h.connect()
        #expect(h.raw(s, "EVAL", "return redis.sha1hex('Pizza & Mandolino')", "0") == "$40\r\n74822d82031af7493c20eefa13bd07ec4fada82f\r\n")
        #expect(h.raw(s, "EVAL", "return cjson.encode({1,2,{a=1}})", "0") == "$13\r\n[1,2,{\"a\":1}]\r\n")
        #expect(h.raw(s, "EVAL", "return table.concat(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'), ' ')", "0")
            == "$26\r\n0 -5000 -1 0.0003 1023.2 0\r\n")
        #expect(h.raw(s, "EVAL", "return bit.bor(1,2,4,8,16,32,64,128)", "0") == ":255\r\n")
        #expect(h.raw(s, "EVAL", "return bit.tohex(1, -2147483648)", "0") == "$8\r\n00000001\r\n")
        // math.random continues one rand48 sequence from Redis's seed; randomseed restarts it.
        #expect(h.raw(s, "EVAL", "return tostring(math.random())", "0") == "$16\r\n0.39646477363839\r\n")
        let seeded = "math.randomseed(ARGV[1]) return tostring(math.random())"
        #expect(h.raw(s, "EVAL", seeded, "0", "10") == h.raw(s, "EVAL", seeded, "0", "10"))
    }

    @Test func monitorShowsTheScriptBeforeItsCommands() {
        let monitor = h.connect()
        let s = h.connect()
        h.raw(monitor, "MONITOR")
        h.raw(s, "EVAL", "redis.call('set', 'k', 'v')", "0")
        let lines = String(buffer: monitor.takeReplies()).split(separator: "\r\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasSuffix("\"EVAL\" \"redis.call('set', 'k', 'v')\" \"0\""))
        #expect(lines[1].hasSuffix("[0 lua] \"set\" \"k\" \"v\""))
    }
}
