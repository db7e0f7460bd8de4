"""Clients that abuse the server, each run against Redstart and against redis-server the
same way: a huge bulk header with little data behind it, a million-argument command, a
subscriber that never reads, 10,000 idle connections, and slowloris senders that trickle
partial commands. The server must stay within a memory bound and keep answering a probe
client quickly throughout; the figures of both servers are printed (pytest -s) for the
comparison.
"""
import os
import resource
import socket
import time

import pytest
import redis

from blocking_helpers import wait_until
from conftest import ReferenceServer, Server, REDIS_SERVER

# Latency bounds: run alone (Scripts/test.sh runs the `serial` tests after the others).
pytestmark = pytest.mark.serial

# A probe's worst reply time allowed while the abuse goes on (the debug build, on a small
# shared machine: generous, but a server that stalls for the abuse takes far longer).
PROBE_LIMIT = 0.5


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def connected_clients(port):
    with redis.Redis(port=port) as r:
        return r.info("clients")["connected_clients"]


class Probe:
    """A client that PINGs and records the worst reply time."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.worst = 0.0

    def ping(self):
        start = time.perf_counter()
        self.sock.sendall(b"PING\r\n")
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = self.sock.recv(64)
            assert chunk, "the server closed the probe's connection"
            data += chunk
        assert data == b"+PONG\r\n"
        self.worst = max(self.worst, time.perf_counter() - start)


KINDS = ["redstart"] + (["redis"] if REDIS_SERVER else [])


@pytest.fixture(params=KINDS)
def target(request):
    """(kind, server): a fresh Redstart, then a fresh redis-server, started the same way."""
    server = Server() if request.param == "redstart" else ReferenceServer()
    yield request.param, server
    server.stop()


def report(name, figures):
    print("\n%-26s " % name + "  ".join("%s: %s" % item for item in figures.items()))


def test_huge_bulk_header_with_little_data(target):
    kind, server = target
    pid = server.process.pid
    before = rss_bytes(pid)
    probe = Probe(server.port)
    refused = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    refused.sendall(b"*1\r\n$1073741824\r\n")
    assert refused.recv(100).startswith(b"-ERR Protocol error: invalid bulk length")
    # 400 MB announced (under proto-max-bulk-len), 1 MB sent, then nothing.
    stalled = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(5)]
    for client in stalled:
        client.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$400000000\r\n" + b"x" * 1_000_000)
    for _ in range(50):
        probe.ping()
    grown = rss_bytes(pid) - before
    report("%s huge bulk" % kind, {"rss growth MB": round(grown / 2**20, 1), "probe worst ms": round(probe.worst * 1000, 1)})
    assert grown < 200 * 2**20
    assert probe.worst < PROBE_LIMIT


def test_million_argument_command(target):
    kind, server = target
    pid = server.process.pid
    before = rss_bytes(pid)
    big = socket.create_connection(("127.0.0.1", server.port), timeout=120)
    count = 1_000_000
    big.sendall(b"*%d\r\n$4\r\nSADD\r\n$1\r\ns\r\n" % (count + 2) + b"$6\r\nmember\r\n" * count)
    data = b""
    while not data.endswith(b"\r\n"):
        data += big.recv(100)
    assert data == b":1\r\n"
    probe = Probe(server.port)
    probe.ping()
    peak = rss_bytes(pid) - before
    report("%s million args" % kind, {"rss growth MB": round(peak / 2**20, 1)})
    assert peak < 400 * 2**20


def test_subscriber_that_never_reads(target):
    kind, server = target
    pid = server.process.pid
    before = rss_bytes(pid)
    subscriber = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    subscriber.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    subscriber.sendall(b"SUBSCRIBE news\r\n")
    assert subscriber.recv(100).startswith(b"*3\r\n")
    publisher = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    probe = Probe(server.port)
    message = b"*3\r\n$7\r\nPUBLISH\r\n$4\r\nnews\r\n$10000\r\n" + b"m" * 10000 + b"\r\n"
    delivered = 0
    for batch in range(100):
        publisher.sendall(message * 100)
        replies = b""
        while replies.count(b"\r\n") < 100:
            replies += publisher.recv(1 << 16)
        delivered += replies.count(b":1\r\n")
        probe.ping()
        if b":0\r\n" in replies:
            break
    grown = rss_bytes(pid) - before
    report("%s never-reading sub" % kind, {"messages before disconnect": delivered,
                                           "rss growth MB": round(grown / 2**20, 1),
                                           "probe worst ms": round(probe.worst * 1000, 1)})
    # client-output-buffer-limit pubsub 32mb: the subscriber is dropped, memory given back.
    assert b":0\r\n" in replies
    assert grown < 100 * 2**20
    assert probe.worst < PROBE_LIMIT


def test_ten_thousand_idle_connections(target):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 10_200:
        pytest.skip("the test process may not open 10,000 sockets (hard limit %d)" % hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 10_200), hard))
    kind, server = target
    connections = []
    pid = server.process.pid
    before = rss_bytes(pid)
    probe = Probe(server.port)
    for number in range(9_900):
        connections.append(socket.create_connection(("127.0.0.1", server.port), timeout=30))
        if number % 1000 == 0:
            probe.ping()
        if number % 250 == 249:
            # No faster than the server accepts: beyond the listen backlog the kernel drops
            # SYNs and each dropped one costs its client a second (a debug build accepts
            # slower than Python connects).
            wait_until(lambda: connected_clients(server.port) >= len(connections), "the server to accept", 60)
    probe.ping()
    per_connection = (rss_bytes(pid) - before) / len(connections)
    report("%s 10k idle" % kind, {"rss per connection KB": round(per_connection / 1024, 1),
                                  "probe worst ms": round(probe.worst * 1000, 1)})
    assert per_connection < 16 * 1024
    assert probe.worst < PROBE_LIMIT
    for connection in connections:
        connection.close()


def test_slowloris_senders(target):
    kind, server = target
    pid = server.process.pid
    before = rss_bytes(pid)
    probe = Probe(server.port)
    command = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"
    senders = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(500)]
    for position in range(len(command) - 1):
        for sender in senders:
            sender.send(command[position:position + 1])
        probe.ping()
    grown = rss_bytes(pid) - before
    report("%s slowloris" % kind, {"rss growth MB": round(grown / 2**20, 1),
                                   "probe worst ms": round(probe.worst * 1000, 1)})
    assert grown < 64 * 2**20
    assert probe.worst < PROBE_LIMIT
    # Each sender's command completes when its last byte comes.
    for sender in senders:
        sender.send(command[-1:])
    for sender in senders:
        assert sender.recv(10) == b"+OK\r\n"
    for sender in senders:
        sender.close()
