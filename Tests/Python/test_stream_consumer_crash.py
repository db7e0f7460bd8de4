"""A job queue on a stream consumer group surviving a consumer's death.

A producer XADDs 100,000 jobs (`job <n> payload <32 bytes>`); three consumer processes
(stream_worker.py) share them through XREADGROUP, each processing a batch and
acknowledging it in one MULTI/EXEC. One consumer is SIGKILLed while it holds a batch it
never acknowledged; the survivors, finding nothing new, XAUTOCLAIM entries idle for
longer than the claim time and process them. At the end every job was processed
exactly once, nothing is pending, and the group's counters say it read everything.

Runs against Redstart, and against redis-server with STREAM_CRASH_AGAINST_REDIS=1 (the
same expectations hold for both). Nothing sleeps and hopes: each step waits for a
condition with a deadline."""
import os
import signal
import subprocess
import sys

import pytest
import redis
from blocking_helpers import wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
JOBS = 100_000
PAYLOAD = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def queue_server(request):
    if os.environ.get("STREAM_CRASH_AGAINST_REDIS") == "1":
        return request.getfixturevalue("redis_server")
    return request.getfixturevalue("server")


def start_worker(port, name, role):
    return subprocess.Popen([sys.executable, os.path.join(HERE, "stream_worker.py"), str(port), name, role])


def test_jobs_of_a_killed_consumer_are_claimed_and_done_exactly_once(queue_server):
    r = redis.Redis(port=queue_server.port, decode_responses=True)
    pipe = r.pipeline(transaction=False)
    for n in range(JOBS):
        pipe.xadd("jobs", {"job": n, "payload": PAYLOAD})
        if n % 2000 == 1999:
            pipe.execute()
    pipe.execute()
    assert r.xlen("jobs") == JOBS
    r.xgroup_create("jobs", "workers", "0")

    workers = []
    try:
        victim = start_worker(queue_server.port, "victim", "victim")
        workers.append(victim)
        wait_until(lambda: r.get("victim:holding") == "100", "the victim to hold a batch", timeout=30)
        survivors = [start_worker(queue_server.port, "survivor-%d" % i, "survivor") for i in (1, 2)]
        workers += survivors
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        pending = r.xpending_range("jobs", "workers", "-", "+", 1000, consumername="victim")
        assert len(pending) == 100, "the victim died holding its batch"

        def all_done():
            summary = r.xpending("jobs", "workers")
            return summary["pending"] == 0 and r.hlen("processed") == JOBS

        wait_until(all_done, "every job processed and acknowledged", timeout=240)
        r.set("stop", 1)
        for worker in survivors:
            assert worker.wait(timeout=60) == 0
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()

    counts = r.hgetall("processed")
    assert len(counts) == JOBS
    assert set(counts.values()) == {"1"}, "a job was processed more than once"
    assert r.xpending_range("jobs", "workers", "-", "+", 10, consumername="victim") == []
    (group,) = r.xinfo_groups("jobs")
    assert group["pending"] == 0
    assert group["entries-read"] == JOBS and group["lag"] == 0
    # The claimed entries were delivered twice: once to the victim, once to a survivor.
    consumers = {c["name"]: c for c in r.xinfo_consumers("jobs", "workers")}
    assert consumers["victim"]["pending"] == 0
    assert set(consumers) == {"victim", "survivor-1", "survivor-2"}
    r.close()
