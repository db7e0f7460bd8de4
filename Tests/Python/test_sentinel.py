"""Sentinel over Redstart: three real redis-sentinel processes monitor a Redstart primary
with two Redstart replicas. Killing the primary makes them fail over to a replica, the
other replica follows the new primary, the old primary rejoins as a replica when it comes
back, and a redis-py Sentinel client keeps writing through it all with a bounded gap.
"""
import os
import shutil
import signal
import subprocess
import threading
import time

import pytest
import redis
from redis.sentinel import Sentinel

from conftest import BINARY, free_port
from test_persistence import digests, processes, wait_for, workdir  # noqa: F401
from test_replication import wait_synced

SENTINEL = shutil.which("redis-sentinel")
# Failover timeouts: run alone (Scripts/test.sh runs the `serial` tests after the others).
pytestmark = [pytest.mark.serial, pytest.mark.skipif(SENTINEL is None, reason="needs redis-sentinel")]


def _answers(port):
    try:
        return redis.Redis(port=port, socket_timeout=1).ping()
    except redis.RedisError:
        return False


class Node:
    """A redstart-server started from a config file of its own (Sentinel rewrites it)."""

    def __init__(self, workdir, name, replica_of=None, port=None):
        self.directory = os.path.join(workdir, name)
        os.makedirs(self.directory, exist_ok=True)
        self.port = port or free_port()
        self.config = os.path.join(self.directory, "redstart.conf")
        if not os.path.exists(self.config):
            lines = ["port %d" % self.port, "bind 127.0.0.1", "dir %s" % self.directory, 'save ""',
                     "repl-diskless-sync-delay 0", "enable-debug-command yes", "logfile %s" % os.path.join(self.directory, "server.log")]
            if replica_of:
                lines.append("replicaof 127.0.0.1 %d" % replica_of)
            with open(self.config, "w") as f:
                f.write("\n".join(lines) + "\n")
        self.process = subprocess.Popen([BINARY, self.config], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for(lambda: _answers(self.port), message="redstart-server on %d" % self.port)

    def client(self):
        return redis.Redis(port=self.port, socket_timeout=2)

    def kill(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)


class SentinelProcess:
    def __init__(self, workdir, index, primary_port):
        self.port = free_port()
        directory = os.path.join(workdir, "sentinel-%d" % index)
        os.makedirs(directory)
        config = os.path.join(directory, "sentinel.conf")
        with open(config, "w") as f:
            f.write("\n".join([
                "port %d" % self.port, "bind 127.0.0.1", "dir %s" % directory,
                "sentinel monitor mymaster 127.0.0.1 %d 2" % primary_port,
                "sentinel down-after-milliseconds mymaster 1000",
                "sentinel failover-timeout mymaster 10000",
                "sentinel parallel-syncs mymaster 1",
                "logfile %s" % os.path.join(directory, "sentinel.log"),
            ]) + "\n")
        self.process = subprocess.Popen([SENTINEL, config], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for(lambda: _answers(self.port), message="redis-sentinel on %d" % self.port)

    def client(self):
        return redis.Redis(port=self.port, socket_timeout=2, decode_responses=True)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture
def cluster(workdir):
    started = []
    yield started
    for item in started:
        if isinstance(item, Node):
            item.kill()
        else:
            item.stop()


def _log_tails(workdir):
    """The last lines of every server's and sentinel's log (for a failure's message)."""
    out = []
    for root, _, files in os.walk(workdir):
        for name in files:
            if name.endswith(".log"):
                with open(os.path.join(root, name), errors="replace") as f:
                    out.append("== %s\n%s" % (os.path.join(root, name), "".join(f.readlines()[-25:])))
    return "\n".join(out)


def test_sentinel_failover(workdir, cluster):
    try:
        _failover_scenario(workdir, cluster)
    except AssertionError as error:
        raise AssertionError("%s\n%s" % (error, _log_tails(workdir))) from None


def _failover_scenario(workdir, cluster):
    primary = Node(workdir, "a")
    cluster.append(primary)
    replicas = [Node(workdir, name, replica_of=primary.port) for name in ("b", "c")]
    cluster.extend(replicas)
    for replica in replicas:
        wait_synced(primary.client(), replica.client())
    sentinels = [SentinelProcess(workdir, index, primary.port) for index in range(3)]
    cluster.extend(sentinels)

    def sentinels_see_everything():
        for s in sentinels:
            master = s.client().sentinel_master("mymaster")
            if master["num-slaves"] != 2 or master["num-other-sentinels"] != 2:
                return False
        return True
    wait_for(sentinels_see_everything, timeout=60, message="the sentinels to discover the replicas and each other")

    # A client writing through redis-py's Sentinel support the whole time.
    client_sentinel = Sentinel([("127.0.0.1", s.port) for s in sentinels], socket_timeout=0.5)
    writer = client_sentinel.master_for("mymaster", socket_timeout=0.5)
    acknowledged = []
    stop = threading.Event()

    def write():
        value = 0
        while not stop.is_set():
            try:
                writer.set("counter", value + 1)
                value += 1
                acknowledged.append((time.monotonic(), value))
            except (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError, redis.ResponseError):
                time.sleep(0.05)
            time.sleep(0.01)
    thread = threading.Thread(target=write)
    thread.start()
    try:
        wait_for(lambda: len(acknowledged) > 20, message="writes before the failure")
        primary.kill()
        old_address = ("127.0.0.1", primary.port)

        def failed_over():
            address = sentinels[0].client().sentinel_get_master_addr_by_name("mymaster")
            return address is not None and int(address[1]) != primary.port
        wait_for(failed_over, timeout=60, message="the failover")
        new_port = int(sentinels[0].client().sentinel_get_master_addr_by_name("mymaster")[1])
        new_primary = next(r for r in replicas if r.port == new_port)
        other = next(r for r in replicas if r.port != new_port)
        wait_for(lambda: other.client().execute_command("ROLE")[1:3] == [b"127.0.0.1", new_port]
                 and other.client().info("replication")["master_link_status"] == "up",
                 timeout=60, message="the other replica to follow the new primary")
        count_at_failover = len(acknowledged)
        wait_for(lambda: len(acknowledged) > count_at_failover + 20, timeout=60, message="writes after the failover")

        # The old primary comes back (same config file, rewritten or not) and is made a replica.
        primary = Node(workdir, "a", port=old_address[1])
        cluster.append(primary)
        wait_for(lambda: primary.client().execute_command("ROLE")[0] == b"slave"
                 and primary.client().info("replication").get("master_port") == new_port
                 and primary.client().info("replication")["master_link_status"] == "up",
                 timeout=60, message="the old primary to rejoin as a replica")
    finally:
        stop.set()
        thread.join(timeout=30)

    # Writes kept going with a bounded gap, nothing acknowledged was lost.
    times = [t for t, _ in acknowledged]
    gap = max(b - a for a, b in zip(times, times[1:]))
    assert gap < 20, "writes stopped for %.1f s" % gap
    last = acknowledged[-1][1]
    head = new_primary.client()
    assert int(head.get("counter")) == last
    for node in (other, primary):
        wait_synced(head, node.client())
        assert digests(node.client()) == digests(head)
    # Sentinel rewrote the configs: the new primary has no replicaof line, the others name it.
    with open(new_primary.config) as f:
        assert "replicaof" not in f.read()
    with open(other.config) as f:
        assert "replicaof 127.0.0.1 %d" % new_port in f.read()
    print("failover: longest write gap %.2f s, %d writes acknowledged" % (gap, len(acknowledged)))
