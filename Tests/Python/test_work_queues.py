"""Lists as work queues through redis-py over real sockets: many producers and
blocking consumers sharing a queue (every job consumed exactly once), FIFO serving
of clients blocked on the same key, a blocked client on several keys, the reliable
queue (BLMOVE into `processing`, LREM to acknowledge) surviving a SIGKILLed
consumer process, reapers racing acknowledgements, blocked clients that disconnect
or are released by CLIENT UNBLOCK, blocking pops inside MULTI, and timeouts.

Nothing waits on a bare sleep: the tests poll a condition (usually INFO clients
blocked_clients) until a deadline."""
import collections
import os
import random
import socket
import subprocess
import sys
import threading
import time

import pytest
import redis
from blocking_helpers import Background, blocked_clients, wait_blocked, wait_until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Examples"))
import reliable_queue  # noqa: E402  (the reaper and its transactions are shared with the example)


def pair(reply):
    """BLPOP's [key, value]: a tuple in RESP2, a list in RESP3."""
    return None if reply is None else list(reply)


def run_threads(targets):
    errors = []

    def guarded(target):
        try:
            target()
        except Exception as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    return threads, errors


@pytest.fixture
def admin(server):
    r = redis.Redis(port=server.port, decode_responses=True)
    yield r
    r.close()


def connect(server, protocol=2):
    return redis.Redis(port=server.port, protocol=protocol, decode_responses=True)


# --------------------------------------------------------------------------- many producers, many consumers

def test_three_consumers_two_producers_consume_every_job_once(server, admin):
    per_producer, stop = 5000, "STOP"
    consumed = [[] for _ in range(3)]

    def consumer(index):
        r = connect(server, protocol=2 + index % 2)
        while True:
            reply = r.blpop("workqueue", 10)
            assert reply is not None, "consumer %d got nothing for 10 s" % index
            if reply[1] == stop:
                break
            consumed[index].append(int(reply[1]))
        r.close()

    def producer(index):
        # Producer 0 pushes at the head, producer 1 at the tail, 1 to 4 jobs at a time.
        r = connect(server, protocol=3 - index)
        push = r.lpush if index == 0 else r.rpush
        jobs, rng, at = range(index * per_producer, (index + 1) * per_producer), random.Random(index), 0
        while at < len(jobs):
            count = rng.randint(1, 4)
            push("workqueue", *jobs[at:at + count])
            at += count
        r.close()

    consumers, errors = run_threads([lambda i=i: consumer(i) for i in range(3)])
    wait_blocked(admin, 3)  # every consumer waits on the empty queue before any job exists
    producers, producer_errors = run_threads([lambda i=i: producer(i) for i in range(2)])
    for thread in producers:
        thread.join()
    assert producer_errors == []
    # Every job is now ahead of the sentinels (BLPOP takes from the head), so a consumer
    # that receives one has nothing left to miss; each consumer stops at its own.
    admin.rpush("workqueue", stop, stop, stop)
    for thread in consumers:
        thread.join(60)
        assert not thread.is_alive()
    assert errors == []

    everything = collections.Counter(job for mine in consumed for job in mine)
    assert sorted(everything) == list(range(2 * per_producer))  # nothing lost
    assert max(everything.values()) == 1  # nothing consumed twice
    assert all(consumed), "a consumer was never served"
    assert admin.exists("workqueue") == 0
    assert blocked_clients(admin) == 0


# --------------------------------------------------------------------------- queue storage

def test_a_short_queue_fed_at_both_ends_stays_small(admin):
    # What two producers do when one LPUSHes and the other RPUSHes while consumers
    # keep the queue short: the two ends take turns.
    for n in range(40):
        admin.lpush("q", "l%d" % n)
        admin.rpush("q", "r%d" % n)
    assert admin.lrange("q", 0, -1) == ["l%d" % n for n in range(39, -1, -1)] + ["r%d" % n for n in range(40)]
    assert admin.memory_usage("q") < 64 * 1024


@pytest.mark.parametrize("push, pop", [("rpush", "lpop"), ("lpush", "rpop")])
def test_a_queue_that_never_empties_does_not_grow_with_its_traffic(admin, push, pop):
    admin.rpush("q", "oldest")
    pipe = admin.pipeline(transaction=False)
    for n in range(20000):
        getattr(pipe, push)("q", "job:%05d" % n)
        getattr(pipe, pop)("q")
    pipe.execute()
    assert admin.llen("q") == 1
    assert admin.memory_usage("q") < 64 * 1024


# --------------------------------------------------------------------------- FIFO serving

BLOCKING_POPS = {
    "BLPOP": (("BLPOP", "fair", 0), lambda reply: reply[1]),
    "BRPOP": (("BRPOP", "fair", 0), lambda reply: reply[1]),
    "BLMOVE": (("BLMOVE", "fair", "taken", "LEFT", "RIGHT", 0), lambda reply: reply),
    "BRPOPLPUSH": (("BRPOPLPUSH", "fair", "taken", 0), lambda reply: reply),
    "BLMPOP": (("BLMPOP", 0, 1, "fair", "LEFT"), lambda reply: reply[1][0]),
}


@pytest.mark.parametrize("command", sorted(BLOCKING_POPS))
def test_clients_blocked_on_a_key_are_served_in_the_order_they_blocked(server, admin, command):
    args, value_of = BLOCKING_POPS[command]
    waiters = []
    for index in range(3):
        waiters.append(Background(connect(server, protocol=2 + index % 2).execute_command, *args))
        wait_blocked(admin, index + 1)  # block strictly one after the other
    for value in ("first", "second", "third"):
        admin.rpush("fair", value)
    assert [value_of(waiter.outcome()) for waiter in waiters] == ["first", "second", "third"]
    assert admin.exists("fair") == 0
    if command == "BLMOVE":  # LEFT RIGHT: appended in the order served
        assert admin.lrange("taken", 0, -1) == ["first", "second", "third"]
    elif command == "BRPOPLPUSH":  # pushed at the head
        assert admin.lrange("taken", 0, -1) == ["third", "second", "first"]


@pytest.mark.parametrize("key", ["a", "b", "c"])
def test_client_blocked_on_several_keys_is_served_from_the_key_that_gets_data(server, admin, key):
    waiter = Background(connect(server).blpop, ["a", "b", "c"], 0)
    wait_blocked(admin, 1)
    admin.rpush(key, "x")
    assert pair(waiter.outcome()) == [key, "x"]
    assert admin.exists("a", "b", "c") == 0


def test_several_keys_filled_in_one_transaction_serve_the_first_one_filled(server, admin):
    # As in Redis 7.0: keys are served in the order they became ready, not in the
    # order the client named them.
    waiter = Background(connect(server).blpop, ["a", "b", "c"], 0)
    wait_blocked(admin, 1)
    admin.pipeline(transaction=True).rpush("c", "from-c").rpush("a", "from-a").execute()
    assert pair(waiter.outcome()) == ["c", "from-c"]
    assert admin.lrange("a", 0, -1) == ["from-a"]
    assert admin.exists("c") == 0


def test_several_keys_with_data_already_pop_from_the_first_named(admin):
    admin.rpush("c", "from-c")
    admin.rpush("b", "from-b")
    assert pair(admin.blpop(["a", "b", "c"], 0)) == ["b", "from-b"]
    assert blocked_clients(admin) == 0


# --------------------------------------------------------------------------- reliable queue

# A consumer that takes a job the reliable way and then hangs without acknowledging:
# a heartbeat key refreshed every 200 ms with a 1 s TTL, BLMOVE, the claim.
VICTIM = r"""
import sys, threading, time
import redis
port, jobs, processing, claim_prefix, heartbeat = sys.argv[1:]
r = redis.Redis(port=int(port), decode_responses=True)
r.set(heartbeat, "alive", px=1000)
def beat():
    while True:
        time.sleep(0.2)
        r.set(heartbeat, "alive", px=1000)
threading.Thread(target=beat, daemon=True).start()
job = r.blmove(jobs, processing, 0, "RIGHT", "LEFT")
r.set(claim_prefix + job, "victim")
print(job, flush=True)
threading.Event().wait()  # hold the job forever, never acknowledge
"""


def test_reliable_queue_survives_a_consumer_killed_while_holding_a_job(server, admin, tmp_path):
    keys, total = reliable_queue.Keys(""), 50
    assert (keys.jobs, keys.processing) == ("jobs", "processing")
    script = tmp_path / "victim.py"
    script.write_text(VICTIM)
    victim = subprocess.Popen(
        [sys.executable, str(script), str(server.port), keys.jobs, keys.processing,
         keys.claim(""), keys.heartbeat("victim")], stdout=subprocess.PIPE, text=True)
    try:
        wait_blocked(admin, 1)  # the victim waits in BLMOVE on the empty queue
        reliable_queue.produce(admin, keys, total)  # LPUSH job:0 .. job:49
        assert victim.stdout.readline().strip() == "job:0"  # the oldest job, at the right
        assert admin.lrange(keys.processing, 0, -1) == ["job:0"]
        assert admin.llen(keys.jobs) == total - 1
        assert reliable_queue.reap_once(admin, keys) == []  # its owner is alive
    finally:
        victim.kill()  # SIGKILL while holding job:0
        victim.wait()
    assert victim.returncode == -9

    wait_until(lambda: not admin.exists(keys.heartbeat("victim")), "the heartbeat to expire")
    assert admin.lrange(keys.processing, 0, -1) == ["job:0"]  # still held by the dead process
    assert reliable_queue.reap_once(admin, keys) == ["job:0"]
    assert admin.exists(keys.processing, keys.claim("job:0")) == 0
    assert admin.lindex(keys.jobs, -1) == "job:0"  # back at the front of the queue

    # Two consumers drain the queue: BLMOVE into processing, LREM to acknowledge.
    # Sentinels go in at the far end, behind every job.
    admin.lpush(keys.jobs, "stop", "stop")
    processed = []

    def consumer():
        r = connect(server)
        while True:
            job = r.blmove(keys.jobs, keys.processing, 10, "RIGHT", "LEFT")
            assert job is not None, "nothing to take for 10 s"
            assert r.lrem(keys.processing, 1, job) == 1
            if job == "stop":
                break
            processed.append(job)
        r.close()

    threads, errors = run_threads([consumer, consumer])
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(processed) == sorted("job:%d" % n for n in range(total))
    assert admin.exists(keys.jobs, keys.processing) == 0


def test_racing_reapers_and_a_late_acknowledger_keep_every_job_exactly_once(server, admin):
    # 100 jobs in processing, claimed by a worker whose heartbeat is gone.  Three
    # reapers put them back (racing each other from the head of the list) while the
    # "dead" worker wakes up and acknowledges them from the tail: every job must end
    # up either acknowledged or back in the queue, exactly once.
    keys, total = reliable_queue.Keys("race:"), 100
    jobs = ["job:%d" % n for n in range(total)]
    admin.rpush(keys.processing, *jobs)
    admin.mset({keys.claim(job): "ghost" for job in jobs})
    requeued, acknowledged = [], []
    start = threading.Barrier(4)

    def reaper():
        r = connect(server)
        start.wait()
        while r.llen(keys.processing):
            requeued.extend(reliable_queue.reap_once(r, keys))
        r.close()

    def ghost():
        r = connect(server, protocol=3)
        start.wait()
        for job in reversed(jobs):
            if reliable_queue.acknowledge(r, keys, "ghost", job):
                acknowledged.append(job)
        r.close()

    threads, errors = run_threads([reaper, reaper, reaper, ghost])
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(requeued) == len(set(requeued))  # no job put back twice
    assert not set(requeued) & set(acknowledged)
    assert sorted(requeued + acknowledged) == sorted(jobs)  # none lost
    assert sorted(admin.lrange(keys.jobs, 0, -1)) == sorted(requeued)
    assert admin.exists(keys.processing) == 0
    assert admin.exists(*[keys.claim(job) for job in jobs]) == 0


def test_reaper_puts_back_a_job_left_unclaimed_beyond_the_grace_period(admin):
    # The worker died between BLMOVE and claiming the job: the job has no owner.
    keys = reliable_queue.Keys("")
    admin.lpush(keys.jobs, "job:7")
    assert admin.blmove(keys.jobs, keys.processing, 0, "RIGHT", "LEFT") == "job:7"
    assert reliable_queue.reap_once(admin, keys, unclaimed_grace=60) == []  # first sighting
    assert reliable_queue.reap_once(admin, keys, unclaimed_grace=60) == []  # within grace
    assert reliable_queue.reap_once(admin, keys, unclaimed_grace=0) == ["job:7"]
    assert admin.lrange(keys.jobs, 0, -1) == ["job:7"]
    assert admin.exists(keys.processing, keys.unclaimed("job:7")) == 0


# --------------------------------------------------------------------------- disconnects, CLIENT UNBLOCK

def resp(*args):
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


@pytest.mark.parametrize("command", [
    ("BLPOP", "gone", 0),
    ("BRPOP", "gone", 0),
    ("BLMOVE", "gone", "elsewhere", "LEFT", "RIGHT", 0),
    ("BRPOPLPUSH", "gone", "elsewhere", 0),
    ("BLMPOP", 0, 1, "gone", "LEFT"),
], ids=lambda command: command[0])
def test_a_blocked_client_that_disconnects_takes_nothing(server, admin, command):
    blocked = socket.create_connection(("127.0.0.1", server.port))
    blocked.sendall(resp(*command))
    wait_blocked(admin, 1)
    blocked.close()
    wait_until(lambda: blocked_clients(admin) == 0 and int(admin.info("clients")["connected_clients"]) == 1,
               "the server to notice the disconnection")
    assert admin.rpush("gone", "kept") == 1
    assert admin.lrange("gone", 0, -1) == ["kept"]
    assert admin.exists("elsewhere") == 0


def test_a_blocked_client_killed_with_client_kill_takes_nothing(server, admin):
    blocked = connect(server)
    connection = blocked.connection_pool.get_connection()
    connection.send_command("CLIENT", "ID")
    client_id = connection.read_response()
    connection.send_command("BLPOP", "killed", 0)
    wait_blocked(admin, 1)
    assert admin.execute_command("CLIENT", "KILL", "ID", client_id) == 1
    wait_blocked(admin, 0)
    assert admin.rpush("killed", "kept") == 1
    assert admin.lrange("killed", 0, -1) == ["kept"]


def test_after_a_disconnect_the_next_blocked_client_is_served(server, admin):
    first = connect(server)
    connection = first.connection_pool.get_connection()
    connection.send_command("BLPOP", "queue", 0)
    wait_blocked(admin, 1)
    second = Background(connect(server).blpop, "queue", 0)
    wait_blocked(admin, 2)
    connection.disconnect()
    wait_blocked(admin, 1)
    admin.rpush("queue", "job")
    assert pair(second.outcome()) == ["queue", "job"]
    assert admin.exists("queue") == 0


@pytest.mark.parametrize("protocol", [2, 3])
def test_client_unblock_timeout_and_error(server, admin, protocol):
    blocked = redis.Redis(port=server.port, protocol=protocol, decode_responses=True,
                          single_connection_client=True)
    client_id = blocked.client_id()

    waiter = Background(blocked.blpop, "k", 0)
    wait_blocked(admin, 1)
    assert admin.execute_command("CLIENT", "UNBLOCK", client_id, "TIMEOUT") == 1
    assert waiter.outcome() is None  # as if the timeout had expired

    waiter = Background(blocked.blpop, "k", 0)
    wait_blocked(admin, 1)
    assert admin.execute_command("CLIENT", "UNBLOCK", client_id, "ERROR") == 1
    with pytest.raises(redis.ResponseError) as failure:
        waiter.outcome()
    assert str(failure.value) == "UNBLOCKED client unblocked via CLIENT UNBLOCK"

    assert blocked_clients(admin) == 0
    assert admin.execute_command("CLIENT", "UNBLOCK", client_id) == 0  # not blocked any more
    assert blocked.ping() is True  # the connection is still usable
    admin.rpush("k", "v")
    assert admin.lrange("k", 0, -1) == ["v"]  # nobody took it
    blocked.close()


# --------------------------------------------------------------------------- MULTI, timeouts

@pytest.mark.serial
def test_blocking_pops_inside_multi_do_not_block(client):
    start = time.monotonic()
    pipe = client.pipeline(transaction=True)
    pipe.blpop("empty", 0)
    pipe.brpop("empty", 0)
    pipe.blmove("empty", "dst", 0, "LEFT", "RIGHT")
    pipe.brpoplpush("empty", "dst", 0)
    pipe.execute_command("BLMPOP", 0, 1, "empty", "LEFT")
    pipe.rpush("full", "a", "b")
    pipe.blpop("full", 0)  # data there: an ordinary pop
    results = pipe.execute()
    assert time.monotonic() - start < 2
    assert results[:6] == [None, None, None, None, None, 2]
    assert pair(results[6]) == ["full", "a"]
    assert client.exists("empty", "dst") == 0
    assert blocked_clients(client) == 0


@pytest.mark.parametrize("command", [
    ("BLPOP", "k", "0.1"),
    ("BRPOP", "k", "0.1"),
    ("BLMOVE", "k", "d", "LEFT", "RIGHT", "0.1"),
    ("BRPOPLPUSH", "k", "d", "0.1"),
    ("BLMPOP", "0.1", "1", "k", "LEFT"),
], ids=lambda command: command[0])
@pytest.mark.serial
def test_timeout_returns_null_after_the_timeout(client, command):
    start = time.monotonic()
    assert client.execute_command(*command) is None
    elapsed = time.monotonic() - start
    assert 0.09 <= elapsed <= 0.6
    assert blocked_clients(client) == 0
    assert client.exists("k", "d") == 0
