"""Client-side caching (CLIENT TRACKING): each scenario runs on Redstart and on a real
redis-server, with the same clients doing the same things, and every reply and every
invalidation message each client reads must be the same on both.

A scenario is a list of steps (client name, command); a step whose command is None
reads the next message that client has pending (an invalidation push, or a Pub/Sub
message of __redis__:invalidate for a redirection client). Client IDs differ between the
servers, so REDIRECT takes the ID of a named client on each.
"""
import pytest

from conftest import REDIS_SERVER, ReferenceServer
from test_differential import RespClient


@pytest.fixture
def reference():
    """A real redis-server that allows DEBUG."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server not found (set REDIS_SERVER)")
    s = ReferenceServer("--enable-debug-command", "yes")
    yield s
    s.stop()


def run(port, clients, steps):
    conns = {name: RespClient(port) for name in clients}
    ids = {name: conns[name].call(b"CLIENT", b"ID")[1] for name in clients}
    out = []
    try:
        for name, command in steps:
            conn = conns[name]
            if command is None:
                out.append((name, "read", conn.read()))
                continue
            args = [ids[a[1:]] if isinstance(a, str) and a.startswith("@") else a for a in command]
            args = [b"%d" % a if isinstance(a, int) else a for a in args]
            reply = conn.call(*args)
            if command[:2] == [b"CLIENT", b"ID"] or command[:1] == [b"HELLO"]:
                reply = reply[0]  # differs between the servers
            if command[:2] == [b"CLIENT", b"GETREDIR"]:
                named = [client for client, id in ids.items() if id == reply[1]]
                reply = ("client", named[0]) if named else reply
            out.append((name, command, reply))
    finally:
        for conn in conns.values():
            conn.close()
    return out


SCENARIOS = {
    "resp3 invalidation after a read": (["r", "w"], [
        ("r", [b"HELLO", b"3"]),
        ("r", [b"CLIENT", b"TRACKING", b"ON"]),
        ("w", [b"SET", b"k", b"1"]),
        ("r", [b"GET", b"k"]),
        ("w", [b"SET", b"k", b"2"]),
        ("r", None),
        ("w", [b"SET", b"k", b"3"]),  # no longer tracked: nothing more
        ("r", [b"PING"]),
    ]),
    "own write arrives after the reply, not inside it": (["r"], [
        ("r", [b"HELLO", b"3"]),
        ("r", [b"CLIENT", b"TRACKING", b"ON"]),
        ("r", [b"MSET", b"a", b"1", b"b", b"2"]),
        ("r", [b"MGET", b"a", b"b"]),
        ("r", [b"MULTI"]),
        ("r", [b"INCR", b"a"]),
        ("r", [b"GET", b"b"]),
        ("r", [b"EXEC"]),
        ("r", None),
        ("r", [b"DEL", b"b"]),
        ("r", None),
    ]),
    "resp2 redirection to a subscribed client": (["r", "sub", "w"], [
        ("sub", [b"SUBSCRIBE", b"__redis__:invalidate"]),
        ("r", [b"CLIENT", b"TRACKING", b"ON", b"REDIRECT", "@sub"]),
        ("r", [b"GET", b"x"]),
        ("w", [b"SET", b"x", b"1"]),
        ("sub", None),
        ("r", [b"CLIENT", b"GETREDIR"]),
        ("w", [b"FLUSHALL"]),
        ("sub", None),
    ]),
    "noloop skips the client's own changes": (["r", "sub", "w"], [
        ("sub", [b"SUBSCRIBE", b"__redis__:invalidate"]),
        ("r", [b"CLIENT", b"TRACKING", b"ON", b"REDIRECT", "@sub", b"NOLOOP"]),
        ("r", [b"MGET", b"own", b"other"]),
        ("r", [b"SET", b"own", b"1"]),
        ("w", [b"SET", b"other", b"1"]),
        ("sub", None),
    ]),
    "optin needs CLIENT CACHING yes": (["r", "w"], [
        ("r", [b"HELLO", b"3"]),
        ("r", [b"CLIENT", b"TRACKING", b"ON", b"OPTIN"]),
        ("r", [b"GET", b"untracked"]),
        ("r", [b"CLIENT", b"CACHING", b"YES"]),
        ("r", [b"GET", b"tracked"]),
        ("w", [b"MSET", b"untracked", b"1", b"tracked", b"1"]),
        ("r", None),
        ("r", [b"CLIENT", b"CACHING", b"NO"]),
        ("r", [b"CLIENT", b"TRACKINGINFO"]),
    ]),
    "broadcast with prefixes": (["r", "w"], [
        ("r", [b"HELLO", b"3"]),
        ("r", [b"CLIENT", b"TRACKING", b"ON", b"BCAST", b"PREFIX", b"user:", b"PREFIX", b"job:"]),
        ("w", [b"MSET", b"user:2", b"x", b"user:1", b"y", b"other", b"z"]),
        ("r", None),
        ("w", [b"SET", b"job:9", b"1"]),
        ("r", None),
        ("r", [b"CLIENT", b"TRACKING", b"ON", b"BCAST", b"PREFIX", b"user"]),
        ("r", [b"CLIENT", b"TRACKING", b"ON", b"OPTIN"]),
        ("r", [b"CLIENT", b"TRACKINGINFO"]),
    ]),
    "errors": (["r"], [
        ("r", [b"CLIENT", b"TRACKING", b"ON", b"PREFIX", b"a"]),
        ("r", [b"CLIENT", b"TRACKING", b"ON", b"REDIRECT", b"999999"]),
        ("r", [b"CLIENT", b"TRACKING", b"ON", b"OPTIN", b"OPTOUT"]),
        ("r", [b"CLIENT", b"TRACKING", b"ON", b"BCAST", b"OPTIN"]),
        ("r", [b"CLIENT", b"TRACKING", b"MAYBE"]),
        ("r", [b"CLIENT", b"CACHING", b"YES"]),
        ("r", [b"CLIENT", b"TRACKING", b"ON", b"BCAST", b"PREFIX", b"ab", b"PREFIX", b"abc"]),
        ("r", [b"CLIENT", b"GETREDIR"]),
    ]),
    "expired keys are invalidated": (["r", "w"], [
        ("r", [b"HELLO", b"3"]),
        ("w", [b"DEBUG", b"SET-ACTIVE-EXPIRE", b"0"]),
        ("w", [b"SET", b"e", b"1", b"PX", b"100"]),
        ("r", [b"CLIENT", b"TRACKING", b"ON"]),
        ("r", [b"MGET", b"k0", b"e"]),
        ("w", [b"DEBUG", b"SLEEP", b"0.2"]),
        ("r", [b"MGET", b"k0", b"e"]),  # e expires as it is read: the invalidation follows
        ("r", None),
        ("w", [b"DEBUG", b"SET-ACTIVE-EXPIRE", b"1"]),
    ]),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_tracking_matches_redis(server_factory, reference, name):
    clients, steps = SCENARIOS[name]
    server = server_factory("--enable-debug-command", "yes")
    assert run(server.port, clients, steps) == run(reference.port, clients, steps)


def test_tracking_table_limit_invalidates_keys(server):
    r, w = RespClient(server.port), RespClient(server.port)
    try:
        r.call(b"HELLO", b"3")
        r.call(b"CLIENT", b"TRACKING", b"ON")
        for i in range(50):
            r.call(b"GET", b"key%d" % i)
        info = w.call(b"INFO", b"stats")[1]
        assert b"tracking_total_keys:50" in info
        w.call(b"CONFIG", b"SET", b"tracking-table-max-keys", b"10")
        # The next command of any client brings the table down to the limit; the keys
        # dropped are invalidated for the reader, before its reply.
        w.call(b"PING")
        info = w.call(b"INFO", b"stats")[1]
        assert b"tracking_total_keys:10" in info
        invalidated = []
        for _ in range(40):
            push = r.read()
            assert push[0] == ">" and push[1][0] == ("$", b"invalidate")
            invalidated += [key for _, key in push[1][1][1]]
        assert len(set(invalidated)) == 40
    finally:
        r.close()
        w.close()
