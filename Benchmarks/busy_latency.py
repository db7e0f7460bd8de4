#!/usr/bin/env python3
"""How fast a server answers while a script runs long: one client runs a script that
loops for SECONDS (default 10), asking only TIME now and then; another sends PING every 10 ms and
records how long each reply takes. Past busy-reply-threshold (5 s by default) the replies
must be -BUSY; the report gives, for the pings sent after the threshold, the number that
got BUSY and their latency (median, p99, max).

    python3 Benchmarks/busy_latency.py PORT [PORT ...] [--seconds 10] [--threshold-ms 5000]
"""
import argparse
import socket
import statistics
import threading
import time


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def command(sock, *args):
    payload = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
    sock.sendall(payload)


def read_line(sock):
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def measure(port, seconds, threshold_ms):
    admin = connect(port)
    command(admin, b"CONFIG", b"SET", b"busy-reply-threshold", str(threshold_ms).encode())
    read_line(admin)
    runner = connect(port)
    script = b"local t = redis.call('time') local s = tonumber(t[1]) + %d " \
             b"while true do local n = 0 for i = 1, 100000 do n = n + i end " \
             b"if redis.call('time')[1] + 0 >= s then break end end return 1" % seconds
    started = time.monotonic()
    command(runner, b"EVAL", script, b"0")
    done = threading.Event()

    def wait_runner():
        read_line(runner)
        done.set()

    threading.Thread(target=wait_runner, daemon=True).start()
    pinger = connect(port)
    samples = []
    while not done.is_set():
        sent = time.monotonic()
        command(pinger, b"PING")
        reply = read_line(pinger)
        took = time.monotonic() - sent
        samples.append((sent - started, took, reply))
        time.sleep(0.01)
    after = [(t, took, r) for (t, took, r) in samples if t > threshold_ms / 1000 + 0.2]
    busy = [took for (_, took, r) in after if r.startswith(b"-BUSY")]
    return len(after), busy


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("ports", type=int, nargs="+")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threshold-ms", type=int, default=5000)
    options = parser.parse_args()
    for port in options.ports:
        count, busy = measure(port, options.seconds, options.threshold_ms)
        if not busy:
            print("port %d: %d pings after the threshold, none answered BUSY" % (port, count))
            continue
        busy.sort()
        p99 = busy[min(len(busy) - 1, int(len(busy) * 0.99))]
        print("port %d: %d pings after the threshold, %d BUSY; latency median %.2f ms, p99 %.2f ms, max %.2f ms"
              % (port, count, len(busy), statistics.median(busy) * 1000, p99 * 1000, busy[-1] * 1000))


if __name__ == "__main__":
    main()
