"""supervised systemd|auto, as Redis under systemd's Type=notify (Debian's
redis-server.service runs it with --supervised systemd): datagrams to $NOTIFY_SOCKET say
the dataset is loading, then ready (READY=1) once clients are served, and STOPPING=1 at
shutdown. A path starting with "@" is in Linux's abstract namespace."""
import os
import socket
import subprocess
import tempfile

import pytest

from conftest import BINARY, answers_ping, free_port, shutdown_nosave


def receive(listener, count):
    messages = []
    while len(messages) < count:
        messages.append(listener.recv(4096).decode())
    return messages


@pytest.mark.parametrize("mode, abstract", [("systemd", False), ("auto", True)])
def test_systemd_is_told_loading_ready_and_stopping(mode, abstract):
    directory = tempfile.mkdtemp(prefix="redstart-notify-")
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
        shutdown_nosave(port)
        assert receive(listener, 1) == ["STOPPING=1\n"]
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
        listener.close()


def test_without_a_supervisor_nothing_is_sent_and_the_server_runs():
    """supervised systemd with no NOTIFY_SOCKET: Redis's warning, and the server serves."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "NOTIFY_SOCKET"}
    process = subprocess.Popen(
        [BINARY, "--port", str(port), "--save", "", "--supervised", "systemd"],
        cwd=tempfile.mkdtemp(prefix="redstart-notify-"), env=env,
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
