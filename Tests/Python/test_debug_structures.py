"""DEBUG SDSLEN, LISTPACK and QUICKLIST: Redis's replies and errors, and the structure
written to the server's log (Redis prints it to stdout)."""
import os
import time

import pytest
import redis


@pytest.fixture
def logged(server_factory, tmp_path):
    log = str(tmp_path / "server.log")
    server = server_factory("--enable-debug-command", "yes", "--logfile", log)
    return redis.Redis(port=server.port, decode_responses=True), log


def log_has(log, text, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(log) and text in open(log, errors="replace").read():
            return True
        time.sleep(0.02)
    return False


def test_sdslen(logged):
    r, _ = logged
    r.set("s", "x" * 40)
    r.set("number", 12)
    reply = r.execute_command("DEBUG", "SDSLEN", "s")
    # Unlike Redis (key_zmalloc: 8 here), a key of 23 bytes or less lives inline in its
    # entry: it has no allocation of its own, and SDSLEN says 0.
    assert reply.startswith("key_sds_len:1, key_sds_avail:0, key_zmalloc: 0, ")
    assert ", val_sds_len:40, val_sds_avail:" in reply and ", val_zmalloc: " in reply
    with pytest.raises(redis.ResponseError, match="^Not an sds encoded string.$"):
        r.execute_command("DEBUG", "SDSLEN", "number")
    r.rpush("l", "a")
    with pytest.raises(redis.ResponseError, match="^Not an sds encoded string.$"):
        r.execute_command("DEBUG", "SDSLEN", "l")
    with pytest.raises(redis.ResponseError, match="no such key"):
        r.execute_command("DEBUG", "SDSLEN", "missing")


def test_listpack_and_quicklist(logged):
    r, log = logged
    r.hset("h", mapping={"field-one": "value-one"})
    assert r.execute_command("DEBUG", "LISTPACK", "h") == "Listpack structure printed on stdout"
    assert log_has(log, "value : field-one}") and log_has(log, "value : value-one}")
    r.zadd("z", {"member": 2.5})
    assert r.execute_command("DEBUG", "LISTPACK", "z") == "Listpack structure printed on stdout"
    assert log_has(log, "value : 2.5}")
    r.rpush("l", "first", "second")
    with pytest.raises(redis.ResponseError, match="^Not a listpack encoded object.$"):
        r.execute_command("DEBUG", "LISTPACK", "l")
    assert r.execute_command("DEBUG", "QUICKLIST", "l") == "Quicklist structure printed on stdout"
    assert log_has(log, "{count : 2}")
    assert not log_has(log, "value : second}", timeout=0.2)
    assert r.execute_command("DEBUG", "QUICKLIST", "l", "1") == "Quicklist structure printed on stdout"
    assert log_has(log, "value : second}")
    with pytest.raises(redis.ResponseError, match="^Not a quicklist encoded object.$"):
        r.execute_command("DEBUG", "QUICKLIST", "h")


def help_entries(port):
    """DEBUG HELP as (subcommand line, its description lines) in order."""
    client = redis.Redis(port=port, decode_responses=True)
    lines = client.execute_command("DEBUG", "HELP")[1:]
    client.close()
    entries = []
    for line in lines:
        if line.startswith(" "):
            entries[-1][1].append(line)
        else:
            entries.append((line, []))
    return entries


def test_debug_help_is_redis_s_in_redis_s_order(server_factory):
    """Every subcommand DEBUG HELP names is in redis-server's help with the same text, in
    the same order; the ones Redstart lacks are cluster's or describe Redis's own
    structures (STRUCTSIZE, HTSTATS-KEY, CLIENT-EVICTION's buckets)."""
    from conftest import ReferenceServer
    ours = help_entries(server_factory("--enable-debug-command", "yes").port)
    reference = ReferenceServer("--enable-debug-command", "yes")
    try:
        theirs = help_entries(reference.port)
    finally:
        reference.stop()
    positions = [theirs.index(entry) for entry in ours]  # ValueError: an entry Redis does not have
    assert positions == sorted(positions)
    missing = {entry[0].split()[0] for entry in theirs if entry not in ours}
    assert missing == {"HTSTATS-KEY", "DROP-CLUSTER-PACKET-FILTER", "STRUCTSIZE", "CLIENT-EVICTION", "CLUSTERLINK"}
