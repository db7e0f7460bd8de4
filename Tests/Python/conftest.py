"""pytest fixtures: a real redstart-server binary on a free port, and a real
redis-server (the reference) for differential tests.

The binary is .build/debug/redstart-server unless REDSTART_SERVER names another; the
reference is redis-server from PATH unless REDIS_SERVER names another.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "serial: bounds on latency or timing; Scripts/test.sh runs these alone, after the "
        "others have run in parallel")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("REDSTART_SERVER", os.path.join(ROOT, ".build", "debug", "redstart-server"))
REDIS_SERVER = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers_ping(port, replies=(b"+PONG",)):
    """Whether a server on `port` answers PING with one of `replies` (a new connection)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(replies)
    except OSError:
        return False


def shutdown_nosave(port):
    """SHUTDOWN NOSAVE on a raw connection, returning once the server has closed it
    (redis-py would retry the closed connection with backoff)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"SHUTDOWN NOSAVE\r\n")
        while s.recv(64):
            pass


class Server:
    def __init__(self, *args):
        self.port = free_port()
        # The server's working directory, removed when it stops (a run starts ~640 servers).
        self.directory = tempfile.mkdtemp(prefix="redstart-server-")
        self.process = subprocess.Popen(
            [BINARY, "--port", str(self.port), "--save", "", "--appendonly", "no", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=self.directory)
        # The log is read as it comes: a server whose log filled the pipe (64 KB) would
        # block in its next write(2) and stop answering.
        self._log = []
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited: %s" % self.output())
            if answers_ping(self.port, (b"+PONG", b"-NOAUTH")):
                return
            time.sleep(0.005)
        raise RuntimeError("server did not start")

    def _read_log(self):
        for chunk in iter(lambda: self.process.stdout.read1(65536), b""):
            self._log.append(chunk)

    def output(self):
        """What the server logged (all of it once the server has exited)."""
        if self.process.poll() is not None:
            self._reader.join(timeout=10)
        return b"".join(self._log).decode(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture(params=[2, 3])
def client(request, server):
    """A redis-py client of `server`, once over RESP2 and once over RESP3."""
    import redis
    c = redis.Redis(port=server.port, protocol=request.param, decode_responses=True)
    yield c
    c.close()


@pytest.fixture
def server_factory():
    started = []

    def start(*args):
        s = Server(*args)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


class ReferenceServer:
    """A real redis-server on a free port, no persistence; stopped with SIGKILL."""

    def __init__(self, *args):
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="redis-server-")
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.directory)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("redis-server exited with %s" % self.process.returncode)
            if answers_ping(self.port):
                return
            time.sleep(0.005)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def redis_server():
    if REDIS_SERVER is None:
        pytest.skip("redis-server not found (set REDIS_SERVER)")
    s = ReferenceServer()
    yield s
    s.stop()
