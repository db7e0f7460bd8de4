"""RedstartJobs with real processes, against Redstart and redis-server.

- 100,000 jobs through 8 concurrent workers in 4 processes; one process is SIGKILLed
  while it holds jobs. Every job's effect happens exactly once: the reaper of the
  survivors gives the dead worker's jobs back once their lease ends.
- A job system fed by the Python producer example (Examples/PythonProducer), consumed by
  the Swift worker: the wire format as documented.
- SIGTERM: a worker finishes what it can within its grace period and gives back the rest.

The worker is Tests/JobsTestWorker (built by `swift build --build-tests`). Nothing sleeps
and hopes: every step waits for a condition with a deadline."""
import os
import signal
import subprocess
import sys

import pytest
import redis
from blocking_helpers import wait_until
from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "Examples", "PythonProducer"))
import producer  # noqa: E402

WORKER = os.path.join(ROOT, ".build", "debug", "redstart-jobs-test-worker")
JOBS = 100_000


@pytest.fixture(params=["redstart", "redis"])
def jobs_server(request):
    return request.getfixturevalue("server" if request.param == "redstart" else "redis_server")


def start_worker(port, *options):
    process = subprocess.Popen([WORKER, "--port", str(port), *options], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().startswith("ready"), "the worker started"
    return process


def stop(processes):
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)


def test_jobs_of_a_killed_worker_process_run_exactly_once_in_effect(jobs_server):
    r = redis.Redis(port=jobs_server.port, decode_responses=True)
    producer.enqueue_many(r, "mark", [{"n": n} for n in range(JOBS)], max_attempts=5)
    assert r.llen("rj:q:default:waiting") == JOBS
    workers = []
    try:
        victim = start_worker(jobs_server.port, "--hang-after", "1000", "--lease-ms", "2000", "--prefetch", "4")
        workers.append(victim)
        workers += [start_worker(jobs_server.port, "--lease-ms", "2000", "--prefetch", "4") for _ in range(3)]
        # The victim did 1,000 jobs and now holds two it will never finish.
        wait_until(lambda: r.scard("rj-test:done:hanging") == 2, "the victim to hang on two jobs", timeout=300)
        held = r.smembers("rj-test:done:hanging")
        assert all(r.hget("rj:job:" + job, "state") == "active" for job in held)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        wait_until(lambda: int(r.hget("rj:q:default:stats", "completed") or 0) == JOBS,
                   "every job to complete", timeout=600)
        for job in held:
            record = r.hgetall("rj:job:" + job)
            assert record["state"] == "completed" and int(record["attempts"]) >= 2, record
            assert "ended before the job did" in r.lindex("rj:job:%s:errors" % job, 0)
    finally:
        stop(workers)
    assert r.scard("rj-test:done") == JOBS
    runs = r.hgetall("rj-test:done:runs")
    assert len(runs) == JOBS and set(runs.values()) == {"1"}, "each job's effect happened once"
    assert r.llen("rj:q:default:waiting") == 0 and r.zcard("rj:q:default:active") == 0
    assert int(r.hget("rj:q:default:stats", "stalled")) >= 2
    assert r.zcard("rj:q:default:completed") == JOBS


def test_jobs_from_the_python_producer_run_on_the_swift_worker(jobs_server):
    r = redis.Redis(port=jobs_server.port, decode_responses=True)
    url = "redis://127.0.0.1:%d" % jobs_server.port
    now = subprocess.run([sys.executable, os.path.join(ROOT, "Examples", "PythonProducer", "producer.py"),
                          "--url", url, "--count", "20"], check=True, capture_output=True, text=True)
    ids = now.stdout.split()
    later = producer.enqueue(r, "mark", {"n": 100}, delay_ms=300)
    assert len(ids) == 20 and r.hget("rj:job:" + later, "state") == "delayed"
    worker = start_worker(jobs_server.port)
    try:
        wait_until(lambda: int(r.hget("rj:q:default:stats", "completed") or 0) == 21, "the jobs to run", timeout=60)
    finally:
        stop([worker])
    assert r.smembers("rj-test:done") == {str(n) for n in list(range(20)) + [100]}
    for job in ids + [later]:
        assert r.hget("rj:job:" + job, "state") == "completed"
        assert r.hget("rj:job:" + job, "result") in {str(n) for n in list(range(20)) + [100]}
    # Enqueuing an ID that exists leaves the job as it is.
    assert producer.enqueue(r, "mark", {"n": 999}, job_id=ids[0]) == ids[0]
    assert r.hget("rj:job:" + ids[0], "payload") == '{"n": 0}'


def test_sigterm_finishes_short_jobs_and_gives_back_long_ones(jobs_server):
    r = redis.Redis(port=jobs_server.port, decode_responses=True)
    worker = start_worker(jobs_server.port, "--grace-ms", "1500")
    try:
        short = producer.enqueue(r, "mark", {"n": 1, "sleep_ms": 300})
        long = producer.enqueue(r, "mark", {"n": 2, "sleep_ms": 600_000})
        wait_until(lambda: r.zcard("rj:q:default:active") == 2, "both jobs to start", timeout=30)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
        assert worker.stdout.read().strip().endswith("stopped")
    finally:
        stop([worker])
    assert r.hget("rj:job:" + short, "state") == "completed"
    record = r.hgetall("rj:job:" + long)
    assert record["state"] == "waiting" and record["attempts"] == "0"
    assert r.lrange("rj:q:default:waiting", 0, -1) == [long]
    assert r.zcard("rj:q:default:active") == 0


@pytest.mark.serial
def test_delayed_and_cron_jobs_start_on_time(jobs_server):
    """A delayed job starts within 1 s of its due time, and a schedule ticking every second
    on two worker processes runs each tick once, each within 1 s of the tick (server time:
    the records' run_at, started_at, and the tick in the uniqueness key)."""
    r = redis.Redis(port=jobs_server.port, decode_responses=True)
    workers = [start_worker(jobs_server.port, "--cron", "* * * * * *") for _ in range(2)]
    try:
        delayed = [producer.enqueue(r, "mark", {"n": n}, delay_ms=1500 + 300 * n) for n in range(3)]
        wait_until(lambda: all(r.hget("rj:job:" + job, "state") == "completed" for job in delayed),
                   "the delayed jobs to run", timeout=60)
        wait_until(lambda: r.scard("rj-test:done:ticks") >= 4, "four cron ticks to run", timeout=60)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
    for job in delayed:
        run_at, started_at = (int(v) for v in r.hmget("rj:job:" + job, "run_at", "started_at"))
        assert 0 <= started_at - run_at < 1000, (run_at, started_at)
    ticks = []
    for job in r.smembers("rj-test:done:ticks"):
        unique_key, started_at = r.hmget("rj:job:" + job, "unique_key", "started_at")
        tick = int(unique_key.rsplit(":", 1)[1])
        ticks.append(tick)
        assert 0 <= int(started_at) - tick * 1000 < 1000, (tick, started_at)
    assert len(set(ticks)) == len(ticks), "one run per tick across both workers"
    cron_jobs = [key for key in r.keys("rj:job:*") if not key.endswith(":errors")
                 and r.hget(key, "name") == "CronMark"]
    assert len(cron_jobs) == int(r.hget("rj:q:default:stats", "enqueued")) - 3
