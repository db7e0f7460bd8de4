"""Writes the seed corpora of the fuzz targets into Fuzz/corpus/<target>/, from a real
redis-server (started here on a free port) where a target reads what Redis writes:
DUMP payloads for `restore` (without their 10-byte footer, which the target adds), RDB
files for `rdb`, AOF files for `aof`; commands of every family for `commands` and
`parser`. Run once; the corpora are committed, with the units libFuzzer added to them
in the first short runs (inputs that reach new code: good seeds too).

    python3 Fuzz/make-seeds.py
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import redis

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

# One short program per family: what `commands`, `parser` and the AOF seeds start from.
PROGRAMS = [
    [["SET", "k", "v", "EX", "100"], ["APPEND", "k", "x"], ["GETRANGE", "k", "0", "-1"], ["INCRBYFLOAT", "n", "1.5"],
     ["SETRANGE", "k", "10", "zz"], ["LCS", "k", "k"], ["GETEX", "k", "PERSIST"], ["MSETNX", "a", "1", "b", "2"]],
    [["SETBIT", "b", "100", "1"], ["BITCOUNT", "b", "0", "-1", "BIT"], ["BITPOS", "b", "1"],
     ["BITFIELD", "b", "SET", "i8", "0", "100", "INCRBY", "u4", "#1", "3", "OVERFLOW", "SAT", "GET", "u63", "0"],
     ["BITOP", "XOR", "c", "b", "b"]],
    [["RPUSH", "l", "a", "b", "c", "1", "2"], ["LINSERT", "l", "BEFORE", "b", "x"], ["LPOS", "l", "b", "RANK", "-1"],
     ["LMOVE", "l", "l2", "LEFT", "RIGHT"], ["LRANGE", "l", "0", "-1"], ["LTRIM", "l", "1", "-2"], ["LMPOP", "2", "l", "l2", "LEFT", "COUNT", "2"]],
    [["HSET", "h", "f", "v", "n", "5"], ["HINCRBYFLOAT", "h", "n", "2.5"], ["HRANDFIELD", "h", "-3", "WITHVALUES"],
     ["HSCAN", "h", "0", "MATCH", "*", "COUNT", "10"], ["HDEL", "h", "f"]],
    [["SADD", "s", "1", "2", "3", "x"], ["SINTERCARD", "1", "s", "LIMIT", "2"], ["SMOVE", "s", "t", "x"],
     ["SPOP", "s", "2"], ["SUNIONSTORE", "u", "s", "t"], ["SRANDMEMBER", "s", "-5"]],
    [["ZADD", "z", "1", "a", "2", "b", "3.5", "c"], ["ZRANGE", "z", "(1", "+inf", "BYSCORE", "LIMIT", "0", "2"],
     ["ZRANGESTORE", "z2", "z", "[a", "[c", "BYLEX"], ["ZINTERSTORE", "z3", "2", "z", "z2", "WEIGHTS", "1", "2", "AGGREGATE", "MAX"],
     ["ZMPOP", "1", "z", "MIN", "COUNT", "2"], ["ZRANDMEMBER", "z", "3", "WITHSCORES"]],
    [["XADD", "x", "MAXLEN", "~", "10", "*", "f", "v"], ["XADD", "x", "5-1", "a", "b"], ["XGROUP", "CREATE", "x", "g", "0", "MKSTREAM"],
     ["XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "x", ">"], ["XPENDING", "x", "g", "-", "+", "10"],
     ["XAUTOCLAIM", "x", "g", "c2", "0", "0"], ["XINFO", "STREAM", "x", "FULL"], ["XTRIM", "x", "MINID", "0"]],
    [["PFADD", "p", "a", "b", "c"], ["PFCOUNT", "p"], ["PFMERGE", "p2", "p"], ["GEOADD", "g", "13.36", "38.11", "Palermo"],
     ["GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC", "WITHDIST"]],
    [["MULTI"], ["INCR", "c"], ["LPUSH", "l", "x"], ["EXEC"], ["WATCH", "c"], ["SORT", "l", "ALPHA", "LIMIT", "0", "1"],
     ["OBJECT", "ENCODING", "l"], ["EXPIRE", "l", "100", "NX"], ["COPY", "l", "l9"], ["RENAME", "l9", "l8"]],
    [["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a"], ["SUBSCRIBE", "ch"], ["PUBLISH", "ch", "m"],
     ["CLIENT", "SETNAME", "n"], ["COMMAND", "GETKEYS", "SET", "a", "b"], ["MEMORY", "USAGE", "k"], ["SCAN", "0", "TYPE", "list"]],
]

INLINE = [b"PING\r\n", b"SET a \"b c\" 'd'\r\n", b"*1\r\n$4\r\nPING\r\n", b"*2\r\n$3\r\nGET\r\n$-1\r\n",
          b"*-1\r\n*0\r\n", b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n", b"\"unterminated\r\n", b"\x00\xff\r\n"]


def resp(command):
    out = b"*%d\r\n" % len(command)
    for word in command:
        data = word.encode() if isinstance(word, str) else word
        out += b"$%d\r\n%s\r\n" % (len(data), data)
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write(target, name, data):
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    for number, program in enumerate(PROGRAMS):
        data = b"".join(resp(c) for c in program)
        write("commands", "family-%02d" % number, data)
        write("parser", "family-%02d" % number, data)
    for number, data in enumerate(INLINE):
        write("parser", "inline-%02d" % number, data)

    work = tempfile.mkdtemp()
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--dir", work, "--save", "",
                               "--appendonly", "yes", "--aof-use-rdb-preamble", "no",
                               "--list-max-listpack-size", "4", "--hash-max-listpack-entries", "4",
                               "--set-max-intset-entries", "4", "--zset-max-listpack-entries", "4"],
                              stdout=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        for program in PROGRAMS[:9]:
            for command in program:
                if command[0] in ("MULTI", "EXEC", "WATCH"):
                    continue
                try:
                    client.execute_command(*command)
                except (redis.ResponseError, IndexError):  # IndexError: redis-py's XPENDING parser
                    pass
        # Both small and big encodings of each type.
        client.rpush("biglist", *range(20))
        client.hset("bighash", mapping={"f%d" % i: i for i in range(10)})
        client.sadd("bigset", *("m%d" % i for i in range(10)))
        client.sadd("intset", 1, 2, 3)
        client.zadd("bigzset", {"m%d" % i: i for i in range(10)})
        client.set("int", 12345)
        client.set("long", "x" * 100)
        for key in client.keys("*"):
            payload = client.dump(key)
            if payload:
                write("restore", key.decode(), payload[:-10])
        client.save()
        with open(os.path.join(work, "dump.rdb"), "rb") as f:
            write("rdb", "mixed.rdb", f.read())
        client.flushall()
        client.set("only", "one")
        client.save()
        with open(os.path.join(work, "dump.rdb"), "rb") as f:
            write("rdb", "one-key.rdb", f.read())
        aof_dir = os.path.join(work, "appendonlydir")
        for name in sorted(os.listdir(aof_dir)):
            if name.endswith(".aof"):
                with open(os.path.join(aof_dir, name), "rb") as f:
                    data = f.read()
                if data:
                    write("aof", name, data[:20000])
        for number, program in enumerate(PROGRAMS):
            write("aof", "program-%02d.aof" % number, b"".join(resp(c) for c in program))
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)
    for target in sorted(os.listdir(CORPUS)):
        print(target, len(os.listdir(os.path.join(CORPUS, target))))


if __name__ == "__main__":
    sys.exit(main())
