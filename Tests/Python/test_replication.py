"""Replication over real processes, with Redis's own protocol on both sides: full copies
(diskless and from disk), the stream, partial resynchronisation after a killed link,
promotion with REPLICAOF NO ONE keeping the history, interop with redis-server in both
directions, expiry through the primary, the refusals of replicas and WAIT /
min-replicas-to-write. Every scenario ends with the replica's dataset compared to the
primary's (DEBUG DIGEST and DEBUG DIGEST-VALUE of every key, computed the same way by
Redstart and Redis).
"""
import os
import signal
import threading
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from conftest import BINARY, REDIS_SERVER
from test_persistence import digests, fill, functions, processes, start, wait_for, workdir  # noqa: F401

BINARIES = {"redstart": BINARY, "redis": REDIS_SERVER}


def server(processes, workdir, name, kind="redstart", *args):
    directory = os.path.join(workdir, name)
    os.makedirs(directory)
    return start(processes, BINARIES[kind], directory, "--save", "", "--repl-diskless-sync-delay", "0", *args)


def replication(r):
    return r.info("replication")


def online_replicas(r):
    return [v for k, v in replication(r).items() if k.startswith("slave") and isinstance(v, dict) and v.get("state") == "online"]


def wait_synced(primary, replica):
    """The link is up and the replica applied every byte the primary wrote."""
    def caught_up():
        theirs = replication(replica)
        return theirs["master_link_status"] == "up" and theirs["slave_repl_offset"] == replication(primary)["master_repl_offset"]
    wait_for(caught_up, message="the replica to catch up")


def assert_same_data(primary, replica):
    wait_synced(primary, replica)
    assert digests(replica) == digests(primary)
    assert functions(replica) == functions(primary)


def follow(replica, primary_process):
    replica.replicaof("127.0.0.1", primary_process.port)


def log_text(process):
    return process.log_text()


@pytest.mark.parametrize("diskless", ["yes", "no"])
def test_full_copy_then_stream(workdir, processes, diskless):
    p = server(processes, workdir, "primary", "redstart", "--repl-diskless-sync", diskless)
    s = server(processes, workdir, "replica")
    primary, replica = p.client(), s.client()
    fill(primary)
    follow(replica, p)
    assert_same_data(primary, replica)
    assert "Synchronization with replica" in log_text(p)
    assert "MASTER <-> REPLICA sync: Finished with success" in log_text(s)
    assert primary.info("stats")["sync_full"] == 1
    # The stream: single writes, a transaction, a script, expiry times, other databases.
    primary.set("after", "copy")
    with primary.pipeline(transaction=True) as t:
        t.incr("counter").lpush("list-small", "pushed").hset("hash-small", "new", "field")
        t.execute()
    primary.eval("redis.call('set', KEYS[1], ARGV[1]); return redis.call('incrbyfloat', KEYS[2], '1.5')", 2, "s", "f", "v")
    primary.expire("raw", 1000)
    primary.execute_command("SELECT", 5)
    primary.set("in-db-5", "x")
    primary.execute_command("SELECT", 0)
    primary.spop("set-strings", 3)
    assert_same_data(primary, replica)
    role = replica.execute_command("ROLE")
    assert role[0] == b"slave" and role[2] == p.port and role[3] == b"connected"
    role = primary.execute_command("ROLE")
    assert role[0] == b"master" and len(role[2]) == 1 and role[2][0][1] == str(s.port).encode()


INTEROP = [("redstart", "redis"), ("redis", "redstart")]


@pytest.mark.skipif(REDIS_SERVER is None, reason="needs redis-server")
@pytest.mark.parametrize("primary_kind,replica_kind", INTEROP, ids=["redis-follows-redstart", "redstart-follows-redis"])
def test_interop_full_and_partial(workdir, processes, primary_kind, replica_kind):
    p = server(processes, workdir, "primary", primary_kind)
    s = server(processes, workdir, "replica", replica_kind)
    primary, replica = p.client(), s.client()
    fill(primary, seed=11)
    follow(replica, p)
    assert_same_data(primary, replica)
    assert primary.info("stats")["sync_full"] == 1
    # Kill the link from the replica's side; writes continue meanwhile.
    replica.client_kill_filter(_type="master")
    for i in range(200):
        primary.set("during-%d" % i, i)
    primary.rpush("list-big", *range(100))
    assert_same_data(primary, replica)
    stats = primary.info("stats")
    assert stats["sync_partial_ok"] == 1 and stats["sync_full"] == 1
    # A restarted replica process (no history) gets a full copy again.
    primary.xadd("stream", {"after": "kill"})
    assert_same_data(primary, replica)


@pytest.mark.parametrize("other_kind", ["redstart", "redis"])
def test_promotion_keeps_history(workdir, processes, other_kind):
    if other_kind == "redis" and REDIS_SERVER is None:
        pytest.skip("needs redis-server")
    p = server(processes, workdir, "primary")
    a = server(processes, workdir, "a")
    b = server(processes, workdir, "b", other_kind)
    primary, first, second = p.client(), a.client(), b.client()
    fill(primary, seed=5)
    follow(first, p)
    follow(second, p)
    assert_same_data(primary, first)
    assert_same_data(primary, second)
    old_id = replication(primary)["master_replid"]
    # Failover by hand: the first replica becomes the primary, the others follow it.
    first.replicaof("no", "one")
    info = replication(first)
    assert info["role"] == "master" and info["master_replid2"] == old_id
    assert info["second_repl_offset"] == info["master_repl_offset"] + 1
    follow(second, a)
    follow(primary, a)
    first.set("written", "on the new primary")
    assert_same_data(first, second)
    assert_same_data(first, primary)
    stats = first.info("stats")
    assert stats["sync_full"] == 0 and stats["sync_partial_ok"] == 2


def test_expiry_comes_from_the_primary(workdir, processes):
    p = server(processes, workdir, "primary")
    s = server(processes, workdir, "replica")
    primary, replica = p.client(), s.client()
    follow(replica, p)
    wait_for(lambda: online_replicas(primary), message="the replica")
    primary.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    primary.set("short", "lived", px=50)
    wait_synced(primary, replica)
    # Logically expired on the replica: reads miss, but the key stays until the primary's DEL.
    wait_for(lambda: replica.get("short") is None, message="the key to expire")
    assert replica.dbsize() == 1
    assert primary.get("short") is None  # the primary's lookup expires it and sends DEL
    wait_for(lambda: replica.dbsize() == 0, message="the DEL")
    assert_same_data(primary, replica)


def test_replica_refusals(workdir, processes):
    p = server(processes, workdir, "primary")
    s = server(processes, workdir, "replica")
    primary, replica = p.client(), s.client()
    follow(replica, p)
    wait_synced(primary, replica)
    with pytest.raises(redis.exceptions.ReadOnlyError, match="You can't write against a read only replica."):
        replica.set("x", 1)
    with pytest.raises(redis.exceptions.ReadOnlyError, match="You can't write against a read only replica. script:"):
        replica.eval("return redis.call('set', 'x', 1)", 0)
    with pytest.raises(redis.exceptions.ResponseError, match="WAIT cannot be used with replica instances"):
        replica.execute_command("WAIT", 1, 0)
    replica.config_set("replica-read-only", "no")
    assert replica.set("local", 1)
    replica.config_set("replica-read-only", "yes")
    # A primary that is gone: with replica-serve-stale-data no only stale-flagged commands run.
    replica.config_set("replica-serve-stale-data", "no")
    p.kill()
    wait_for(lambda: replication(replica)["master_link_status"] == "down", message="the link to drop")
    with pytest.raises(redis.exceptions.MasterDownError, match="Link with MASTER is down and replica-serve-stale-data is set to 'no'."):
        replica.get("x")
    assert replica.info("replication")["role"] == "slave"
    replica.config_set("replica-serve-stale-data", "yes")
    assert replica.get("local") == b"1"


def test_wait_and_min_replicas(workdir, processes):
    p = server(processes, workdir, "primary")
    s = server(processes, workdir, "replica")
    primary, replica = p.client(), s.client()
    follow(replica, p)
    wait_for(lambda: online_replicas(primary), message="the replica")
    primary.set("k", "v")
    assert primary.execute_command("WAIT", 1, 5000) == 1
    started = time.monotonic()
    assert primary.execute_command("WAIT", 2, 200) == 1
    assert time.monotonic() - started >= 0.19
    primary.config_set("min-replicas-max-lag", 10)
    primary.config_set("min-replicas-to-write", 2)
    with pytest.raises(redis.exceptions.ResponseError, match="NOREPLICAS Not enough good replicas to write."):
        primary.set("k", "v")
    assert primary.get("k") == b"v"
    primary.config_set("min-replicas-to-write", 1)
    assert primary.set("k", "w")
    # A replica that stops acknowledging (SIGSTOP) stops counting after min-replicas-max-lag.
    primary.config_set("min-replicas-max-lag", 2)
    os.kill(s.process.pid, signal.SIGSTOP)
    try:
        wait_for(lambda: _refused(primary), timeout=20, message="writes to be refused")
    finally:
        os.kill(s.process.pid, signal.SIGCONT)
    wait_for(lambda: not _refused(primary), timeout=20, message="writes to be accepted again")
    assert_same_data(primary, replica)


def _refused(r):
    try:
        r.set("probe", 1)
        return False
    except redis.exceptions.ResponseError as error:
        return "NOREPLICAS" in str(error)


def test_replica_of_a_replica_passes_the_stream_on(workdir, processes):
    p = server(processes, workdir, "primary")
    a = server(processes, workdir, "middle")
    b = server(processes, workdir, "leaf")
    primary, middle, leaf = p.client(), a.client(), b.client()
    fill(primary, seed=3)
    follow(middle, p)
    assert_same_data(primary, middle)
    follow(leaf, a)
    primary.set("through", "the chain")
    primary.lpush("list-small", "chained")
    assert_same_data(primary, middle)
    assert_same_data(middle, leaf)
    # Offsets agree along the chain: the middle passes the primary's bytes on unchanged.
    assert replication(leaf)["master_replid"] == replication(primary)["master_replid"]
    assert replication(leaf)["slave_repl_offset"] == replication(primary)["master_repl_offset"]


@pytest.mark.parametrize("replica_kind", ["redstart", "redis"])
def test_failover_command_hands_over_without_a_copy(workdir, processes, replica_kind):
    if replica_kind == "redis" and REDIS_SERVER is None:
        pytest.skip("needs redis-server")
    p = server(processes, workdir, "primary")
    s = server(processes, workdir, "replica", replica_kind)
    primary, replica = p.client(), s.client()
    fill(primary, seed=9)
    follow(replica, p)
    assert_same_data(primary, replica)
    with pytest.raises(redis.exceptions.ResponseError, match="FAILOVER target HOST and PORT is not a replica."):
        primary.execute_command("FAILOVER", "TO", "127.0.0.1", 1)
    with pytest.raises(redis.exceptions.ResponseError, match="No failover in progress."):
        primary.execute_command("FAILOVER", "ABORT")
    full_before = replica.info("stats")["sync_full"]
    assert primary.execute_command("FAILOVER", "TO", "127.0.0.1", s.port, "TIMEOUT", 10000) == b"OK"
    wait_for(lambda: replication(replica)["role"] == "master" and replication(primary)["role"] == "slave"
             and replication(primary)["master_link_status"] == "up", message="the roles to swap")
    assert replication(primary)["master_failover_state"] == "no-failover"
    # The old primary continued from the new one: a partial resync, no copy.
    stats = replica.info("stats")
    assert stats["sync_partial_ok"] == 1 and stats["sync_full"] == full_before
    replica.set("after", "failover")
    assert_same_data(replica, primary)
    with pytest.raises(redis.exceptions.ReadOnlyError):
        primary.set("x", 1)


def test_link_faults_heal_with_partial_resync(workdir, processes):
    # repl-timeout 2 s: PINGs every second keep a healthy link alive.
    p = server(processes, workdir, "primary", "redstart", "--repl-timeout", "2", "--repl-ping-replica-period", "1")
    s = server(processes, workdir, "replica", "redstart", "--repl-timeout", "2")
    primary, replica = p.client(), s.client()
    fill(primary, seed=21)
    follow(replica, p)
    assert_same_data(primary, replica)
    # The primary drops its replica's connection.
    primary.client_kill_filter(_type="replica")
    primary.set("after-kill", 1)
    assert_same_data(primary, replica)
    # The replica sleeps inside a command: the stream waits for it, nothing is lost.
    replica.execute_command("DEBUG", "SLEEP", "0.5")
    primary.incr("after-sleep")
    assert_same_data(primary, replica)
    # Stopped for longer than repl-timeout: the primary gives up on it; once it runs again
    # it finds its link dead and continues from the backlog.
    os.kill(s.process.pid, signal.SIGSTOP)
    try:
        wait_for(lambda: not online_replicas(primary), timeout=30, message="the primary to drop the stopped replica")
        for i in range(100):
            primary.rpush("while-stopped", i)
    finally:
        os.kill(s.process.pid, signal.SIGCONT)
    assert_same_data(primary, replica)
    stats = primary.info("stats")
    assert stats["sync_full"] == 1 and stats["sync_partial_ok"] == 2


def test_diskless_load_keeps_the_old_dataset_until_the_copy_is_whole(workdir, processes):
    """repl-diskless-load swapdb: the copy is received in memory; with the same history the
    replica serves its old dataset meanwhile (async_loading), and a copy cut short leaves it."""
    p = server(processes, workdir, "primary")
    s = server(processes, workdir, "replica", "redstart", "--repl-diskless-load", "swapdb", "--replica-read-only", "no")
    primary, replica = p.client(), s.client()
    follow(replica, p)
    wait_synced(primary, replica)
    primary.execute_command("DEBUG", "POPULATE", 200, "primary", 1000)
    replica.set("only-here", "old")
    wait_synced(primary, replica)
    # Make the next copy slow, then force it (the backlog cannot cover the gap).
    primary.config_set("rdb-key-save-delay", 20000)
    with primary.pipeline(transaction=True) as t:
        t.execute_command("CLIENT", "KILL", "TYPE", "replica")
        t.config_set("repl-backlog-size", 16384)
        for i in range(10):
            t.set("filler-%d" % i, "A" * 16384)
        t.execute()
    wait_for(lambda: replica.info("persistence")["async_loading"] == 1, message="async loading")
    assert replica.info("persistence")["loading"] == 0
    assert replica.get("only-here") == b"old"
    # (a client of its own: redis-py retries -LOADING by default)
    no_retry = redis.Redis(port=s.port, retry=Retry(NoBackoff(), 0))
    with pytest.raises(redis.exceptions.BusyLoadingError):
        no_retry.config_set("appendonly", "no")
    primary.config_set("repl-diskless-sync-delay", 5)
    primary.client_kill_filter(_type="replica")
    wait_for(lambda: replica.info("persistence")["async_loading"] == 0, message="the copy to be abandoned")
    assert replica.get("only-here") == b"old"
    assert "Internal error in RDB" in s.log_text()
    # Then a copy that completes replaces the dataset.
    primary.config_set("rdb-key-save-delay", 0)
    primary.config_set("repl-diskless-sync-delay", 0)
    assert_same_data(primary, replica)
    assert replica.get("only-here") is None


@pytest.mark.parametrize("primary_kind", ["redstart", "redis"])
def test_replica_authenticates_with_masterauth_and_masteruser(workdir, processes, primary_kind):
    if primary_kind == "redis" and REDIS_SERVER is None:
        pytest.skip("needs redis-server")
    p = server(processes, workdir, "primary", primary_kind)
    p.client().config_set("requirepass", "secret")
    primary = p.client(password="secret")
    primary.execute_command("ACL", "SETUSER", "replicator", "on", ">repl-pass", "+psync", "+replconf", "+ping", "+sync")
    primary.set("k", "v")
    # A wrong password: the link does not come up, the log says why.
    s = server(processes, workdir, "replica", "redstart", "--masterauth", "wrong")
    replica = s.client()
    follow(replica, p)
    wait_for(lambda: "Unable to AUTH to MASTER" in s.log_text(), message="the refused AUTH")
    assert replication(replica)["master_link_status"] == "down"
    # The default user's password, then an ACL user with only what replication needs.
    replica.config_set("masterauth", "secret")
    wait_for(lambda: replication(replica)["master_link_status"] == "up", message="the link with masterauth")
    assert replica.get("k") == b"v"
    replica.config_set("masteruser", "replicator")
    replica.config_set("masterauth", "repl-pass")
    replica.client_kill_filter(_type="master")
    primary.set("k", "w")
    wait_for(lambda: replication(replica)["master_link_status"] == "up" and replica.get("k") == b"w",
             message="the link as the ACL user")


@pytest.mark.parametrize("kind", ["redstart", "redis"])
def test_wait_and_blocked_pops_are_unblocked_when_the_primary_becomes_a_replica(workdir, processes, kind):
    if kind == "redis" and REDIS_SERVER is None:
        pytest.skip("needs redis-server")
    p = server(processes, workdir, "primary", kind)
    s = server(processes, workdir, "replica", kind)
    primary = p.client()
    follow(s.client(), p)
    wait_synced(primary, s.client())
    primary.set("k", "v")
    results = {}

    def call(name, *command):
        try:
            results[name] = p.client(retry=Retry(NoBackoff(), 0)).execute_command(*command)
        except redis.ResponseError as error:
            results[name] = str(error)
    threads = [threading.Thread(target=call, args=("wait", "WAIT", 5, 0)),
               threading.Thread(target=call, args=("blpop", "BLPOP", "nothing", 0))]
    for thread in threads:
        thread.start()
    wait_for(lambda: primary.info("clients")["blocked_clients"] >= 1 and len(results) == 0 and
             len([c for c in primary.client_list() if c["cmd"] in ("wait", "blpop")]) == 2, message="both to block")
    primary.replicaof("127.0.0.1", s.port)
    for thread in threads:
        thread.join(timeout=30)
    refusal = "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)"
    assert results == {"wait": refusal, "blpop": refusal}


@pytest.mark.parametrize("kind", ["redstart", "redis"])
def test_client_unblock_ends_a_wait(workdir, processes, kind):
    if kind == "redis" and REDIS_SERVER is None:
        pytest.skip("needs redis-server")
    p = server(processes, workdir, "primary", kind)
    s = server(processes, workdir, "replica", kind)
    primary = p.client()
    follow(s.client(), p)
    wait_synced(primary, s.client())
    primary.set("k", "v")
    wait_synced(primary, s.client())
    for mode, expected in (("TIMEOUT", 1), ("ERROR", "UNBLOCKED client unblocked via CLIENT UNBLOCK")):
        waiter = p.client(retry=Retry(NoBackoff(), 0))
        waiter_id = waiter.client_id()
        result = []

        def wait():
            try:
                result.append(waiter.execute_command("WAIT", 5, 0))
            except redis.ResponseError as error:
                result.append(str(error))
        thread = threading.Thread(target=wait)
        thread.start()
        wait_for(lambda: any(c["id"] == str(waiter_id) and c["cmd"] == "wait" for c in primary.client_list())
                 and primary.info("clients")["blocked_clients"] == 1, message="the WAIT to block")
        assert primary.client_unblock(waiter_id, error=(mode == "ERROR")) == 1
        thread.join(timeout=30)
        assert result == [expected]
    assert primary.client_unblock(waiter_id) == 0


def test_approximate_stream_trims_with_limit_reach_the_replica_exactly(workdir, processes):
    # Propagated as `MAXLEN = <length left> LIMIT n`: a replica applies it whole (it must
    # not refuse LIMIT without ~, nor trim differently with its own node size).
    p = server(processes, workdir, "primary", "redstart", "--stream-node-max-entries", "10")
    s = server(processes, workdir, "replica", "redstart", "--stream-node-max-entries", "1")
    primary, replica = p.client(), s.client()
    follow(replica, p)
    wait_synced(primary, replica)
    for j in range(1, 101):
        primary.xadd("s", {"f": "v"}, id="%d-1" % j)
    primary.execute_command("XADD", "s", "MAXLEN", "~", "55", "LIMIT", "30", "*", "f", "v")
    primary.execute_command("XTRIM", "s", "MINID", "~", "70-0", "LIMIT", "20")
    wait_synced(primary, replica)
    assert replica.xlen("s") == primary.xlen("s") < 101
    assert replica.xrange("s") == primary.xrange("s")
    assert replica.info("stats")["unexpected_error_replies"] == 0


@pytest.mark.parametrize("made_ready_by", ["swapdb", "exec"])
def test_a_key_found_expired_when_serving_blocked_clients_is_deleted_and_propagated(workdir, processes, made_ready_by):
    # Redis's suite: "SWAPDB wants to wake blocked client, but the key already expired" and
    # "MULTI + LPUSH + EXPIRE + DEBUG SLEEP on blocked client, key already expired": the
    # waiter stays blocked, the key is removed when serving looks at it, and its DEL reaches
    # the replica (which never expires keys itself).
    p = server(processes, workdir, "primary")
    s = server(processes, workdir, "replica")
    primary, replica = p.client(), s.client()
    follow(replica, p)
    wait_synced(primary, replica)
    primary.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    waiter = redis.Redis(port=p.port, db=9)
    waiter_id = waiter.client_id()
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(waiter.brpop("k", 0)))
    thread.start()
    wait_for(lambda: primary.info("clients")["blocked_clients"] == 1, message="the waiter to block")
    if made_ready_by == "swapdb":
        source = redis.Redis(port=p.port, db=1)
        source.rpush("k", "hello")
        source.pexpire("k", 100)
        time.sleep(0.2)  # past the key's time; nothing reads it meanwhile (active expiry off)
        primary.swapdb(1, 9)
    else:
        transaction = redis.Redis(port=p.port, db=9).pipeline(transaction=True)
        transaction.rpush("k", "hello").pexpire("k", 100).execute_command("DEBUG", "SLEEP", "0.2")
        transaction.execute()
    assert primary.info("clients")["blocked_clients"] == 1
    assert primary.info("stats")["expired_keys"] == 1
    assert "db9" not in primary.info("keyspace")
    wait_synced(primary, replica)
    assert "db9" not in replica.info("keyspace") and "db1" not in replica.info("keyspace")
    primary.client_unblock(waiter_id)
    thread.join(timeout=30)
    assert outcome == [None]
    primary.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


@pytest.mark.parametrize("kind", ["redstart", "redis"])
def test_exec_of_commands_queued_before_the_replica_went_stale_is_refused(workdir, processes, kind):
    # EXEC may run on a stale replica (replica-serve-stale-data no) only when every queued
    # command may: GET and PING queued before the server became a replica without a link
    # make EXEC answer EXECABORT ... MASTERDOWN (Redis's suite, unit/multi).
    s = server(processes, workdir, kind, kind, "--replica-serve-stale-data", "no")
    r, other = s.client(), s.client()
    r.set("xx", "1")
    connection = r.connection_pool.get_connection("MULTI")
    for queued in (("GET", "xx"), ("PING",)):
        connection.send_command("MULTI")
        assert connection.read_response() == b"OK"
        connection.send_command(*queued)
        assert connection.read_response() == b"QUEUED"
        # The role changes under the queued command (no such host: the link stays down).
        other.replicaof("localhsot", 0)
        connection.send_command("EXEC")
        with pytest.raises(redis.ResponseError) as refusal:
            connection.read_response()
        assert str(refusal.value).startswith("Transaction discarded because of: MASTERDOWN")
        other.replicaof("no", "one")
    r.connection_pool.release(connection)
    # Not stale any more: the queued GET runs.
    transaction = r.pipeline(transaction=True)
    transaction.get("xx")
    assert transaction.execute() == [b"1"]


def test_publish_reaches_the_replicas_subscribers_but_not_the_aof(workdir, processes):
    # Redis propagates PUBLISH and SPUBLISH to replicas only (forceCommandPropagation with
    # PROPAGATE_REPL): a replica's subscribers get what was published on the primary; the
    # AOF, which replays data, does not keep them. Alone in a MULTI it goes unwrapped.
    p = server(processes, workdir, "primary", "redstart", "--appendonly", "yes")
    s = server(processes, workdir, "replica")
    primary, replica = p.client(), s.client()
    follow(replica, p)
    wait_synced(primary, replica)
    subscriber = replica.pubsub()
    subscriber.subscribe("news")
    subscriber.execute_command("SSUBSCRIBE", "shard-news")
    for _ in range(2):
        assert subscriber.get_message(timeout=10)["type"] in ("subscribe", "ssubscribe")
    primary.publish("news", "one")
    transaction = primary.pipeline(transaction=True)
    transaction.publish("news", "two")
    transaction.execute()
    primary.execute_command("SPUBLISH", "shard-news", "three")
    received = []
    while len(received) < 3:
        message = subscriber.get_message(timeout=10)
        assert message is not None, received
        received.append((message["channel"], message["data"]))
    assert received == [(b"news", b"one"), (b"news", b"two"), (b"shard-news", b"three")]
    subscriber.close()
    directory = os.path.join(workdir, "primary", "appendonlydir")
    logged = b"".join(open(os.path.join(directory, name), "rb").read() for name in os.listdir(directory))
    assert b"news" not in logged.lower() and b"publish" not in logged.lower()
