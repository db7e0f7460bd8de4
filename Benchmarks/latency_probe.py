#!/usr/bin/env python3
"""Worst-case latency seen by an idle client while another client does heavy work.

Starts the candidate (redstart-server) and the reference (redis-server) on free ports,
one after the other, and for each: a probe process sends PING every millisecond and
records each round trip, while the main thread runs a scenario:

  growth   SET key:0 .. key:N-1 (pipelined, N = --keys, default 10,000,000): the key
           table doubles many times; an O(n) resize shows as a long stall.
  flush    load --keys keys, then FLUSHALL ASYNC: the old data must be freed off the
           command path.

Prints the probe's max / p99.9 / p99 latency (ms) per server and the scenario time.
Usage: Benchmarks/latency_probe.py growth [--keys N] [--server PATH]
"""
import argparse
import os
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command, port):
    process = subprocess.Popen(command + ["--port", str(port), "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(500):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return process
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("server did not start: %s" % command)


def read_replies(sock, count, buffer=b""):
    """Reads `count` single-line replies (+OK, :1, ...); returns the leftover bytes."""
    while count:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise IOError("connection closed")
        buffer += chunk
        lines = buffer.split(b"\r\n")
        buffer = lines.pop()
        count -= len(lines)
    return buffer


def load(port, keys, batch=10000):
    with socket.create_connection(("127.0.0.1", port)) as s:
        leftover = b""
        for start in range(0, keys, batch):
            end = min(keys, start + batch)
            s.sendall(b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$3\r\nval\r\n" % (len(b"key:%d" % i), i)
                               for i in range(start, end)))
            leftover = read_replies(s, end - start, leftover)


PROBE = r"""
import socket, sys, time
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
samples = []
while True:
    began = time.perf_counter()
    s.sendall(b"PING\r\n")
    reply = b""
    while not reply.endswith(b"\r\n"):
        reply += s.recv(64)
    samples.append((time.perf_counter() - began) * 1000)
    if sys.stdin.closed:
        break
    time.sleep(0.001)
    import select
    if select.select([sys.stdin], [], [], 0)[0]:
        break
print(" ".join("%.3f" % x for x in samples))
"""


def start_probe(port):
    """The probe runs in its own process, so the load generator cannot delay it."""
    return subprocess.Popen(["python3", "-c", PROBE, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def stop_probe(prober):
    prober.stdin.write(b"x\n")
    prober.stdin.close()
    return [float(x) for x in prober.stdout.read().split()]


def run(name, command, scenario, keys):
    port = free_port()
    process = start(command, port)
    try:
        if scenario == "flush":
            load(port, keys)
        prober = start_probe(port)
        time.sleep(0.3)
        began = time.perf_counter()
        if scenario == "growth":
            load(port, keys)
        else:
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(b"FLUSHALL ASYNC\r\n")
                read_replies(s, 1)
        elapsed = time.perf_counter() - began
        time.sleep(0.5)
        samples = sorted(stop_probe(prober))
        pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
        print("%-10s %-8s keys=%d  %.2fs  probe max %.2f ms  p99.9 %.2f ms  p99 %.2f ms  (%d pings)"
              % (name, scenario, keys, elapsed, samples[-1], pick(0.999), pick(0.99), len(samples)))
    finally:
        process.kill()
        process.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["growth", "flush"])
    parser.add_argument("--keys", type=int, default=10_000_000)
    parser.add_argument("--server", default=os.path.join(ROOT, ".build", "release", "redstart-server"))
    args = parser.parse_args()
    run("redstart", [args.server], args.scenario, args.keys)
    run("redis", ["redis-server"], args.scenario, args.keys)


if __name__ == "__main__":
    main()
