"""The latency monitor's events beyond commands, as Redis 7.0 records them: `expire-del`
(deleting an expired key, actively or on access), `eviction-del` (deleting an evicted
key), and the AOF's `aof-write` with `aof-write-alone`, `aof-fsync-always` and
`aof-rename`. A big value makes a deletion slow; strace's fault injection makes the AOF's
write(2), fdatasync(2) and rename(2) slow, so no test waits on a disk's whims."""
import os


import strace_server
from blocking_helpers import wait_until
from conftest import BINARY
from test_persistence import processes, start, workdir  # noqa: F401 (fixtures)


def big_set(client, key, members=200_000, batch=10_000):
    """A set whose members do not fit inline, so freeing it frees each of them (well over
    1 ms). Added in pipelined batches: one script adding them all runs for seconds in a
    debug build on a loaded machine, past redis-py's 5 s socket timeout."""
    pipe = client.pipeline(transaction=False)
    for start in range(0, members, batch):
        pipe.sadd(key, *("a member long enough to live in its own buffer %d" % i
                         for i in range(start, min(members, start + batch))))
    pipe.execute()


def events(client):
    return {entry[0]: entry for entry in client.execute_command("LATENCY", "LATEST")}


def test_expire_del_is_recorded_for_an_expired_key_deleted_on_access(workdir, processes):
    p = start(processes, BINARY, workdir, "--latency-monitor-threshold", "1")
    c = p.client(decode_responses=True)
    big_set(c, "big")
    c.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    c.pexpire("big", 1)
    # EXISTS finds the key past its time and deletes it: the deletion is the event.
    wait_until(lambda: c.exists("big") == 0, "the key to expire")
    assert "expire-del" in events(c)
    assert c.info("stats")["expired_keys"] == 1


def test_expire_del_is_recorded_by_the_active_expiry(workdir, processes):
    p = start(processes, BINARY, workdir, "--latency-monitor-threshold", "1")
    c = p.client(decode_responses=True)
    big_set(c, "big")
    c.pexpire("big", 1)
    wait_until(lambda: c.info("stats")["expired_keys"] == 1, "the active expiry to delete the key")
    assert {"expire-del", "expire-cycle"} <= set(events(c))


def test_eviction_del_is_recorded_for_an_evicted_key(workdir, processes):
    p = start(processes, BINARY, workdir, "--latency-monitor-threshold", "1", "--maxmemory-policy", "volatile-ttl")
    c = p.client(decode_responses=True)
    big_set(c, "big")
    c.expire("big", 1000)  # the only key with a TTL: the one volatile-ttl evicts
    c.config_set("maxmemory", c.info("memory")["used_memory"] - 1024 * 1024)
    c.set("small", "x")
    assert c.exists("big") == 0
    assert c.info("stats")["evicted_keys"] == 1
    assert {"eviction-del", "eviction-cycle"} <= set(events(c))


def test_aof_writes_and_fsyncs_are_recorded(workdir, processes):
    trace = os.path.join(workdir, "aof.trace")
    p = strace_server.traced_server(
        processes, workdir, trace, "fdatasync,rename", "--appendonly", "yes", "--appendfsync", "always",
        "--latency-monitor-threshold", "1",
        strace_options="-e inject=fdatasync:delay_enter=3000 -e inject=rename:delay_enter=3000")
    c = p.client(decode_responses=True)
    c.set("k", "v")
    assert {"aof-fsync-always"} <= set(events(c))
    c.execute_command("BGREWRITEAOF")
    wait_until(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0
               and c.info("persistence")["aof_rewrites"] >= 1, "the rewrite to end")
    assert "aof-rename" in events(c)


def test_aof_write_events_name_what_the_disk_was_doing(workdir, processes):
    trace = os.path.join(workdir, "aof.trace")
    # Every write(2) waits 3 ms (strace cannot single out the AOF's descriptor): the AOF's
    # write is among them.
    p = strace_server.traced_server(
        processes, workdir, trace, "write", "--appendonly", "yes", "--appendfsync", "no",
        "--latency-monitor-threshold", "1", strace_options="-e inject=write:delay_enter=3000")
    c = p.client(decode_responses=True)
    c.set("k", "v")
    wait_until(lambda: "aof-write" in events(c), "an AOF write to be recorded")
    latest = events(c)
    assert "aof-write-alone" in latest
    assert latest["aof-write"][2] >= 3 and latest["aof-write-alone"][2] >= 3
