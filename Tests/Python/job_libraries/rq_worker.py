"""Runs rq's real Worker (forking a work horse per job) with its scheduler on the
given queues until SIGTERM, as `rq worker --with-scheduler` would:

    python rq_worker.py PORT QUEUE [QUEUE ...]

The scheduler runs in a child process that the worker stops (SIGTERM, join) on its
way out; SIGTERM asks the worker for a warm shutdown."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from redis import Redis  # noqa: E402
from rq import Queue, Worker  # noqa: E402


def main():
    port, names = int(sys.argv[1]), sys.argv[2:]
    connection = Redis(host="127.0.0.1", port=port)
    queues = [Queue(name, connection=connection) for name in names]
    worker = Worker(queues, connection=connection, name="redstart-test-%d" % os.getpid())
    worker.work(with_scheduler=True, logging_level="WARNING")


if __name__ == "__main__":
    main()
