"""Golden tests of redstart-cli: every case runs through the real redis-cli (7.0.15) and
through redstart-cli against the same Redstart server, the dataset reset before each run,
and the two must agree byte for byte on stdout, stderr and the exit code.

The command table covers every reply type (RESP2 and RESP3 through -3), errors, nested
and empty replies, doubles (inf too), big numbers, binary, non-UTF-8, quoted and unicode
strings; each command runs in eight output modes (stdout is a pipe here, so the default is
raw; --json and --quoted-json among them). Then the options: -x, -X, -r/-i, -e, -n, -d/-D, --quoted-input, --eval, --scan,
--pipe, -u, -a and its warning, REDISCLI_AUTH, option errors, connection refused."""
import os
import subprocess
import tempfile

import pytest
import redis

from conftest import Server, free_port

REDIS_CLI = "redis-cli"

# Key -> how to build it; the dataset every run starts from (db 0, plus one key in db 2).
BIN = bytes(range(0, 256, 7))
DATASET = [
    ("SET", "str", "hello"),
    ("SET", "empty", ""),
    ("SET", "int", "42"),
    ("SET", "float", "3.5"),
    ("SET", "big", "9223372036854775806"),
    ("SET", "spaces", "hello world  twice"),
    ("SET", "quotes", 'say "hi" \'there\''),
    ("SET", "backslash", "a\\b\\\\c"),
    ("SET", "newline", "line1\nline2\r\nline3\ttab"),
    ("SET", "bin", BIN),
    ("SET", "nonutf8", b"\xff\xfe\xc3\x28abc\x80"),
    ("SET", "unicode", "héllo wörld ✓ 日本語 🐦"),
    ("SET", "nul", b"a\x00b\x00c"),
    ("SET", b"key\xffbin", "binary-named"),
    ("SET", "key with space", "spaced"),
    ("RPUSH", "list", "a", "b", "c", "d", "e"),
    ("RPUSH", "biglist", *[str(i) for i in range(1, 13)]),
    ("RPUSH", "hugelist", *[str(i) for i in range(1, 105)]),
    ("RPUSH", "mixlist", "x", "", "y\nz", b"\x00\x01", "é"),
    ("HSET", "hash", "f1", "v1", "f2", "v2", "num", "10", "fl", "1.5"),
    ("HSET", "bighash", *[x for i in range(1, 12) for x in ("field%d" % i, "value%d" % i)]),
    ("SADD", "intset", "1", "2", "3", "10", "-5"),
    ("SADD", "intset2", "2", "3", "4"),
    ("SADD", "strset", "apple"),
    ("ZADD", "zset", "1", "one", "2", "two", "3", "three", "1.5", "onehalf", "-2.25", "neg"),
    ("ZADD", "zinf", "inf", "top", "-inf", "bottom", "0", "zero", "0.1", "tenth", "1e20", "huge"),
    ("ZADD", "zbig", *[x for i in range(1, 13) for x in (str(i), "m%02d" % i)]),
    ("XADD", "stream", "1-1", "name", "alice", "age", "30"),
    ("XADD", "stream", "2-1", "name", "bob"),
    ("XADD", "stream", "3-5", "k", "v", "k2", "v2"),
    ("GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"),
    ("PFADD", "hll", "a", "b", "c"),
    ("SELECT", "2"),
    ("SET", "indb2", "second-db"),
    ("SELECT", "0"),
]


def lua(body):
    return ("EVAL", body, "0")


COMMANDS = [
    # Simple replies and strings.
    ("PING",), ("PING", "hello there"), ("ECHO", ""), ("ECHO", "plain"),
    ("ECHO", "with space"), ("ECHO", 'dq"uote'), ("ECHO", "sq'uote"), ("ECHO", "back\\slash"),
    ("ECHO", "new\nline"), ("ECHO", "cr\rlf\r\n"), ("ECHO", "tab\there"), ("ECHO", "bell\a\b"),
    ("ECHO", b"\x01\x02"), ("ECHO", b"\x7f\x80\xff"), ("ECHO", "é✓🐦"), ("ECHO", "--raw"), ("ECHO", "-x"),
    ("ECHO", "9223372036854775807"), ("ECHO", "-1"), ("ECHO", " lead and trail "), ("ECHO", ","),
    ("ECHO", "a,b"), ("ECHO", "NULL"), ("ECHO", "(nil)"),
    ("GET", "str"), ("GET", "empty"), ("GET", "int"), ("GET", "float"), ("GET", "spaces"),
    ("GET", "quotes"), ("GET", "backslash"), ("GET", "newline"), ("GET", "bin"), ("GET", "nonutf8"),
    ("GET", "unicode"), ("GET", "nul"), ("GET", b"key\xffbin"), ("GET", "key with space"), ("GET", "missing"),
    ("GETRANGE", "str", "1", "3"), ("GETRANGE", "str", "10", "20"), ("STRLEN", "unicode"), ("STRLEN", "missing"),
    ("MGET", "str", "missing", "int", "bin"), ("MGET", "missing", "missing2"),
    ("SET", "str", "new"), ("SET", "str", "new", "GET"), ("SET", "newkey", "v", "NX"), ("SET", "str", "v", "NX"),
    ("SET", "str", "v", "XX", "GET"), ("SETNX", "str", "x"), ("APPEND", "str", " appended"), ("APPEND", "fresh", "v"),
    ("INCR", "int"), ("INCRBY", "int", "-100"), ("DECR", "missing"), ("INCRBYFLOAT", "float", "0.1"),
    ("INCRBYFLOAT", "float", "1e300"), ("INCRBYFLOAT", "int", "-42.5"), ("INCR", "big"), ("INCRBY", "big", "2"),
    ("INCR", "str"), ("INCRBYFLOAT", "str", "1"), ("GETSET", "str", "other"), ("GETDEL", "str"),
    ("GETDEL", "missing"), ("SETRANGE", "str", "2", "XYZ"), ("MSET", "a", "1", "b", "2"), ("MSETNX", "a", "1", "zz", "2"),
    ("LCS", "str", "spaces"), ("LCS", "str", "spaces", "IDX", "WITHMATCHLEN"),
    # Errors.
    ("NOSUCHCOMMAND",), ("nosuchcommand", "arg1", "arg 2"), ("GET",), ("GET", "a", "b"),
    ("LPUSH", "str", "x"), ("SET", "k", "v", "BOGUS"), ("INCRBY", "int", "notanumber"),
    ("SET", "k", "v", "EX", "-5"), ("HGET", "list", "f"), ("ZADD", "zset", "nan", "m"),
    ("XADD", "stream", "1-0", "f", "v"), ("OBJECT", "NOPE"), ("CONFIG", "GET"), (b"\xff\xfecmd", b"\x80"),
    ("EVAL", "return redis.call('nosuch')", "0"), ("EVAL", "syntax error here", "0"),
    ("SELECT", "99"), ("DEBUG", "PROTOCOL", "nope"),
    # Lists.
    ("LRANGE", "list", "0", "-1"), ("LRANGE", "biglist", "0", "-1"), ("LRANGE", "hugelist", "0", "-1"),
    ("LRANGE", "mixlist", "0", "-1"), ("LRANGE", "missing", "0", "-1"), ("LRANGE", "list", "10", "20"),
    ("LINDEX", "list", "1"), ("LINDEX", "list", "99"), ("LLEN", "list"), ("LPOS", "list", "c"),
    ("LPOS", "list", "nope"), ("LPOP", "list"), ("LPOP", "list", "3"), ("RPOP", "missing", "2"),
    ("LPUSH", "list", "z"), ("LINSERT", "list", "BEFORE", "c", "bb"), ("LMPOP", "2", "missing", "list", "LEFT", "COUNT", "2"),
    ("LSET", "list", "0", "first"), ("LSET", "list", "99", "x"), ("LTRIM", "list", "0", "1"),
    ("BLPOP", "list", "0"), ("BLPOP", "missing", "0.01"), ("LMOVE", "list", "other", "LEFT", "RIGHT"),
    # Hashes.
    ("HGETALL", "hash"), ("HGETALL", "bighash"), ("HGETALL", "missing"), ("HGET", "hash", "f1"), ("HGET", "hash", "nope"),
    ("HMGET", "hash", "f1", "nope", "num"), ("HKEYS", "hash"), ("HVALS", "hash"), ("HLEN", "hash"),
    ("HEXISTS", "hash", "f1"), ("HINCRBY", "hash", "num", "5"), ("HINCRBYFLOAT", "hash", "fl", "0.25"),
    ("HSTRLEN", "hash", "f1"), ("HSETNX", "hash", "f1", "x"), ("HDEL", "hash", "f1", "nope"),
    ("HSCAN", "hash", "0"), ("HRANDFIELD", "missing", "2"),
    # Sets.
    ("SMEMBERS", "intset"), ("SMEMBERS", "strset"), ("SMEMBERS", "missing"), ("SISMEMBER", "intset", "3"),
    ("SMISMEMBER", "intset", "1", "99", "2"), ("SCARD", "intset"), ("SINTER", "intset", "intset2"),
    ("SINTER", "intset", "missing"), ("SUNION", "intset", "intset2"), ("SDIFF", "intset2", "intset"),
    ("SINTERCARD", "2", "intset", "intset2"), ("SADD", "intset", "7"), ("SREM", "intset", "1", "nope"),
    ("SMOVE", "intset", "intset2", "10"), ("SSCAN", "intset", "0"),
    # Sorted sets: doubles in RESP3.
    ("ZRANGE", "zset", "0", "-1"), ("ZRANGE", "zset", "0", "-1", "WITHSCORES"), ("ZRANGE", "zinf", "0", "-1", "WITHSCORES"),
    ("ZRANGE", "zbig", "0", "-1", "WITHSCORES"), ("ZRANGE", "missing", "0", "-1"),
    ("ZREVRANGE", "zset", "0", "1", "WITHSCORES"), ("ZRANGEBYSCORE", "zset", "-inf", "+inf", "LIMIT", "1", "2"),
    ("ZSCORE", "zset", "onehalf"), ("ZSCORE", "zset", "neg"), ("ZSCORE", "zinf", "top"), ("ZSCORE", "zinf", "bottom"),
    ("ZSCORE", "zinf", "tenth"), ("ZSCORE", "zinf", "huge"), ("ZSCORE", "zset", "nope"),
    ("ZMSCORE", "zset", "one", "nope", "onehalf"), ("ZRANK", "zset", "two"), ("ZRANK", "zset", "nope"),
    ("ZCARD", "zset"), ("ZCOUNT", "zset", "1", "2"), ("ZINCRBY", "zset", "0.5", "one"), ("ZINCRBY", "zset", "1e-5", "new"),
    ("ZPOPMIN", "zset"), ("ZPOPMAX", "zset", "2"), ("ZPOPMIN", "missing"), ("ZMPOP", "1", "zset", "MIN", "COUNT", "2"),
    ("ZUNION", "2", "zset", "zinf", "WITHSCORES"), ("ZINTERCARD", "2", "zset", "zinf"), ("ZSCAN", "zset", "0"),
    ("ZADD", "zset", "INCR", "2.5", "one"), ("ZADD", "zset", "NX", "1", "one"), ("ZLEXCOUNT", "zset", "-", "+"),
    ("BZPOPMIN", "zset", "0"),
    # Streams: nested arrays and maps.
    ("XRANGE", "stream", "-", "+"), ("XREVRANGE", "stream", "+", "-", "COUNT", "1"), ("XRANGE", "missing", "-", "+"),
    ("XLEN", "stream"), ("XREAD", "STREAMS", "stream", "0"), ("XREAD", "COUNT", "1", "STREAMS", "stream", "missing", "0", "0"),
    ("XADD", "stream", "9-9", "f", "v"), ("XDEL", "stream", "1-1"), ("XTRIM", "stream", "MAXLEN", "1"),
    ("XGROUP", "CREATE", "stream", "g", "0"), ("XINFO", "GROUPS", "stream"),
    # Geo: coordinates are doubles in RESP3.
    ("GEOPOS", "geo", "Palermo", "nowhere"), ("GEODIST", "geo", "Palermo", "Catania", "km"),
    ("GEOSEARCH", "geo", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC", "WITHCOORD", "WITHDIST", "WITHHASH"),
    ("GEOHASH", "geo", "Palermo", "Catania"),
    # Keys.
    ("EXISTS", "str", "missing", "list"), ("TYPE", "str"), ("TYPE", "zset"), ("TYPE", "missing"), ("DEL", "str", "list", "nope"),
    ("UNLINK", "hash"), ("RENAME", "str", "str2"), ("RENAME", "missing", "x"), ("COPY", "list", "listcopy"),
    ("SORT", "list", "ALPHA"), ("SORT", "biglist", "LIMIT", "0", "5"), ("SORT", "biglist", "DESC", "STORE", "sorted"),
    ("SORT", "intset"), ("OBJECT", "ENCODING", "intset"), ("OBJECT", "ENCODING", "missing"), ("DUMP", "str"), ("DUMP", "missing"),
    ("EXPIRE", "str", "100"), ("TTL", "str"), ("PTTL", "missing"), ("PERSIST", "str"), ("DBSIZE",), ("EXISTS", b"key\xffbin"),
    ("KEYS", "l*"), ("KEYS", "nothing*"), ("TOUCH", "str", "list"),
    # Scripts: nested tables, status and error tables, RESP3 types.
    lua("return {1,{2,{3,{'a',{}}}},'x'}"), lua("return {}"), lua("return {{},{{}}}"),
    lua("return {err='My Error text'}"), lua("return {ok='Status OK'}"), lua("return {1,2,nil,4}"),
    lua("return 3.99"), lua("return true"), lua("return false"), lua("return nil"),
    lua("return {'a\\r\\nb', 'c\\0d', '\\255'}"), lua("return redis.call('hgetall', 'hash')"),
    lua("return {1,2,3,4,5,6,7,8,9,10,11,{1,2,3,4,5,6,7,8,9,10}}"),
    lua("return {{1,{2,3}},{4,{5,{6,7}}}}"),
    lua("redis.setresp(3); return redis.call('hgetall', 'hash')"),
    lua("redis.setresp(3); return redis.call('smembers', 'intset')"),
    lua("redis.setresp(3); return redis.call('zscore', 'zset', 'onehalf')"),
    lua("return {map={a=1}}"), lua("return {double=3.25}"), lua("return {double=0}"),
    lua("return {set={one=true}}"), lua("return {map={k={1,2,{3}}}}"), lua("return {map={}}"), lua("return {set={}}"),
    lua("return {big_number='123456789012345678901234567890'}"),
    lua("return {map={x={map={y={set={z=true}}}}}}"),
    lua("return {map={a={1,2}, b={map={c='d'}}}}"),
    lua("return {{map={k='v'}}, {set={m=true}}}"),
    lua("return redis.status_reply('CUSTOM status')"), lua("return redis.error_reply('CUSTOM err')"),
    lua("return redis.error_reply('no prefix')"),
    # DEBUG PROTOCOL: every RESP3 type as the server sends it.
    ("DEBUG", "PROTOCOL", "string"), ("DEBUG", "PROTOCOL", "integer"), ("DEBUG", "PROTOCOL", "double"),
    ("DEBUG", "PROTOCOL", "bignum"), ("DEBUG", "PROTOCOL", "null"), ("DEBUG", "PROTOCOL", "array"),
    ("DEBUG", "PROTOCOL", "set"), ("DEBUG", "PROTOCOL", "map"), ("DEBUG", "PROTOCOL", "attrib"),
    ("DEBUG", "PROTOCOL", "push"), ("DEBUG", "PROTOCOL", "verbatim"), ("DEBUG", "PROTOCOL", "true"),
    ("DEBUG", "PROTOCOL", "false"),
    # Server-side things that are stable between runs.
    ("CONFIG", "GET", "maxmemory"), ("CONFIG", "GET", "maxmemory*"), ("CONFIG", "GET", "nosuchparam"),
    ("SELECT", "2"), ("SELECT", "0"), ("FLUSHDB",), ("PFCOUNT", "hll"), ("PFADD", "hll", "d"),
    ("BITCOUNT", "str"), ("SETBIT", "bits", "7", "1"), ("GETBIT", "bits", "7"), ("BITPOS", "str", "1"),
    ("OBJECT", "HELP"), ("MULTI",), ("EXEC",), ("DISCARD",), ("WATCH", "str"), ("UNWATCH",),
    ("COMMAND", "INFO", "get"), ("COMMAND", "COUNT"), ("COMMAND", "GETKEYS", "set", "k", "v"),
    ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", "cli"),
    ("PUBLISH", "channel", "message"), ("PUBSUB", "CHANNELS"), ("WAIT", "0", "0"),
    ("FUNCTION", "LIST"), ("SCRIPT", "EXISTS", "abc"), ("ACL", "WHOAMI"), ("ACL", "CAT", "string"),
    ("MEMORY", "USAGE", "missing"), ("ECHO", "x" * 300),
]

# --json asks for RESP3 itself; --quoted-json with -2 covers RESP2's replies.
MODES = [[], ["--no-raw"], ["--raw"], ["--csv"], ["-3"], ["-3", "--no-raw"], ["--json"], ["--quoted-json", "-2"]]


def as_bytes(word):
    return word if isinstance(word, bytes) else str(word).encode()


def find_cli():
    """REDSTART_CLI, else .build/debug/redstart-cli, else .build/release/redstart-cli."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    named = os.environ.get("REDSTART_CLI")
    if named:
        return named
    for build in ("debug", "release"):
        path = os.path.join(root, ".build", build, "redstart-cli")
        if os.path.exists(path):
            return path
    pytest.skip("redstart-cli not built (swift build --product redstart-cli)")


@pytest.fixture(scope="module")
def cli():
    return find_cli()


@pytest.fixture(scope="module")
def golden_server():
    s = Server("--enable-debug-command", "yes")
    yield s
    s.stop()


def reset(port):
    """FLUSHALL and the dataset, as one pipeline."""
    r = redis.Redis(port=port)
    pipe = r.pipeline(transaction=False)
    pipe.execute_command("FLUSHALL")
    pipe.execute_command("SCRIPT", "FLUSH")
    for command in DATASET:
        pipe.execute_command(*command)
    pipe.execute()
    r.close()


def run(tool, args, stdin=b"", env=None):
    result = subprocess.run([tool, *[as_bytes(a) for a in args]], input=stdin, capture_output=True,
                            timeout=30, env=env)
    return result.stdout, result.stderr, result.returncode


def compare(cli, port, args, stdin=b"", env=None, after=None):
    """Runs `args` through both tools from a fresh dataset; returns redis-cli's result
    after asserting redstart-cli's is identical (and so is `after(port)`, if given)."""
    reset(port)
    expected = run(REDIS_CLI, args, stdin, env)
    expected_after = after(port) if after else None
    reset(port)
    actual = run(cli, args, stdin, env)
    actual_after = after(port) if after else None
    assert actual == expected, "args %r\nredis-cli:    %s\nredstart-cli: %s" % (args, shorten(expected), shorten(actual))
    assert actual_after == expected_after
    return expected


def shorten(result):
    """A result for an assertion message: long outputs cut."""
    return tuple(x[:400] + (b"..." if len(x) > 400 else b"") if isinstance(x, bytes) else x for x in result)


def state(*command):
    def read(port):
        r = redis.Redis(port=port)
        try:
            return r.execute_command(*command)
        finally:
            r.close()
    return read


@pytest.mark.parametrize("mode", MODES, ids=lambda m: " ".join(m) or "default")
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(as_bytes(w).decode("latin-1") for w in c)[:60])
def test_command_output_matches_redis_cli(cli, golden_server, mode, command):
    compare(cli, golden_server.port, ["-p", golden_server.port, *mode, *command])


# Options.

OPTION_CASES = [
    ["--raw", "-d", "|", "LRANGE", "biglist", "0", "-1"],
    ["--raw", "-D", "<end>", "GET", "str"],
    ["-d", ":", "-D", ";", "HGETALL", "hash"],
    ["-3", "-d", ", ", "HGETALL", "hash"],
    ["--no-raw", "-d", "|", "LRANGE", "list", "0", "-1"],
    ["--csv", "-d", "|", "LRANGE", "list", "0", "-1"],
    ["-n", "2", "GET", "indb2"],
    ["-n", "2", "--no-raw", "KEYS", "*"],
    ["-n", "99", "GET", "x"],
    ["-n", "notanumber", "GET", "str"],
    ["-2", "HGETALL", "hash"],
    ["-2", "-3", "PING"],
    ["-3", "-2", "PING"],
    ["-r", "3", "INCR", "counter"],
    ["-r", "3", "-i", "0", "--no-raw", "RPUSH", "rl", "x"],
    ["-r", "0", "INCR", "counter"],
    ["-r", "2", "-i", "0.01", "GET", "str"],
    ["-e", "GET", "str"],
    ["-e", "NOSUCH"],
    ["-e", "--no-raw", "LPUSH", "str", "x"],
    ["-e", "-r", "3", "INCR", "str"],
    ["--quoted-input", "SET", '"k\\x00ey"', '"v\\nal"'],
    ["--quoted-input", "ECHO", "'single quoted'"],
    ["--quoted-input", "ECHO", '"unterminated'],
    ["--quoted-input", "ECHO", "two words"],
    ["--no-auth-warning", "-a", "secret", "PING"],
    ["-a", "secret", "PING"],
    ["--user", "someone", "-a", "secret", "PING"],
    ["--pass", "secret", "--no-raw", "GET", "str"],
    ["--bogus-option", "PING"],
    ["PING", "--bogus-option"],
    ["-p"],
    ["-x", "-X", "tag", "PING"],
    ["FLUSHALL"],
    ["SHUTDOWN", "NOSUCHFLAG"],
    ["--no-raw", "SUBSCRIBE"],
    ["-3", "--no-raw", "--show-pushes", "no", "DEBUG", "PROTOCOL", "push"],
    ["-c", "GET", "str"],
    ["--verbose", "GET", "str"],
    ["INFO", "nosuchsection"],
]


@pytest.mark.parametrize("args", OPTION_CASES, ids=lambda a: " ".join(a))
def test_option_matches_redis_cli(cli, golden_server, args):
    port = str(golden_server.port)
    compare(cli, golden_server.port, ["-p", port, *args], after=state("MGET", "counter", "rl", "str"))


def test_help_and_version_are_our_own(cli):
    out, err, code = run(cli, ["--version"])
    assert out == b"redstart-cli 0.1.0 (redis-cli 7.0.15 compatible)\n" and err == b"" and code == 0
    out, err, code = run(cli, ["--help"])
    assert out.startswith(b"redstart-cli ") and b"--pipe" in out and code == 0
    out, _, code = run(cli, ["-h"])
    assert out.startswith(b"redstart-cli ") and code == 0


@pytest.mark.parametrize("stdin", [b"from stdin", b"line1\nline2\n", b"", b"\x00\xff binary", "ünï".encode()])
@pytest.mark.parametrize("mode", [[], ["--no-raw"]])
def test_x_reads_last_argument_from_stdin(cli, golden_server, stdin, mode):
    port = str(golden_server.port)
    compare(cli, golden_server.port, ["-p", port, *mode, "-x", "SET", "fromstdin"], stdin, after=state("GET", "fromstdin"))
    compare(cli, golden_server.port, ["-p", port, *mode, "-x", "ECHO"], stdin)


@pytest.mark.parametrize("args", [["-X", "TAG", "SET", "TAG", "value"], ["-X", "TAG", "SET", "key", "TAG"],
                                  ["-X", "TAG", "SET", "key", "value"]])
def test_X_replaces_the_tagged_argument(cli, golden_server, args):
    compare(cli, golden_server.port, ["-p", str(golden_server.port), *args], b"stdin value",
            after=state("MGET", "key", "stdin value"))


SCRIPTS = {
    "keys_args.lua": "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}",
    "call.lua": "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])",
    "error.lua": "return redis.call('LPUSH', KEYS[1], 'x')",
    "syntax.lua": "this is not lua",
    "nested.lua": "return {1, {2, {3}}, {err='inner error'}}",
}


@pytest.mark.parametrize("case", [
    ["keys_args.lua", "k1", "k2", ",", "a1", "a2"],
    ["keys_args.lua", "k1", ",", "a1", ",", "a2"],
    ["keys_args.lua", ",", "a1"],
    ["keys_args.lua"],
    ["call.lua", "evalkey", ",", "evalvalue"],
    ["error.lua", "str"],
    ["syntax.lua"],
    ["nested.lua"],
    ["missing.lua", "k"],
], ids=lambda c: " ".join(c))
@pytest.mark.parametrize("mode", [[], ["--no-raw"], ["-e"]], ids=lambda m: " ".join(m) or "default")
def test_eval_mode(cli, golden_server, case, mode):
    with tempfile.TemporaryDirectory() as directory:
        for name, body in SCRIPTS.items():
            with open(os.path.join(directory, name), "w") as f:
                f.write(body)
        # The file name is part of the "Can't open file" message: the same path for both.
        args = ["-p", str(golden_server.port), *mode, "--eval", os.path.join(directory, case[0]), *case[1:]]
        compare(cli, golden_server.port, args, after=state("GET", "evalkey"))


@pytest.mark.parametrize("args", [
    ["--scan"],
    ["--scan", "--pattern", "*list*"],
    ["--scan", "--pattern", "nomatch*"],
    ["--scan", "--no-raw"],
    ["--scan", "--no-raw", "--pattern", "key*"],
    ["--scan", "--quoted-pattern", '"key\\xffbin"'],
    ["--scan", "--quoted-pattern", '"unterminated'],
    ["--scan", "-i", "0"],
    ["-n", "2", "--scan"],
], ids=lambda a: " ".join(a))
def test_scan_mode(cli, golden_server, args):
    compare(cli, golden_server.port, ["-p", str(golden_server.port), *args])


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = as_bytes(a)
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


# Named ids: the payloads are megabytes, and pytest puts a test's id in the
# environment (PYTEST_CURRENT_TEST), where bytes as ids would overflow exec's limit.
PIPE_CASES = [
    ("sets", b"".join(resp("SET", "pipe:%d" % i, "value%d" % i) for i in range(2000))),
    ("errors", resp("SET", "p", "1") + resp("LPUSH", "p", "x") + resp("NOSUCH") + resp("INCR", "p")),
    ("inline", b"SET inline1 a\r\nSET inline2 b\r\nGET inline1\r\nBOGUS\r\n"),
    ("empty", b""),
    ("big values", b"".join(resp("SET", "bigv%d" % i, "x" * 100000) for i in range(20))),
    ("nested replies", resp("LRANGE", "biglist", "0", "-1") + resp("HGETALL", "hash") + resp("GET", "bin")),
    ("echo of 20 bytes", resp("ECHO", "01234567890123456789") + resp("PING")),
]


@pytest.mark.parametrize("name,payload", PIPE_CASES, ids=[case[0] for case in PIPE_CASES])
def test_pipe_mode(cli, golden_server, name, payload):
    out = compare(cli, golden_server.port, ["-p", str(golden_server.port), "--pipe"], payload,
                  after=state("EVAL", "return {redis.call('DBSIZE'), redis.call('GET', 'pipe:1999'),"
                              " redis.call('GET', 'inline2'), redis.call('STRLEN', 'bigv19')}", "0"))
    assert out[0].endswith(b"\n")
    assert b"All data transferred. Waiting for the last reply...\nLast reply received from server.\n" in out[0]


def test_pipe_mode_with_database_and_resp3(cli, golden_server):
    payload = b"".join(resp("SET", "p%d" % i, i) for i in range(100)) + resp("HGETALL", "hash")
    compare(cli, golden_server.port, ["-p", str(golden_server.port), "-n", "2", "-3", "--pipe"], payload,
            after=state("DBSIZE"))


@pytest.mark.parametrize("args", [
    ["-p", "1", "PING"],
    ["-p", "1", "--no-raw", "GET", "x"],
    ["-p", "1", "--pipe"],
    ["-p", "1", "--scan"],
    ["-p", "1", "--eval", "/nonexistent.lua"],
    ["-s", "/nonexistent/redis.sock", "PING"],
    ["-h", "127.0.0.1", "-p", "0", "PING"],
    ["-u", "redis://127.0.0.1:1", "PING"],
], ids=lambda a: " ".join(a))
def test_connection_refused(cli, args):
    expected = run(REDIS_CLI, args)
    assert expected[2] == 1
    assert run(cli, args) == expected


def test_unix_socket(cli, server_factory):
    path = os.path.join(tempfile.mkdtemp(prefix="redstart-cli-"), "redis.sock")
    s = server_factory("--unixsocket", path)
    for args in (["-s", path, "PING"], ["-s", path, "--no-raw", "SET", "k", "v"], ["-s", path, "-n", "3", "DBSIZE"]):
        assert run(cli, args) == run(REDIS_CLI, args)
    assert s.port


@pytest.mark.parametrize("uri", [
    "redis://127.0.0.1:{port}",
    "redis://127.0.0.1:{port}/2",
    "redis://localhost:{port}/2",
    "REDIS://127.0.0.1:{port}/0",
    "redis://secret@127.0.0.1:{port}",
    "redis://user:secret@127.0.0.1:{port}/2",
    "redis://us%65r:s%65cret@127.0.0.1:{port}",
    "redis://:secret@127.0.0.1:{port}",
    "redis://bad%zzescape@127.0.0.1:{port}",
    "redis://bad%4@127.0.0.1:{port}",
    "http://127.0.0.1:{port}",
    "redis://",
], ids=lambda u: u.split("@")[0])
@pytest.mark.parametrize("extra", [[], ["--no-auth-warning"]], ids=["warn", "nowarn"])
def test_uri(cli, golden_server, uri, extra):
    args = ["-u", uri.format(port=golden_server.port), *extra, "--no-raw", "GET", "indb2"]
    if uri == "redis://":
        args = ["-p", str(golden_server.port)] + args  # -u then leaves host and port alone
    compare(cli, golden_server.port, args)


@pytest.fixture(scope="module")
def auth_server():
    s = Server("--requirepass", "topsecret")
    r = redis.Redis(port=s.port, password="topsecret")
    r.execute_command("ACL", "SETUSER", "alice", "on", ">alicepass", "~*", "+@all")
    r.execute_command("ACL", "SETUSER", "bob", "on", ">bobpass", "~*", "+get")
    r.set("k", "v")
    r.close()
    yield s
    s.stop()


@pytest.mark.parametrize("args", [
    ["PING"],
    ["-a", "topsecret", "PING"],
    ["-a", "wrong", "PING"],
    ["-a", "wrong", "-e", "PING"],
    ["--no-auth-warning", "-a", "topsecret", "--no-raw", "GET", "k"],
    ["--user", "alice", "--pass", "alicepass", "GET", "k"],
    ["--user", "alice", "--pass", "wrong", "GET", "k"],
    ["--user", "bob", "-a", "bobpass", "SET", "k", "x"],
    ["--user", "nobody", "-a", "x", "PING"],
    ["-a", "topsecret", "-n", "5", "DBSIZE"],
    ["-a", "wrong", "-n", "5", "DBSIZE"],
    ["-a", "topsecret", "-3", "--no-raw", "HELLO", "3", "AUTH", "default", "wrong"],
    ["-a", "topsecret", "--scan"],
    ["-a", "wrong", "--scan"],
    ["-a", "wrong", "--pipe"],
    ["AUTH", "topsecret"],
    ["AUTH", "alice", "alicepass"],
    # HELLO 3 refused (no AUTH yet): --json goes on over RESP2, an explicit -3 does not.
    ["--json", "PING"],
    ["--json", "-3", "PING"],
    ["-a", "topsecret", "--json", "HGETALL", "nokey"],
    ["-u", "redis://alice:alicepass@127.0.0.1:{port}/0", "GET", "k"],
], ids=lambda a: " ".join(a))
def test_auth(cli, auth_server, args):
    args = ["-p", str(auth_server.port)] + [a.format(port=auth_server.port) for a in args]
    expected = run(REDIS_CLI, args, b"")
    assert run(cli, args, b"") == expected


def test_password_from_environment(cli, auth_server):
    env = dict(os.environ, REDISCLI_AUTH="topsecret")
    args = ["-p", str(auth_server.port), "GET", "k"]
    expected = run(REDIS_CLI, args, env=env)
    assert expected == (b"v\n", b"", 0)
    assert run(cli, args, env=env) == expected
    env["REDISCLI_AUTH"] = "wrong"
    assert run(cli, args, env=env) == run(REDIS_CLI, args, env=env)
    # -a wins over the environment, with the warning.
    args = ["-p", str(auth_server.port), "-a", "topsecret", "GET", "k"]
    assert run(cli, args, env=env) == run(REDIS_CLI, args, env=env)


def test_faketty_selects_the_standard_format(cli, golden_server):
    env = dict(os.environ, FAKETTY="1")
    compare(cli, golden_server.port, ["-p", str(golden_server.port), "LRANGE", "list", "0", "-1"], env=env)
