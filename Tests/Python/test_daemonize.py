"""daemonize yes, as Redis: the command returns at once with status 0, the server goes
on in the background in a session of its own, away from the terminal, writes its pid
file (Redis's default one when none is set) and removes it on SHUTDOWN."""
import os
import socket
import subprocess
import tempfile
import time

import redis

from conftest import BINARY, answers_ping, free_port


def wait_for(condition, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def shutdown(port):
    """SHUTDOWN NOSAVE on a raw connection (redis-py would retry the closed connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"SHUTDOWN NOSAVE\r\n")
        while s.recv(64):
            pass


def test_daemonize_detaches_writes_the_pid_file_and_removes_it_on_shutdown():
    directory = tempfile.mkdtemp(prefix="redstart-daemon-")
    pidfile = os.path.join(directory, "server.pid")
    port = free_port()
    started = subprocess.run(
        [BINARY, "--port", str(port), "--save", "", "--daemonize", "yes", "--pidfile", pidfile],
        cwd=directory, capture_output=True, timeout=20)
    assert started.returncode == 0, started.stderr
    assert started.stdout == b"" and started.stderr == b""  # the daemon's output goes to /dev/null
    try:
        assert wait_for(lambda: answers_ping(port))
        assert wait_for(lambda: os.path.exists(pidfile))
        pid = int(open(pidfile).read())
        client = redis.Redis(port=port)
        assert client.info("server")["process_id"] == pid
        assert os.getsid(pid) == pid  # its own session: no controlling terminal
        assert client.config_get("daemonize") == {"daemonize": "yes"}
        client.set("key", "value")
        assert client.get("key") == b"value"
        client.close()
        shutdown(port)
        assert wait_for(lambda: not os.path.exists(pidfile))
        assert wait_for(lambda: not answers_ping(port))
    finally:
        if answers_ping(port):
            shutdown(port)
