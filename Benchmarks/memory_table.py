#!/usr/bin/env python3
"""Memory side by side with redis-server, in one run: for each dataset both servers are
started fresh, the dataset is loaded (pipelined), and the growth of RSS and of INFO's
used_memory is reported per server with the ratio Redstart/Redis. Then the connection
test: N clients connect and each sends one PING, RSS is read, they close, and this is
repeated (RSS after each round shows whether closed connections give memory back).

    Benchmarks/memory_table.py [--datasets strings,hashes,...] [--connections 10000]
        [--rounds 5] [--candidate .build/release/redstart-server] [--reference redis-server]

Datasets (names for --datasets):
  strings      1M  SET mem:<12 digits> -> val:<12 digits>:<15 digits> (16 B key, 32 B value)
  hashes       100k hashes of 5 fields (field1..field5 -> 8-12 B values)
  sets         100k sets of 5 string members
  intsets      100k sets of 5 integer members
  zsets        100k sorted sets of 5 members
  bigzset      one sorted set of 1M members
  lists        100k lists of 5 elements
  biglist      one list of 1M elements
"""
import argparse
import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rdb_bench import Side  # noqa: E402


def resp(*parts):
    out = [b"*%d\r\n" % len(parts)]
    for p in parts:
        p = p if isinstance(p, bytes) else str(p).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(p), p))
    return b"".join(out)


def strings(i):
    return resp(b"SET", b"mem:%012d" % i, b"val:%012d:%015d" % (i, i))


def hashes(i):
    return resp(b"HSET", b"hash:%08d" % i, b"field1", b"v1:%d" % i, b"field2", b"v2:%d" % i,
                b"field3", b"v3:%d" % i, b"field4", b"v4:%d" % i, b"field5", b"v5:%d" % i)


def sets(i):
    return resp(b"SADD", b"set:%08d" % i, *[b"member:%d:%d" % (i, m) for m in range(5)])


def intsets(i):
    return resp(b"SADD", b"iset:%08d" % i, *[i * 5 + m for m in range(5)])


def zsets(i):
    return resp(b"ZADD", b"zset:%08d" % i, *[x for m in range(5) for x in (m + 0.5, b"member:%d:%d" % (i, m))])


def bigzset(i):
    return resp(b"ZADD", b"bigzset", i * 1.5, b"member:%d" % i)


def lists(i):
    return resp(b"RPUSH", b"list:%08d" % i, *[b"element:%d:%d" % (i, m) for m in range(5)])


def biglist(i):
    return resp(b"RPUSH", b"biglist", b"element:%d" % i)


DATASETS = {
    "strings": (strings, 1_000_000),
    "hashes": (hashes, 100_000),
    "sets": (sets, 100_000),
    "intsets": (intsets, 100_000),
    "zsets": (zsets, 100_000),
    "bigzset": (bigzset, 1_000_000),
    "lists": (lists, 100_000),
    "biglist": (biglist, 1_000_000),
}


def load(port, command, count, batch=5000):
    """Sends `count` commands in batches and reads one single-line reply per command."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        for start in range(0, count, batch):
            n = min(batch, count - start)
            s.sendall(b"".join(command(i) for i in range(start, start + n)))
            seen = 0
            pending = b""
            while seen < n:
                data = s.recv(1 << 16)
                if not data:
                    raise RuntimeError("connection closed while loading")
                pending += data
                seen += pending.count(b"\r\n")
                if b"-" in pending[:1]:
                    raise RuntimeError(pending[:200])
                pending = pending[pending.rfind(b"\r\n") + 2:]


def used_memory(side):
    return int(side.client().info("memory")["used_memory"])


def measure_dataset(side, name):
    command, count = DATASETS[name]
    side.start()
    try:
        client = side.client()
        time.sleep(0.2)
        rss0, used0 = side.rss(), used_memory(side)
        load(side.port, command, count)
        time.sleep(0.5)
        rss1, used1 = side.rss(), used_memory(side)
        return rss1 - rss0, used1 - used0, client.dbsize()
    finally:
        side.stop()


def measure_connections(side, connections, rounds):
    side.start()
    try:
        side.client().config_set("maxclients", str(connections + 100))
        rss = [side.rss()]
        for _ in range(rounds):
            sockets = []
            for _ in range(connections):
                s = socket.create_connection(("127.0.0.1", side.port))
                s.sendall(b"PING\r\n")
                sockets.append(s)
            for s in sockets:
                if s.recv(16) != b"+PONG\r\n":
                    raise RuntimeError("no PONG")
            time.sleep(0.2)
            open_rss = side.rss()
            for s in sockets:
                s.close()
            deadline = time.time() + 30
            while int(side.client().info("clients")["connected_clients"]) > 1 and time.time() < deadline:
                time.sleep(0.1)
            # Both allocators give freed memory back within seconds, not at once.
            time.sleep(2)
            rss.append((open_rss, side.rss()))
        return rss
    finally:
        side.stop()


def mib(n):
    return "%.1f MiB" % (n / 1048576)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--connections", type=int, default=10000, help="0 skips the connection test")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--candidate", default=".build/release/redstart-server")
    parser.add_argument("--reference", default="redis-server")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        candidate = Side("redstart", options.candidate, a)
        reference = Side("redis", options.reference, b)
        print("%-9s %9s %14s %14s %6s %14s %14s %6s" % (
            "dataset", "entries", "RSS redstart", "RSS redis", "ratio", "used redstart", "used redis", "ratio"))
        for name in options.datasets.split(","):
            count = DATASETS[name][1]
            c_rss, c_used, c_keys = measure_dataset(candidate, name)
            r_rss, r_used, r_keys = measure_dataset(reference, name)
            if c_keys != r_keys:
                raise RuntimeError("%s: %d keys on redstart, %d on redis" % (name, c_keys, r_keys))
            print("%-9s %9d %11.1f B %11.1f B %6.2f %11.1f B %11.1f B %6.2f" % (
                name, count, c_rss / count, r_rss / count, c_rss / r_rss,
                c_used / count, r_used / count, c_used / r_used), flush=True)
        if options.connections:
            print("\n%d connections that each sent one PING, %d rounds of open/close:" % (
                options.connections, options.rounds))
            for side in (candidate, reference):
                figures = measure_connections(side, options.connections, options.rounds)
                rounds = "  ".join("open %s closed %s" % (mib(o), mib(c)) for o, c in figures[1:])
                print("%-9s start %s  %s" % (side.name, mib(figures[0]), rounds), flush=True)


if __name__ == "__main__":
    main()
