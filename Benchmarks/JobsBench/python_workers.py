#!/usr/bin/env python3
"""The rq and BullMQ halves of `redstart-jobs bench`: the same measurement as the Swift
half, with each library's own producer and one worker process.

    python3 python_workers.py rq|bullmq --url redis://127.0.0.1:6379 [--jobs 20000]
                                        [--concurrency 10] [--latency-jobs 300]

1. Throughput: enqueue JOBS no-op jobs (the library's bulk enqueue) while one worker
   process runs them; jobs/s = JOBS / (first enqueue .. last job acknowledged).
   rq runs its SimpleWorker (no fork per job: rq's fastest mode); BullMQ's worker runs
   with `concurrency` (its async handler is awaited CONCURRENCY at a time).
2. Latency: with the worker idle, LATENCY_JOBS jobs enqueued one at a time at about
   200/s; enqueue-to-start from the library's own job records (rq: enqueued_at,
   started_at; BullMQ: timestamp, processedOn), in milliseconds.

Prints one line: `<library> jobs_per_second=<x> p50_ms=<y> p99_ms=<z>`.
Uses a fresh database (FLUSHDB before each phase)."""
import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import time

import redis


def noop():
    return None


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# rq ---------------------------------------------------------------------------------

def rq_worker(url, stop_when_idle):
    from rq import Queue, SimpleWorker
    connection = redis.Redis.from_url(url)
    worker = SimpleWorker([Queue("bench", connection=connection)], connection=connection)
    worker.work(burst=stop_when_idle, logging_level="ERROR")


def stop_rq(worker):
    """SIGTERM is a warm shutdown that waits out the worker's idle BLPOP: kill it after a moment."""
    worker.terminate()
    worker.join(timeout=2)
    if worker.is_alive():
        worker.kill()
        worker.join()


def rq_throughput(url, jobs):
    from rq import Queue
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    queue = Queue("bench", connection=connection)
    started = time.perf_counter()
    worker = multiprocessing.Process(target=rq_worker, args=(url, False))
    for first in range(0, jobs, 1000):
        queue.enqueue_many([Queue.prepare_data("python_workers.noop", result_ttl=600) for _ in range(min(1000, jobs - first))])
        if first == 0:
            worker.start()
    # ZCARD of the finished registry: its `count` runs a cleanup that rq 3.0 misjudges here.
    finished = queue.finished_job_registry.key
    while connection.zcard(finished) < jobs:
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    stop_rq(worker)
    return jobs / elapsed


def rq_latency(url, count):
    from rq import Queue
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    queue = Queue("bench", connection=connection)
    worker = multiprocessing.Process(target=rq_worker, args=(url, False))
    worker.start()
    time.sleep(1)  # the worker is up and idle: latency, not start-up, is measured
    jobs = []
    for _ in range(count):
        jobs.append(queue.enqueue("python_workers.noop", result_ttl=600))
        time.sleep(0.005)
    while connection.zcard(queue.finished_job_registry.key) < count:
        time.sleep(0.02)
    stop_rq(worker)
    latencies = []
    for job in jobs:
        job.refresh()
        latencies.append((job.started_at - job.enqueued_at).total_seconds() * 1000)
    return latencies


# BullMQ -----------------------------------------------------------------------------

async def bullmq_run(url, jobs, concurrency, paced):
    from bullmq import Queue, Worker
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    queue = Queue("bench", {"connection": url})
    done = asyncio.Event()
    finished = 0

    async def process(job, token):
        return None

    worker = Worker("bench", process, {"connection": url, "concurrency": concurrency})

    def on_completed(job, result):
        nonlocal finished
        finished += 1
        if finished == jobs:
            done.set()

    worker.on("completed", on_completed)
    started = time.perf_counter()
    added = []
    if paced:
        await asyncio.sleep(1)
        for n in range(jobs):
            added.append(await queue.add("noop", {"n": n}, {"removeOnComplete": False}))
            await asyncio.sleep(0.005)
    else:
        for first in range(0, jobs, 1000):
            await queue.addBulk([{"name": "noop", "data": {"n": n}, "opts": {}} for n in range(first, min(jobs, first + 1000))])
    await done.wait()
    elapsed = time.perf_counter() - started
    latencies = []
    if paced:
        for job in added:
            record = connection.hmget("bull:bench:%s" % job.id, "timestamp", "processedOn")
            latencies.append(int(record[1]) - int(record[0]))
    await worker.close()
    await queue.close()
    return jobs / elapsed, latencies


def bullmq_in_process(url, jobs, concurrency, paced, results):
    rate, latencies = asyncio.run(bullmq_run(url, jobs, concurrency, paced))
    results.put((rate, latencies))


def bullmq(url, jobs, concurrency, paced):
    """BullMQ's producer and worker share one event loop in one process (the worker is
    that process): its results come back through a queue."""
    results = multiprocessing.Queue()
    process = multiprocessing.Process(target=bullmq_in_process, args=(url, jobs, concurrency, paced, results))
    process.start()
    rate, latencies = results.get()
    process.join()
    return rate, latencies


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("library", choices=["rq", "bullmq"])
    parser.add_argument("--url", default="redis://127.0.0.1:6379")
    parser.add_argument("--jobs", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--latency-jobs", type=int, default=300)
    args = parser.parse_args()
    if args.library == "rq":
        rate = rq_throughput(args.url, args.jobs)
        latencies = rq_latency(args.url, args.latency_jobs)
    else:
        rate, _ = bullmq(args.url, args.jobs, args.concurrency, paced=False)
        _, latencies = bullmq(args.url, args.latency_jobs, args.concurrency, paced=True)
    print("%s jobs_per_second=%.0f p50_ms=%.2f p99_ms=%.2f" % (
        args.library, rate, statistics.median(latencies), percentile(latencies, 0.99)))


if __name__ == "__main__":
    main()
