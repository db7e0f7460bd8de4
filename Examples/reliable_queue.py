#!/usr/bin/env python3
"""A reliable work queue on any Redis-compatible server (Redis, Redstart), with redis-py.

The pattern
-----------
A plain queue (LPUSH by producers, BRPOP by workers) loses a job when a worker dies
after popping it: the job exists only in the dead process.  The reliable queue moves
the job atomically into a second list instead, and removes it from there only once
the work is done:

    producer:  LPUSH jobs <job>
    worker:    BLMOVE jobs processing RIGHT LEFT <timeout>   -- take (oldest first)
               ... do the work ...
               LREM processing 1 <job>                       -- acknowledge
    reaper:    puts jobs whose worker died back into `jobs`

A job is therefore always in `jobs` or in `processing` until it is acknowledged.
Jobs must be unique values (here "job:<n>"), since LREM and LPOS find them by value.

How the reaper knows that a worker died
---------------------------------------
* Every worker owns a heartbeat key, worker:<id>, that a background thread keeps
  setting with a short TTL (PX).  When the process dies, nobody refreshes it and
  the server expires it: "no heartbeat" means "dead".
* Right after BLMOVE the worker writes claim:<job> = <id>, so the reaper can tell
  whose job it is.  A job in `processing` whose claim names a worker without a
  heartbeat is put back into `jobs`.
* BLMOVE and the claim are two commands, so a worker can die between them.  Such a
  job has no claim; the reaper notes when it first saw it unclaimed
  (unclaimed:<job>) and puts it back once it has stayed unclaimed for longer than a
  grace period (a visibility timeout for this small window only).

Races, and why nothing is ever lost or queued twice
---------------------------------------------------
The reaper moves a job back with WATCH/MULTI/EXEC: it watches claim:<job> and
unclaimed:<job> (and the owner's heartbeat), checks that the job is still in
`processing` and still claimed by the dead worker, then does LREM + RPUSH in one
transaction.  Acknowledging, moving back and claiming a job all write one of the
watched keys, so if a worker acknowledges the job, another reaper moves it first,
or a worker claims it in between, EXEC fails; the reaper reads again and, finding
the job gone or owned, does nothing.  So two reapers never both push the same job
back, and a job is never removed from `processing` without being pushed back.

A worker acknowledges only a job that is still claimed by itself (WATCH claim:<job>):
if the reaper already gave the job to somebody else (the worker was thought dead but
was only slow), the late worker leaves the other worker's copy alone.  The job is
then processed twice: like every queue that survives crashes, this one gives
*at-least-once* processing, so the work itself should be idempotent.

Only strings and lists are used (plus WATCH/MULTI/EXEC), so it runs on Redstart too.

Usage
-----
    reliable_queue.py produce 100 [--port 6379]
    reliable_queue.py work [--name w1] [--job-seconds 0.05] [--heartbeat-ttl 3]
    reliable_queue.py reap [--loop 1]
    reliable_queue.py demo [--jobs 20]      # two workers, one SIGKILLed mid-job

Every subcommand takes --host, --port and --prefix (a prefix for every key name).
"""
import argparse
import collections
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import redis


class Keys:
    """The key names of one queue; `prefix` lets several queues share a server."""

    def __init__(self, prefix=""):
        self.prefix = prefix
        self.jobs = prefix + "jobs"              # waiting jobs: LPUSH in, BLMOVE out on the right
        self.processing = prefix + "processing"  # jobs taken by a worker, not yet acknowledged
        self.done = prefix + "done"              # log of finished jobs (for the demo and tests)

    def claim(self, job):
        return "%sclaim:%s" % (self.prefix, job)

    def unclaimed(self, job):
        return "%sunclaimed:%s" % (self.prefix, job)

    def heartbeat(self, worker_id):
        return "%sworker:%s" % (self.prefix, worker_id)


def connect(host="localhost", port=6379):
    return redis.Redis(host=host, port=port, decode_responses=True)


def server_time(r):
    """The server's clock, so that reapers on different machines agree on time."""
    seconds, microseconds = r.time()
    return seconds + microseconds / 1e6


# --------------------------------------------------------------------------- producer

def produce(r, keys, count, start=0):
    """Queue jobs "job:<start>" .. "job:<start+count-1>"; returns the new queue length."""
    jobs = ["job:%d" % n for n in range(start, start + count)]
    length = 0
    for offset in range(0, len(jobs), 1000):
        length = r.lpush(keys.jobs, *jobs[offset:offset + 1000])
    return length


# --------------------------------------------------------------------------- worker

class Heartbeat:
    """Keeps the key `key` alive (value: what the worker is doing) while in a `with`.

    A background thread sets it with a TTL of `ttl` seconds every ttl/3 seconds.  If
    the process is killed the thread dies with it and the key expires within `ttl`.
    """

    def __init__(self, r, key, ttl):
        self.r, self.key, self.ttl = r, key, ttl
        self.doing = "idle"
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def beat(self, doing=None):
        if doing is not None:
            self.doing = doing
        self.r.set(self.key, self.doing, px=max(1, int(self.ttl * 1000)))

    def _run(self):
        while not self.stopped.wait(self.ttl / 3):
            try:
                self.beat()
            except redis.ConnectionError:
                pass  # the server is unreachable; retry at the next beat

    def __enter__(self):
        self.beat()  # alive before the first job can be claimed
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()
        self.r.delete(self.key)  # clean exit: holding nothing any more


def take(r, keys, worker_id, timeout):
    """Wait up to `timeout` seconds (0: forever) for a job; move it to `processing`
    and claim it.  Returns the job, or None on timeout."""
    job = r.blmove(keys.jobs, keys.processing, timeout, "RIGHT", "LEFT")
    if job is not None:
        # If we die right here the job has no claim yet: the reaper's grace period
        # for unclaimed jobs covers this window.
        r.set(keys.claim(job), worker_id)
    return job


def acknowledge(r, keys, worker_id, job):
    """The work on `job` is done: remove it from `processing` if it is still ours.

    Returns True when our copy was removed, False when the reaper had already given
    the job back to the queue (then it will be processed again: at-least-once)."""
    with r.pipeline() as pipe:
        while True:
            try:
                pipe.watch(keys.claim(job))
                mine = pipe.get(keys.claim(job)) == worker_id
                pipe.multi()
                if mine:
                    pipe.lrem(keys.processing, 1, job)
                    pipe.delete(keys.claim(job), keys.unclaimed(job))
                pipe.rpush(keys.done, job)
                pipe.execute()
                return mine
            except redis.WatchError:
                continue  # the claim changed under us: look again


def work(r, keys, worker_id, job_seconds=0.05, heartbeat_ttl=3.0, poll=1.0,
         should_stop=lambda: False, max_jobs=None, log=None):
    """Process jobs until should_stop() (checked at least every `poll` seconds) or
    after `max_jobs` jobs.  "Processing" a job here is sleeping `job_seconds`."""
    handled = 0
    with Heartbeat(r, keys.heartbeat(worker_id), heartbeat_ttl) as heartbeat:
        while not should_stop() and (max_jobs is None or handled < max_jobs):
            job = take(r, keys, worker_id, poll)
            if job is None:
                continue
            heartbeat.beat(job)
            if log:
                log("%s: working on %s" % (worker_id, job))
            time.sleep(job_seconds)  # the real work would go here
            if not acknowledge(r, keys, worker_id, job) and log:
                log("%s: %s was already handed to someone else" % (worker_id, job))
            heartbeat.beat("idle")
            handled += 1
    return handled


# --------------------------------------------------------------------------- reaper

def _requeue(r, keys, job, owner):
    """Atomically move `job` from `processing` back to `jobs`, provided it is still
    there and still claimed by `owner` (None: unclaimed) and the owner is still dead.
    Returns True if this call moved it.

    Every change that takes a job out of `processing` or gives it a new owner writes
    claim:<job> or unclaimed:<job> (an acknowledgement or a move back deletes the
    one that exists, a worker sets the claim), so watching those two keys is enough;
    watching all of `processing` would make EXEC fail at every other job's traffic."""
    watched = [keys.claim(job), keys.unclaimed(job)]
    if owner is not None:
        watched.append(keys.heartbeat(owner))
    with r.pipeline() as pipe:
        while True:
            try:
                pipe.watch(*watched)
                if pipe.get(keys.claim(job)) != owner:
                    return False  # acknowledged, moved back, or claimed (again)
                if owner is None and not pipe.exists(keys.unclaimed(job)):
                    return False  # moved back by another reaper meanwhile
                if owner is not None and pipe.exists(keys.heartbeat(owner)):
                    return False  # the owner came back to life
                if pipe.lpos(keys.processing, job) is None:
                    return False  # not (or no longer) in processing
                pipe.multi()
                pipe.lrem(keys.processing, 1, job)
                pipe.delete(keys.claim(job), keys.unclaimed(job))
                pipe.rpush(keys.jobs, job)  # right end: taken next by BLMOVE ... RIGHT
                pipe.execute()
                return True
            except redis.WatchError:
                continue  # something changed: check again from scratch


def reap_once(r, keys, unclaimed_grace=30.0):
    """One pass over `processing`; returns the jobs put back into `jobs`.

    Safe to run from several processes at once and while workers run."""
    requeued = []
    now = server_time(r)
    for job in r.lrange(keys.processing, 0, -1):
        owner = r.get(keys.claim(job))
        if owner is not None:
            if r.exists(keys.heartbeat(owner)):
                continue  # a live worker is on it
        else:
            # Taken but not claimed yet: give the worker `unclaimed_grace` seconds.
            first_seen = r.get(keys.unclaimed(job))
            if first_seen is None:
                if r.lpos(keys.processing, job) is None:
                    continue  # acknowledged since LRANGE: nothing to watch
                r.set(keys.unclaimed(job), now, nx=True, ex=int(unclaimed_grace * 10) + 60)
                continue
            if now - float(first_seen) < unclaimed_grace:
                continue
        if _requeue(r, keys, job, owner):
            requeued.append(job)
    return requeued


# --------------------------------------------------------------------------- demo

def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit("demo: timed out waiting for %s" % what)
        time.sleep(0.05)


def held_by(r, keys, worker_id):
    return [job for job in r.lrange(keys.processing, 0, -1) if r.get(keys.claim(job)) == worker_id]


def demo(args):
    sys.stdout.reconfigure(line_buffering=True)  # keep our lines in order with the workers'
    r = connect(args.host, args.port)
    keys = Keys("demo:%s:" % uuid.uuid4().hex[:8])  # fresh keys: nothing else is touched
    total = args.jobs
    print("queueing %d jobs under %s*" % (total, keys.prefix))
    produce(r, keys, total)

    def start_worker(name, job_seconds):
        return subprocess.Popen([
            sys.executable, os.path.abspath(__file__), "work", "--host", args.host,
            "--port", str(args.port), "--prefix", keys.prefix, "--name", name,
            "--job-seconds", str(job_seconds), "--heartbeat-ttl", "1", "--poll", "0.2"])

    slow = start_worker("worker-slow", 1.0)
    wait_for(lambda: held_by(r, keys, "worker-slow"), 20, "worker-slow to take a job")
    fast = start_worker("worker-fast", 0.05)
    try:
        victim = held_by(r, keys, "worker-slow")
        slow.kill()  # SIGKILL: no cleanup, no acknowledgement, heartbeat stops
        slow.wait()
        print("killed worker-slow (SIGKILL) while it held %s" % ", ".join(victim))

        # The reaper notices once the dead worker's heartbeat has expired (<= 1 s).
        requeued = []
        while len(r.lrange(keys.done, 0, -1)) < total or r.llen(keys.processing):
            requeued += reap_once(r, keys, unclaimed_grace=5)
            time.sleep(0.25)
            if slow.poll() is None or fast.poll() is not None:
                raise SystemExit("demo: a worker is in an unexpected state")
        print("reaper put back: %s" % (", ".join(requeued) or "nothing"))
    finally:
        fast.terminate()  # SIGTERM: the worker finishes its job and exits
        fast.wait()
        slow.kill()
        slow.wait()

    processed = collections.Counter(r.lrange(keys.done, 0, -1))
    expected = {"job:%d" % n for n in range(total)}
    missing = expected - set(processed)
    twice = sorted(job for job, times in processed.items() if times > 1)
    in_processing = r.llen(keys.processing)
    print("processed at least once: %d/%d%s" % (
        len(expected) - len(missing), total, " (missing: %s)" % sorted(missing) if missing else ""))
    print("processed more than once: %s" % (", ".join(twice) or "none"))
    print("left in processing: %d, left in jobs: %d" % (in_processing, r.llen(keys.jobs)))
    for key in r.scan_iter(match=keys.prefix + "*"):
        r.delete(key)
    ok = not missing and in_processing == 0
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


# --------------------------------------------------------------------------- command line

def main(argv=None):
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--host", default="localhost")
    common.add_argument("--port", type=int, default=6379)
    common.add_argument("--prefix", default="", help="prefix for every key name")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("produce", parents=[common], help="queue N jobs")
    p.add_argument("count", type=int)
    p.add_argument("--start", type=int, default=0, help="number of the first job")

    p = commands.add_parser("work", parents=[common], help="process jobs until SIGTERM/SIGINT")
    p.add_argument("--name", default="%s:%d" % (socket.gethostname(), os.getpid()))
    p.add_argument("--job-seconds", type=float, default=0.05, help="simulated work per job")
    p.add_argument("--heartbeat-ttl", type=float, default=3.0)
    p.add_argument("--poll", type=float, default=1.0, help="BLMOVE timeout between stop checks")
    p.add_argument("--max-jobs", type=int)

    p = commands.add_parser("reap", parents=[common], help="put back the jobs of dead workers")
    p.add_argument("--unclaimed-grace", type=float, default=30.0)
    p.add_argument("--loop", type=float, metavar="SECONDS", help="repeat every SECONDS")

    p = commands.add_parser("demo", parents=[common], help="producer, two workers, a kill, the reaper")
    p.add_argument("--jobs", type=int, default=20)

    args = parser.parse_args(argv)
    keys = Keys(args.prefix)
    if args.command == "produce":
        print(produce(connect(args.host, args.port), keys, args.count, args.start))
    elif args.command == "work":
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())  # finish the current job, then exit
        handled = work(connect(args.host, args.port), keys, args.name, args.job_seconds,
                       args.heartbeat_ttl, args.poll, stop.is_set, args.max_jobs,
                       log=lambda message: print(message, flush=True))
        print("%s: stopping after %d jobs" % (args.name, handled))
    elif args.command == "reap":
        r = connect(args.host, args.port)
        while True:
            for job in reap_once(r, keys, args.unclaimed_grace):
                print("requeued %s" % job, flush=True)
            if args.loop is None:
                break
            time.sleep(args.loop)
    else:
        return demo(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
