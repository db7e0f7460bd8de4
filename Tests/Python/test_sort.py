"""SORT and SORT_RO against redis-server: the same commands on both servers (lists,
sets, sorted sets; numeric and ALPHA order, DESC, LIMIT clamping, BY patterns with
string and hash values, BY without `*`, GET # and GET patterns, STORE with TTL reset and
deletion of an empty result, errors) must give identical replies in RESP2 and RESP3.
An overflowing number is left out: Redis does not clear errno before strtod, so after
one it refuses later sorts of valid numbers."""
import shlex
import threading

import pytest
import redis

from blocking_helpers import wait_blocked

COMMANDS = """
rpush l 3 1 2 10 -5 2.5
sort l
sort l desc
sort l alpha
sort l alpha desc
sort l limit 1 2
sort l limit 0 -1
sort l limit -5 2
sort l limit 10 2
sort l limit 2 100
sort l limit a b
sort l limit 1
sort l bogus
sort l store
sort_ro l store x
sort l by nosort
sort l by nosort desc
sort l by nosort limit 1 2
sort l by nosort by w_*
sort l by nosort desc limit 1 2
mset w_3 30 w_1 10 w_2 20 w_10 0 w_-5 5
sort l by w_*
sort l by w_* desc
sort l by w_* get # get w_*
sort l by w_* alpha
sort l by w_* limit 0 3
hset h_1 f 9
hset h_3 f 1
sort l by h_*->f
sort l by h_*->f get h_*->f get #
sort l get nothere
sort l get h_*->
sort l get h_*->f
sort l store dst
lrange dst 0 -1
sort l get h_*->f store dst2
lrange dst2 0 -1
sort nosuch
sort nosuch store dst
exists dst
set str abc
sort str
hset hh a 1
sort hh
rpush bad 1 x 2
sort bad
sort bad alpha
rpush empty2 "" 1
sort empty2
rpush sp " 3" 2
sort sp
rpush nan nan 1
sort nan
rpush inf inf -inf 0
sort inf
sadd s 5 3 1 4
sort s
sort s desc
sort s by nosort
sort s by nosort store sdst
lrange sdst 0 -1
sadd sa b c a
sort sa alpha
sort sa by nosort store sadst
lrange sadst 0 -1
zadd z 3 a 1 b 2 c
sort z alpha
sort z by nosort
sort z by nosort desc
sort z by nosort limit 1 1
sort z by nosort desc limit 1 5
rpush dup 1 1 2 01 1.0
sort dup
sort dup desc
rpush ab b a c
sort ab by w_* alpha
sort ab by w_*
set dst x
expire dst 100
sort l store dst
ttl dst
sort l by w_* limit 0 2 store dst
lrange dst 0 -1
sort l store dst get nothing
lrange dst 0 -1
sort l store l
lrange l 0 -1
sort l limit 0 0 store l
exists l
"""


def replies(port, protocol):
    r = redis.Redis(port=port, protocol=protocol)
    r.flushall()
    result = []
    for line in COMMANDS.strip().splitlines():
        try:
            result.append((line, r.execute_command(*shlex.split(line))))
        except redis.ResponseError as error:
            result.append((line, "error: %s" % error))
    r.close()
    return result


@pytest.mark.parametrize("protocol", [2, 3])
def test_sort_matches_redis(server, redis_server, protocol):
    expected = replies(redis_server.port, protocol)
    assert replies(server.port, protocol) == expected


def test_sort_store_wakes_a_blocked_pop_and_reports_sortstore(server):
    r = redis.Redis(port=server.port, decode_responses=True)
    r.config_set("notify-keyspace-events", "El")
    p = r.pubsub()
    p.subscribe("__keyevent@0__:sortstore")
    p.get_message(timeout=5)
    r.rpush("numbers", 3, 1, 2)
    waiter = redis.Redis(port=server.port, decode_responses=True)
    popped = []
    thread = threading.Thread(target=lambda: popped.append(waiter.blpop("sorted", timeout=10)))
    thread.start()
    wait_blocked(r, 1)
    assert r.sort("numbers", store="sorted") == 3
    thread.join()
    assert popped == [("sorted", "1")]
    assert r.lrange("sorted", 0, -1) == ["2", "3"]
    message = p.get_message(timeout=5)
    assert message["channel"] == "__keyevent@0__:sortstore" and message["data"] == "sorted"
    r.config_set("notify-keyspace-events", "")
    p.close()
    waiter.close()
    r.close()
