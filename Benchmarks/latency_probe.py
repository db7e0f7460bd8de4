#!/usr/bin/env python3
"""Worst-case latency seen by an idle client while another client does heavy work.

Starts the candidate (redstart-server) and the reference (redis-server) on free ports,
one after the other, and for each: a probe process sends PING every millisecond and
records each round trip, while the main thread runs a scenario:

  growth   SET key:0 .. key:N-1 (pipelined, N = --keys, default 10,000,000): the key
           table doubles many times; an O(n) resize shows as a long stall.
  flush    load --keys keys, then FLUSHALL ASYNC: the old data must be freed off the
           command path.
  expire   load --keys keys that expire 3 s later, nobody reads them: the active expiry
           cycle must remove them all within seconds without stalling the probe; also
           prints INFO used_memory and RSS before and after.

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


def load(port, keys, batch=10000, ttl_ms=None):
    option = b"" if ttl_ms is None else b"$2\r\nPX\r\n$%d\r\n%d\r\n" % (len(str(ttl_ms)), ttl_ms)
    header = b"*3\r\n" if ttl_ms is None else b"*5\r\n"
    with socket.create_connection(("127.0.0.1", port)) as s:
        leftover = b""
        for start in range(0, keys, batch):
            end = min(keys, start + batch)
            s.sendall(b"".join(header + b"$3\r\nSET\r\n$%d\r\nkey:%d\r\n$3\r\nval\r\n" % (len(b"key:%d" % i), i) + option
                               for i in range(start, end)))
            leftover = read_replies(s, end - start, leftover)


def ask(port, *args):
    """One command over a fresh connection; returns the raw reply text."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
        data = b""
        while True:
            data += s.recv(1 << 16)
            if data.startswith(b"$"):
                length = int(data[1:data.index(b"\r\n")])
                if len(data) >= data.index(b"\r\n") + 2 + length + 2:
                    return data
            elif data.endswith(b"\r\n"):
                return data


def memory(port, pid):
    info = ask(port, b"INFO", b"memory").decode()
    used = [l.split(":")[1] for l in info.split("\r\n") if l.startswith("used_memory:")][0]
    with open("/proc/%d/status" % pid) as f:
        rss = [l.split()[1] for l in f if l.startswith("VmRSS:")][0]
    return "used_memory %.1f MB, RSS %.1f MB" % (int(used) / 1e6, int(rss) / 1e3)


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
        if scenario == "expire":
            load(port, keys, ttl_ms=3000)
            print("%-10s loaded: %s" % (name, memory(port, process.pid)))
        prober = start_probe(port)
        time.sleep(0.3)
        began = time.perf_counter()
        if scenario == "growth":
            load(port, keys)
        elif scenario == "expire":
            while int(ask(port, b"DBSIZE")[1:-2]) > 0:
                time.sleep(0.05)
        else:
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(b"FLUSHALL ASYNC\r\n")
                read_replies(s, 1)
        elapsed = time.perf_counter() - began
        time.sleep(0.5)
        samples = sorted(stop_probe(prober))
        if scenario == "expire":
            print("%-10s all expired: %s" % (name, memory(port, process.pid)))
        pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
        print("%-10s %-8s keys=%d  %.2fs  probe max %.2f ms  p99.9 %.2f ms  p99 %.2f ms  (%d pings)"
              % (name, scenario, keys, elapsed, samples[-1], pick(0.999), pick(0.99), len(samples)))
    finally:
        process.kill()
        process.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["growth", "flush", "expire"])
    parser.add_argument("--keys", type=int, default=10_000_000)
    parser.add_argument("--server", default=os.path.join(ROOT, ".build", "release", "redstart-server"))
    args = parser.parse_args()
    run("redstart", [args.server], args.scenario, args.keys)
    run("redis", ["redis-server"], args.scenario, args.keys)


if __name__ == "__main__":
    main()
