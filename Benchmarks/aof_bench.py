#!/usr/bin/env python3
"""Append-only file loading side by side with redis-server, in one run:

  * N keys written as SET commands (appendonly yes, appendfsync no while filling),
    then the server restarted: seconds to load the AOF of N commands (both servers log
    "DB loaded from append only file: X seconds");
  * the same after BGREWRITEAOF with the RDB preamble (the AOF is then an RDB base).

Each figure is the median of three restarts per server, the servers alternating.

    Benchmarks/aof_bench.py [--keys 1000000] [--candidate .build/release/redstart-server]
"""
import argparse
import os
import re
import shutil
import tempfile
import time


import rdb_bench


class Side(rdb_bench.Side):
    persistence = ["--save", "", "--appendonly", "yes", "--appendfsync", "no"]

    def load_seconds(self):
        with open(self.log) as f:
            found = re.findall(r"DB loaded from append only file: ([0-9.]+) seconds", f.read())
        return float(found[-1])


def fill(r, keys):
    batch = 10000
    for start in range(0, keys, batch):
        p = r.pipeline(transaction=False)
        for i in range(start, min(keys, start + batch)):
            p.set("key:%d" % i, "value:%d:%s" % (i, "x" * 16))
        p.execute()


def wait_rewrite(r):
    while r.info("persistence")["aof_rewrite_in_progress"] or r.info("persistence")["aof_rewrite_scheduled"]:
        time.sleep(0.05)


def median(values):
    return sorted(values)[len(values) // 2]


def measure(sides):
    times = {side.name: [] for side in sides}
    for _ in range(3):
        for side in sides:
            side.start()
            times[side.name].append(side.load_seconds())
            side.stop()
    return {name: median(values) for name, values in times.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--candidate", default=".build/release/redstart-server")
    parser.add_argument("--reference", default=shutil.which("redis-server") or "redis-server")
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="aof-bench-")
    sides = [Side("redis", args.reference, os.path.join(root, "redis")),
             Side("redstart", os.path.abspath(args.candidate), os.path.join(root, "redstart"))]
    for side in sides:
        os.makedirs(side.directory)
        side.start()
        fill(side.client(), args.keys)
        side.stop()
    sizes = {side.name: sum(os.path.getsize(os.path.join(side.directory, "appendonlydir", f))
                            for f in os.listdir(os.path.join(side.directory, "appendonlydir"))) for side in sides}
    commands = measure(sides)
    for side in sides:
        side.start()
        side.client().bgrewriteaof()
        wait_rewrite(side.client())
        side.stop()
    preamble = measure(sides)
    print("AOF load of %d keys (median of 3 restarts)" % args.keys)
    print("%-28s %10s %10s %7s" % ("", "redis", "redstart", "ratio"))
    print("%-28s %10d %10d %7.2f" % ("AOF bytes (commands)", sizes["redis"], sizes["redstart"],
                                      sizes["redstart"] / sizes["redis"]))
    for label, figures in (("load, SET commands (s)", commands), ("load, RDB preamble (s)", preamble)):
        print("%-28s %10.3f %10.3f %7.2f" % (label, figures["redis"], figures["redstart"],
                                              figures["redstart"] / figures["redis"]))
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
