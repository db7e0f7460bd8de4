"""Real job-queue libraries, unchanged, end to end against a server: BullMQ (Python),
rq, dramatiq (Redis broker) and saq. Their Redis backends are built on Lua scripts
(EVALSHA after SCRIPT LOAD, cmsgpack and cjson inside BullMQ's scripts), MULTI/EXEC
pipelines, blocking pops (BZPOPMIN, BLMOVE, BRPOPLPUSH), Pub/Sub and, for BullMQ and
rq, streams (XADD from Lua; XREVRANGE/XADD for rq's results).

Every test runs twice through the `job_server` fixture: against Redstart (the
`server` fixture; skipped only when .build/debug/redstart-server is missing) and
against a real redis-server (the `redis_server` fixture), so that

    python3 -m pytest -q Tests/Python/test_job_libraries.py -k redis      # reference
    python3 -m pytest -q Tests/Python/test_job_libraries.py -k redstart   # Redstart

check the same behaviour. No test name contains "redis" or "redstart", so -k picks
servers only.

Nothing waits on a bare sleep: each wait polls the library's own view of a job (its
state, status or result) until a deadline (TIMEOUT) and fails naming what it waited
for and what it last saw. Workers (in-process ones and rq's forking worker process
with its scheduler child) are stopped at the end of each test, also when it fails.

The libraries are PyPI packages listed in job_libraries/requirements.txt; a test
whose library is missing is skipped with the pip command to run."""
import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import redis

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BINARY = os.environ.get("REDSTART_SERVER", os.path.join(ROOT, ".build", "debug", "redstart-server"))
TIMEOUT = 30.0  # seconds: the bound of every wait in this file
REQUIREMENTS = os.path.join(HERE, "job_libraries", "requirements.txt")

# saq calls redis-py's setex, which redis-py marks deprecated: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")


@pytest.fixture(params=["redstart", "redis"])
def job_server(request):
    """The server under test: Redstart, or the reference redis-server."""
    if request.param == "redstart":
        if not os.path.exists(BINARY):
            pytest.skip("redstart-server is not built (%s)" % BINARY)
        server = request.getfixturevalue("server")
        return server
    return request.getfixturevalue("redis_server")


@pytest.fixture
def admin(job_server):
    r = redis.Redis(host="127.0.0.1", port=job_server.port, decode_responses=True)
    yield r
    r.close()


def need(module):
    return pytest.importorskip(module, reason="pip install -r %s" % os.path.relpath(REQUIREMENTS, ROOT))


def wait_for(probe, done, what, timeout=TIMEOUT, interval=0.02):
    """Calls probe() until done(value); fails after `timeout` s showing the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail("timed out after %.0f s waiting for %s; last seen: %r" % (timeout, what, value))
        time.sleep(interval)


async def async_wait_for(probe, done, what, timeout=TIMEOUT, interval=0.02):
    """wait_for for coroutines: awaits probe() until done(value), bounded by `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail("timed out after %.0f s waiting for %s; last seen: %r" % (timeout, what, value))
        await asyncio.sleep(interval)


async def close_bullmq_worker(worker, port):
    """Worker.close(), bounded by TIMEOUT. A close that does not end fails with what
    the worker was still waiting for (every task's stack) and what the server saw
    (CLIENT LIST: each connection's last command and whether it is blocked)."""
    try:
        await asyncio.wait_for(worker.close(), TIMEOUT)
    except asyncio.TimeoutError:
        stacks = []
        for task in asyncio.all_tasks():
            frames = task.get_stack()
            where = "; ".join("%s:%d %s" % (os.path.basename(f.f_code.co_filename), f.f_lineno,
                                             f.f_code.co_name) for f in frames)
            stacks.append("%s: %s" % (task.get_name(), where or "(no frames)"))
        probe = redis.Redis(host="127.0.0.1", port=port, decode_responses=True, socket_timeout=5)
        try:
            clients = probe.execute_command("CLIENT", "LIST")
        finally:
            probe.close()
        pytest.fail("BullMQ Worker.close() did not end within %.0f s\ntasks:\n%s\nCLIENT LIST:\n%s"
                    % (TIMEOUT, "\n".join(stacks), clients))


# --------------------------------------------------------------------------- BullMQ

def bullmq_connection(port):
    return {"connection": "redis://127.0.0.1:%d" % port}


def test_bullmq_queue_operations_without_a_worker(job_server, admin):
    """BullMQ's queue-side scripts, no worker: addStandardJob / addDelayedJob /
    addPrioritizedJob (msgpacked options unpacked with cmsgpack in Lua), duplicate
    custom job ids, getCounts, getStateV2, getJobs, promote, pause/resume, removeJob,
    obliterate."""
    bullmq = need("bullmq")

    async def scenario():
        queue = bullmq.Queue("ops", bullmq_connection(job_server.port))
        try:
            first = await queue.add("email", {"to": "a@example.com"}, {"jobId": "custom-1"})
            again = await queue.add("email", {"to": "b@example.com"}, {"jobId": "custom-1"})
            assert first.id == again.id == "custom-1"
            stored = await bullmq.Job.fromId(queue, "custom-1")
            assert stored.data == {"to": "a@example.com"}, "a duplicate job id must not overwrite the job"
            plain = await queue.add("email", {"n": 2})
            prioritized = await queue.add("email", {"n": 3}, {"priority": 5})
            delayed = await queue.add("email", {"n": 4}, {"delay": 60000})

            assert await queue.getJobState("custom-1") == "waiting"
            assert await plain.getState() == "waiting"
            assert await prioritized.getState() == "prioritized"
            assert await delayed.getState() == "delayed"
            counts = await queue.getJobCounts("waiting", "prioritized", "delayed", "active", "completed", "failed")
            assert counts == {"waiting": 2, "prioritized": 1, "delayed": 1, "active": 0, "completed": 0, "failed": 0}

            await delayed.promote()
            assert await delayed.getState() == "waiting"
            assert (await queue.getJobCounts("delayed", "waiting")) == {"delayed": 0, "waiting": 3}
            waiting = await queue.getJobs(["waiting"])
            assert sorted(job.id for job in waiting) == sorted(["custom-1", plain.id, delayed.id])

            await queue.pause()
            assert await queue.isPaused()
            added_while_paused = await queue.add("email", {"n": 5})
            assert await added_while_paused.getState() == "waiting"
            await queue.resume()
            assert not await queue.isPaused()
            assert (await queue.getJobCounts("waiting"))["waiting"] == 4

            assert await queue.remove(plain.id) == 1
            assert await bullmq.Job.fromId(queue, plain.id) is None
            assert (await queue.getJobCounts("waiting"))["waiting"] == 3

            await queue.obliterate(force=True)
            assert admin.keys("bull:ops:*") == []
        finally:
            await queue.close()

    asyncio.run(scenario())


def test_bullmq_worker_retries_backoff_delays_and_failures(job_server):
    """A BullMQ Worker (BZPOPMIN on the marker key, moveToActive / moveToFinished /
    moveToDelayed / retryJob / updateProgress / moveStalledJobsToWait scripts, events
    XADDed from Lua) processes: a plain job with progress and a return value; a job
    failing twice and then succeeding under exponential backoff (attempts 3); a job
    exhausting attempts 2 without backoff (retried at once, then failed); a delayed
    job; and two prioritized jobs, served by priority. Final states, return values,
    attempts, failure reasons and logs are read back through Job.fromId, getState and
    getJobCounts."""
    bullmq = need("bullmq")

    async def scenario():
        connection = bullmq_connection(job_server.port)
        queue = bullmq.Queue("work", connection)
        processed, errors = [], []

        async def process(job, token):
            processed.append(job.name)
            if job.name == "add":
                await job.updateProgress(50)
                return {"sum": job.data["a"] + job.data["b"]}
            if job.name == "flaky":
                await job.log("attempt %d" % (job.attemptsMade + 1))
                if job.attemptsMade < job.data["failures"]:
                    raise RuntimeError("flaky attempt %d" % (job.attemptsMade + 1))
                return "succeeded on attempt %d" % (job.attemptsMade + 1)
            if job.name == "doomed":
                raise ValueError("doomed attempt %d" % (job.attemptsMade + 1))
            return job.name

        keep = {"removeOnComplete": False, "removeOnFail": False}
        worker = None
        try:
            add = await queue.add("add", {"a": 1, "b": 2}, keep)
            flaky = await queue.add("flaky", {"failures": 2},
                                    {**keep, "attempts": 3, "backoff": {"type": "exponential", "delay": 100}})
            doomed = await queue.add("doomed", {}, {**keep, "attempts": 2})
            delayed = await queue.add("late", {}, {**keep, "delay": 1000})
            low = await queue.add("low", {}, {**keep, "priority": 10})
            high = await queue.add("high", {}, {**keep, "priority": 1})
            jobs = [add, flaky, doomed, delayed, low, high]
            assert await delayed.getState() == "delayed"

            # One job at a time, so that the priorities decide the order; the stalled-jobs
            # check runs every 500 ms (its locks are held, so it must find nothing).
            worker = bullmq.Worker("work", process, {**connection, "concurrency": 1, "stalledInterval": 500})
            worker.on("error", lambda error, *rest: errors.append(repr(error)))

            async def counts():
                return await queue.getJobCounts("completed", "failed", "delayed", "waiting", "active", "prioritized")

            await async_wait_for(counts, lambda c: errors or (c["completed"] == 5 and c["failed"] == 1),
                                 "5 completed and 1 failed BullMQ jobs")
            assert errors == [], "the BullMQ worker reported errors"
            # Queue.get_workers reads CLIENT LIST for the names the worker gave its
            # connections with CLIENT SETNAME: its main and blocking ones, and one more
            # once a pipeline (job.log's MULTI) has taken a connection from the pool.
            assert await queue.get_workers_count() >= 2
            await close_bullmq_worker(worker, job_server.port)

            states = {job.name: await job.getState() for job in jobs}
            assert states == {"add": "completed", "flaky": "completed", "doomed": "failed",
                              "late": "completed", "low": "completed", "high": "completed"}
            stored = {job.name: await bullmq.Job.fromId(queue, job.id) for job in jobs}
            assert stored["add"].returnvalue == {"sum": 3}
            assert stored["add"].progress == 50
            assert stored["add"].attemptsMade == 1
            assert stored["flaky"].returnvalue == "succeeded on attempt 3"
            assert stored["flaky"].attemptsMade == 3
            # Backoffs of 100 and 200 ms: the third attempt cannot start before 300 ms.
            assert stored["flaky"].processedOn - stored["flaky"].timestamp >= 300
            logs = await queue.getJobLogs(flaky.id)
            assert logs["logs"] == ["attempt 1", "attempt 2", "attempt 3"] and logs["count"] == 3
            assert stored["doomed"].attemptsMade == 2
            assert stored["doomed"].failedReason == "doomed attempt 2"
            assert stored["doomed"].returnvalue is None
            assert len(stored["doomed"].stacktrace) == 2
            assert stored["late"].returnvalue == "late"
            assert stored["late"].processedOn >= stored["late"].timestamp + 1000
            assert processed.index("high") < processed.index("low")
            assert processed.count("flaky") == 3 and processed.count("doomed") == 2

            await queue.obliterate(force=True)
        finally:
            if worker is not None and not worker.closed:
                await close_bullmq_worker(worker, job_server.port)
            await queue.close()

    asyncio.run(scenario())


# --------------------------------------------------------------------------- rq

class RqWorkerProcess:
    """rq's own forking Worker with its scheduler (job_libraries/rq_worker.py) in a
    process group of its own; stop() asks for a warm shutdown with SIGTERM and checks
    that the worker, its work horses and its scheduler process are all gone."""

    def __init__(self, port, queues, log_path):
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "job_libraries", "rq_worker.py"), str(port), *queues],
            cwd=HERE, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)

    def output(self):
        with open(self.log_path, "rb") as f:
            text = f.read().decode(errors="replace")
        return text if len(text) <= 8000 else "...\n" + text[-8000:].split("\n", 1)[-1]

    def assert_running(self):
        if self.process.poll() is not None:
            pytest.fail("rq worker exited with status %s:\n%s" % (self.process.returncode, self.output()))

    def group_alive(self):
        try:
            os.killpg(self.process.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def stop(self):
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
            deadline = time.monotonic() + 5
            while self.group_alive() and time.monotonic() < deadline:
                time.sleep(0.02)
            leftover = self.process.poll() is None or self.group_alive()
            if leftover:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            assert not leftover, "rq worker did not shut down on SIGTERM:\n" + self.output()
        finally:
            self.log.close()


def test_rq_queue_scripts_without_a_worker(job_server):
    """rq's Lua scripts on the producer side: unique enqueue (check, HSET, push in one
    script) rejecting a duplicate job id, unique scheduling into the scheduled
    registry, and Queue.empty() popping and deleting jobs in a script."""
    need("rq")
    from rq import Queue
    from rq.exceptions import DuplicateJobError
    from rq.job import JobStatus
    from rq.registry import ScheduledJobRegistry
    from job_libraries import rq_jobs

    connection = redis.Redis(host="127.0.0.1", port=job_server.port)
    try:
        queue = Queue("ops", connection=connection)
        job = queue.enqueue(rq_jobs.add, 1, 2, job_id="unique-1", unique=True)
        assert job.get_status() == JobStatus.QUEUED
        with pytest.raises(DuplicateJobError):
            queue.enqueue(rq_jobs.add, 3, 4, job_id="unique-1", unique=True)
        assert queue.job_ids == ["unique-1"]
        assert queue.fetch_job("unique-1").args == (1, 2)

        due = datetime.now(timezone.utc) + timedelta(hours=1)
        scheduled = queue.schedule_job(queue.create_job(rq_jobs.add, args=(5, 6), job_id="unique-2"), due, unique=True)
        assert scheduled.get_status() == JobStatus.SCHEDULED
        with pytest.raises(DuplicateJobError):
            queue.schedule_job(queue.create_job(rq_jobs.add, args=(7, 8), job_id="unique-2"), due, unique=True)
        assert ScheduledJobRegistry(queue=queue).get_job_ids() == ["unique-2"]
        assert queue.fetch_job("unique-2").args == (5, 6)

        for n in range(3):
            queue.enqueue(rq_jobs.add, n, n)
        assert queue.count == 4
        assert queue.empty() == 4
        assert queue.count == 0
        assert queue.fetch_job("unique-1") is None
    finally:
        connection.close()


def test_rq_worker_results_failures_retries_and_scheduled_jobs(job_server, tmp_path):
    """rq's forking Worker with its scheduler, in a separate process: a job's return
    value (results are stream entries), a failing job in the FailedJobRegistry, a
    job retried with Retry(max=3, interval=[0, 1]) (at once, then through the
    scheduled registry) that succeeds on its third attempt, a job exhausting
    Retry(max=1), and a job enqueued with enqueue_in."""
    need("rq")
    from rq import Queue, Retry
    from rq.job import JobStatus
    from rq.registry import FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry
    from rq.results import Result
    from job_libraries import rq_jobs

    connection = redis.Redis(host="127.0.0.1", port=job_server.port)
    worker = None
    try:
        queue = Queue("jobs", connection=connection)
        add = queue.enqueue(rq_jobs.add, 2, 3)
        fail = queue.enqueue(rq_jobs.fail, "boom")
        flaky = queue.enqueue(rq_jobs.flaky, "rq-test:flaky", 2, retry=Retry(max=3, interval=[0, 1]))
        doomed = queue.enqueue(rq_jobs.flaky, "rq-test:doomed", 10, retry=Retry(max=1))
        later = queue.enqueue_in(timedelta(seconds=1), rq_jobs.add, 10, 20)
        jobs = {"add": add, "fail": fail, "flaky": flaky, "doomed": doomed, "later": later}
        assert later.get_status() == JobStatus.SCHEDULED
        scheduled_registry = ScheduledJobRegistry(queue=queue)
        assert scheduled_registry.get_job_ids() == [later.id]
        later_due = scheduled_registry.get_scheduled_time(later)

        worker = RqWorkerProcess(job_server.port, ["jobs"], str(tmp_path / "rq-worker.log"))
        terminal = (JobStatus.FINISHED, JobStatus.FAILED)

        def statuses():
            worker.assert_running()
            return {name: job.get_status() for name, job in jobs.items()}

        try:
            wait_for(statuses, lambda seen: all(status in terminal for status in seen.values()),
                     "every rq job to finish or fail")
        except BaseException:
            print("rq worker output:\n" + worker.output())
            raise
        for job in jobs.values():
            job.refresh()

        assert add.get_status() == JobStatus.FINISHED
        assert add.return_value() == 5
        assert add.latest_result().type == Result.Type.SUCCESSFUL

        assert fail.get_status() == JobStatus.FAILED
        assert fail.latest_result().type == Result.Type.FAILED
        assert "ValueError: boom" in fail.latest_result().exc_string

        assert flaky.get_status() == JobStatus.FINISHED
        assert flaky.return_value() == 3
        assert flaky.retries_left == 1
        assert connection.get("rq-test:flaky") == b"3"
        assert flaky.latest_result().type == Result.Type.SUCCESSFUL

        assert doomed.get_status() == JobStatus.FAILED
        assert doomed.retries_left == 0
        assert connection.get("rq-test:doomed") == b"2"
        assert "RuntimeError: flaky attempt 2" in doomed.latest_result().exc_string

        assert later.get_status() == JobStatus.FINISHED
        assert later.return_value() == 30
        assert later.started_at.replace(tzinfo=timezone.utc) >= later_due.replace(tzinfo=timezone.utc)
        assert scheduled_registry.get_job_ids() == []

        assert sorted(FailedJobRegistry(queue=queue).get_job_ids()) == sorted([fail.id, doomed.id])
        assert sorted(FinishedJobRegistry(queue=queue).get_job_ids()) == sorted([add.id, flaky.id, later.id])
        assert queue.count == 0
    finally:
        if worker is not None:
            worker.stop()
        connection.close()


# --------------------------------------------------------------------------- dramatiq

def dramatiq_broker(port, **options):
    """A RedisBroker doing queue maintenance (dead workers' messages back to their
    queues, expired dead letters dropped) inside its dispatch script on every
    command, so that those paths run in every test rather than once in a thousand."""
    from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker
    # The broker runs maxstack.lua once per process and caches the answer on the class;
    # forget it so that each test asks the server it runs against.
    RedisBroker._max_unpack_size_val = None
    return RedisBroker(host="127.0.0.1", port=port, maintenance_chance=MAINTENANCE_SCALE, **options)


def test_dramatiq_worker_results_retries_delays_and_dead_letters(job_server):
    """dramatiq's Redis broker (every operation is one dispatch.lua EVALSHA; its
    maxstack.lua probes Lua's unpack limit with pcall) with the Redis result backend
    (BRPOPLPUSH to wait for a result): results, a job failing twice then succeeding
    under Retries' backoff, a job exhausting max_retries (ResultFailure, and its
    message dead-lettered), and a delayed message that is not run before its eta."""
    dramatiq = need("dramatiq")
    from dramatiq.results import ResultFailure, Results
    from dramatiq.results.backends.redis import RedisBackend

    broker = dramatiq_broker(job_server.port)
    backend = RedisBackend(host="127.0.0.1", port=job_server.port)
    broker.add_middleware(Results(backend=backend))
    attempts, lock = {}, threading.Lock()

    def add(a, b):
        return a + b

    def flaky(tag, failures):
        with lock:
            attempts[tag] = attempts.get(tag, 0) + 1
            attempt = attempts[tag]
        if attempt <= failures:
            raise RuntimeError("%s attempt %d" % (tag, attempt))
        return attempt

    def stamp():
        return int(time.time() * 1000)

    options = {"broker": broker, "queue_name": "jobs", "store_results": True}
    add = dramatiq.actor(add, **options)
    flaky = dramatiq.actor(flaky, max_retries=3, min_backoff=100, max_backoff=200, **options)
    doomed = dramatiq.actor(lambda: flaky.fn("doomed", 10), actor_name="doomed", max_retries=1,
                            min_backoff=10, max_backoff=20, **options)
    stamp = dramatiq.actor(stamp, **options)

    worker = None
    try:
        sum_message = add.send(2, 3)
        flaky_message = flaky.send("flaky", 2)
        doomed_message = doomed.send()
        late_message = stamp.send_with_options(delay=1000)
        eta = late_message.options["eta"]

        worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
        worker.start()
        wait = {"backend": backend, "block": True, "timeout": int(TIMEOUT * 1000)}
        assert sum_message.get_result(**wait) == 5
        assert flaky_message.get_result(**wait) == 3
        with pytest.raises(ResultFailure) as failure:
            doomed_message.get_result(**wait)
        assert failure.value.orig_exc_type == "RuntimeError"
        assert failure.value.orig_exc_msg == "doomed attempt 2"
        assert late_message.get_result(**wait) >= eta
        broker.join("jobs", timeout=int(TIMEOUT * 1000))
        worker.stop(timeout=int(TIMEOUT * 1000))
        worker = None
        assert attempts == {"flaky": 3, "doomed": 2}

        # dramatiq has no API to list dead letters; dispatch.lua keeps them in the
        # sorted set <namespace>:<queue>.XQ and their bodies in the hash <...>.XQ.msgs.
        client = broker.client
        dead = client.zrange("dramatiq:jobs.XQ", 0, -1)
        assert len(dead) == 1
        dead_message = dramatiq.Message.decode(client.hget("dramatiq:jobs.XQ.msgs", dead[0]))
        assert dead_message.message_id == doomed_message.message_id
        assert client.llen("dramatiq:jobs") == 0 and client.hlen("dramatiq:jobs.msgs") == 0
    finally:
        if worker is not None:
            worker.stop(timeout=int(TIMEOUT * 1000))
        broker.close()
        backend.client.close()


def test_dramatiq_recovers_messages_of_a_dead_worker(job_server):
    """A broker fetches a message (into its acks set) and dies without acking it; the
    maintenance pass of another broker's dispatch script (ZRANGEBYSCORE on the
    heartbeats, SMEMBERS, HEXISTS, RPUSH, KEYS) gives the message back to the queue,
    and the other broker's worker runs it."""
    dramatiq = need("dramatiq")
    from dramatiq.results import Results
    from dramatiq.results.backends.redis import RedisBackend

    # Any broker whose last heartbeat is older than 100 ms counts as dead. A live
    # broker never sees itself dead: each dispatch refreshes its heartbeat first.
    broker = dramatiq_broker(job_server.port, heartbeat_timeout=100)
    backend = RedisBackend(host="127.0.0.1", port=job_server.port)
    broker.add_middleware(Results(backend=backend))
    add = dramatiq.actor(lambda a, b: a + b, actor_name="add", broker=broker, queue_name="orphans",
                         store_results=True)

    crashed = dramatiq_broker(job_server.port)
    worker = None
    try:
        message = crashed.enqueue(add.message(40, 2))
        consumer = crashed.consume("orphans", prefetch=1, timeout=100)
        fetched = wait_for(lambda: next(consumer), lambda m: m is not None,
                           "the doomed broker to fetch its message")
        assert fetched.message_id == message.message_id
        assert crashed.client.llen("dramatiq:orphans") == 0
        crashed.client.close()  # it dies here, holding the message unacknowledged

        worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
        worker.start()
        assert message.get_result(backend=backend, block=True, timeout=int(TIMEOUT * 1000)) == 42
        broker.join("orphans", timeout=int(TIMEOUT * 1000))
        worker.stop(timeout=int(TIMEOUT * 1000))
        worker = None
        assert broker.client.keys("dramatiq:__acks__.%s*" % crashed.broker_id) == []
        assert broker.client.zscore("dramatiq:__heartbeats__", crashed.broker_id) is None
    finally:
        if worker is not None:
            worker.stop(timeout=int(TIMEOUT * 1000))
        crashed.client.close()
        broker.close()
        backend.client.close()


# --------------------------------------------------------------------------- saq

SAQ_ATTEMPTS = {}


async def saq_add(ctx, *, a, b):
    return a + b


async def saq_flaky(ctx, *, tag, failures):
    SAQ_ATTEMPTS[tag] = SAQ_ATTEMPTS.get(tag, 0) + 1
    if SAQ_ATTEMPTS[tag] <= failures:
        raise RuntimeError("%s attempt %d" % (tag, SAQ_ATTEMPTS[tag]))
    return SAQ_ATTEMPTS[tag]


SAQ_FUNCTIONS = [("add", saq_add), ("flaky", saq_flaky)]


def saq_queue(port, name):
    from saq.queue.redis import RedisQueue
    return RedisQueue.from_url("redis://127.0.0.1:%d" % port, name=name)


def test_saq_queue_scripts_without_a_worker(job_server):
    """saq's producer-side scripts: the enqueue script refusing a second job with the
    same key, abort of a queued job (MULTI with LREM, ZREM, SET, SETEX, PUBLISH), the
    schedule script moving due jobs from the incomplete sorted set to the queue, and
    the sweep script taking its lock."""
    need("saq")
    from saq.job import Status

    async def scenario():
        queue = saq_queue(job_server.port, "ops")
        await queue.connect()
        try:
            first = await queue.enqueue("add", a=1, b=2, key="once")
            assert first is not None and first.status == Status.QUEUED
            assert await queue.enqueue("add", a=3, b=4, key="once") is None
            assert (await queue.job("once")).kwargs == {"a": 1, "b": 2}

            doomed = await queue.enqueue("add", a=5, b=6, key="abort-me")
            await doomed.abort("cancelled by the test")
            aborted = await queue.job("abort-me")
            assert aborted.status == Status.ABORTED and aborted.error == "cancelled by the test"

            due = await queue.enqueue("add", a=0, b=0, key="due", scheduled=int(time.time()) - 1)
            await queue.enqueue("add", a=0, b=0, key="future", scheduled=int(time.time()) + 3600)
            assert await queue.count("queued") == 1  # "once": scheduled jobs wait in "incomplete"
            assert await queue.schedule(lock=60) == [due.id]
            assert await queue.schedule(lock=60) == []  # the lock is held for 60 s
            assert await queue.count("queued") == 2
            assert await queue.count("incomplete") == 3
            assert (await queue.info())["scheduled"] == 1
            assert (await queue.job("future")).status == Status.QUEUED

            assert await queue.sweep(lock=60) == []  # nothing active
        finally:
            await queue.disconnect()

    asyncio.run(scenario())


def test_saq_worker_results_retries_schedules_and_failures(job_server, admin):
    """A saq Worker (BLMOVE from the queued to the active list, the schedule script
    polled every second, MULTI pipelines to finish or retry, PUBLISH of every status
    change): a result read through Pub/Sub (Queue.listen, PSUBSCRIBE) and through
    Queue.apply, a job retried with retry_delay (through the incomplete sorted set)
    that succeeds on its third attempt, a job failing after its two attempts, and a
    job scheduled a second ahead."""
    need("saq")
    from saq import Worker
    from saq.job import Status

    SAQ_ATTEMPTS.clear()
    terminal = (Status.COMPLETE, Status.FAILED, Status.ABORTED)

    async def scenario():
        queue = saq_queue(job_server.port, "jobs")
        await queue.connect()
        worker = worker_task = listener = None
        try:
            # Take the sweep lock (60 s) while nothing is active: a sweep racing a
            # dequeue would find a job in the active list still marked queued and abort it.
            assert await queue.sweep(lock=60) == []
            add = await queue.enqueue("add", a=1, b=2)
            flaky = await queue.enqueue("flaky", tag="flaky", failures=2, retries=3, retry_delay=0.2)
            doomed = await queue.enqueue("flaky", tag="doomed", failures=10, retries=2)
            later = await queue.enqueue("add", a=10, b=20, scheduled=int(time.time()) + 1)
            jobs = {"add": add, "flaky": flaky, "doomed": doomed, "later": later}

            # Listen for the first job's status changes before any worker runs.
            seen = []

            async def on_change(key, status):
                seen.append(status)
                return status in terminal

            listener = asyncio.create_task(queue.listen([add.key], on_change, timeout=TIMEOUT))
            await async_wait_for(lambda: asyncio.to_thread(admin.pubsub_numpat), lambda n: n >= 1,
                                 "saq's PSUBSCRIBE")

            worker = Worker(queue, functions=SAQ_FUNCTIONS, concurrency=2, dequeue_timeout=1)
            worker_task = asyncio.create_task(worker.start())
            assert await queue.apply("add", a=7, b=8, timeout=TIMEOUT, poll_interval=0.02) == 15
            await listener
            assert seen[-1] == Status.COMPLETE and Status.ACTIVE in seen

            async def statuses():
                return {name: (await queue.job(job.key)).status for name, job in jobs.items()}

            await async_wait_for(statuses, lambda s: all(status in terminal for status in s.values()),
                                 "every saq job to complete or fail")
            await asyncio.wait_for(worker.stop(), TIMEOUT)

            stored = {name: await queue.job(job.key) for name, job in jobs.items()}
            assert stored["add"].status == Status.COMPLETE and stored["add"].result == 3
            assert stored["flaky"].status == Status.COMPLETE and stored["flaky"].result == 3
            assert stored["flaky"].attempts == 3
            assert stored["doomed"].status == Status.FAILED and stored["doomed"].attempts == 2
            assert "RuntimeError: doomed attempt 2" in stored["doomed"].error
            assert stored["later"].status == Status.COMPLETE and stored["later"].result == 30
            assert stored["later"].started >= later.scheduled * 1000
            assert SAQ_ATTEMPTS == {"flaky": 3, "doomed": 2}
            info = await queue.info()
            assert (info["queued"], info["active"], info["scheduled"]) == (0, 0, 0)
        finally:
            if worker is not None:
                await asyncio.wait_for(worker.stop(), TIMEOUT)
                await asyncio.wait_for(worker_task, TIMEOUT)
            if listener is not None and not listener.done():
                listener.cancel()
            await queue.disconnect()

    asyncio.run(scenario())
