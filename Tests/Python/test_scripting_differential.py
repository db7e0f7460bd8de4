"""Scripting against redis-server: about 1,250 small cases (EVAL/EVALSHA/EVAL_RO,
SCRIPT, FUNCTION/FCALL, the Lua libraries cjson, cmsgpack, struct and bit, the redis.*
API, the Lua<->RESP conversions both ways, errors and their locations, the sandbox) go
to Redstart and to a real redis-server 7.0, once over RESP2 (HELLO 2) and once over RESP3
(HELLO 3), and every reply must be byte-for-byte identical. Replies are read by a small
raw RESP reader that frames exactly one reply (every RESP3 type, nested aggregates, null
forms) and keeps its bytes, so reply types are compared too (a double versus a bulk
string, a map versus an array, `_` versus `$-1`).

Cases are data (CASES, built by the short helpers below): a name and a few commands; a
plain string is a script for `EVAL script 0`. Each case runs on a new connection to each
server after HELLO, FLUSHALL, SCRIPT FLUSH and FUNCTION FLUSH (so every case also starts
with a fresh Lua state), its commands go to both servers in turn, and every reply is
compared; a case that changes a config restores it itself. All mismatches are collected
and reported together, each with the case, the command and both raw replies.

Not compared, because they are legitimately not comparable:
- redis.REDIS_VERSION/REDIS_VERSION_NUM (only their type), the text of INFO (only its
  reply type and shape), TIME, memory figures.
- math.random without a seed, except in the very first case: Redis 7.0 continues one
  PRNG sequence across scripts and SCRIPT FLUSH, so only a just-started server (both
  fixtures are) has a known sequence. Seeded sequences are compared everywhere.
- The bytes of a FUNCTION DUMP of libraries (Unchecked): the LZF compression inside is
  the implementation's choice. The payloads are restored instead, on the same server
  (OWN_DUMP) and on the other one (OTHER_DUMP); an empty DUMP is compared.
- Table order: Lua 5.1's is deterministic (unseeded hashes), but the cases rely on it only
  for small integer keys: maps, sets, cjson objects and msgpack maps built here have one
  string key (or only a header is compared), and scripts that inspect tables serialise
  them with sorted keys (SER). FUNCTION LIST only lists libraries with one function
  (Redis keeps a library's functions in a dict with a random seed).
Left out entirely: error() with a table that has no `err` field (it crashes redis-server
7.0.15); Redis->Lua booleans and big numbers (only DEBUG PROTOCOL produces them, which
needs enable-debug-command); SCRIPT DEBUG and its HELP lines; busy scripts, SCRIPT KILL
and timeouts (timing); replication effects of redis.set_repl (only its argument checks).

A case may need more of the server under test than scripting (streams, maxmemory): its
`needs` are checked there first (COMMAND INFO knows the command, or probe commands reply
+OK) and the case is skipped, with a warning, when they are missing.

REDSTART_DIFF_SELFTEST=1 makes the `server` side a second real redis-server instead of
Redstart: it validates the harness and the case list (two redis-servers must agree on
everything) without the Redstart binary.
"""
import hashlib
import os
import shlex
import warnings

import pytest

from raw_resp import RawClient

from conftest import ReferenceServer

SELFTEST = os.environ.get("REDSTART_DIFF_SELFTEST") == "1"

def bulk_payload(reply):
    """The payload of a bulk string reply, or the reply itself."""
    if reply.startswith(b"$") and not reply.startswith(b"$-1"):
        header, _, rest = reply.partition(b"\r\n")
        return rest[:int(header[1:])]
    return reply


# ---------------------------------------------------------------------------------------
# Case helpers

CASES = []
OWN_DUMP = "<payload of this server's last FUNCTION DUMP>"  # arguments replaced by the driver
OTHER_DUMP = "<payload of the other server's last FUNCTION DUMP>"


class Unchecked(tuple):
    """A command whose reply is not compared: a FUNCTION DUMP of libraries (the payload's
    LZF compression is the implementation's choice). Its payload is restored instead, on
    the same server (OWN_DUMP) and on the other one (OTHER_DUMP)."""


def sha(script):
    return hashlib.sha1(script.encode() if isinstance(script, str) else script).hexdigest()


def ev(script, *rest):
    """EVAL script numkeys keys... args...; numkeys defaults to 0."""
    return ("EVAL", script) + (rest or ("0",))


def C(line):
    """A command written as a shell-quoted line."""
    return tuple(shlex.split(line))


def case(name, *commands, needs=()):
    """One case; a str command is a script for `EVAL script 0`, a tuple is a command.
    `needs`: what the case needs of the server under test beyond scripting (see
    supports())."""
    CASES.append((name, [ev(c) if isinstance(c, str) else c for c in commands], tuple(needs)))


def scripts(section, *bodies, prefix=""):
    """One single-EVAL case per body."""
    for i, body in enumerate(bodies, 1):
        case("%s %d" % (section, i), prefix + body)


# A one-line Lua serialiser (sorted keys, %q strings, %.17g numbers) prepended to scripts
# that inspect what redis.call returned; its single line shifts line numbers by one.
SER = (
    "local function ser(v) local t = type(v) "
    "if t == 'table' then local ks = {} for k in pairs(v) do ks[#ks + 1] = k end "
    "table.sort(ks, function(a, b) return tostring(a) < tostring(b) end) local out = {} "
    "for _, k in ipairs(ks) do out[#out + 1] = ser(k) .. '=' .. ser(v[k]) end "
    "return '{' .. table.concat(out, ',') .. '}' "
    "elseif t == 'string' then return string.format('%q', v) "
    "elseif t == 'number' then return string.format('%.17g', v) "
    "elseif t == 'userdata' then return v == cjson.null and 'cjson.null' or 'userdata' "
    "elseif t == 'function' then return 'function' "
    "else return tostring(v) end end\n")
HEX = ("local function hex(s) return (string.gsub(s, '.', function(c) "
       "return string.format('%02x', string.byte(c)) end)) end\n")


# A need that is a list of commands: each must reply +OK on the server under test.
MAXMEMORY = (("CONFIG", "SET", "maxmemory", "1"), ("CONFIG", "SET", "maxmemory", "0"))


def function_loads(section, *codes):
    """One case per library code: FUNCTION LOAD it, then FUNCTION LIST."""
    for i, code in enumerate(codes, 1):
        case("%s %d" % (section, i), ("FUNCTION", "LOAD", code), ("FUNCTION", "LIST"))


def fn_lib(name, body):
    return "#!lua name=%s\n%s" % (name, body)


# ---------------------------------------------------------------------------------------
# Cases. The first one needs servers on which no script has called math.random yet.

case("unseeded math.random on a fresh server",
     "return {math.random(1000000), tostring(math.random()), math.random(3, 9)}",
     "return {math.random(1000000), tostring(math.random())}")

# Lua -> Redis, script in its default RESP2 mode -----------------------------------------
scripts(
    "lua->resp numbers",
    "return 1", "return -1", "return 0", "return 3.99", "return -3.99", "return 0.5",
    "return -0.5", "return -0", "return 2^53", "return 2^53 + 1", "return -2^63",
    "return 2^63", "return 1e20", "return -1e20", "return 0/0", "return 1/0",
    "return -1/0", "return 123456789.987", "return '3.99'", "return 9007199254740993",
    "return tonumber('0x7fffffff')",
)
scripts(
    "lua->resp strings",
    "return 'hello'", "return ''", r"return '\0\1\2\255 binary\r\n'",
    "return string.rep('ab', 5000)", "return 'x\\n'", "return '-ERR not an error'",
    "return '+OK'",
)
scripts(
    "lua->resp booleans and nil",
    "return true", "return false", "return nil", "return", "", "-- only a comment",
    "local x = 1",
)
scripts(
    "lua->resp tables",
    "return {}", "return {1, 'two', 3.5, {4, {5, {}}}}", "return {1, 2, nil, 4}",
    "return {nil, 1}", "return {1, 2, n = 3}", "return {a = 1}", "return {true, false, 'x'}",
    "return {1, {ok = 'nested'}, {err = 'nested error'}}", "return {{}, {{}}}",
    "local t = {} for i = 1, 1000 do t[i] = i end return t",
    "local t = {1, 2, 3} t[2] = nil return t", "local t = {} t[1] = 'a' t[3] = 'c' return t",
    "return {1, 2, [4] = 4}", "return {[1] = 'a', [2] = 'b'}", "return {0/0, 1/0, -0.5}",
    "return {'', '', ''}", "return _G", "return {_G}", "return {redis}",
)
scripts(
    "lua->resp status and error tables",
    "return {ok = 'fine'}", "return {ok = ''}", r"return {ok = 'a\r\nb\nc\rd'}",
    "return {ok = 123}", "return {ok = {}}", "return {ok = 'x', err = 'y'}",
    "return {err = 'My Error'}", "return {err = 'ERR something'}", "return {err = 'bad'}",
    "return {err = ''}", "return {err = '-DASH x'}", r"return {err = 'E\r\nF G'}",
    "return {err = 123}", "return {err = {}}", "return {err = 'WRONGTYPE custom'}",
    "return {err = ' leading space'}", "return {err = 'x', ok = 'y'}",
    "return {1, err = 'ignored?'}", "return {ok = 'x', 1, 2}",
)
scripts(
    "lua->resp error_reply/status_reply",
    "return redis.error_reply('MY_CODE custom')", "return redis.error_reply('')",
    "return redis.error_reply('-ERR dash')", "return redis.error_reply('no code lowercase')",
    r"return redis.error_reply('a\r\nb')", "return redis.error_reply('-')",
    "return redis.error_reply()", "return redis.error_reply(1)",
    "return redis.error_reply('a', 'b')", "return redis.error_reply({})",
    "return redis.status_reply('MY_OK')", "return redis.status_reply('')",
    r"return redis.status_reply('a\r\nb')", "return redis.status_reply(5)",
    "return redis.status_reply()", "return redis.status_reply('x', 'y')",
    "return {redis.status_reply('one'), redis.error_reply('TWO x')}",
)
scripts(
    "lua table from error_reply/status_reply",
    "return ser(redis.error_reply('X y'))", "return ser(redis.error_reply('-X y'))",
    "return ser(redis.error_reply(''))", "return ser(redis.status_reply('fine'))",
    "return ser(redis.error_reply(5))", "return ser(redis.status_reply())",
    prefix=SER,
)
scripts(
    "lua->resp metatables",
    "return setmetatable({}, {__index = function() return 'x' end})",
    "return setmetatable({1, 2}, {__index = function(t, k) return 'meta' end})",
    "return setmetatable({}, {__index = {ok = 'meta'}})",
    "return setmetatable({}, {__index = {err = 'meta'}})",
    "return setmetatable({}, {__index = {double = 1.5}})",
    "local a = {} setmetatable(a, {__index = function() foo() end}) return a",
    "return {1, setmetatable({}, {__len = function() return 5 end})}",
    "return setmetatable({ok = 'raw'}, {__index = {err = 'meta'}})",
)
case("lua->resp metatable __index calling redis is not run",
     "local a = {} setmetatable(a, {__index = function() redis.call('set', 'x', '1') end}) return a",
     C("GET x"))
case("lua->resp recursive table hits the stack limit",
     "local a = {} local b = {a} a[1] = b return a", C("PING"))
case("lua->resp deep but finite nesting",
     "local t = {} local c = t for i = 1, 100 do c[1] = {} c = c[1] end c[1] = 'bottom' return t")

# Lua -> Redis with RESP3 types ------------------------------------------------------
scripts(
    "lua->resp resp3 types in a RESP2 script",
    "return {map = {a = 1}}", "return {set = {a = true}}", "return {double = 3.5}",
    "return {big_number = '123'}", "return {verbatim_string = {format = 'txt', string = 'x'}}",
    "return {map = {}}",
)
scripts(
    "lua->resp setresp(3)",
    "return {map = {a = 1}}", "return {map = {}}", "return {map = {k = {1, 2}}}",
    "return {map = {[1] = 'one'}}", "return {map = {x = {map = {y = true}}}}",
    "return {map = {x = false}}", "return {map = {[2.5] = 'f'}}", "return {map = {t = {ok = 'st'}}}",
    "return {map = {e = {err = 'INNER e'}}}", "return {map = 'notatable'}", "return {map = {n = {}}}",
    "return {set = {a = true}}", "return {set = {}}", "return {set = {[5] = true}}",
    "return {set = {a = false}}", "return {set = {x = 'ignored value'}}", "return {set = 7}",
    "return {double = 3.5}", "return {double = 0}", "return {double = -0.0}",
    "return {double = 1/0}", "return {double = -1/0}", "return {double = 0/0}",
    "return {double = 1e300}", "return {double = 0.1}", "return {double = 1/3}",
    "return {double = 2^53}", "return {double = 1e-300}", "return {double = 100}",
    "return {double = '2.5'}", "return {double = 'abc'}", "return {double = {}}",
    "return {big_number = '123456789012345678901234567890'}", "return {big_number = ''}",
    "return {big_number = 12}", "return {big_number = 'not a number'}",
    r"return {big_number = '1\r\n2'}", "return {big_number = {}}",
    "return {verbatim_string = {format = 'txt', string = 'hello'}}",
    r"return {verbatim_string = {format = 'mkd', string = 'a\nb\r\n'}}",
    "return {verbatim_string = {format = 'toolong', string = 'x'}}",
    "return {verbatim_string = {format = 'ab', string = 'x'}}",
    "return {verbatim_string = {string = 'x'}}", "return {verbatim_string = {format = 'txt'}}",
    "return {verbatim_string = 'x'}", "return {verbatim_string = {format = 'txt', string = ''}}",
    "return nil", "return false", "return true", "return {1, nil, 2}", "return {false, true}",
    "return {ok = 'x'}", "return {err = 'X y'}", "return 1.5", "return {1, {double = 2.5}}",
    "return {map = {a = {set = {b = true}}}}", "return {set = {[1.5] = true}}",
    prefix="redis.setresp(3) ",
)
scripts(
    "lua->resp setresp(2)",
    "return {map = {a = 1}}", "return {set = {a = true}}", "return {double = 3.5}",
    "return {big_number = '1'}", "return false", "return true", "return nil",
    "return {false, true}",
    prefix="redis.setresp(2) ",
)
case("lua->resp setresp(3) then back to 2 in one script",
     "redis.setresp(3) redis.setresp(2) return {false, {double = 1.5}}")
case("lua->resp setresp does not persist to the next script",
     "redis.setresp(3) return false", "return false")

# Redis -> Lua --------------------------------------------------------------------------
scripts(
    "resp->lua resp2",
    "return ser(redis.call('incr', 'x'))",
    "return ser(redis.call('incrby', 'x', -5))",
    "return ser(redis.call('set', 'x', 'v'))",
    "redis.call('set', 'x', 'abc') return {type(redis.call('get', 'x')), ser(redis.call('get', 'x'))}",
    "return {type(redis.call('get', 'missing')), ser(redis.call('get', 'missing'))}",
    "redis.call('rpush', 'l', 'a', 'b', '') return ser(redis.call('lrange', 'l', 0, -1))",
    "return ser(redis.call('lrange', 'missing', 0, -1))",
    "return ser(redis.call('ping'))",
    "return ser(redis.call('ping', 'hello'))",
    "return ser(redis.call('type', 'missing'))",
    "redis.call('set', 's', 'abc') return ser(redis.pcall('incr', 's'))",
    "redis.call('set', 's', 'abc') return ser(redis.pcall('lpush', 's', 'y'))",
    "return ser(redis.call('lpop', 'missing', 2))",
    "redis.call('set', 'a', '1') return ser(redis.call('mget', 'a', 'missing', 'a'))",
    "redis.call('hset', 'h', 'f', 'v', 'g', 'w') return ser(redis.call('hgetall', 'h'))",
    "redis.call('zadd', 'z', 1.5, 'a') return ser(redis.call('zscore', 'z', 'a'))",
    "redis.call('zadd', 'z', 1.5, 'a', 2, 'b') return ser(redis.call('zrange', 'z', 0, -1, 'withscores'))",
    "return ser(redis.call('echo', ''))",
    r"return ser(redis.call('echo', '\0bin\255'))",
    "return ser(redis.call('exists', 'a'))",
    "redis.call('sadd', 's', 'm') return ser(redis.call('smembers', 's'))",
    "redis.call('sadd', 's', 3, 1, 2) return ser(redis.call('smembers', 's'))",
    "return ser(redis.call('zscore', 'missing', 'a'))",
    "return ser(redis.call('hgetall', 'missing'))",
    "return ser(redis.pcall('nosuch'))",
    "return ser(redis.pcall('get'))",
    "return ser(redis.call('set', 'x', 'y', 'get'))",
    "return ser(redis.call('set', 'x', 'y', 'nx', 'get'))",
    "redis.call('set', 'x', 'y') return ser(redis.call('set', 'x', 'z', 'nx'))",
    "return ser(redis.call('incrbyfloat', 'f', '0.1'))",
    "return ser(redis.call('zadd', 'z', 'incr', 2.5, 'a'))",
    "return ser(redis.call('zmscore', 'z', 'a', 'b'))",
    "redis.call('rpush', 'l', 'a') return ser(redis.call('lpos', 'l', 'a'))",
    "redis.call('set', 'k', 'v') return ser(redis.call('randomkey'))",
    "redis.call('set', 'k', 'v') return ser(redis.call('keys', '*'))",
    "redis.call('set', 'k', 'v') return ser(redis.call('scan', 0))",
    prefix=SER,
)
scripts(
    "resp->lua resp3",
    "redis.call('hset', 'h', 'f', 'v') return ser(redis.call('hgetall', 'h'))",
    "redis.call('hset', 'h', 'f', 'v', 'g', 'w') return ser(redis.call('hgetall', 'h'))",
    "return ser(redis.call('hgetall', 'missing'))",
    "redis.call('sadd', 's', 'm') return ser(redis.call('smembers', 's'))",
    "redis.call('sadd', 's', 3, 1, 2) return ser(redis.call('smembers', 's'))",
    "return ser(redis.call('smembers', 'missing'))",
    "redis.call('zadd', 'z', 1.5, 'a') return ser(redis.call('zscore', 'z', 'a'))",
    "redis.call('zadd', 'z', 'inf', 'a') return ser(redis.call('zscore', 'z', 'a'))",
    "redis.call('zadd', 'z', '-inf', 'a') return ser(redis.call('zscore', 'z', 'a'))",
    "redis.call('zadd', 'z', 0.1, 'a') return ser(redis.call('zscore', 'z', 'a'))",
    "return ser(redis.call('zincrby', 'z', 2, 'a'))",
    "return {type(redis.call('zscore', 'z', 'a')), ser(redis.call('zscore', 'z', 'a'))}",
    "redis.call('zadd', 'z', 1, 'a') return ser(redis.call('zmscore', 'z', 'a', 'b'))",
    "return {type(redis.call('get', 'missing')), ser(redis.call('get', 'missing'))}",
    "return {type(redis.call('lpop', 'missing', 2))}",
    "redis.call('zadd', 'z', 1.5, 'a', 2, 'b') return ser(redis.call('zrange', 'z', 0, -1, 'withscores'))",
    "redis.call('zadd', 'z', 1.5, 'a') return ser(redis.call('zpopmin', 'z'))",
    "redis.call('hset', 'h', 'f', 'v') return ser(redis.call('hrandfield', 'h', 1, 'withvalues'))",
    "return ser(redis.call('ping'))",
    "return ser(redis.call('set', 'x', '1'))",
    "return ser(redis.call('incr', 'x'))",
    "redis.call('set', 's', 'abc') return ser(redis.pcall('incr', 's'))",
    "return ser(redis.pcall('nosuch'))",
    "redis.call('rpush', 'l', 'a', 'b') return ser(redis.call('lrange', 'l', 0, -1))",
    "local r = redis.call('info', 'server') return {type(r), type(r.verbatim_string), "
    "r.verbatim_string.format, type(r.verbatim_string.string)}",
    prefix=SER + "redis.setresp(3) ",
)
case("resp->lua streams: nested arrays, a RESP3 map from XINFO",
     SER + "redis.call('xadd', 'st', '1-1', 'f', 'v') return ser(redis.call('xrange', 'st', '-', '+'))",
     SER + "redis.setresp(3) redis.call('xadd', 'st', '1-2', 'f', 'v') local r = redis.call('xinfo', 'stream', 'st') "
     "return {type(r), type(r.map), r.map['length'], r.map['last-generated-id']}",
     "redis.setresp(3) return redis.call('xrange', 'st', '-', '+')",
     "return redis.call('xread', 'block', 0, 'streams', 'st', '$')",
     "return redis.call('xread', 'streams', 'st', '0')",
     needs=["XADD", "XINFO", "XREAD"])
case("resp->lua setresp(2) after setresp(3) in one script",
     SER + "redis.setresp(3) redis.setresp(2) redis.call('hset', 'h', 'f', 'v') "
     "return ser(redis.call('hgetall', 'h'))")
scripts(
    "resp->lua->resp round trips in RESP3 scripts",
    "redis.call('hset', 'h', 'f', 'v') return redis.call('hgetall', 'h')",
    "return redis.call('hgetall', 'missing')",
    "redis.call('sadd', 's', 'm') return redis.call('smembers', 's')",
    "redis.call('zadd', 'z', 1.5, 'a') return redis.call('zscore', 'z', 'a')",
    "redis.call('zadd', 'z', 3, 'a') return redis.call('zscore', 'z', 'a')",
    "redis.call('zadd', 'z', 'inf', 'a') return redis.call('zscore', 'z', 'a')",
    "redis.call('zadd', 'z', 1.5, 'a', 2, 'b') return redis.call('zrange', 'z', 0, -1, 'withscores')",
    "return redis.call('get', 'missing')",
    "return redis.call('lpop', 'missing', 2)",
    "return redis.call('zscore', 'z', 'missing')",
    "redis.call('zadd', 'z', 1, 'a') return redis.call('zmscore', 'z', 'a', 'b')",
    "return redis.pcall('nosuch')",
    prefix="redis.setresp(3) ",
)
scripts(
    "resp->lua->resp round trips in RESP2 scripts",
    "redis.call('hset', 'h', 'f', 'v') return redis.call('hgetall', 'h')",
    "redis.call('zadd', 'z', 1.5, 'a') return redis.call('zscore', 'z', 'a')",
    "return redis.call('get', 'missing')",
    "return redis.call('lpop', 'missing', 2)",
    "redis.call('set', 'x', 'y') return redis.call('set', 'x', 'z', 'nx')",
    "return redis.call('ping')",
    "return redis.call('set', 'x', '1')",
)

# redis.call / redis.pcall errors --------------------------------------------------------
scripts(
    "redis.call errors",
    "return redis.call('nosuchcommand')", "return redis.pcall('nosuchcommand')",
    "return redis.call('get')", "return redis.pcall('get')", "return redis.call('get', 'a', 'b')",
    "redis.call('set', 'x', 'abc') return redis.call('lpush', 'x', 'y')",
    "redis.call('set', 'x', 'abc') return redis.pcall('lpush', 'x', 'y')",
    "redis.call('set', 'x', 'abc') return redis.call('incr', 'x')",
    "return redis.call('select', 99)", "return redis.pcall('select', 99)",
    "return redis.call('select', 'x')", "return redis.call('set', 'x', 'y', 'ex', 0)",
    "return redis.call('set', 'x', 'y', 'bogus')", "return redis.call('config', 'get', 'x')",
    "return redis.call('script', 'flush')",
    "return redis.call('blpop', 'l', 0)", "return redis.call('brpop', 'l', 0)",
    "return redis.call('brpoplpush', 'a', 'b', 0)", "return redis.call('blmove', 'a', 'b', 'left', 'left', 0)",
    "return redis.call('bzpopmin', 'z', 0)", "return redis.call('bzpopmax', 'z', 0)",
    "return redis.call('blmpop', 0, 1, 'l', 'left')", "return redis.call('bzmpop', 0, 1, 'z', 'min')",
    "return redis.call('multi')", "return redis.call('exec')", "return redis.call('discard')",
    "return redis.call('watch', 'x')", "return redis.call('unwatch')",
    "return redis.call('subscribe', 'c')", "return redis.call('psubscribe', 'c*')",
    "return redis.call('ssubscribe', 'c')", "return redis.call('unsubscribe')",
    "return redis.call('monitor')", "return redis.call('eval', 'return 1', 0)",
    "return redis.call('evalsha', 'abc', 0)", "return redis.call('fcall', 'f', 0)",
    "return redis.call('function', 'list')", "return redis.call('auth', 'x')",
    "return redis.call('hello')", "return redis.call('reset')", "return redis.call('client', 'id')",
    "return redis.call('quit')",
    "return redis.pcall('blpop', 'l', 0)", "return redis.pcall('multi')",
    "return redis.call()", "return redis.pcall()",
    "return redis.call('ping', {})", "return redis.pcall('ping', {})",
    "return redis.call('ping', true)", "return redis.call('ping', nil)",
    "return redis.call('echo', 'a', nil)", "return redis.call({})", "return redis.call(nil)",
    "return redis.call(1)", "return redis.call('ping', function() end)",
    "return redis.call('echo', 'a', 'b')", "return redis.call('GET')", "return redis.call('PiNg')",
    "return redis.call('  ping')", "return redis.call('')",
    "return redis.call('config|get', 'x')", "return redis.call('client', 'bogus')",
    "return redis.call('object', 'bogus')", "return redis.call('memory', 'bogus')",
    "return redis.call('set', 'k', string.rep('x', 10), 'px', -1)",
)
scripts(
    "redis.call number arguments",
    "return redis.call('echo', 0.1)", "return redis.call('echo', 1e20)", "return redis.call('echo', -0)",
    "return redis.call('echo', 1/3)", "return redis.call('echo', 2^53)", "return redis.call('echo', 2^63)",
    "return redis.call('echo', 1e308)", "return redis.call('echo', 1/0)", "return redis.call('echo', -1/0)",
    "return redis.call('echo', 0/0)", "return redis.call('echo', 3.0)", "return redis.call('echo', -1.5)",
    "return redis.call('echo', 123456789012)", "return redis.call('echo', 1e15)",
    "return redis.call('echo', 1e16)", "return redis.call('echo', 1e-5)", "return redis.call('echo', 5e-324)",
    "return redis.call('echo', 100)", "return redis.call('echo', -0.0)", "return redis.call('echo', 0.1 + 0.2)",
    "redis.call('set', 'x', 1.5) return redis.call('get', 'x')",
    "redis.call('set', 'x', 10) return redis.call('incrbyfloat', 'x', 0.1)",
    "return redis.call('incrby', 'x', 2.5)", "return redis.call('incrby', 'x', 1e3)",
    "return redis.call('lrange', 'l', 0.0, -1)",
)
scripts(
    "redis.pcall error tables",
    "return ser(redis.pcall('nosuchcommand'))", "return ser(redis.pcall('blpop', 'l', 0))",
    "return ser(redis.pcall('subscribe', 'c'))", "return ser(redis.pcall('get', 'a', 'b'))",
    "return ser(redis.pcall('ping', {}))", "return ser(redis.pcall())",
    "return ser(redis.pcall('select', 99))", "return ser({pcall(redis.call, 'nosuchcommand')})",
    "return ser({pcall(redis.call, 'select', 99)})", "return ser({pcall(redis.call, 'ping', {})})",
    "redis.call('set', 'x', 'a') return ser({pcall(redis.call, 'incr', 'x')})",
    prefix=SER,
)
case("WAIT is not allowed from scripts", "return redis.call('wait', 0, 0)", needs=["WAIT"])
case("EVAL_RO",
     ("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "x"),
     ("EVAL_RO", "return redis.call('set', KEYS[1], 'y')", "1", "x"),
     ("EVAL_RO", "return redis.pcall('set', KEYS[1], 'y')", "1", "x"),
     ("EVAL_RO", SER + "return ser(redis.pcall('set', KEYS[1], 'y'))", "1", "x"),
     ("EVAL_RO", "return redis.call('del', 'x')", "0"),
     ("EVAL_RO", "return redis.call('lpush', 'l', 1)", "0"),
     ("EVAL_RO", "return redis.call('ping')", "0"),
     ("EVAL_RO", "return redis.call('flushall')", "0"),
     ("EVAL_RO", "return 1"),
     ("EVAL_RO",),
     C("EXISTS x l"))
case("EVALSHA_RO",
     ("SCRIPT", "LOAD", "return redis.call('set', 'x', 'y')"),
     ("EVALSHA_RO", sha("return redis.call('set', 'x', 'y')"), "0"),
     ("SCRIPT", "LOAD", "return redis.call('get', 'x')"),
     ("EVALSHA_RO", sha("return redis.call('get', 'x')"), "0"),
     ("EVALSHA_RO", "0" * 40, "0"))

# Errors raised in scripts ---------------------------------------------------------------
# Left out: error() with a table that has no `err` field (error({}), error(redis.status_reply('x')))
# crashes redis-server 7.0.15 (a NULL message given to sdscatfmt).
scripts(
    "script errors",
    "error('boom')", "error('boom', 0)", "error('boom', 2)", "error({err = 'custom table'})",
    "error({err = 'MYCODE custom'})", "error()", "error(nil)", "error(123)",
    "error(true)", "error(redis.error_reply('X y'))",
    "error({err = ''})", r"error('x\r\ny')", r"error({err = 'A\r\nB'})", "error(string.rep('e', 300))",
    "local x = nil return x.y", "return 1 + {}", "return #nil", "return 'a' .. {}",
    "return nil .. 'a'", "foo()", "local t = {} t.x.y = 1", "return ('x')()", "return 1 < 'x'",
    "return {} < {}", "local t = setmetatable({}, {__index = function() error('in meta') end}) return t.x",
    "assert(false)", "assert(false, 'assert msg')", "assert(nil, {err = 'ASSERT tbl'})",
    "assert(1 == 1, 'no') return 'passed'", "return assert(42)", "assert()",
    "local a = 1\nlocal b = 2\nerror('line three')",
    "local a = 1\n\nreturn redis.call('nosuch')",
    "local a = 1\n\nreturn redis.pcall('nosuch')",
    "local function f()\n  error('in f')\nend\nf()",
    "local function f()\n  return redis.call('get')\nend\nreturn f()",
    "local function f()\n  error('level 2', 2)\nend\nf()",
    "return string.rep()", "return string.sub()", "return math.floor('x')",
    "return ('x'):bad()", "return tostring()", "return setmetatable(1, {})",
)
scripts(
    "compile errors",
    "return +", "if then", "return 'unterminated", "x ==== 1", "return 1 1",
    "local function f() return end end", "\n\nreturn )", "return [[unfinished",
    "goto x", "local 1 = 2", "return \"\\400\"",
    "local x = 1\n" * 3 + "return +",
    "return 1\n--[[ unterminated comment",
    "return 1 --trailing comment", "return 1 --[[ closed ]]",
)
scripts(
    "pcall/xpcall in scripts",
    "local ok, e = pcall(function() return 1 end) return {tostring(ok), e}",
    "local ok, e = pcall(function() error('inner') end) return {tostring(ok), e}",
    "local ok, e = pcall(function() error('inner', 0) end) return {tostring(ok), e}",
    "local ok, e = pcall(function() error({err = 'T x'}) end) return {tostring(ok), type(e), e.err}",
    "local ok, e = pcall(redis.call, 'nosuch') return {tostring(ok), ser(e)}",
    "redis.call('set', 's', 'a') local ok, e = pcall(redis.call, 'incr', 's') return {tostring(ok), ser(e)}",
    "local ok, e = pcall(redis.call, 'blpop', 'l', 0) return {tostring(ok), ser(e)}",
    "local ok, e = pcall(function() return undefined_global end) return {tostring(ok), e}",
    "local ok, e = pcall(function() undefined_global = 1 end) return {tostring(ok), e}",
    "local ok, e = pcall(error) return {tostring(ok), tostring(e)}",
    "return {pcall(error, 'x')}", "return {pcall(error, 'x', 0)}",
    "return {xpcall(function() error('x') end, function(m) return 'handled: ' .. m end)}",
    "return {xpcall(function() return redis.call('nosuch') end, function(e) return ser(e) end)}",
    "return {xpcall(function() return 7 end, function(e) return e end)}",
    "local ok, e = pcall(function() local t = {} t.x.y = 1 end) return e",
    "local ok, e = pcall(cjson.decode, '{') return {tostring(ok), e}",
    "local ok, e = pcall(struct.pack, 'y', 1) return {tostring(ok), e}",
    "local ok, e = pcall(loadstring, 'return +') return {tostring(ok), tostring(e)}",
    "local f, e = loadstring('return +') return {tostring(f), e}",
    "local ok, e = pcall(function() return redis.call('set', 'x', 'y') end) return {tostring(ok), ser(e)}",
    "local ok, e = pcall(error, {err = 'E'}) return ser({ok, e})",
    "local ok, e = pcall(error, nil) return {tostring(ok), tostring(e)}",
    prefix=SER,
)

# Sandbox and global protection ----------------------------------------------------------
scripts(
    "sandbox",
    "return undefined_var", "x = 1", "redis.call = function() return 1 end",
    "redis = function() return 1 end", "_G = {}", "cjson.encode = function() end",
    "cmsgpack.pack = function() end", "bit.lshift = function() end", "struct.pack = function() end",
    "string.foo = 1", "math.pi = 3", "table.foo = 1", "string.rep = nil",
    "setmetatable(_G, {})", "local g = getmetatable(_G) g.__index = {}",
    "rawset(redis, 'call', 1)", "rawset(_G, 'x', 1)", "rawset(cjson, 'x', 1)",
    "table.insert(redis, 1)", "table.insert(cjson, 1)", "table.remove(bit)",
    "return loadstring(string.dump(function() return 1 end))()",
    "return loadstring('return 7')()", "return type(loadstring('syntax error here'))",
    "return loadstring('x = 5')()",
    "print('x')", "loadfile('f')", "dofile('f')", "require('x')", "return module",
    "return type(os)", "return type(io)", "return type(debug)", "return type(package)",
    "return type(require)", "return type(newproxy)", "return type(getfenv)", "return type(setfenv)",
    "return type(collectgarbage)", "return type(gcinfo)", "return type(coroutine)",
    "return type(string.dump)", "return type(load)", "return type(rawget)", "return type(select)",
    "return type(_VERSION)", "return _VERSION", "return type(bit)", "return type(struct)",
    "return type(cjson)", "return type(cmsgpack)", "return type(redis)", "return type(KEYS)",
    "return type(ARGV)", "return type(__redis__err__handler)",
    "KEYS = {}", "ARGV = nil", "local KEYS = 1 return KEYS", "_G.x = 1", "_G['y'] = 2",
    "return rawget(_G, 'nothere')", "return tostring(rawget(_G, 'cjson') ~= nil)",
    "local t = setmetatable({}, {__newindex = function() error('no') end}) t.x = 1",
    "getmetatable('').__index = {}", "return getmetatable('').__index == string",
    "string.len = 1", "local s = string s.len = 1", "return #getmetatable(_G)",
    "local t = {} setmetatable(t, getmetatable(_G)) t.x = 1 return 'ok'",
    "return rawequal(_G, _G)", "function global_fn() end",
    "local function f() end return type(f)", "setfenv(1, {})", "return getfenv(0) == _G",
    "return type(setmetatable(_G, nil))",
    "coroutine.wrap(function() undefined_in_co = 1 end)()",
    "return coroutine.resume(coroutine.create(function() return 1 end))",
)

# KEYS/ARGV -------------------------------------------------------------------------------
case("KEYS and ARGV",
     ("EVAL", "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}", "2", "k1", "k2", "a1", "a2"),
     ("EVAL", "return {#KEYS, #ARGV}", "0"),
     ("EVAL", "return {#KEYS, #ARGV}", "0", "a1", "a2"),
     ("EVAL", "return {#KEYS, #ARGV}", "3", "k1", "k2", "k3"),
     ("EVAL", "return {KEYS[1], ARGV[1]}", "1", b"\x00k\xff", b""),
     ("EVAL", "return {type(KEYS), type(ARGV), type(KEYS[1])}", "0"),
     ("EVAL", "return KEYS[1] .. ARGV[1]", "1", "a", "b"),
     ("EVAL", "return #ARGV", "0") + tuple(str(i) for i in range(100)),
     ("EVAL", "return ARGV", "0", "x", "", "y"),
     ("EVAL", "return KEYS", "2", "", "b"),
     ("EVAL", "KEYS[1] = 'changed' return KEYS[1]", "1", "k"),
     ("EVAL", "table.insert(ARGV, 'more') return ARGV", "0", "a"),
     ("EVAL", "return type(tonumber(ARGV[1]))", "0", "12"))
case("numkeys errors",
     ("EVAL", "return 1", "3", "k1", "k2"),
     ("EVAL", "return 1", "1"),
     ("EVAL", "return 1", "-1"),
     ("EVAL", "return 1", "abc"),
     ("EVAL", "return 1", "1.5"),
     ("EVAL", "return 1", ""),
     ("EVAL", "return 1", " 1", "k"),
     ("EVAL", "return 1", "99999999999999999999"),
     ("EVAL", "return 1", "9223372036854775807"),
     ("EVAL", "return 1", "-9223372036854775808"),
     ("EVAL", "return 1", "+1", "k"),
     ("EVAL", "return 1", "01", "k"),
     ("EVAL", "return 1", "0x1", "k"),
     ("EVAL", "return 1"),
     ("EVAL",),
     ("EVAL", "return +", "-1"),
     ("EVAL", "return +", "5"),
     ("EVALSHA", "0" * 40, "-1"),
     ("EVALSHA", "0" * 40, "5"),
     ("EVALSHA", "0" * 40),
     ("EVAL_RO", "return 1", "2", "k"))

# EVALSHA and SCRIPT ----------------------------------------------------------------------
S1 = "return 'cached'"
case("EVALSHA",
     ("SCRIPT", "LOAD", S1),
     ("EVALSHA", sha(S1), "0"),
     ("EVALSHA", sha(S1).upper(), "0"),
     ("EVALSHA", sha(S1)[:20] + sha(S1)[20:].upper(), "0"),
     ("EVALSHA", "0" * 40, "0"),
     ("EVALSHA", "abc", "0"),
     ("EVALSHA", sha(S1) + "0", "0"),
     ("EVALSHA", sha(S1)[:39], "0"),
     ("EVALSHA", "", "0"),
     ("EVALSHA", sha(S1), "1", "k"),
     ("EVALSHA", sha(S1), "x"),
     ("EVALSHA", "z" * 40, "0"))
case("EVAL caches the script for EVALSHA",
     ("EVAL", "return KEYS[1]", "1", "k"),
     ("EVALSHA", sha("return KEYS[1]"), "1", "k2"),
     ("SCRIPT", "EXISTS", sha("return KEYS[1]")),
     ("EVAL", "return +", "0"),
     ("SCRIPT", "EXISTS", sha("return +")),
     ("EVAL", "error('x')", "0"),
     ("SCRIPT", "EXISTS", sha("error('x')")))
case("SCRIPT LOAD/EXISTS/FLUSH",
     ("SCRIPT", "LOAD", S1),
     ("SCRIPT", "LOAD", S1),
     ("SCRIPT", "LOAD", "return +"),
     ("SCRIPT", "LOAD", ""),
     ("SCRIPT", "LOAD", b"return '\x00\xff'"),
     ("EVALSHA", sha(b"return '\x00\xff'"), "0"),
     ("SCRIPT", "LOAD"),
     ("SCRIPT", "LOAD", "a", "b"),
     ("SCRIPT", "EXISTS", sha(S1), "0" * 40, sha(S1).upper(), "abc", sha("")),
     ("SCRIPT", "EXISTS"),
     ("SCRIPT", "FLUSH"),
     ("SCRIPT", "EXISTS", sha(S1)),
     ("EVALSHA", sha(S1), "0"),
     ("SCRIPT", "LOAD", S1),
     ("SCRIPT", "FLUSH", "ASYNC"),
     ("SCRIPT", "EXISTS", sha(S1)),
     ("SCRIPT", "FLUSH", "SYNC"),
     ("SCRIPT", "FLUSH", "sync"),
     ("SCRIPT", "FLUSH", "bogus"),
     ("SCRIPT", "FLUSH", "ASYNC", "SYNC"),
     ("SCRIPT", "KILL"),
     ("SCRIPT", "KILL", "x"),
     ("SCRIPT", "BOGUS"),
     ("SCRIPT",),
     ("script", "load", "return 'lower'"),
     ("SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 1"),
     ("SCRIPT", "LOAD", "#!lua flags=bogus\nreturn 1"),
     ("SCRIPT", "LOAD", "#!lua\nreturn +"))
case("SCRIPT FLUSH forgets global Lua state",
     "cjson.encode_sparse_array(true) return cjson.encode({[3] = 1})",
     "return cjson.encode({[30] = 1})",
     ("SCRIPT", "FLUSH"),
     "return cjson.encode({[30] = 1})")

# Shebangs --------------------------------------------------------------------------------
scripts(
    "shebang",
    "#!lua\nreturn 1", "#!lua\n", "#!lua", "#!lua flags=no-writes", "#!\nreturn 1",
    "#! lua\nreturn 1", "#!LUA\nreturn 1", "#!lua \nreturn 1", "#!lua  flags=no-writes  \nreturn 1",
    "#!lua flags=no-writes\nreturn redis.call('set', 'x', '1')",
    "#!lua flags=no-writes\nreturn redis.call('get', 'x')",
    "#!lua flags=no-writes\nreturn redis.pcall('set', 'x', '1')",
    "#!lua flags=no-writes,allow-stale\nreturn 1", "#!lua flags=\nreturn 1",
    "#!lua flags=,\nreturn 1", "#!lua flags=bogus\nreturn 1", "#!lua flags=no-writes,bogus\nreturn 1",
    "#!lua bogus=1\nreturn 1", "#!lua name=x\nreturn 1", "#!lua flags\nreturn 1",
    "#!lua flags=no-writes flags=allow-oom\nreturn 1", "#!notlua\nreturn 1",
    "#!javascript\nreturn 1", "#!lua flags=no-cluster\nreturn 1",
    "#!lua flags=allow-cross-slot-keys\nreturn redis.call('set', 'x', '1')",
    "#!lua flags=allow-oom\nreturn redis.call('set', 'x', '1')",
    "#!lua\nerror('on line two')", "#!lua\nreturn +", "#!lua\nreturn undefined",
    "#!lua\r\nreturn 1", " #!lua\nreturn 1", "#lua\nreturn 1", "#!lua flags=NO-WRITES\nreturn 1",
)
case("shebang with keys and EVAL_RO",
     ("EVAL", "#!lua\nreturn redis.call('set', KEYS[1], ARGV[1])", "1", "k", "v"),
     ("EVAL_RO", "#!lua\nreturn redis.call('get', KEYS[1])", "1", "k"),
     ("EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", "1", "k"),
     ("EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('del', KEYS[1])", "1", "k"),
     ("EVAL", "#!lua flags=no-writes\nreturn redis.call('del', KEYS[1])", "1", "k"),
     ("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "k"),
     C("GET k"))
case("script flags and maxmemory",
     C("CONFIG SET maxmemory 1"),
     "return redis.call('set', 'x', '1')",
     "return redis.pcall('set', 'x', '1')",
     "return redis.call('get', 'x')",
     "#!lua\nreturn redis.call('get', 'x')",
     "#!lua\nreturn 1",
     "#!lua flags=no-writes\nreturn redis.call('get', 'x')",
     "#!lua flags=allow-oom\nreturn redis.call('set', 'x', '1')",
     "#!lua flags=allow-oom,no-writes\nreturn redis.call('set', 'x', '1')",
     C("CONFIG SET maxmemory 0"),
     needs=[MAXMEMORY])

# cjson -------------------------------------------------------------------------------------
scripts(
    "cjson.encode",
    "return cjson.encode({1, 2, 3})", "return cjson.encode({a = 1})",
    "return cjson.encode({a = {b = {c = {1, 2, 'x'}}}})", "return cjson.encode({})",
    "return cjson.encode('str')", "return cjson.encode(1)", "return cjson.encode(true)",
    "return cjson.encode(false)", "return cjson.encode(cjson.null)", "return cjson.encode(nil)",
    "return cjson.encode()", "return cjson.encode(1, 2)", "return cjson.encode(1.5)",
    "return cjson.encode(0.1)", "return cjson.encode(1/3)", "return cjson.encode(1e300)",
    "return cjson.encode(-0)", "return cjson.encode(2^53)", "return cjson.encode(123456789012345)",
    "return cjson.encode(1e21)", "return cjson.encode(-1e-7)", "return cjson.encode(100)",
    "return cjson.encode(1/0)", "return cjson.encode(-1/0)", "return cjson.encode(0/0)",
    r"return cjson.encode('\0\1\31\"\\/\127\128\255')", "return cjson.encode('caf\\195\\169 \\226\\130\\172')",
    r"return cjson.encode('tab\there\nnl\rcr\bbs\fff')",
    "return cjson.encode({[1] = 1, [2] = 2, [4] = 4})", "return cjson.encode({[1] = 1, [10] = 10})",
    "return cjson.encode({[1] = 1, [11] = 11})", "return cjson.encode({[20] = 20})",
    "return cjson.encode({[0] = 1})", "return cjson.encode({[1.5] = 1})", "return cjson.encode({[-1] = 1})",
    "return cjson.encode({[true] = 1})", "return cjson.encode(function() end)",
    "return cjson.encode({1, key = 'v'})", "return cjson.encode({{}, {{}}})",
    "return cjson.encode({cjson.null, 1})", "return cjson.encode({[1] = cjson.null})",
    "return cjson.encode({a = cjson.null})", "return cjson.encode(setmetatable({}, {__index = {1}}))",
    "return cjson.encode({nested = {deep = {deeper = {x = 'y'}}}})",
    "local t = {} local c = t for i = 1, 999 do c[1] = {} c = c[1] end return #cjson.encode(t)",
    "local t = {} local c = t for i = 1, 1000 do c[1] = {} c = c[1] end return cjson.encode(t)",
    "local t = {} t[1] = t return cjson.encode(t)", "return cjson.encode({string.rep('x', 3)})",
    "return cjson.encode({['\\0'] = 1})", "return cjson.encode(redis.status_reply('x'))",
)
scripts(
    "cjson.decode",
    "return cjson.decode('[1,2,3]')", "return ser(cjson.decode('{\"a\":1}'))",
    "return cjson.decode('\"str\"')", "return cjson.decode('1.5')", "return ser(cjson.decode('1.5'))",
    "return type(cjson.decode('null'))", "return cjson.decode('null')", "return cjson.decode('[1,null,3]')",
    "return ser(cjson.decode('[1,null,3]'))", "return ser(cjson.decode('true'))", "return cjson.decode('true')",
    "return cjson.decode('false')", "return cjson.decode('\"\\\\u00e9\\\\u20ac\\\\ud83d\\\\ude00\"')",
    "return cjson.decode('\"\\\\ud800\"')", "return cjson.decode('\"\\\\u12\"')",
    "return cjson.decode('\"\\\\x\"')", "return cjson.decode('\"a\\\\/b\\\\n\\\\t\"')",
    "return cjson.decode('{\"a\":')", "return cjson.decode('')", "return cjson.decode('[1,]')",
    "return cjson.decode('{a:1}')", "return cjson.decode('nul')", "return cjson.decode(\"'x'\")",
    "return cjson.decode('[1] x')", "return cjson.decode('  [1]  ')", "return cjson.decode(123)",
    "return cjson.decode()", "return cjson.decode({})", "return cjson.decode('[1', 2)",
    "return #cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000))",
    "return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))",
    "return ser(cjson.decode('123456789012345678901234567890'))", "return ser(cjson.decode('0.1'))",
    "return ser(cjson.decode('1e400'))", "return ser(cjson.decode('-0'))",
    "return ser(cjson.decode('9007199254740993'))", "return ser(cjson.decode('-1.5e-3'))",
    "return ser(cjson.decode('NaN'))", "return ser(cjson.decode('Infinity'))",
    "return ser(cjson.decode('-Infinity'))", "return ser(cjson.decode('0x10'))", "return ser(cjson.decode('01'))",
    "return ser(cjson.decode('1.'))", "return ser(cjson.decode('.5'))", "return ser(cjson.decode('+1'))",
    "return cjson.encode(cjson.decode('[1.5, \"x\", {\"k\": [true, false, null]}]'))",
    "return cjson.encode(cjson.decode('[]'))", "return cjson.encode(cjson.decode('{}'))",
    "return ser(cjson.decode('{\"1\": \"a\", \"2\": \"b\"}'))", "return ser(cjson.decode('{\"a\":1,\"a\":2}'))",
    "return ser(cjson.decode('\"\\0\"'))", "return cjson.decode('\"a\\tb\"')",
    "return ser(cjson.decode('[\"\\\\u0000\"]'))",
    prefix=SER,
)
scripts(
    "cjson options",
    "return {cjson.encode_sparse_array()}",
    "return {cjson.encode_sparse_array(true)}",
    "cjson.encode_sparse_array(true) return cjson.encode({[1] = 1, [20] = 20})",
    "cjson.encode_sparse_array(false, 3, 5) return cjson.encode({[1] = 1, [6] = 6})",
    "cjson.encode_sparse_array(false, 3, 5) return cjson.encode({[1] = 1, [5] = 5})",
    "cjson.encode_sparse_array(false, 0) return cjson.encode({[1] = 1, [1000] = 1})",
    "return {cjson.encode_sparse_array('x')}", "return {cjson.encode_sparse_array(true, -1)}",
    "return {cjson.encode_max_depth()}", "cjson.encode_max_depth(2) return cjson.encode({{{1}}})",
    "cjson.encode_max_depth(3) return cjson.encode({{{1}}})", "return {cjson.encode_max_depth(0)}",
    "return {cjson.decode_max_depth()}", "cjson.decode_max_depth(2) return cjson.decode('[[[1]]]')",
    "return {cjson.encode_number_precision()}",
    "cjson.encode_number_precision(3) return cjson.encode(3.14159)",
    "cjson.encode_number_precision(14) return cjson.encode(0.1)",
    "return {cjson.encode_number_precision(0)}", "return {cjson.encode_number_precision(15)}",
    "return {cjson.encode_keep_buffer()}", "return {cjson.encode_keep_buffer(false)}",
    "cjson.encode_keep_buffer(false) return cjson.encode({1, 'a'})",
    "return {cjson.encode_keep_buffer('bogus')}",
    "return {cjson.encode_invalid_numbers()}",
    "cjson.encode_invalid_numbers(true) return cjson.encode({1/0, -1/0, 0/0})",
    "cjson.encode_invalid_numbers('null') return cjson.encode({1/0, 0/0})",
    "cjson.encode_invalid_numbers(false) return cjson.encode(1/0)",
    "return {cjson.decode_invalid_numbers()}",
    "cjson.decode_invalid_numbers(false) return cjson.decode('NaN')",
    "cjson.decode_invalid_numbers(false) return cjson.decode('0x10')",
    "return type(cjson.new)", "return type(cjson.safe)", "return cjson._NAME", "return cjson._VERSION",
)
case("cjson options persist across scripts",
     "cjson.encode_sparse_array(true) return 1",
     "return cjson.encode({[1] = 1, [20] = 20})",
     "cjson.encode_keep_buffer(false) cjson.encode_max_depth(2) return 1",
     "return cjson.encode({{{1}}})")

# cmsgpack ---------------------------------------------------------------------------------
scripts(
    "cmsgpack.pack",
    "return hex(cmsgpack.pack(nil))", "return hex(cmsgpack.pack(true))", "return hex(cmsgpack.pack(false))",
    "return hex(cmsgpack.pack(0))", "return hex(cmsgpack.pack(1))", "return hex(cmsgpack.pack(127))",
    "return hex(cmsgpack.pack(128))", "return hex(cmsgpack.pack(255))", "return hex(cmsgpack.pack(256))",
    "return hex(cmsgpack.pack(65535))", "return hex(cmsgpack.pack(65536))",
    "return hex(cmsgpack.pack(2^32 - 1))", "return hex(cmsgpack.pack(2^32))", "return hex(cmsgpack.pack(2^53))",
    "return hex(cmsgpack.pack(2^64))", "return hex(cmsgpack.pack(-1))", "return hex(cmsgpack.pack(-32))",
    "return hex(cmsgpack.pack(-33))", "return hex(cmsgpack.pack(-128))", "return hex(cmsgpack.pack(-129))",
    "return hex(cmsgpack.pack(-32768))", "return hex(cmsgpack.pack(-32769))",
    "return hex(cmsgpack.pack(-2^31))", "return hex(cmsgpack.pack(-2^31 - 1))",
    "return hex(cmsgpack.pack(-2^53))", "return hex(cmsgpack.pack(1.5))", "return hex(cmsgpack.pack(0.1))",
    "return hex(cmsgpack.pack(-0.0))", "return hex(cmsgpack.pack(1/0))", "return hex(cmsgpack.pack(-1/0))",
    "return hex(cmsgpack.pack(1e300))", "return hex(cmsgpack.pack(3.0))",
    "return hex(cmsgpack.pack(''))", "return hex(cmsgpack.pack('a'))",
    "return hex(cmsgpack.pack(string.rep('x', 31)))", "return hex(cmsgpack.pack(string.rep('x', 32)))",
    "return hex(string.sub(cmsgpack.pack(string.rep('x', 255)), 1, 4))",
    "return hex(string.sub(cmsgpack.pack(string.rep('x', 256)), 1, 4))",
    "return hex(string.sub(cmsgpack.pack(string.rep('x', 65535)), 1, 4))",
    "return hex(string.sub(cmsgpack.pack(string.rep('x', 65536)), 1, 6))",
    r"return hex(cmsgpack.pack('\0\255'))", "return hex(cmsgpack.pack({}))",
    "return hex(cmsgpack.pack({1, 2, 3}))", "return hex(cmsgpack.pack({1, {2, {3}}}))",
    "local t = {} for i = 1, 15 do t[i] = i end return hex(cmsgpack.pack(t))",
    "local t = {} for i = 1, 16 do t[i] = 0 end return hex(string.sub(cmsgpack.pack(t), 1, 4))",
    "local t = {} for i = 1, 65536 do t[i] = 0 end return hex(string.sub(cmsgpack.pack(t), 1, 6))",
    "return hex(cmsgpack.pack({a = 1}))", "return hex(cmsgpack.pack({[5] = 'x'}))",
    "return hex(cmsgpack.pack({1, 2, nil, 4}))", "return hex(cmsgpack.pack({[1] = 'a', [3] = 'c'}))",
    "local t = {} for i = 1, 16 do t['k' .. i] = i end return hex(string.sub(cmsgpack.pack(t), 1, 3))",
    "return hex(cmsgpack.pack(1, 'two', {3}))", "return cmsgpack.pack()",
    "return hex(cmsgpack.pack(function() end))", "return hex(cmsgpack.pack(cjson.null))",
    "local a = {} a[1] = a return hex(cmsgpack.pack(a))",
    "local a = {} a.x = a return hex(cmsgpack.pack(a))",
    "return hex(cmsgpack.pack({{{{{{{{{{{{{{{{{{1}}}}}}}}}}}}}}}}}}))",
    "return hex(cmsgpack.pack({1.5, -1, 'x', true}))",
    prefix=HEX,
)
scripts(
    "cmsgpack.unpack",
    "return cmsgpack.unpack(cmsgpack.pack({1, 2, 3}))", "return ser({cmsgpack.unpack(cmsgpack.pack({a = 'b'}))})",
    r"return ser({cmsgpack.unpack('\192')})", r"return ser({cmsgpack.unpack('\195')})",
    r"return ser({cmsgpack.unpack('\194')})", r"return ser({cmsgpack.unpack('\204\255')})",
    r"return ser({cmsgpack.unpack('\208\128')})", r"return ser({cmsgpack.unpack('\209\128\0')})",
    r"return ser({cmsgpack.unpack('\210\128\0\0\0')})", r"return ser({cmsgpack.unpack('\211\255\255\255\255\255\255\255\255')})",
    r"return ser({cmsgpack.unpack('\207\0\0\0\1\0\0\0\0')})", r"return ser({cmsgpack.unpack('\206\255\255\255\255')})",
    r"return ser({cmsgpack.unpack('\205\1\0')})", r"return ser({cmsgpack.unpack('\202\63\192\0\0')})",
    r"return ser({cmsgpack.unpack('\203\63\185\153\153\153\153\153\154')})",
    r"return ser({cmsgpack.unpack('\217\3abc')})", r"return ser({cmsgpack.unpack('\218\0\3abc')})",
    r"return ser({cmsgpack.unpack('\219\0\0\0\3abc')})", r"return ser({cmsgpack.unpack('\196\3abc')})",
    r"return ser({cmsgpack.unpack('\163abc')})", r"return ser({cmsgpack.unpack('\160')})",
    r"return ser({cmsgpack.unpack('\144')})", r"return ser({cmsgpack.unpack('\128')})",
    r"return ser({cmsgpack.unpack('\220\0\1\1')})", r"return ser({cmsgpack.unpack('\222\0\1\161a\1')})",
    r"return ser({cmsgpack.unpack('\127\224\255')})", r"return ser({cmsgpack.unpack('\212\1\1')})",
    r"return ser({cmsgpack.unpack('')})", r"return ser({cmsgpack.unpack('\205\1')})",
    r"return ser({cmsgpack.unpack('\193')})", r"return ser({cmsgpack.unpack('\147\1\2')})",
    "return ser({cmsgpack.unpack(cmsgpack.pack(1, 2, 3))})", "return ser({cmsgpack.unpack()})",
    "return ser({cmsgpack.unpack(nil)})", "return ser({cmsgpack.unpack(12)})",
    "return ser({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))})",
    "return ser({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)})",
    "return ser({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 3)})",
    "return ser({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 100)})",
    "return ser({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), -1)})",
    "return ser({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)})",
    "return ser({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)})",
    "return ser({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0)})",
    "return ser({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), -1)})",
    "return ser({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 10)})",
    "return ser({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3))})",
    "return ser({cmsgpack.unpack(cmsgpack.pack(0.1, -0.0, 1/0, 2^53, -2^40, 'é'))})",
    "return ser({cmsgpack.unpack(cmsgpack.pack({1, {2, {x = {3}}}}))})",
    prefix=SER + HEX,
)

# struct ------------------------------------------------------------------------------------
scripts(
    "struct",
    "return hex(struct.pack('>I2', 258))", "return hex(struct.pack('<I2', 258))",
    "return hex(struct.pack('b', -1))", "return hex(struct.pack('B', 255))", "return hex(struct.pack('B', 256))",
    "return hex(struct.pack('>h', -2))", "return hex(struct.pack('>H', 65535))", "return hex(struct.pack('>i', 1))",
    "return hex(struct.pack('<l', -1))", "return hex(struct.pack('>L', 1))", "return hex(struct.pack('>i8', -2))",
    "return hex(struct.pack('>I3', 0x010203))", "return hex(struct.pack('>i4', -1))",
    "return hex(struct.pack('<i4', 2^31))", "return hex(struct.pack('>f', 1.5))", "return hex(struct.pack('<d', 0.1))",
    "return hex(struct.pack('>d', 1/0))", "return hex(struct.pack('s', 'abc'))", "return hex(struct.pack('c5', 'abcde'))",
    "return hex(struct.pack('c5', 'abc'))", "return hex(struct.pack('c2', 'abcdef'))",
    "return hex(struct.pack('c0', 'abc'))", "return hex(struct.pack('>I2c0', 3, 'abc'))",
    "return hex(struct.pack('>bxxh', 1, 2))", "return hex(struct.pack('!4>bi4', 1, 2))",
    "return hex(struct.pack('!>bi4', 1, 2))", "return hex(struct.pack('=I2', 1))",
    "return hex(struct.pack('>I2 I2', 1, 2))", "return hex(struct.pack(''))",
    "return hex(struct.pack('>i2', 1.9))", "return hex(struct.pack('>i2', -1.9))",
    "return hex(struct.pack('>i2', '12'))", "return struct.pack('>i2', 'x')",
    "return struct.pack('y', 1)", "return struct.pack('i17', 1)", "return struct.pack('>I2')",
    "return struct.pack('!3i4', 1)", "return struct.pack()", "return struct.pack('s', {})",
    "return {struct.unpack('>I2', '\\1\\2')}", "return {struct.unpack('<i4', '\\255\\255\\255\\255')}",
    "return {struct.unpack('>I4', '\\255\\255\\255\\255')}", "return ser({struct.unpack('>d', struct.pack('>d', 0.1))})",
    "return ser({struct.unpack('>f', struct.pack('>f', 0.1))})", "return {struct.unpack('s', 'abc\\0def')}",
    "return {struct.unpack('c3', 'abcdef')}", "return {struct.unpack('>I2', '\\1')}",
    "return {struct.unpack('>I2', '\\1\\2\\3', 2)}", "return {struct.unpack('>I2', '\\1\\2\\3', 3)}",
    "return {struct.unpack('>I2', '\\1\\2\\3', 0)}", "return {struct.unpack('>bxb', '\\1\\2\\3')}",
    "return {struct.unpack('>I1c0', '\\3abcd')}", "return {struct.unpack('s', 'abc')}",
    "return {struct.unpack('>i8', '\\255\\255\\255\\255\\255\\255\\255\\254')}",
    "return {struct.unpack('b', '\\128')}", "return {struct.unpack('', 'abc')}", "return {struct.unpack('>I2')}",
    "return struct.size('>I2i4d')", "return struct.size('!8bd')", "return struct.size('s')", "return struct.size('c0')",
    "return struct.size('c10')", "return struct.size('x')", "return struct.size('y')", "return struct.size('')",
    "return struct.size()",
    prefix=SER + HEX,
)

# bit -----------------------------------------------------------------------------------------
scripts(
    "bit",
    "return bit.tobit(0xffffffff)", "return bit.tobit(2^32 + 1)", "return bit.tobit(-1)", "return bit.tobit(1.5)",
    "return bit.tobit(2.5)", "return bit.tobit(-2.5)", "return bit.tobit(2^53)", "return bit.tobit(2^31)",
    "return bit.tobit('12')", "return bit.tobit('x')", "return bit.tobit()", "return bit.tobit(0/0)",
    "return bit.tohex(255)", "return bit.tohex(255, 2)", "return bit.tohex(255, -2)", "return bit.tohex(-1)",
    "return bit.tohex(1, 0)", "return bit.tohex(0x12345678, 10)", "return bit.tohex(0x12345678, -10)",
    "return bit.tohex(0x12345678, 3)", "return bit.bnot(0)", "return bit.bnot(-1)", "return bit.bnot(0x12345678)",
    "return bit.band(0xff, 0x0f, 0x3)", "return bit.bor(1, 2, 4)", "return bit.bxor(5, 3)", "return bit.band()",
    "return bit.band(1)", "return bit.bor(0xffffffff, 0)", "return bit.bxor(-1, 0x0f0f0f0f)",
    "return bit.lshift(1, 31)", "return bit.lshift(1, 32)", "return bit.lshift(1, 33)", "return bit.lshift(1, -1)",
    "return bit.rshift(-1, 28)", "return bit.rshift(0x80000000, 31)", "return bit.arshift(-256, 4)",
    "return bit.arshift(0x80000000, 31)", "return bit.rol(0x12345678, 8)", "return bit.ror(0x12345678, 8)",
    "return bit.rol(1, 32)", "return bit.ror(1, 1)", "return bit.bswap(0x12345678)", "return bit.bswap(-1)",
    "return bit.bswap(1)", "return bit.band('3', '5')", "return bit.band('x')", "return bit.lshift(1)",
    "return bit.tohex(2^32 + 255)", "return bit.band(2^53, 1)",
)

# math.random with a seed, and the string/table/math library ---------------------------------
scripts(
    "math.random seeded",
    "math.randomseed(42) return {math.random(100), math.random(100), math.random(1, 6), tostring(math.random())}",
    "math.randomseed(0) return {math.random(1000000), math.random(1000000)}",
    "math.randomseed(-7) return {math.random(10), math.random(10), math.random(10)}",
    "math.randomseed(1.9) return math.random(1000000)",
    "math.randomseed('12') return math.random(1000000)",
    "math.randomseed(1) local t = {} for i = 1, 20 do t[i] = math.random(0, 1) end return t",
    "math.randomseed(5) return {math.random(-10, -5), math.random(2147483647)}",
    "math.randomseed(3) return tostring(math.random() + math.random())",
    "return math.random(0)", "return math.random(5, 1)", "return math.random(1, 2, 3)",
    "math.randomseed()", "math.randomseed('x')", "math.randomseed(7) return math.random(1.5)",
    "math.randomseed(7) return math.random(3, 3)",
)
case("math.randomseed persists to the next script",
     "math.randomseed(99) return math.random(1000)",
     "return math.random(1000)")
scripts(
    "string library",
    "return string.format('%d', 3.7)", "return string.format('%d', -3.7)", "return string.format('%d', 2^53)",
    "return string.format('%s %q', 'a', 'b\\n\"c\\0d')", "return string.format('%q', '\\r\\t\\\\')",
    "return string.format('%.17g', 0.1)", "return string.format('%.17g', 1/3)", "return string.format('%5.2f', 3.14159)",
    "return string.format('%x %X %o', 255, 255, 8)", "return string.format('%e', 12345.678)",
    "return string.format('%g %g %g', 1e20, 0.0001, 100)", "return string.format('%c%c', 72, 105)",
    "return string.format('%i', 42)", "return string.format('100%%')", "return string.format('[%5s][%-5s]', 'a', 'b')",
    "return string.format('%s', 1.5)", "return string.format('%s', true)", "return string.format('%s', nil)",
    "return string.format('%d', 'x')", "return string.format('%z', 1)", "return string.format('%d')",
    "return string.format('%s')", "return string.format('%10.3s|', 'abcdef')", "return string.format('%+d % d', 5, 5)",
    "return string.format('%05d', -42)", "return string.format('%.0f', 0.5)", "return string.format('%.3f', 2/3)",
    "return string.format('%f', 1/0)", "return string.format('%d', 1/0)", "return string.format('%s', {})",
    "return string.format('%.20s', string.rep('x', 100))", "return string.format('%5.1s', 'xyz')",
    "return string.rep('ab', 3)", "return string.rep('x', 0)", "return string.rep('x', -1)",
    "return string.rep('', 100)", "return string.rep('x', 2.7)",
    "return {string.gsub('hello world', 'o', '0')}", "return {string.gsub('hello world', '%w+', '<%0>')}",
    "return {string.gsub('hello', 'l', {l = 'L'})}", "return {string.gsub('abc', '%w', function(c) return c:upper() .. '.' end)}",
    "return {string.gsub('aaa', 'a', 'b', 2)}", "return {string.gsub('abc', '', '-')}",
    "return {string.gsub('a.b.c', '%.', '%%')}", "return {string.gsub('x', '(x)', '%2')}",
    "return {string.gsub('abc', '[', 'x')}", "return {string.gsub('key:1:2', '(%w+):(%d+)', '%2=%1')}",
    "return {string.find('hello', 'l')}", "return {string.find('a.b', '.', 1, true)}", "return {string.find('a.b', '%.')}",
    "return {string.find('hello', '(l)(l)')}", "return {string.find('hello', 'l', -2)}", "return {string.find('hello', 'z')}",
    "return {string.find('hello', '')}", "return {string.find('hello', '', 10)}", "return {string.find('', '')}",
    "return {string.match('key:123', '(%a+):(%d+)')}", "return string.match('abc', 'x')", "return {string.match('  trim  ', '^%s*(.-)%s*$')}",
    "return {string.match('2024-01-02', '(%d+)-(%d+)-(%d+)')}", "return string.match('abc', '()b()')",
    "return {string.match('hello', '%f[%w]%w+')}", "return {string.match('x=1, y=2', '(%w+)=(%w+)', 5)}",
    "local t = {} for k, v in string.gmatch('a=1, b=2', '(%w+)=(%w+)') do t[#t + 1] = k .. v end return t",
    "return string.sub('hello', 2, -2)", "return string.sub('hello', -3)", "return string.sub('hello', 10)",
    "return string.sub('hello', 0)", "return string.sub('hello', 3, 2)", "return string.sub('hello', -100, 2)",
    "return {string.byte('ABC', 1, -1)}", "return string.byte('')", "return {string.byte('A')}",
    "return string.char(72, 105)", "return string.char()", "return string.char(256)", "return string.char(-1)",
    "return {string.upper('abcÉ'), string.lower('ABC'), string.len('\\0\\0'), string.reverse('abc')}",
    "return ('x'):rep(3)", "return #'abc'", "return ('%d'):format(5)",
    "return string.format('%s', string.format('%q', string.char(0, 1, 255, 10, 13)))",
)
scripts(
    "table library",
    "return table.concat({1, 2, 3}, ',')", "return table.concat({}, ',')", "return table.concat({1, {}})",
    "return table.concat({'a', 'b', 'c'}, '-', 2, 3)", "return table.concat({1.5, 'x', 2^53})",
    "return table.concat({'a'}, ',', 1, 3)", "return table.concat({'a', 'b'}, nil)",
    "local t = {3, 1, 2} table.sort(t) return t", "local t = {3, 1, 2} table.sort(t, function(a, b) return a > b end) return t",
    "local t = {3, 'a'} table.sort(t) return t", "local t = {'b', 'a', 'B', ''} table.sort(t) return t",
    "local t = {} for i = 1, 100 do t[i] = (i * 37) % 101 end table.sort(t) return t",
    "local t = {5, 1, 4} table.sort(t, function(a, b) return true end) return t",
    "local t = {1, 2} table.insert(t, 3) table.insert(t, 1, 0) return t", "local t = {1, 2, 3} return {table.remove(t), table.remove(t, 1), t[1]}",
    "local t = {} return table.remove(t)", "local t = {1, 2, 3} return table.getn(t)", "return table.maxn({1, 2, [10] = 3})",
    "local t = {1, 2} table.insert(t, 5, 'x') return t", "local t = {1, 2} table.insert(t) return t",
    "local t = {1, 2} table.insert(t, 1, 2, 3) return t", "local t = {'a', 'b'} table.foreach(t, function() end) return #t",
    "return #{1, 2, nil, 4}", "return #{nil, nil, 3}", "return select('#', 1, nil, 3, nil)", "return select(2, 'a', 'b', 'c')",
    "return select(-1, 'a', 'b')", "return select(0, 'a')",
    "return {unpack({1, 2, 3})}", "return {unpack({1, 2, 3}, 2)}", "return {unpack({1, 2, 3}, 2, 3)}",
    "return {unpack({1, 2, 3}, 0, 2)}", "return {unpack({}, 1, 3)}",
    "local t = {} for i = 1, 7999 do t[i] = i end return select('#', unpack(t))",
    "local t = {} for i = 1, 10000 do t[i] = i end return select('#', unpack(t))",
    "local t = {} for i = 1, 7999 do t[i] = 1 end return redis.call('rpush', 'l', unpack(t))",
    "local t = {} for i = 1, 300 do t[i] = 'v' .. i end redis.call('rpush', 'l', unpack(t)) return redis.call('lrange', 'l', 0, -1)",
    "local t = {'mset'} for i = 1, 200 do t[#t + 1] = 'k' .. i t[#t + 1] = i end redis.call(unpack(t)) return redis.call('mget', 'k1', 'k200')",
    "local t = setmetatable({}, {__index = function(t, i) return i end}) return {unpack(t, 1, 3)}",
)
scripts(
    "tonumber/tostring",
    "return {tonumber('0x10'), tonumber('10', 2), tonumber(' 5 '), tonumber('1e2'), tonumber('z', 36)}",
    "return {type(tonumber('5x')), type(tonumber('')), type(tonumber('8', 8)), type(tonumber(nil))}",
    "return ser({tonumber('inf'), tonumber('nan'), tonumber('1e500'), tonumber('-0'), tonumber('0x')})",
    "return ser({tonumber('  0x1p4  '), tonumber('1e'), tonumber('.5'), tonumber('5.'), tonumber('0b1')})",
    "return tonumber()", "return tonumber('10', 1)", "return tonumber('10', 37)", "return tonumber({})",
    "return tonumber('7fffffff', 16)", "return tonumber('ffffffffffffffff', 16)", "return tonumber('-ff', 16)",
    "return tostring(1e15)", "return tostring(1e16)", "return tostring(0.1)", "return tostring(-0)",
    "return tostring(1/0)", "return tostring(-1/0)", "return tostring(0/0)", "return tostring(-(0/0))",
    "return tostring(2^63)", "return tostring(123456789012345678)", "return tostring(1/3)", "return tostring(100)",
    "return tostring(-1.5e-10)", "return tostring(true)", "return tostring(nil)", "return tostring('s')",
    "return tostring(2^53 + 1)", "return tostring(12345678901234)", "return tostring(3.14159265358979)",
    "return 10 / 4", "return tostring(10 / 4)", "return tostring(7 % 3) .. tostring(-7 % 3) .. tostring(7 % -3)",
    "return tostring(2^0.5)", "return '10' + 5", "return tostring('10' + 5)", "return '3' * '4'",
    "return 'a' + 1", "return tostring(1e100)", "return 1 .. ''", "return 1.5 .. '|' .. -0.0 .. '|' .. 2^63",
    prefix=SER,
)
scripts(
    "math library",
    "return {math.floor(3.7), math.ceil(3.2), math.abs(-4), math.max(1, 5, 3), math.min(1, 5, 3)}",
    "return tostring(math.floor(-0.5))", "return math.floor(-0.5)", "return ser({math.fmod(7, 3), math.fmod(-7, 3)})",
    "return ser({math.modf(3.7)})", "return ser({math.modf(-3.7)})", "return ser(math.huge)", "return ser(-math.huge)",
    "return ser(math.pi)", "return ser(math.sqrt(-1))", "return ser(math.sqrt(2))", "return ser(math.pow(2, 10))",
    "return ser({math.log(1), math.log10(1000), math.exp(0)})", "return ser({math.frexp(8)})",
    "return ser(math.ldexp(0.5, 4))", "return ser({math.sin(0), math.cos(0), math.tan(0)})",
    "return ser(math.atan2(1, 1))", "return ser({math.deg(math.pi), math.rad(180)})", "return math.max()",
    "return math.floor('3.7')", "return math.floor('x')", "return ser(math.fmod(1, 0))", "return ser(2^1024)",
    "return ser(math.floor(2^53 + 0.5))", "return ser(math.abs(-0.0))", "return ser(math.min(0/0, 1))",
    prefix=SER,
)

# Transactions, databases -----------------------------------------------------------------
case("MULTI/EXEC with EVAL",
     C("MULTI"),
     "return redis.call('incr', 'x')",
     "return redis.call('incr', 'x')",
     "return {redis.call('get', 'x'), redis.call('set', 'y', 'z')}",
     C("EXEC"))
case("MULTI/EXEC with a failing EVAL",
     C("MULTI"), "return redis.call('nosuch')", C("INCR x"), "error('boom')", C("INCR x"), C("EXEC"))
case("MULTI/EXEC with an EVAL queueing error",
     C("MULTI"), ("EVAL", "return 1"), C("INCR x"), C("EXEC"), C("GET x"))
case("MULTI/EXEC with status, false and nested replies",
     C("MULTI"), "return {ok = 'x'}", "return false", "return {1, {2, nil}}", "return {err = 'E inside'}",
     "redis.setresp(3) return {map = {a = {double = 1.5}}}", "redis.setresp(3) return false", C("EXEC"))
case("MULTI/EXEC with EVALSHA and SCRIPT LOAD",
     C("MULTI"), ("EVALSHA", sha(S1), "0"), ("SCRIPT", "LOAD", S1), ("EVALSHA", sha(S1), "0"),
     ("SCRIPT", "EXISTS", sha(S1)), C("EXEC"))
case("MULTI/EXEC with a syntax error and EVAL_RO",
     C("MULTI"), "return +", ("EVAL_RO", "return redis.call('set', 'x', 1)", "0"), ("EVAL_RO", "return 5", "0"),
     C("EXEC"))
case("WATCH is touched by a script's write",
     C("WATCH x"), "return redis.call('set', 'x', '1')", C("MULTI"), C("INCR x"), C("EXEC"), C("GET x"))
case("WATCH is not touched by a script's read",
     C("SET x 1"), C("WATCH x"), "return redis.call('get', 'x')", C("MULTI"), C("INCR x"), C("EXEC"))
case("script SELECT does not change the caller's database",
     C("SET x db0"),
     "redis.call('select', 1) redis.call('set', 'x', 'db1') return redis.call('get', 'x')",
     C("GET x"), C("SELECT 1"), C("GET x"),
     "return redis.call('get', 'x')",
     "redis.call('select', 0) return redis.call('get', 'x')",
     C("GET x"), C("SELECT 0"))
case("script sees the caller's database",
     C("SELECT 2"), C("SET x two"), "return redis.call('get', 'x')",
     "redis.call('select', 3) redis.call('set', 'y', '1') return 1",
     C("EXISTS y"), C("SELECT 3"), C("EXISTS y"), C("SELECT 0"))
case("script SELECT errors",
     "return redis.call('select', 16)", "return redis.call('select', -1)", "return redis.pcall('select', 'x')",
     "return redis.call('select')", "redis.call('select', '1') return redis.call('dbsize')")
case("SELECT inside MULTI with a script",
     C("MULTI"), "redis.call('select', 1) return redis.call('set', 'k', 'v')", C("EXISTS k"), C("EXEC"),
     C("SELECT 1"), C("EXISTS k"), C("SELECT 0"))
case("script writes and reads keys",
     ("EVAL", "redis.call('set', KEYS[1], ARGV[1]) redis.call('expire', KEYS[1], 1000) "
              "return {redis.call('get', KEYS[1]), redis.call('ttl', KEYS[1])}", "1", "k", "v"),
     ("EVAL", "return redis.call('type', KEYS[1])", "1", "k"),
     ("EVAL", "local v = redis.call('get', KEYS[1]) if v then return redis.call('del', KEYS[1]) end return 0",
      "1", "k"),
     C("EXISTS k"))
case("job queue style script",
     ("EVAL", """
local id = redis.call('incr', KEYS[1])
local job = cjson.encode({id = id, payload = ARGV[1]})
redis.call('rpush', KEYS[2], job)
redis.call('zadd', KEYS[3], tonumber(ARGV[2]), id)
return {id, job, redis.call('llen', KEYS[2])}""", "3", "seq", "queue", "delayed", "data", "1.5"),
     ("EVAL", """
local job = redis.call('lpop', KEYS[1])
if not job then return false end
local decoded = cjson.decode(job)
return {decoded.id, decoded.payload, redis.call('zscore', KEYS[2], decoded.id)}""", "2", "queue", "delayed"),
     ("EVAL", "return redis.call('lpop', KEYS[1])", "1", "queue"))

# Functions ----------------------------------------------------------------------------------
LIB1 = fn_lib("lib1", "redis.register_function('f1', function(keys, args) return {keys[1], args[1], #keys, #args} end)")
LIB1B = fn_lib("lib1", "redis.register_function('f1', function(keys, args) return 'replaced' end)")
LIB_RO = fn_lib("libro", "redis.register_function{function_name = 'ro', callback = function(keys) "
                "return redis.call('get', keys[1]) end, flags = {'no-writes'}}")
LIB_W = fn_lib("libw", "redis.register_function('w', function(keys, args) return redis.call('set', keys[1], args[1]) end)")
LIB_DESC = fn_lib("libdesc", "redis.register_function{function_name = 'd', description = 'a description', "
                  "callback = function() return 1 end, flags = {'no-writes', 'allow-stale'}}")
case("FUNCTION LOAD and FCALL",
     ("FUNCTION", "LOAD", LIB1),
     ("FCALL", "f1", "1", "k", "a"),
     ("FCALL", "F1", "0"),
     ("FCALL", "f1", "2", "k"),
     ("FCALL", "f1", "-1"),
     ("FCALL", "f1", "abc"),
     ("FCALL", "f1"),
     ("FCALL", "nosuch", "0"),
     ("FCALL_RO", "f1", "0"),
     ("FUNCTION", "LOAD", LIB1),
     ("FUNCTION", "LOAD", LIB1B),
     ("FUNCTION", "LOAD", "REPLACE", LIB1B),
     ("FCALL", "f1", "0"),
     ("FUNCTION", "LOAD", "replace", LIB1),
     ("FUNCTION", "LOAD", "bogus", LIB1),
     ("FUNCTION", "LOAD"),
     ("FUNCTION", "LIST"),
     ("FUNCTION", "LIST", "WITHCODE"),
     ("FUNCTION", "LIST", "LIBRARYNAME", "lib*"),
     ("FUNCTION", "LIST", "LIBRARYNAME", "nomatch"),
     ("FUNCTION", "LIST", "LIBRARYNAME"),
     ("FUNCTION", "LIST", "bogus"),
     ("FUNCTION", "LIST", "WITHCODE", "WITHCODE"),
     ("FUNCTION", "LIST", "LIBRARYNAME", "a", "LIBRARYNAME", "b"),
     ("FUNCTION", "STATS"),
     ("FUNCTION", "DELETE", "lib1"),
     ("FUNCTION", "DELETE", "lib1"),
     ("FUNCTION", "DELETE"),
     ("FCALL", "f1", "0"),
     ("FUNCTION", "LIST"))
case("FUNCTION flags, FCALL_RO, descriptions",
     ("FUNCTION", "LOAD", LIB_RO),
     ("FUNCTION", "LOAD", LIB_W),
     ("FUNCTION", "LOAD", LIB_DESC),
     ("FCALL", "w", "1", "k", "v"),
     ("FCALL_RO", "ro", "1", "k"),
     ("FCALL", "ro", "1", "k"),
     ("FCALL_RO", "w", "1", "k", "v"),
     ("FCALL", "d", "0"),
     ("FUNCTION", "LIST", "LIBRARYNAME", "libdesc"),
     ("FUNCTION", "LIST", "LIBRARYNAME", "libro", "WITHCODE"),
     ("FUNCTION", "LIST", "LIBRARYNAME", "libw"),
     ("FUNCTION", "STATS"))
case("function writing from FCALL_RO and no-writes",
     ("FUNCTION", "LOAD", fn_lib("x", "redis.register_function{function_name = 'bad', callback = function() "
                                     "return redis.call('set', 'x', '1') end, flags = {'no-writes'}}")),
     ("FCALL", "bad", "0"), ("FCALL_RO", "bad", "0"),
     ("FUNCTION", "LOAD", fn_lib("y", "redis.register_function{function_name = 'p', callback = function() "
                                     "return redis.pcall('set', 'x', '1') end, flags = {'no-writes'}}")),
     ("FCALL", "p", "0"), C("EXISTS x"))
function_loads(
    "FUNCTION LOAD errors",
    "return 1", "#!lua\nredis.register_function('f', function() end)", "#!lua name=\nreturn 1",
    "#!lua name=bad-name\nredis.register_function('f', function() end)",
    "#!bogus name=x\nredis.register_function('f', function() end)",
    "#!lua name=x\nbad lua", "#!lua name=x\nreturn 1", "#!lua name=x\nredis.register_function('f', 1)",
    "#!lua name=x\nredis.register_function()", "#!lua name=x\nredis.register_function('f')",
    "#!lua name=x\nredis.register_function('f', function() end, 1)",
    "#!lua name=x\nredis.register_function(1, function() end)",
    "#!lua name=x\nredis.register_function('a-b', function() end)",
    "#!lua name=x\nredis.register_function('', function() end)",
    "#!lua name=x\nredis.register_function('f', function() end) redis.register_function('f', function() end)",
    "#!lua name=x\nredis.call('ping')", "#!lua name=x\nreturn redis.pcall('ping')",
    "#!lua name=x\nmath.random()", "#!lua name=x\nredis.setresp(3)", "#!lua name=x\nredis.set_repl(redis.REPL_ALL)",
    "#!lua name=x\nlocal a = undefined_thing", "#!lua name=x\nglobal_var = 1",
    "#!lua name=x\nredis.register_function{function_name = 'f', callback = function() end, bogus = 1}",
    "#!lua name=x\nredis.register_function{function_name = 'f', callback = function() end, flags = 'no-writes'}",
    "#!lua name=x\nredis.register_function{function_name = 'f', callback = function() end, flags = {'bogus'}}",
    "#!lua name=x\nredis.register_function{function_name = 'f', callback = function() end, flags = {1}}",
    "#!lua name=x\nredis.register_function{function_name = 'f', callback = function() end, description = 1}",
    "#!lua name=x\nredis.register_function{callback = function() end}",
    "#!lua name=x\nredis.register_function{function_name = 'f'}",
    "#!lua name=x\nredis.register_function{function_name = 'f', callback = 'x'}",
    "#!lua name=x\nredis.register_function{}",
    "#!lua name=x bogus=1\nredis.register_function('f', function() end)",
    "#!lua name=x name=y\nredis.register_function('f', function() end)",
    "#!lua name=x\nerror('load error')", "#!lua name=x\nerror({err = 'LOADERR x'})",
    "#!lua name=x\nlocal r = redis.register_function('f', function() end) return r",
    "#!lua name=x\nredis.register_function('f', function() end) redis.register_function('f2', function() end) "
    "return type(redis.call)",
    "#!lua name=x\nreturn redis.REDIS_VERSION and 1",
    "#!lua name=x\nredis.log(redis.LOG_NOTICE, 'loading') redis.register_function('f', function() end)",
    "#!lua name=x\nredis.register_function('f', function() end)\nwhile false do end",
    "#!lua name=x flags=no-writes\nredis.register_function('f', function() end)",
    "#!LUA name=x\nredis.register_function('f', function() end)",
    "#!lua name=" + "n" * 300 + "\nredis.register_function('f', function() end)",
    "#!lua name=x\nredis.register_function('" + "f" * 300 + "', function() end)",
)
case("function name collision across libraries",
     ("FUNCTION", "LOAD", fn_lib("a", "redis.register_function('same', function() return 'a' end)")),
     ("FUNCTION", "LOAD", fn_lib("b", "redis.register_function('same', function() return 'b' end)")),
     ("FUNCTION", "LOAD", "REPLACE", fn_lib("a", "redis.register_function('same', function() return 'a2' end)")),
     ("FCALL", "same", "0"),
     ("FUNCTION", "LOAD", fn_lib("b", "redis.register_function('other', function() return 'b' end)")),
     ("FCALL", "other", "0"),
     ("FUNCTION", "LOAD", "REPLACE", fn_lib("b", "bad lua")),
     ("FCALL", "other", "0"),
     ("FUNCTION", "LOAD", fn_lib("A", "redis.register_function('upper', function() return 1 end)")),
     ("FUNCTION", "LIST", "LIBRARYNAME", "b"))
case("functions at run time",
     ("FUNCTION", "LOAD", fn_lib("rt", """
local function helper(x) return 'h:' .. x end
redis.register_function('err', function(keys, args) error('in function') end)""")),
     ("FCALL", "err", "0"),
     ("FUNCTION", "LOAD", "REPLACE", fn_lib("rt", """
redis.register_function('glob', function(keys, args) return KEYS end)""")),
     ("FCALL", "glob", "0"),
     ("FUNCTION", "LOAD", "REPLACE", fn_lib("rt", """
redis.register_function('resp3', function(keys, args) redis.setresp(3) return {map = {k = {double = 2.5}}} end)""")),
     ("FCALL", "resp3", "0"),
     ("FUNCTION", "LOAD", "REPLACE", fn_lib("rt", """
redis.register_function('call', function(keys, args) return redis.call('nosuch') end)""")),
     ("FCALL", "call", "0"),
     ("FUNCTION", "LOAD", "REPLACE", fn_lib("rt", """
redis.register_function('reg', function(keys, args) return redis.register_function('x', function() end) end)""")),
     ("FCALL", "reg", "0"),
     ("FUNCTION", "LOAD", "REPLACE", fn_lib("rt", """
redis.register_function('setg', function(keys, args) newglobal = 1 end)""")),
     ("FCALL", "setg", "0"),
     ("FUNCTION", "LOAD", "REPLACE", fn_lib("rt", """
local count = 0
redis.register_function('counter', function(keys, args) count = count + 1 return count end)""")),
     ("FCALL", "counter", "0"),
     ("FCALL", "counter", "0"),
     ("FUNCTION", "LOAD", "REPLACE", fn_lib("rt", """
redis.register_function('types', function(keys, args) return {type(keys), type(args), #keys, #args, args[2]} end)""")),
     ("FCALL", "types", "2", "k1", "k2", "a1", "a2"),
     ("FUNCTION", "LOAD", "REPLACE", fn_lib("rt", """
redis.register_function('math', function() math.randomseed(1) return math.random(100) end)""")),
     ("FCALL", "math", "0"),
     ("FUNCTION", "LOAD", "REPLACE", fn_lib("rt", """
redis.register_function('ret', function() return nil end)""")),
     ("FCALL", "ret", "0"))
DUMP = Unchecked(("FUNCTION", "DUMP"))
case("FUNCTION DUMP and RESTORE",
     ("FUNCTION", "LOAD", LIB1),
     DUMP,
     ("FUNCTION", "RESTORE", OWN_DUMP),
     ("FUNCTION", "RESTORE", OWN_DUMP, "APPEND"),
     ("FUNCTION", "RESTORE", OWN_DUMP, "REPLACE"),
     ("FCALL", "f1", "1", "k", "a"),
     ("FUNCTION", "FLUSH"),
     ("FUNCTION", "RESTORE", OWN_DUMP),
     ("FCALL", "f1", "1", "k", "a"),
     ("FUNCTION", "LIST", "WITHCODE"),
     ("FUNCTION", "RESTORE", OWN_DUMP, "FLUSH"),
     ("FUNCTION", "RESTORE", OWN_DUMP, "flush"),
     ("FUNCTION", "RESTORE", OWN_DUMP, "BOGUS"),
     ("FUNCTION", "RESTORE", OWN_DUMP, "FLUSH", "APPEND"),
     ("FUNCTION", "RESTORE", "garbage"),
     ("FUNCTION", "RESTORE", ""),
     ("FUNCTION", "RESTORE"),
     ("FUNCTION", "LIST"))
case("FUNCTION RESTORE of the other server's payload",
     ("FUNCTION", "LOAD", LIB1),
     ("FUNCTION", "LOAD", LIB_DESC),
     DUMP,
     ("FUNCTION", "FLUSH"),
     ("FUNCTION", "RESTORE", OTHER_DUMP),
     ("FCALL", "f1", "1", "k", "a"),
     ("FCALL_RO", "d", "0"),
     ("FUNCTION", "LIST", "LIBRARYNAME", "lib1", "WITHCODE"),
     ("FUNCTION", "LIST", "LIBRARYNAME", "libdesc", "WITHCODE"),
     ("FUNCTION", "STATS"))
case("FUNCTION DUMP of nothing, FLUSH, misc",
     ("FUNCTION", "DUMP"),
     ("FUNCTION", "RESTORE", OWN_DUMP),
     ("FUNCTION", "LIST"),
     ("FUNCTION", "FLUSH", "ASYNC"),
     ("FUNCTION", "FLUSH", "SYNC"),
     ("FUNCTION", "FLUSH", "bogus"),
     ("FUNCTION", "FLUSH", "SYNC", "ASYNC"),
     ("FUNCTION", "KILL"),
     ("FUNCTION", "BOGUS"),
     ("FUNCTION",),
     ("FUNCTION", "HELP"),
     ("FUNCTION", "STATS"),
     ("FUNCTION", "STATS", "x"),
     ("FUNCTION", "DUMP", "x"))
case("FUNCTION RESTORE collision",
     ("FUNCTION", "LOAD", LIB1),
     DUMP,
     ("FUNCTION", "DELETE", "lib1"),
     ("FUNCTION", "LOAD", fn_lib("other", "redis.register_function('f1', function() return 'other' end)")),
     ("FUNCTION", "RESTORE", OWN_DUMP),
     ("FUNCTION", "RESTORE", OWN_DUMP, "APPEND"),
     ("FCALL", "f1", "0"),
     ("FUNCTION", "LIST", "LIBRARYNAME", "lib1"),
     ("FUNCTION", "RESTORE", OWN_DUMP, "REPLACE"),
     ("FCALL", "f1", "1", "k", "a"),
     ("FUNCTION", "LIST", "LIBRARYNAME", "other"))
case("FLUSHALL keeps functions",
     ("FUNCTION", "LOAD", LIB1), C("FLUSHALL"), ("FCALL", "f1", "0"), ("SCRIPT", "FLUSH"), ("FCALL", "f1", "0"))

# The redis.* API ----------------------------------------------------------------------------
scripts(
    "redis api",
    "return redis.sha1hex('')", "return redis.sha1hex('abc')", "return redis.sha1hex()",
    "return redis.sha1hex('a', 'b')", "return redis.sha1hex(123)", r"return redis.sha1hex('\0\255')",
    "return redis.sha1hex(string.rep('x', 100000))",
    "return redis.log(redis.LOG_WARNING, 'from a script')", "return redis.log(redis.LOG_DEBUG, 'a', 'b', 1)",
    "return redis.log()", "return redis.log(redis.LOG_WARNING)", "return redis.log('x', 'y')",
    "return redis.log(99, 'x')", "return redis.log(-1, 'x')", "return redis.log(redis.LOG_NOTICE, {})",
    "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}",
    "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}",
    "return redis.set_repl(redis.REPL_ALL)", "return redis.set_repl(redis.REPL_NONE)", "return redis.set_repl(99)",
    "return redis.set_repl(-1)", "return redis.set_repl()", "return redis.set_repl('x')", "return redis.set_repl(1, 2)",
    "return redis.replicate_commands()", "return redis.replicate_commands(1)",
    "return redis.setresp(2)", "return redis.setresp(3)", "return redis.setresp(1)", "return redis.setresp(4)",
    "return redis.setresp()", "return redis.setresp('3')", "return redis.setresp('x')", "return redis.setresp(2, 3)",
    "return redis.setresp(2.5)",
    "return redis.breakpoint()", "return redis.debug('x')", "return redis.debug()", "return {redis.breakpoint()}",
    "return redis.acl_check_cmd('get', 'x')", "return redis.acl_check_cmd('nosuch')", "return redis.acl_check_cmd()",
    "return redis.acl_check_cmd('set')", "return redis.acl_check_cmd({})", "return redis.acl_check_cmd('config', 'get', 'x')",
    "return type(redis.REDIS_VERSION)", "return type(redis.REDIS_VERSION_NUM)", "return type(redis.call)",
    "return redis.error_reply == nil", "return type(redis.register_function)", "return type(redis.pcall)",
    "local keys = {} for k in pairs(redis) do keys[#keys + 1] = k end table.sort(keys) return keys",
    "local keys = {} for k in pairs(cjson) do keys[#keys + 1] = k end table.sort(keys) return keys",
    "local keys = {} for k in pairs(cmsgpack) do keys[#keys + 1] = k end table.sort(keys) return keys",
    "local keys = {} for k in pairs(struct) do keys[#keys + 1] = k end table.sort(keys) return keys",
    "local keys = {} for k in pairs(bit) do keys[#keys + 1] = k end table.sort(keys) return keys",
    "local keys = {} for k in pairs(_G) do keys[#keys + 1] = k end table.sort(keys) return keys",
    "local keys = {} for k in pairs(string) do keys[#keys + 1] = k end table.sort(keys) return keys",
    "local keys = {} for k in pairs(math) do keys[#keys + 1] = k end table.sort(keys) return keys",
    "local keys = {} for k in pairs(table) do keys[#keys + 1] = k end table.sort(keys) return keys",
)
case("error statistics",
     C("CONFIG RESETSTAT"),
     "return redis.call('nosuch')",
     "return redis.pcall('nosuch')",
     "redis.pcall('nosuch') return 1",
     "return redis.error_reply('MY_CODE x')",
     "return {err = 'OTHER y'}",
     "error('plain')",
     "error({err = 'TBL z'})",
     "return redis.call('select', 99)",
     "redis.call('set', 's', 'a') return redis.pcall('incr', 's')",
     "return redis.call('blpop', 'l', 0)",
     ("EVAL_RO", "return redis.call('set', 'x', 1)", "0"),
     ("EVALSHA", "0" * 40, "0"),
     ("EVAL", "return 1", "-1"),
     "return +",
     ("INFO", "errorstats"),
     C("CONFIG RESETSTAT"))
case("error statistics with maxmemory",
     C("CONFIG SET maxmemory 1"),
     C("CONFIG RESETSTAT"),
     "return redis.call('set', 'x', 'y')",
     "return redis.pcall('set', 'x', 'y')",
     "local t = redis.pcall('set', 'x', 'y') return t.err",
     C("CONFIG SET maxmemory 0"),
     ("INFO", "errorstats"),
     C("CONFIG RESETSTAT"),
     needs=[MAXMEMORY])
case("INFO from a script: reply type and shape only",
     "local r = redis.call('info', 'server') return type(r)",
     "redis.setresp(3) local r = redis.call('info', 'server') return {type(r), r.verbatim_string.format}")


# ---------------------------------------------------------------------------------------
# Driver

RESET = [(b"FLUSHALL",), (b"SCRIPT", b"FLUSH"), (b"FUNCTION", b"FLUSH")]


def is_function_dump(command):
    return len(command) == 2 and command[0].upper() == "FUNCTION" and command[1].upper() == "DUMP"


def supports(port, needs, known):
    """Whether the server under test has what a case needs: commands that COMMAND INFO
    knows (a name), or probe commands that all reply +OK (a tuple of commands). The
    answers are remembered in `known`."""
    for need in needs:
        if need not in known:
            client = RawClient(port)
            try:
                if isinstance(need, tuple):
                    known[need] = all(client.call(*(a.encode() for a in probe)) == b"+OK\r\n"
                                            for probe in need)
                else:
                    info = client.call(b"COMMAND", b"INFO", need.encode())
                    known[need] = info.startswith(b"*1\r\n*") and not info.startswith(b"*1\r\n*-1")
            finally:
                client.close()
        if not known[need]:
            return False
    return True


def run_case(ports, protocol, commands):
    """One case on both servers, command by command: (replies on ports[0], on ports[1])."""
    clients = [RawClient(port) for port in ports]
    replies = ([], [])
    dumps = [b"", b""]
    try:
        for client, port in zip(clients, ports):
            hello = client.call(b"HELLO", b"%d" % protocol)
            assert hello.startswith(b"%" if protocol == 3 else b"*"), \
                "HELLO %d on port %d: %r" % (protocol, port, hello)
            for command in RESET:
                reply = client.call(*command)
                assert reply == b"+OK\r\n", "%r on port %d: %r" % (command, port, reply)
        for command in commands:
            for side, client in enumerate(clients):
                if replies[side] and replies[side][-1].startswith(b"(no reply"):
                    replies[side].append(b"(not sent)")
                    continue
                args = [dumps[side] if a is OWN_DUMP else dumps[1 - side] if a is OTHER_DUMP
                        else a if isinstance(a, bytes) else str(a).encode() for a in command]
                try:
                    reply = client.call(*args)
                except (OSError, ValueError) as error:  # the rest of the case is lost
                    reply = ("(no reply: %r)" % error).encode()
                if is_function_dump(command):
                    dumps[side] = bulk_payload(reply)
                replies[side].append(reply)
    finally:
        for client in clients:
            client.close()
    return replies


def show_command(command, limit=300):
    words = []
    for a in command:
        if a in (OWN_DUMP, OTHER_DUMP) or (isinstance(a, str) and a and a.isprintable() and " " not in a
                                           and "'" not in a and '"' not in a):
            words.append(a)
        else:
            words.append(repr(a))
    text = " ".join(words)
    return text if len(text) <= limit else text[:limit] + "...(%d chars)" % len(text)


def show_reply(reply, limit=600):
    text = repr(reply)
    return text if len(text) <= limit else text[:limit] + "...(%d bytes)" % len(reply)


def mismatches(ports, protocol):
    """(every compared command whose replies differ, described for the failure message;
    the names of the cases skipped for their needs)."""
    found, skipped, known = [], [], {}
    for name, commands, needs in CASES:
        if not supports(ports[1], needs, known):
            skipped.append(name)
            continue
        try:
            want, got = run_case(ports, protocol, commands)
        except OSError as error:  # a server died in an earlier case
            found.append("case %r: a server is unreachable (%r); the remaining cases were not run"
                         % (name, error))
            break
        for i, command in enumerate(commands):
            if not isinstance(command, Unchecked) and want[i] != got[i]:
                found.append("case %r, command %d of %d: %s\n  redis-server: %s\n  redstart:     %s"
                             % (name, i + 1, len(commands), show_command(command),
                                show_reply(want[i]), show_reply(got[i])))
    return found, skipped


@pytest.mark.parametrize("protocol", [2, 3])
def test_scripting_matches_redis(request, redis_server, protocol):
    if SELFTEST:
        subject = ReferenceServer()
        request.addfinalizer(subject.stop)
    else:
        subject = request.getfixturevalue("server")
    found, skipped = mismatches((redis_server.port, subject.port), protocol)
    if skipped:
        warnings.warn("RESP%d: %d cases skipped (the server lacks what they need): %s"
                      % (protocol, len(skipped), ", ".join(skipped)))
    assert not found, "RESP%d: %d mismatching replies in %d cases:\n%s" % (
        protocol, len(found), len(CASES), "\n".join(found))
