#!/usr/bin/env python3
"""Enqueue RedstartJobs jobs from Python, with nothing but redis-py.

The job record and the keys are RedstartJobs' wire format
(Sources/RedstartJobs/RedstartJobs.docc/WireFormat.md): a job is a hash
`<ns>:job:<id>` whose `payload` is JSON; its ID goes on the left of
`<ns>:q:<queue>:waiting` (workers take from the right, so the oldest runs first)
or, delayed, into `<ns>:q:<queue>:delayed` by its due time in ms; one element on
`<ns>:q:<queue>:signal` wakes a waiting worker. All of it in one MULTI/EXEC, so a
worker never sees half a job.

    python3 producer.py [--url redis://127.0.0.1:6379] [--queue default] [--count 10]
                        [--name mark] [--delay-ms 0]

Payloads here are {"n": i} for the Swift worker's "mark" handler
(Tests/JobsTestWorker); prints each job's ID.
"""
import argparse
import json
import time
import uuid

import redis


def enqueue(r, name, payload, queue="default", namespace="rj", max_attempts=3, delay_ms=0, job_id=None):
    """Enqueues one job and returns its ID (a job with that ID already there is left as is)."""
    job_id = job_id or str(uuid.uuid4())
    job = f"{namespace}:job:{job_id}"
    now_ms = int(time.time() * 1000)
    fields = {
        "name": name,
        "payload": json.dumps(payload),
        "queue": queue,
        "attempts": 0,
        "max_attempts": max_attempts,
        "enqueued_at": now_ms,
        "state": "delayed" if delay_ms > 0 else "waiting",
    }
    if r.exists(job):
        return job_id
    with r.pipeline(transaction=True) as tx:
        tx.hset(job, mapping=fields)
        tx.sadd(f"{namespace}:queues", queue)
        tx.hincrby(f"{namespace}:q:{queue}:stats", "enqueued", 1)
        if delay_ms > 0:
            tx.hset(job, "run_at", now_ms + delay_ms)
            tx.zadd(f"{namespace}:q:{queue}:delayed", {job_id: now_ms + delay_ms})
        else:
            tx.lpush(f"{namespace}:q:{queue}:waiting", job_id)
        # Wakes a waiting worker: to take the job, or to learn when the delayed one is due.
        tx.lpush(f"{namespace}:q:{queue}:signal", "1")
        tx.ltrim(f"{namespace}:q:{queue}:signal", 0, 0)
        tx.publish(f"{namespace}:events", json.dumps({"event": "enqueued", "id": job_id, "queue": queue}))
        tx.execute()
    return job_id


def enqueue_many(r, name, payloads, queue="default", namespace="rj", max_attempts=3, batch=1000):
    """Enqueues many new jobs, `batch` per MULTI/EXEC; returns their IDs."""
    ids = []
    now_ms = int(time.time() * 1000)
    for start in range(0, len(payloads), batch):
        with r.pipeline(transaction=True) as tx:
            chunk = payloads[start:start + batch]
            for payload in chunk:
                job_id = str(uuid.uuid4())
                ids.append(job_id)
                tx.hset(f"{namespace}:job:{job_id}", mapping={
                    "name": name, "payload": json.dumps(payload), "queue": queue, "attempts": 0,
                    "max_attempts": max_attempts, "enqueued_at": now_ms, "state": "waiting"})
                tx.lpush(f"{namespace}:q:{queue}:waiting", job_id)
            tx.sadd(f"{namespace}:queues", queue)
            tx.hincrby(f"{namespace}:q:{queue}:stats", "enqueued", len(chunk))
            tx.lpush(f"{namespace}:q:{queue}:signal", "1")
            tx.ltrim(f"{namespace}:q:{queue}:signal", 0, 0)
            tx.execute()
    return ids


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="redis://127.0.0.1:6379")
    parser.add_argument("--queue", default="default")
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--name", default="mark")
    parser.add_argument("--delay-ms", type=int, default=0)
    args = parser.parse_args()
    r = redis.Redis.from_url(args.url)
    for i in range(args.count):
        print(enqueue(r, args.name, {"n": i}, queue=args.queue, delay_ms=args.delay_ms))


if __name__ == "__main__":
    main()
