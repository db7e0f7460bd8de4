"""Job functions that rq's worker imports by name (job_libraries.rq_jobs.add, ...).

rq's default Worker forks a work horse per job, so these run in a child of the worker
process; whatever they remember between attempts lives in Redis."""
from rq import get_current_job


def add(a, b):
    return a + b


def fail(message):
    raise ValueError(message)


def flaky(counter_key, failures):
    """Fails the first `failures` calls (counted in Redis under counter_key), then
    returns the number of the attempt that succeeded."""
    job = get_current_job()
    attempt = job.connection.incr(counter_key)
    if attempt <= failures:
        raise RuntimeError("flaky attempt %d" % attempt)
    return attempt
