"""daemonize yes, as Redis: the command returns at once with status 0, the server goes
on in the background in a session of its own, away from the terminal, writes its pid
file (Redis's default one when none is set) and removes it on SHUTDOWN."""
import os
import subprocess

import redis

from blocking_helpers import wait_until
from conftest import BINARY, answers_ping, free_port, shutdown_nosave


def test_daemonize_detaches_writes_the_pid_file_and_removes_it_on_shutdown(tmp_path):
    directory = str(tmp_path)
    pidfile = os.path.join(directory, "server.pid")
    port = free_port()
    started = subprocess.run(
        [BINARY, "--port", str(port), "--save", "", "--daemonize", "yes", "--pidfile", pidfile],
        cwd=directory, capture_output=True, timeout=20)
    assert started.returncode == 0, started.stderr
    assert started.stdout == b"" and started.stderr == b""  # the daemon's output goes to /dev/null
    try:
        wait_until(lambda: answers_ping(port), "the daemon to answer")
        wait_until(lambda: os.path.exists(pidfile) and open(pidfile).read().endswith("\n"), "the pid file")
        pid = int(open(pidfile).read())
        client = redis.Redis(port=port)
        assert client.info("server")["process_id"] == pid
        assert os.getsid(pid) == pid  # its own session: no controlling terminal
        assert client.config_get("daemonize") == {"daemonize": "yes"}
        client.set("key", "value")
        assert client.get("key") == b"value"
        client.close()
        shutdown_nosave(port)
        wait_until(lambda: not os.path.exists(pidfile), "the pid file to be removed")
        wait_until(lambda: not answers_ping(port), "the daemon to stop")
    finally:
        if answers_ping(port):
            shutdown_nosave(port)
