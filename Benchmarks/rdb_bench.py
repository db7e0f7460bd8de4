#!/usr/bin/env python3
"""RDB persistence side by side with redis-server, in one run:

  * SAVE of N keys of mixed types (70% strings, 10% small hashes, 10% lists,
    5% sets, 5% sorted sets): seconds, file size;
  * load at start-up: seconds (both servers log "DB loaded from disk: X seconds");
  * BGSAVE while WRITERS clients keep writing: the worst reply time any client saw,
    how long the save took, and peak memory over the dataset's RSS before the save
    (Redstart: the process's RSS; Redis: its RSS plus its fork child's private dirty
    pages, sampled every 5 ms).

    Benchmarks/rdb_bench.py [--keys 1000000] [--writers 8] [--candidate .build/release/redstart-server]
"""
import argparse
import os
import random
import socket
import subprocess
import tempfile
import threading
import time

import redis


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Side:
    """A server in its own directory, restarted at will; `persistence` are its options."""
    persistence = ["--save", "", "--appendonly", "no"]

    def __init__(self, name, binary, directory):
        self.name = name
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.process = None

    def start(self):
        self.log = os.path.join(self.directory, "server.log")
        open(self.log, "w").close()
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), *self.persistence, "--dir", self.directory,
             "--logfile", self.log], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 600
        while time.time() < deadline:
            try:
                if redis.Redis(port=self.port).ping():
                    return
            except (redis.ConnectionError, redis.BusyLoadingError):
                time.sleep(0.05)
        raise RuntimeError(self.name + " did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def client(self):
        return redis.Redis(port=self.port)

    def rss(self, pid=None):
        with open("/proc/%d/status" % (pid or self.process.pid)) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def child_private_dirty(self):
        try:
            children = open("/proc/%d/task/%d/children" % (self.process.pid, self.process.pid)).read().split()
        except OSError:
            return 0
        total = 0
        for child in children:
            try:
                with open("/proc/%s/smaps_rollup" % child) as f:
                    for line in f:
                        if line.startswith("Private_Dirty:"):
                            total += int(line.split()[1]) * 1024
            except OSError:
                pass
        return total

    def loaded_seconds(self):
        for line in open(self.log, errors="replace"):
            if "DB loaded from disk:" in line:
                return float(line.split("DB loaded from disk:")[1].split()[0])
        return None


def fill(r, keys):
    rng = random.Random(1)
    batch = r.pipeline(transaction=False)
    for i in range(keys):
        kind = rng.random()
        if kind < 0.70:
            batch.set("string:%d" % i, "v" * rng.randint(5, 60))
        elif kind < 0.80:
            batch.hset("hash:%d" % i, mapping={"f%d" % j: "value%d" % j for j in range(5)})
        elif kind < 0.90:
            batch.rpush("list:%d" % i, *["item%d" % j for j in range(8)])
        elif kind < 0.95:
            batch.sadd("set:%d" % i, *["m%d" % j for j in range(6)])
        else:
            batch.zadd("zset:%d" % i, {"m%d" % j: j for j in range(6)})
        if i % 1000 == 999:
            batch.execute()
    batch.execute()


def bgsave_under_load(side, writers, keys):
    r = side.client()
    rss_before = side.rss()
    stop = threading.Event()
    worst = [0.0] * writers
    counts = [0] * writers

    def write(index):
        c = side.client()
        rng = random.Random(index)
        while not stop.is_set():
            started = time.perf_counter()
            c.set("string:%d" % rng.randrange(keys), "x" * 20)
            elapsed = time.perf_counter() - started
            worst[index] = max(worst[index], elapsed)
            counts[index] += 1

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    time.sleep(1)
    for i in range(writers):
        worst[i] = 0.0
    peak = rss_before
    started = time.time()
    r.bgsave()
    time.sleep(0.01)
    while r.info("persistence")["rdb_bgsave_in_progress"] == 1:
        peak = max(peak, side.rss() + side.child_private_dirty())
        time.sleep(0.005)
    seconds = time.time() - started
    stop.set()
    for t in threads:
        t.join()
    assert r.info("persistence")["rdb_last_bgsave_status"] == "ok"
    return {"seconds": seconds, "worst_ms": max(worst) * 1000, "peak_ratio": peak / rss_before,
            "writes": sum(counts) / seconds, "rss_before": rss_before}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--candidate", default=".build/release/redstart-server")
    options = parser.parse_args()
    results = {}
    for name, binary in (("redstart", options.candidate), ("redis", "redis-server")):
        directory = tempfile.mkdtemp(prefix="rdb-bench-%s-" % name)
        side = Side(name, binary, directory)
        side.start()
        try:
            r = side.client()
            fill(r, options.keys)
            started = time.time()
            r.save()
            save_seconds = time.time() - started
            size = os.path.getsize(os.path.join(directory, "dump.rdb"))
            side.stop()
            side.start()
            load_seconds = side.loaded_seconds()
            assert side.client().dbsize() == options.keys
            background = bgsave_under_load(side, options.writers, options.keys)
            results[name] = dict(save=save_seconds, size=size, load=load_seconds, **background)
        finally:
            side.stop()
    print("%-28s %12s %12s %8s" % ("", "redstart", "redis", "ratio"))
    rows = [("SAVE seconds", "save", "%.2f"), ("file MB", "size", "%.1f"), ("load seconds", "load", "%.2f"),
            ("BGSAVE seconds (loaded)", "seconds", "%.2f"), ("worst reply ms in BGSAVE", "worst_ms", "%.1f"),
            ("peak memory / RSS before", "peak_ratio", "%.2f"), ("writes/s during BGSAVE", "writes", "%d")]
    for label, key, fmt in rows:
        a, b = results["redstart"][key], results["redis"][key]
        if key == "size":
            a, b = a / 1e6, b / 1e6
        print("%-28s %12s %12s %8.2f" % (label, fmt % a, fmt % b, a / b if b else 0))


if __name__ == "__main__":
    main()
