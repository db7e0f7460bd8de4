#!/usr/bin/env python3
"""RedstartClient against redis-py (with hiredis) on the same server, in one run.

For GET and SET of a small value, at 1 and 50 concurrent tasks, measures requests
per second of:
  - RedstartClient (Benchmarks/ClientBench, `redstart-client-bench`), one client
    shared by the tasks, the tasks on Swift's global executor ("pool") and on the
    client's event loop ("loop", `withTaskExecutorPreference(client.taskExecutor)`);
  - redis-py: synchronous (1 task: one loop; 50 tasks: 50 threads sharing a
    connection pool) and asyncio (1 task; 50 tasks gathered on one client);
  - redis-benchmark with as many connections as tasks, for the C ceiling (hiredis,
    no language runtime): at one task in flight every client waits a round trip;
and prints RedstartClient's ratios to the best redis-py figure.

Usage: client_bench.py [--server PATH] [--port N] [--seconds S]
  --server starts that redstart-server (or redis-server) on a free port with
  persistence off; --port uses a server already running on that port.
Build first: swift build -c release --product redstart-client-bench
"""
import argparse
import asyncio
import os
import socket
import subprocess
import sys
import threading
import time

import redis
import redis.asyncio

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, ".build", "release", "redstart-client-bench")
VALUE = "xxx"
KEY = "bench:key"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(path, port):
    process = subprocess.Popen([path, "--port", str(port), "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if redis.Redis(port=port).ping():
                return process
        except redis.ConnectionError:
            time.sleep(0.05)
    process.kill()
    sys.exit(f"{path} did not start")


def one_request(client, command):
    if command == "get":
        return client.get(KEY)
    return client.set(KEY, VALUE)


def redis_py_sync(port, command, tasks, seconds):
    pool = redis.ConnectionPool(port=port, max_connections=tasks)
    counts = [0] * tasks
    deadline = time.monotonic() + seconds

    def work(index):
        client = redis.Redis(connection_pool=pool)
        count = 0
        while time.monotonic() < deadline:
            for _ in range(64):
                one_request(client, command)
            count += 64
        counts[index] = count

    start = time.monotonic()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - start)


async def redis_py_asyncio(port, command, tasks, seconds):
    client = redis.asyncio.Redis(port=port, max_connections=max(tasks, 1))
    deadline = time.monotonic() + seconds

    async def work():
        count = 0
        while time.monotonic() < deadline:
            for _ in range(64):
                if command == "get":
                    await client.get(KEY)
                else:
                    await client.set(KEY, VALUE)
            count += 64
        return count

    start = time.monotonic()
    counts = await asyncio.gather(*(work() for _ in range(tasks)))
    elapsed = time.monotonic() - start
    await client.aclose()
    return sum(counts) / elapsed


def redstart_client(port, command, tasks, seconds, executor):
    out = subprocess.run([BENCH, "--url", f"redis://127.0.0.1:{port}", "--tasks", str(tasks),
                          "--seconds", f"{seconds:g}", "--command", command, "--executor", executor],
                         check=True, capture_output=True, text=True).stdout
    return float(out.rsplit(":", 1)[1].split()[0])


def redis_benchmark(port, command, tasks, seconds):
    requests = int(seconds * (25_000 if tasks == 1 else 120_000))
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-c", str(tasks), "-n", str(requests),
                          "-t", command, "-q"], check=True, capture_output=True, text=True).stdout
    # The last carriage-return-separated segment holds the final figure.
    final = out.replace("\r", "\n").strip().splitlines()[-1]
    return float(final.split(":", 1)[1].split()[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", help="redstart-server or redis-server binary to start")
    parser.add_argument("--port", type=int)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    if not os.path.exists(BENCH):
        sys.exit(f"{BENCH} missing: swift build -c release --product redstart-client-bench")
    process = None
    port = args.port
    if args.server:
        port = free_port()
        process = start_server(args.server, port)
    elif port is None:
        sys.exit("give --server or --port")
    try:
        redis.Redis(port=port).set(KEY, VALUE)
        hiredis = redis.utils.HIREDIS_AVAILABLE
        print(f"redis-py {redis.__version__}, hiredis {'yes' if hiredis else 'NO'}; "
              f"{args.seconds:g} s per figure; server on port {port}")
        print(f"{'command':7} {'tasks':>5} {'Redstart pool':>13} {'Redstart loop':>13} "
              f"{'py sync':>8} {'py asyncio':>10} {'pool x':>7} {'loop x':>7} {'redis-benchmark':>15}")
        for command in ("get", "set"):
            for tasks in (1, 50):
                pool = redstart_client(port, command, tasks, args.seconds, "pool")
                loop = redstart_client(port, command, tasks, args.seconds, "loop")
                sync = redis_py_sync(port, command, tasks, args.seconds)
                aio = asyncio.run(redis_py_asyncio(port, command, tasks, args.seconds))
                c_client = redis_benchmark(port, command, tasks, args.seconds)
                best = max(sync, aio)
                print(f"{command.upper():7} {tasks:>5} {pool:>13,.0f} {loop:>13,.0f} {sync:>8,.0f} "
                      f"{aio:>10,.0f} {pool / best:>6.2f}x {loop / best:>6.2f}x {c_client:>15,.0f}",
                      flush=True)
    finally:
        if process:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
