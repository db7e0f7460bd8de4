"""Helpers for tests with blocked clients: wait for a condition with a deadline,
count blocked clients, run a blocking call in a thread."""
import threading
import time

import pytest


def wait_until(condition, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(0.005)


def blocked_clients(r):
    return int(r.info("clients")["blocked_clients"])


def wait_blocked(r, count):
    wait_until(lambda: blocked_clients(r) == count, "%d blocked client(s)" % count)


class Background(threading.Thread):
    """Runs call(*args) in a thread; outcome() joins it and returns or re-raises."""

    def __init__(self, call, *args):
        super().__init__(daemon=True)
        self.call, self.args = call, args
        self.result = self.error = None
        self.start()

    def run(self):
        try:
            self.result = self.call(*self.args)
        except Exception as error:  # re-raised by outcome()
            self.error = error

    def outcome(self, timeout=10.0):
        self.join(timeout)
        assert not self.is_alive(), "still blocked after %.0f s" % timeout
        if self.error is not None:
            raise self.error
        return self.result
