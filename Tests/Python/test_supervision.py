"""supervised systemd|auto, as Redis under systemd's Type=notify (Debian's
redis-server.service runs it with --supervised systemd): datagrams to $NOTIFY_SOCKET say
the dataset is loading, then ready (READY=1) once clients are served, STOPPING=1 when a
shutdown begins and the final save's status. A path starting with "@" is in Linux's
abstract namespace. Under upstart the server stops itself (SIGSTOP) at start, as Redis."""
import os
import socket
import subprocess
import signal

import pytest

from blocking_helpers import wait_until
from conftest import BINARY, answers_ping, free_port, shutdown_nosave


def receive(listener, count):
    messages = []
    while len(messages) < count:
        messages.append(listener.recv(4096).decode())
    return messages


@pytest.mark.parametrize("mode, abstract", [("systemd", False), ("auto", True)])
def test_systemd_is_told_loading_ready_and_stopping(mode, abstract, tmp_path):
    directory = str(tmp_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.settimeout(20)
    if abstract:
        name = "redstart-notify-%d" % os.getpid()
        listener.bind("\0" + name)
        notify_socket = "@" + name
    else:
        notify_socket = os.path.join(directory, "notify")
        listener.bind(notify_socket)
    port = free_port()
    process = subprocess.Popen(
        [BINARY, "--port", str(port), "--save", "", "--supervised", mode],
        cwd=directory, env=dict(os.environ, NOTIFY_SOCKET=notify_socket),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert receive(listener, 3) == [
            "STATUS=Redis is loading...\n", "STATUS=Ready to accept connections\n", "READY=1\n"]
        assert answers_ping(port)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"SHUTDOWN SAVE\r\n")
            while s.recv(64):
                pass
        assert receive(listener, 2) == ["STOPPING=1\n", "STATUS=Saving the final RDB snapshot\n"]
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
        listener.close()


def test_without_a_supervisor_nothing_is_sent_and_the_server_runs(tmp_path):
    """supervised systemd with no NOTIFY_SOCKET: Redis's warning, and the server serves."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "NOTIFY_SOCKET"}
    process = subprocess.Popen(
        [BINARY, "--port", str(port), "--save", "", "--supervised", "systemd"],
        cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        lines = []
        while not any("Ready to accept connections" in line for line in lines):
            line = process.stdout.readline().decode()
            assert line, "".join(lines)
            lines.append(line)
        assert any("systemd supervision error: NOTIFY_SOCKET not found!" in line for line in lines), "".join(lines)
        assert answers_ping(port)
        shutdown_nosave(port)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_upstart_sees_the_server_stop_itself_at_start(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [BINARY, "--port", str(port), "--save", "", "--supervised", "auto"],
        cwd=tmp_path, env=dict(os.environ, UPSTART_JOB="redstart"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def state():
            with open("/proc/%d/stat" % process.pid) as stat:
                return stat.read().rsplit(")", 1)[1].split()[0]
        wait_until(lambda: state() == "T", "the server to stop itself")
        os.kill(process.pid, signal.SIGCONT)
        wait_until(lambda: answers_ping(port), "the server to answer once continued")
        shutdown_nosave(port)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
