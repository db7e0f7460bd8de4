"""Keyspace notifications over real sockets: redis-py's PubSub in RESP2 and RESP3
receiving keyspace and keyevent messages, `expired` from background expiry,
redis-cli in subscribed mode, and a differential run against redis-server: the
same commands on both servers must publish the same events in the same order."""
import shlex
import subprocess
import threading
import time

import pytest
import redis

from test_pubsub import next_message


@pytest.mark.parametrize("protocol", [2, 3])
def test_keyspace_and_keyevent_messages(server, protocol):
    r = redis.Redis(port=server.port, protocol=protocol, decode_responses=True)
    r.config_set("notify-keyspace-events", "KEA")
    p = r.pubsub()
    p.psubscribe("__key*@0__:*")
    assert next_message(p)["type"] == "psubscribe"
    r.rpush("jobs", "a")
    assert next_message(p) == {"type": "pmessage", "pattern": "__key*@0__:*",
                               "channel": "__keyspace@0__:jobs", "data": "rpush"}
    assert next_message(p) == {"type": "pmessage", "pattern": "__key*@0__:*",
                               "channel": "__keyevent@0__:rpush", "data": "jobs"}
    # Background expiry: nobody touches the key, the server removes it and reports it.
    r.psetex("short", 50, "v")
    seen = [next_message(p)["channel"] for _ in range(4)]
    assert seen == ["__keyspace@0__:short", "__keyevent@0__:set", "__keyspace@0__:short", "__keyevent@0__:expire"]
    assert next_message(p)["channel"] == "__keyspace@0__:short"
    assert next_message(p) == {"type": "pmessage", "pattern": "__key*@0__:*",
                               "channel": "__keyevent@0__:expired", "data": "short"}
    assert r.exists("short") == 0
    r.config_set("notify-keyspace-events", "")
    p.close()
    r.close()


def test_redis_cli_in_subscribed_mode_prints_events(server):
    r = redis.Redis(port=server.port, decode_responses=True)
    r.config_set("notify-keyspace-events", "Eg")
    cli = subprocess.Popen(["redis-cli", "-p", str(server.port), "psubscribe", "__keyevent@0__:*"],
                           stdout=subprocess.PIPE, text=True)
    # A missing line must fail the test, not hang it: the reader sees EOF once this fires.
    watchdog = threading.Timer(10, cli.kill)
    watchdog.start()
    try:
        assert [cli.stdout.readline().strip() for _ in range(3)] == ["psubscribe", "__keyevent@0__:*", "1"]
        # The subscription is in place once the server counts it.
        deadline = time.monotonic() + 5
        while r.pubsub_numpat() != 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        r.set("k", "v")
        r.delete("k")
        assert [cli.stdout.readline().strip() for _ in range(4)] == [
            "pmessage", "__keyevent@0__:*", "__keyevent@0__:del", "k"]
    finally:
        watchdog.cancel()
        cli.kill()
        cli.wait()
        r.close()


# Every command family's events; nothing random (SPOP and friends are left out).
COMMANDS = """
set foo bar
set foo baz EX 100
setnx foo2 x
setex s1 100 v
getset foo q
mset a 1 b 2
msetnx c 1 d 3
append foo zz
incr cnt
decrby cnt 2
incrbyfloat fl 1.5
setrange sr 2 ab
setbit bits 3 1
setbit bits 3 1
bitfield bf SET u8 0 200
bitop and dest bits bf
bitop and dest nosuch1 nosuch2
getdel foo
get nosuch
getex a EX 100
getex a PERSIST
getex b PXAT 1
expire c 100
expire c -1
persist s1
del a b c d nosuch
set k1 v
rename k1 k2
renamenx k2 k3
copy k3 k4
copy k3 k4 replace
move k4 1
unlink k3
lpush l1 a b c
rpushx l1 d
lpop l1
rpop l1 2
lset l1 0 X
linsert l1 before X Y
lrem l1 0 Y
ltrim l1 5 10
rpush l2 a b c
lmove l2 l3 left right
rpoplpush l2 l3
lmpop 2 l2 l3 right count 10
rpush l4 x
blpop l4 1
hset h1 f1 v1 f2 v2
hsetnx h1 f9 z
hincrby h1 n 3
hincrbyfloat h1 x 1.5
hdel h1 f1 f2 f9 n x
sadd sa 1 2 3
sadd sb 3 4
srem sa 9
smove sa sb 1
sinterstore si sa sb
sunionstore su sb sb
sdiffstore sd sb sb
zadd z1 1 a 2 b 3 c
zadd z1 incr 1 a
zincrby z1 2 b
zrem z1 a
zremrangebyscore z1 100 200
zremrangebyrank z1 0 0
zunionstore zu 1 z1
zinterstore zi 2 z1 nosuch
zrangestore zr z1 0 0
zpopmin z1
bzpopmax zu 1
zadd z5 1 a 2 b
bzmpop 1 1 z5 min count 5
type nosuch
ttl nosuch
hget nosuch f
"""


def events_of(port):
    r = redis.Redis(port=port, decode_responses=True)
    r.flushall()
    r.config_set("notify-keyspace-events", "KEAnm")
    p = r.pubsub()
    p.psubscribe("*")
    next_message(p)
    log = []
    for line in COMMANDS.strip().splitlines():
        try:
            r.execute_command(*shlex.split(line))
        except redis.ResponseError as error:
            log.append("%s -> error %s" % (line, error))
        log.append(">> " + line)
        r.publish("end-of-command", "")
        while True:
            message = next_message(p)
            if message["channel"] == "end-of-command":
                break
            log.append("%s %s" % (message["channel"], message["data"]))
    r.config_set("notify-keyspace-events", "")
    p.close()
    r.close()
    return log


def test_events_match_redis(server, redis_server):
    expected = events_of(redis_server.port)
    assert len(expected) > 300
    assert events_of(server.port) == expected
