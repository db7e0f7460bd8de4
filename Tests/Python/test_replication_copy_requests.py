"""What a replica may ask of its copy (REPLCONF rdb-only and rdb-filter-only, as
redis-cli --rdb, --functions-rdb and --replica send them): the same replies and the
same copy from Redstart and from redis-server. A filtered copy leaves out the keys
(and the functions unless asked for), is sent over the socket even with
repl-diskless-sync no, and needs the EOF capability; an rdb-only replica is closed
once its copy is sent and never counted as a replica."""
import os
import socket

import pytest

from conftest import BINARY
from test_aof import resp as command
from test_persistence import processes, start, wait_for, workdir  # noqa: F401 (fixtures)
from test_replication import server

LIBRARY = "#!lua name=copylib\nredis.register_function('copyfn', function() return 1 end)"


class FakeReplica:
    """A raw connection that speaks the replica's side of the handshake."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.pending = b""

    def line(self):
        while b"\r\n" not in self.pending:
            chunk = self.sock.recv(65536)
            assert chunk, "connection closed while a line was expected"
            self.pending += chunk
        line, self.pending = self.pending.split(b"\r\n", 1)
        return line

    def ask(self, *args):
        self.sock.sendall(command(*args))
        return self.line()

    def copy(self):
        """SYNC, then the copy's bytes (without the EOF mark of a diskless copy)."""
        self.sock.sendall(b"SYNC\r\n")
        header = self.line()
        while header == b"":  # keepalive newlines before the copy
            header = self.line()
        assert header.startswith(b"$"), header
        if header.startswith(b"$EOF:"):
            mark = header[5:]
            assert len(mark) == 40
            while not self.pending.endswith(mark):
                chunk = self.sock.recv(65536)
                assert chunk, "connection closed before the copy's end mark"
                self.pending += chunk
            payload, self.pending = self.pending[:-40], b""
            return payload
        size = int(header[1:])
        while len(self.pending) < size:
            chunk = self.sock.recv(65536)
            assert chunk, "connection closed within the copy"
            self.pending += chunk
        payload, self.pending = self.pending[:size], self.pending[size:]
        return payload

    def closed_by_server(self):
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def both(processes, workdir, *args):  # noqa: F811
    """A Redstart and a redis-server, each with a key and a library: (kind, process)."""
    servers = [(kind, server(processes, workdir, kind, kind, *args)) for kind in ("redstart", "redis")]
    for _, s in servers:
        r = s.client()
        r.set("a key", "a value")
        r.function_load(LIBRARY)
    return servers


def loaded(processes, workdir, payload, name):  # noqa: F811
    """The copy loaded by a fresh Redstart: its key count and libraries."""
    directory = os.path.join(workdir, name)
    os.makedirs(directory)
    with open(os.path.join(directory, "dump.rdb"), "wb") as f:
        f.write(payload)
    s = start(processes, BINARY, directory, "--save", "")
    r = s.client()
    return r.dbsize(), [entry[1] for entry in r.function_list()]


def test_replconf_copy_options_are_checked_as_redis_checks_them(workdir, processes):  # noqa: F811
    replies = {}
    for _, s in both(processes, workdir):
        replica = FakeReplica(s.port)
        replies[s.port] = [
            replica.ask("REPLCONF", "rdb-only", "2"),
            replica.ask("REPLCONF", "rdb-only", "x"),
            replica.ask("REPLCONF", "rdb-filter-only", "keys"),
            replica.ask("REPLCONF", "rdb-filter-only", 'functions "unbalanced'),
            replica.ask("REPLCONF", "rdb-filter-only", "FUNCTIONS"),
            # A filtered copy needs the EOF capability, which this replica did not announce.
            replica.ask("SYNC"),
        ]
        replica.close()
    redstart, redis_server = replies.values()
    assert redstart == redis_server
    assert redstart[0] == b"-ERR value is out of range, value must between 0 and 1"
    assert redstart[5] == b"-ERR Filtered replica requires EOF capability"


@pytest.mark.parametrize("diskless", ["yes", "no"])
def test_a_functions_only_copy_has_the_libraries_and_no_key(workdir, processes, diskless):  # noqa: F811
    for kind, s in both(processes, workdir, "--repl-diskless-sync", diskless):
        replica = FakeReplica(s.port)
        for option, value in (("capa", "eof"), ("rdb-only", "1"), ("rdb-filter-only", "functions")):
            assert replica.ask("REPLCONF", option, value) == b"+OK"
        payload = replica.copy()
        assert payload.startswith(b"REDIS0010")
        assert loaded(processes, workdir, payload, "loaded-%s-%d" % (diskless, s.port)) == (0, [b"copylib"])
        # rdb-only: closed once the copy is sent, and not left counted as a replica.
        assert replica.closed_by_server()
        r = s.client()
        wait_for(lambda: r.info("replication")["connected_slaves"] == 0, message="the rdb-only replica gone")
        replica.close()
        if kind == "redstart":
            assert "rdb only replica" in s.log_text()


def test_an_empty_filter_leaves_everything_out_and_the_stream_follows(workdir, processes):  # noqa: F811
    # redis-cli --replica's request: the copy is empty, then the commands arrive.
    for _, s in both(processes, workdir):
        replica = FakeReplica(s.port)
        for option, value in (("capa", "eof"), ("rdb-filter-only", "")):
            assert replica.ask("REPLCONF", option, value) == b"+OK"
        payload = replica.copy()
        assert loaded(processes, workdir, payload, "empty-%d" % s.port) == (0, [])
        # The stream starts with the replica's first ACK after a diskless copy.
        replica.sock.sendall(command("REPLCONF", "ACK", "0"))
        s.client().set("after the copy", "1")
        stream = b""
        while b"after the copy" not in stream:
            chunk = replica.sock.recv(65536)
            assert chunk
            stream += chunk
        replica.close()
