"""The options the server sets on the TCP connections it accepts, read from its own
setsockopt calls (the server runs under strace): Nagle's algorithm off (TCP_NODELAY,
as Redis, so a reply never waits behind an unacknowledged segment) and keepalive as
`tcp-keepalive` says (Unix-socket connections, which get neither, are tested in
StartupTests.unixSocketListener). The listening socket's backlog is `tcp-backlog`:
connections the server has not accepted yet wait in it instead of being dropped."""
import os
import signal
import socket

from strace_server import traced_server
from test_persistence import processes, workdir  # noqa: F401


def setsockopt_calls(trace):
    with open(trace) as f:
        return [line for line in f if "setsockopt(" in line]


def test_accepted_tcp_connections_turn_nagle_off_and_keep_alive(workdir, processes):
    trace = os.path.join(workdir, "setsockopt.trace")
    p = traced_server(processes, workdir, trace, "setsockopt", "--save", "", "--tcp-keepalive", "60")
    assert p.client().ping()
    p.shutdown("NOSAVE")
    calls = setsockopt_calls(trace)
    nodelay = [c for c in calls if "SOL_TCP, TCP_NODELAY" in c]
    assert nodelay, calls
    assert all(c.rstrip().endswith("= 0") for c in nodelay), nodelay
    # TCP_NODELAY's number at the socket level is SO_DEBUG: the option must not land there.
    assert not [c for c in calls if "SO_DEBUG" in c], calls
    assert [c for c in calls if "SO_KEEPALIVE" in c], calls
    assert [c for c in calls if "TCP_KEEPIDLE" in c], calls


def test_the_listen_backlog_is_tcp_backlog(server_factory):
    # A stopped server accepts nothing: the kernel completes up to the backlog's worth of
    # handshakes on its own, and drops SYNs beyond it (the client's connect times out: every
    # retransmission meets the same full queue). The timeout outlasts the first retransmission
    # (1 s), so a SYN lost to a loaded machine's loopback is not taken for a full queue.
    server = server_factory("--tcp-backlog", "400")
    server.process.send_signal(signal.SIGSTOP)
    waiting = []
    try:
        for _ in range(300):
            waiting.append(socket.create_connection(("127.0.0.1", server.port), timeout=3))
    finally:
        server.process.send_signal(signal.SIGCONT)
    assert len(waiting) == 300
    probe = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    probe.sendall(b"PING\r\n")
    assert probe.recv(16) == b"+PONG\r\n"
    for connection in waiting + [probe]:
        connection.close()
