"""A primary that shuts down waits for its lagging replicas, as Redis 7.0 does: SHUTDOWN
(or SIGTERM) pauses writes and gives them shutdown-timeout to acknowledge the stream, INFO
shows shutdown_in_milliseconds and the waiting caller as a blocked client, SHUTDOWN ABORT
cancels (callers get the error, writes resume), and a replica that wakes in time gets the
last write before the primary exits."""
import os
import signal
import socket

import pytest
import redis

from conftest import BINARY
from test_persistence import processes, start, wait_for, workdir  # noqa: F401
from test_replication import assert_same_data


def node(processes, workdir, name, *args):
    directory = os.path.join(workdir, name)
    os.makedirs(directory)
    return start(processes, BINARY, directory, "--save", "", "--repl-diskless-sync-delay", "0", *args)


def send_shutdown(port):
    """SHUTDOWN from a client of its own, left waiting for the answer."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"*1\r\n$8\r\nSHUTDOWN\r\n")
    return s


def stopped_replica(processes, workdir, timeout):
    p = node(processes, workdir, "primary", "--shutdown-timeout", str(timeout))
    s = node(processes, workdir, "replica")
    primary, replica = p.client(), s.client()
    replica.replicaof("127.0.0.1", p.port)
    primary.set("k", 1)
    assert_same_data(primary, replica)
    os.kill(s.process.pid, signal.SIGSTOP)
    # More than the socket buffers take, so that the last write cannot reach it by itself.
    primary.config_set("repl-backlog-size", 1)
    pipe = primary.pipeline(transaction=False)
    for n in range(6000):
        pipe.set("junk:%d" % n, "x" * 1024)
        if n % 500 == 499:
            pipe.execute()
    wait_for(lambda: primary.info("memory")["mem_clients_slaves"] > 1024 * 1024, message="the replica to fall behind")
    primary.incr("k")
    return p, s, primary, replica


@pytest.mark.parametrize("how", ["sigterm", "shutdown"])
def test_the_primary_waits_for_a_lagging_replica(processes, workdir, how):
    p, s, primary, replica = stopped_replica(processes, workdir, 300)
    try:
        if how == "sigterm":
            os.kill(p.process.pid, signal.SIGTERM)
        else:
            caller = send_shutdown(p.port)
        wait_for(lambda: primary.info("server").get("shutdown_in_milliseconds", 0) > 0, message="the wait")
        if how == "shutdown":
            assert primary.info("clients")["blocked_clients"] == 1
        # Writes are paused meanwhile; reads go on.
        assert primary.get("k") == b"2"
    finally:
        os.kill(s.process.pid, signal.SIGCONT)
    wait_for(lambda: replica.get("k") == b"2", message="the replica to get the last write")
    assert p.process.wait(timeout=30) == 0
    log = p.log_text()
    assert "Waiting for replicas before shutting down." in log
    assert "1 of 1 replicas are in sync when shutting down." in log
    assert "Lagging replica" not in log
    assert "ready to exit, bye bye" in log
    if how == "shutdown":
        caller.close()


def test_the_wait_ends_at_shutdown_timeout(processes, workdir):
    p, s, primary, replica = stopped_replica(processes, workdir, 1)
    try:
        os.kill(p.process.pid, signal.SIGTERM)
        assert p.process.wait(timeout=30) == 0
    finally:
        os.kill(s.process.pid, signal.SIGCONT)
    log = p.log_text()
    assert "Lagging replica" in log and "0 of 1 replicas are in sync when shutting down." in log
    assert replica.get("k") == b"1"


def test_shutdown_abort_ends_the_wait_and_resumes_writes(processes, workdir):
    p, s, primary, replica = stopped_replica(processes, workdir, 300)
    try:
        callers = [send_shutdown(p.port), send_shutdown(p.port)]
        wait_for(lambda: primary.info("clients")["blocked_clients"] == 2, message="both callers to wait")
        assert primary.execute_command("SHUTDOWN", "ABORT") is True
        for caller in callers:
            reply = b""
            while not reply.endswith(b"\r\n"):
                reply += caller.recv(1024)
            assert reply == b"-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
            caller.close()
        assert "shutdown_in_milliseconds" not in primary.info("server")
        assert primary.incr("k") == 3
        with pytest.raises(redis.ResponseError, match="No shutdown in progress"):
            primary.execute_command("SHUTDOWN", "ABORT")
    finally:
        os.kill(s.process.pid, signal.SIGCONT)
    assert "Shutdown manually aborted." in p.log_text()
    assert_same_data(primary, replica)


def test_shutdown_now_does_not_wait(processes, workdir):
    p, s, primary, replica = stopped_replica(processes, workdir, 300)
    try:
        with pytest.raises(redis.ConnectionError):
            primary.execute_command("SHUTDOWN", "NOW")
        assert p.process.wait(timeout=30) == 0
    finally:
        os.kill(s.process.pid, signal.SIGCONT)
    assert "Waiting for replicas" not in p.log_text()
