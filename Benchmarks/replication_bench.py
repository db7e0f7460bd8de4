#!/usr/bin/env python3
"""Replication side by side with redis-server, in one run, each topology made of one
kind of server (three Redstarts, or three redis-servers):

  * full sync of N keys (DEBUG POPULATE): seconds from REPLICAOF until the replica's link
    is up with every key, diskless (the default) and from disk;
  * replication lag under load: redis-benchmark SET at pipeline 16 with 50 clients
    against a primary with one replica; the replica's offset is sampled every 50 ms and
    the lag (bytes the primary wrote that the replica has not applied) reported as
    median and worst, then the time the replica takes to catch up once the load stops;
  * write throughput on a primary with two replicas attached: redis-benchmark
    set/incr/lpush at pipeline 1 and 16, median of ROUNDS, as the ratio Redstart/Redis.

    Benchmarks/replication_bench.py [--keys 1000000] [--rounds 3] [--requests 200000]
        [--candidate .build/release/redstart-server] [--reference redis-server]
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time

import redis


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, directory, *args):
        self.port = free_port()
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--save", "", "--appendonly", "no", "--dir", directory,
             "--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0",
             "--logfile", os.path.join(directory, "server.log"), *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if self.client().ping():
                    return
            except (redis.ConnectionError, redis.BusyLoadingError):
                time.sleep(0.02)
        raise RuntimeError(binary + " did not start")

    def client(self):
        return redis.Redis(port=self.port, socket_timeout=600)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def link_up(replica, keys=None):
    info = replica.client().info("replication")
    if info.get("master_link_status") != "up":
        return False
    return keys is None or replica.client().dbsize() == keys


def wait(condition, timeout=600, step=0.005):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(step)
    raise RuntimeError("timed out")


def full_sync(binary, root, keys, diskless):
    primary = Server(binary, os.path.join(root, "p"), "--repl-diskless-sync", diskless)
    replica = Server(binary, os.path.join(root, "r"))
    try:
        primary.client().execute_command("DEBUG", "POPULATE", keys)
        started = time.monotonic()
        replica.client().replicaof("127.0.0.1", primary.port)
        wait(lambda: link_up(replica, keys))
        return time.monotonic() - started
    finally:
        replica.stop()
        primary.stop()
        shutil.rmtree(root, ignore_errors=True)


def lag_under_load(binary, root, requests):
    primary = Server(binary, os.path.join(root, "p"))
    replica = Server(binary, os.path.join(root, "r"))
    try:
        replica.client().replicaof("127.0.0.1", primary.port)
        wait(lambda: link_up(replica))
        samples = []
        stop = threading.Event()

        def sample():
            p, r = primary.client(), replica.client()
            while not stop.is_set():
                written = p.info("replication")["master_repl_offset"]
                applied = r.info("replication")["slave_repl_offset"]
                samples.append(max(0, written - applied))
                time.sleep(0.05)
        thread = threading.Thread(target=sample)
        thread.start()
        subprocess.run(["redis-benchmark", "-p", str(primary.port), "-t", "set", "-P", "16", "-c", "50",
                        "-n", str(requests), "-r", "100000", "-q"], stdout=subprocess.DEVNULL, check=True)
        stop.set()
        thread.join()
        target = primary.client().info("replication")["master_repl_offset"]
        started = time.monotonic()
        wait(lambda: replica.client().info("replication")["slave_repl_offset"] >= target, step=0.001)
        catch_up = time.monotonic() - started
        return statistics.median(samples), max(samples), catch_up
    finally:
        replica.stop()
        primary.stop()
        shutil.rmtree(root, ignore_errors=True)


def throughput(binary, root, requests, rounds):
    primary = Server(binary, os.path.join(root, "p"))
    replicas = [Server(binary, os.path.join(root, "r%d" % i)) for i in range(2)]
    results = {}
    try:
        for replica in replicas:
            replica.client().replicaof("127.0.0.1", primary.port)
        wait(lambda: all(link_up(r) for r in replicas))
        for pipeline in (1, 16):
            for _ in range(rounds):
                out = subprocess.run(
                    ["redis-benchmark", "-p", str(primary.port), "-t", "set,incr,lpush", "-P", str(pipeline), "-c", "50",
                     "-n", str(requests), "-r", "100000", "--csv"], capture_output=True, text=True, check=True).stdout
                for line in out.splitlines()[1:]:
                    fields = [f.strip('"') for f in line.split(",")]
                    results.setdefault((fields[0].lower(), pipeline), []).append(float(fields[1]))
        return {key: statistics.median(values) for key, values in results.items()}
    finally:
        for server in replicas + [primary]:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--candidate", default=".build/release/redstart-server")
    parser.add_argument("--reference", default=shutil.which("redis-server"))
    parser.add_argument("--only", choices=["sync", "lag", "throughput"], help="run one part")
    options = parser.parse_args()
    sides = [("redstart", os.path.abspath(options.candidate)), ("redis", options.reference)]
    root = tempfile.mkdtemp(prefix="replication-bench-")
    if options.only in (None, "sync"):
        full_syncs(options, sides, root)
    if options.only in (None, "lag"):
        lags(options, sides, root)
    if options.only in (None, "throughput"):
        throughputs(options, sides, root)
    shutil.rmtree(root, ignore_errors=True)


def full_syncs(options, sides, root):
    print("full sync of %d keys (seconds)" % options.keys)
    for diskless in ("yes", "no"):
        times = {name: full_sync(binary, os.path.join(root, name), options.keys, diskless) for name, binary in sides}
        print("  diskless=%-3s  redstart %.2f  redis %.2f  ratio %.2f" % (
            diskless, times["redstart"], times["redis"], times["redstart"] / times["redis"]))


def lags(options, sides, root):
    print("replication lag, SET -P 16 -c 50, %d requests (bytes behind: median / worst; catch-up after the load)" % (options.requests * 5))
    for name, binary in sides:
        median, worst, catch_up = lag_under_load(binary, os.path.join(root, name), options.requests * 5)
        print("  %-8s median %9.0f  worst %9.0f  catch-up %.3f s" % (name, median, worst, catch_up))


def throughputs(options, sides, root):
    print("write throughput, primary with two replicas (requests/s, median of %d)" % options.rounds)
    measured = {name: throughput(binary, os.path.join(root, name), options.requests, options.rounds) for name, binary in sides}
    for key in sorted(measured["redstart"]):
        ours, theirs = measured["redstart"][key], measured["redis"].get(key, 0)
        print("  %-6s P%-2d  redstart %10.0f  redis %10.0f  ratio %.2f" % (key[0], key[1], ours, theirs, ours / theirs if theirs else 0))


if __name__ == "__main__":
    main()
