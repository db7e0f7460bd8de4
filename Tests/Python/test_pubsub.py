"""Pub/Sub through redis-py over real sockets, RESP2 and RESP3: the PubSub
helper (subscribe, psubscribe, get_message, unsubscribe), subscribed-mode
errors, a fan-out of two publishers to three subscribers (one by pattern) in
per-publisher order, and a subscriber that never reads being disconnected by
client-output-buffer-limit pubsub while the others keep receiving."""
import socket
import threading
import time

import pytest
import redis

PROTOCOLS = [2, 3]


def next_message(pubsub, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.1)
        if message is not None:
            return message
    pytest.fail("no message within %.0f s" % timeout)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_pubsub_helper(server, protocol):
    r = redis.Redis(port=server.port, protocol=protocol, decode_responses=True)
    p = r.pubsub()
    p.subscribe("news")
    assert next_message(p) == {"type": "subscribe", "pattern": None, "channel": "news", "data": 1}
    p.psubscribe("n*")
    assert next_message(p) == {"type": "psubscribe", "pattern": None, "channel": "n*", "data": 2}
    assert r.publish("news", "hello") == 2
    first, second = next_message(p), next_message(p)
    assert first == {"type": "message", "pattern": None, "channel": "news", "data": "hello"}
    assert second == {"type": "pmessage", "pattern": "n*", "channel": "news", "data": "hello"}
    assert r.pubsub_numsub("news") == [("news", 1)]
    assert r.pubsub_numpat() == 1
    assert r.pubsub_channels() == ["news"]
    p.unsubscribe("news")
    assert next_message(p)["type"] == "unsubscribe"
    p.punsubscribe()
    assert next_message(p) == {"type": "punsubscribe", "pattern": None, "channel": "n*", "data": 0}
    assert r.publish("news", "nobody") == 0
    p.close()
    r.close()


def test_subscribed_resp2_connection_refuses_other_commands(server):
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(b"SUBSCRIBE c\r\nGET k\r\nPING\r\n")
    expected = (b"*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n"
                b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
                b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")
    received = b""
    deadline = time.monotonic() + 5
    while len(received) < len(expected) and time.monotonic() < deadline:
        received += s.recv(4096)
    assert received == expected
    s.close()


def test_fan_out_keeps_per_publisher_order(server):
    messages = 2000
    subscribers = []
    for pattern in (False, False, True):
        r = redis.Redis(port=server.port, decode_responses=True)
        p = r.pubsub()
        if pattern:
            p.psubscribe("jobs.*")
        else:
            p.subscribe("jobs.a", "jobs.b")
        subscribers.append((r, p))
    admin = redis.Redis(port=server.port, decode_responses=True)
    deadline = time.monotonic() + 5
    while admin.pubsub_numsub("jobs.a")[0][1] < 2 or admin.pubsub_numpat() < 1:
        assert time.monotonic() < deadline
        time.sleep(0.01)

    def publisher(channel):
        r = redis.Redis(port=server.port)
        for index in range(messages):
            r.publish(channel, "%s:%d" % (channel, index))
        r.close()

    threads = [threading.Thread(target=publisher, args=(channel,)) for channel in ("jobs.a", "jobs.b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for r, p in subscribers:
        seen = {"jobs.a": [], "jobs.b": []}
        while len(seen["jobs.a"]) + len(seen["jobs.b"]) < 2 * messages:
            message = next_message(p)
            if message["type"] in ("message", "pmessage"):
                channel, index = message["data"].split(":")
                seen[channel].append(int(index))
        assert seen["jobs.a"] == list(range(messages))
        assert seen["jobs.b"] == list(range(messages))
        p.close()
        r.close()
    admin.close()


def test_a_subscriber_that_never_reads_is_disconnected(server):
    admin = redis.Redis(port=server.port, decode_responses=True)
    admin.config_set("client-output-buffer-limit", "pubsub 262144 131072 60")
    stuck = socket.create_connection(("127.0.0.1", server.port))
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.sendall(b"SUBSCRIBE firehose\r\n")
    reader = redis.Redis(port=server.port, decode_responses=True)
    p = reader.pubsub()
    p.subscribe("firehose")
    deadline = time.monotonic() + 5
    while admin.pubsub_numsub("firehose")[0][1] < 2:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    payload = "x" * 1000
    received = 0
    sent = 0
    deadline = time.monotonic() + 30
    while admin.pubsub_numsub("firehose")[0][1] == 2:
        assert time.monotonic() < deadline, "the stuck subscriber was never disconnected"
        for _ in range(50):
            admin.publish("firehose", payload)
            sent += 1
        while p.get_message(timeout=0) is not None:
            received += 1
    # The reader keeps receiving after the stuck client is gone.
    assert admin.publish("firehose", "after") == 1
    while True:
        message = next_message(p)
        if message["data"] == "after":
            break
    assert "omem" in admin.execute_command("CLIENT", "INFO")
    p.close()
    reader.close()
    stuck.close()
    admin.close()
