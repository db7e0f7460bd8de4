"""Random arguments to every command: a seeded stream of commands (every name COMMAND
LIST gives, minus the ones that would stop, pause, block or reconfigure the test's own
connection) with random argument vectors drawn from keys of every type, numbers at the
edges of their ranges, option words, range syntax and raw bytes, with list compression
and keyspace notifications on. Whatever the replies, the server must keep serving: a
trap on bad input (it found two: COMMAND INFO with a long name, LMPOP with a huge
numkeys) fails the test at the command that caused it."""
import random
import socket

SKIP = {"shutdown", "debug", "monitor", "subscribe", "psubscribe", "ssubscribe", "quit", "reset", "hello", "auth",
        "client", "config", "flushall", "swapdb", "select", "multi", "exec", "watch", "blpop", "brpop", "blmove",
        "brpoplpush", "blmpop", "bzpopmin", "bzpopmax", "bzmpop", "sync", "psync", "failover", "replicaof", "slaveof",
        "wait", "save", "bgsave", "bgrewriteaof", "latency", "slowlog", "module", "acl", "lolwut", "ping",
        # Ten million HyperLogLog additions (seconds on a debug build); connections to hosts the
        # random arguments name (DNS lookups, timeouts).
        "pfselftest", "migrate"}
WORDS = ["LIMIT", "BY", "GET", "STORE", "ALPHA", "DESC", "ASC", "NX", "XX", "GT", "LT", "CH", "INCR", "EX", "PX",
         "EXAT", "PXAT", "KEEPTTL", "PERSIST", "REPLACE", "ABSTTL", "IDLETIME", "FREQ", "WITHSCORES", "REV", "BYSCORE",
         "BYLEX", "COUNT", "MATCH", "TYPE", "WEIGHTS", "AGGREGATE", "SUM", "MIN", "MAX", "LEFT", "RIGHT", "BEFORE",
         "AFTER", "RANK", "MAXLEN", "WITHVALUES", "BIT", "BYTE", "OVERFLOW", "WRAP", "SAT", "FAIL", "SET", "INCRBY",
         "u8", "i64", "u63", "IDX", "LEN", "MINMATCHLEN", "WITHMATCHLEN", "DB", "AND", "OR", "XOR", "NOT"]
SETUP = [["FLUSHDB"], ["RPUSH", "list", "a", "b", "3", "1"], ["SADD", "set", "1", "2", "x"],
         ["ZADD", "zset", "1", "a", "2", "b"], ["HSET", "hash", "f", "v", "n", "1"], ["SET", "str", "hello"],
         ["SET", "w_a", "5"], ["HSET", "h_a", "f", "z"]]


def encode(args):
    out = b"*%d\r\n" % len(args)
    for arg in args:
        data = arg.encode() if isinstance(arg, str) else arg
        out += b"$%d\r\n%s\r\n" % (len(data), data)
    return out


class Connection:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)

    def call(self, args):
        """Sends `args` and a PING after it; returns what came back up to the PING's reply."""
        self.sock.sendall(encode(args) + encode(["PING", "end-of-reply"]))
        data = b""
        while not data.endswith(b"end-of-reply\r\n"):
            chunk = self.sock.recv(1 << 20)
            assert chunk, "the server closed the connection"
            data += chunk
        return data


def argument(rng):
    r = rng.random()
    if r < 0.25:
        return rng.choice(["k1", "k2", "list", "set", "zset", "hash", "str", "w_*", "h_*->f", "#", "*", "nosuch"])
    if r < 0.5:
        return str(rng.choice([0, 1, -1, 2, 3, 10, 100, -100, 2 ** 31, -2 ** 31, 2 ** 63 - 1, -2 ** 63, 2 ** 64,
                               1e308, 1.5, -0.0]))
    if r < 0.65:
        return rng.choice(WORDS)
    if r < 0.75:
        return rng.choice(["inf", "-inf", "+inf", "nan", "(1", "[a", "-", "+", "(", "[", ""])
    if r < 0.85:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 12)))
    return "x" * rng.choice([1, 50, 70, 300, 5000])


def test_random_arguments_never_stop_the_server(server):
    c = Connection(server.port)
    listing = c.call(["COMMAND", "LIST"]).split(b"\r\n")
    names = [n.decode() for n in listing if n and not n.startswith((b"*", b"$", b"+", b"-"))]
    names = sorted(n for n in names if n.split("|")[0] not in SKIP)
    assert len(names) > 150
    for setting in (["list-compress-depth", "1"], ["list-max-listpack-size", "2"], ["notify-keyspace-events", "KEAnm"]):
        c.call(["CONFIG", "SET"] + setting)
    rng = random.Random(11)
    for index in range(8000):
        if index % 500 == 0:
            for command in SETUP:
                c.call(command)
        name = rng.choice(names)
        args = name.split("|") + [argument(rng) for _ in range(rng.randrange(0, 14))]
        try:
            c.call(args)
        except (AssertionError, OSError) as error:
            raise AssertionError("server stopped at command %d: %r (%s)" % (index, args[:12], error))
    c.sock.close()
