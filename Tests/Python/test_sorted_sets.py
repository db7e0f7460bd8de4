"""Sorted-set commands through redis-py over RESP2 and RESP3: the Python
values redis-py builds from the replies (float scores or None from ZADD INCR,
ZINCRBY, ZSCORE and ZMSCORE; (member, score) tuples in RESP2 and [member,
score] lists in RESP3 for WITHSCORES; the raw text of scores such as 0.1,
1e20, inf and -inf), every form of the ZRANGE family, score and lex bounds
with exclusive ends and infinities, the pops (ZPOPMIN/ZPOPMAX, ZMPOP and the
blocking BZPOPMIN/BZPOPMAX/BZMPOP, served by a later ZADD or timing out),
ZRANDMEMBER, the algebra (ZUNION/ZINTER/ZDIFF with WEIGHTS and AGGREGATE,
their STORE forms, ZINTERCARD), ZSCAN, and WRONGTYPE errors as
ResponseError."""
import time

import pytest
import redis
from blocking_helpers import Background, blocked_clients, wait_blocked


def protocol(client):
    return client.connection_pool.connection_kwargs.get("protocol") or 2


def pairs(reply):
    """A WITHSCORES reply as [(member, float score), ...], whatever its shape:
    RESP2 tuples, RESP3 [member, score] lists, or a flat member, score, ... list."""
    if reply and not isinstance(reply[0], (list, tuple)):
        reply = list(zip(reply[::2], reply[1::2]))
    return [(member, float(score)) for member, score in reply]


def another(client, server):
    """A second connection of the same protocol, for a client that blocks."""
    return redis.Redis(port=server.port, protocol=protocol(client), decode_responses=True)


# MARK: - ZADD, ZINCRBY, scores and ranks

def test_zadd_mapping_and_flags(client):
    assert client.zadd("z", {"a": 1, "b": 2.5, "c": "3"}) == 3
    assert client.zadd("z", {"a": 10, "d": 4}) == 1
    assert client.zadd("z", {"a": 11, "b": 2.5, "e": 5}, ch=True) == 2
    assert client.zadd("z", {"a": 0, "f": 6}, nx=True) == 1
    assert client.zscore("z", "a") == 11.0
    assert client.zadd("z", {"a": 1, "nope": 1}, xx=True) == 0
    assert client.zscore("z", "a") == 1.0 and client.zscore("z", "nope") is None
    assert client.zadd("z", {"a": 1, "b": 2.5}, xx=True, ch=True) == 0
    # GT/LT only move scores one way, and still add new members.
    assert client.zadd("z", {"a": 0, "b": 3, "g": 7}, gt=True, ch=True) == 2
    assert client.zscore("z", "a") == 1.0 and client.zscore("z", "b") == 3.0
    assert client.zadd("z", {"a": 0.5, "b": 9}, lt=True, ch=True) == 1
    assert client.zscore("z", "a") == 0.5 and client.zscore("z", "b") == 3.0
    assert client.zcard("z") == 7
    with pytest.raises(redis.ResponseError, match="not compatible"):
        client.execute_command("ZADD", "z", "GT", "LT", 1, "a")
    with pytest.raises(redis.ResponseError, match="not compatible"):
        client.execute_command("ZADD", "z", "NX", "XX", 1, "a")
    with pytest.raises(redis.ResponseError, match="not a valid float"):
        client.zadd("z", {"a": "abc"})
    with pytest.raises(redis.ResponseError, match="not a valid float"):
        client.zadd("z", {"a": "nan"})


def test_zadd_incr_and_zincrby_return_floats(client):
    assert client.zadd("z", {"a": 1.5}, incr=True) == 1.5
    assert isinstance(client.zadd("z", {"a": 2}, incr=True), float)
    assert client.zscore("z", "a") == 3.5
    assert client.zadd("z", {"a": 0.1}, incr=True) == pytest.approx(3.6)
    # INCR with a condition that fails replies nil.
    assert client.zadd("z", {"a": 1}, incr=True, nx=True) is None
    assert client.zadd("z", {"new": 1}, incr=True, xx=True) is None
    assert client.zadd("z", {"a": -1}, incr=True, gt=True) is None
    assert client.zadd("z", {"a": 1}, incr=True, lt=True) is None
    assert client.zadd("z", {"a": 1}, incr=True, gt=True) == pytest.approx(4.6)
    assert client.zadd("z", {"b": 7}, incr=True, nx=True) == 7.0
    assert client.zadd("z", {"inf": "inf"}, incr=True) == float("inf")
    with pytest.raises(redis.ResponseError, match="NaN"):
        client.zadd("z", {"inf": "-inf"}, incr=True)
    assert client.zscore("z", "inf") == float("inf")
    with pytest.raises(redis.ResponseError, match="single increment-element pair"):
        client.execute_command("ZADD", "z", "INCR", 1, "a", 2, "b")

    assert client.zincrby("counts", 1, "a") == 1.0
    assert client.zincrby("counts", 2.5, "a") == 3.5
    assert client.zincrby("counts", -10, "a") == -6.5
    assert isinstance(client.zincrby("counts", 0, "a"), float)
    client.zadd("z", {"top": "+inf"})
    assert client.zincrby("z", 1e300, "top") == float("inf")
    with pytest.raises(redis.ResponseError, match="NaN"):
        client.zincrby("z", "-inf", "top")
    with pytest.raises(redis.ResponseError, match="not a valid float"):
        client.zincrby("counts", "x", "a")


def test_zscore_zmscore_zcard_zrank(client):
    client.zadd("z", {"a": 1, "b": -2.25, "c": 0})
    assert client.zscore("z", "b") == -2.25
    assert client.zscore("z", "nope") is None
    assert client.zscore("missing", "a") is None
    assert client.zmscore("z", ["a", "nope", "c", "b"]) == [1.0, None, 0.0, -2.25]
    assert client.zmscore("missing", ["a", "b"]) == [None, None]
    assert all(isinstance(s, float) for s in client.zmscore("z", ["a", "c"]))
    assert client.zcard("z") == 3
    assert client.zcard("missing") == 0

    client.zadd("r", {"a": 1, "b": 2, "c": 3, "d": 3})
    assert [client.zrank("r", m) for m in "abcd"] == [0, 1, 2, 3]
    assert [client.zrevrank("r", m) for m in "abcd"] == [3, 2, 1, 0]
    assert client.zrank("r", "nope") is None
    assert client.zrevrank("missing", "a") is None
    # Past the compact encoding: ranks in a big set.
    client.zadd("big", {"m%03d" % i: -i for i in range(300)})
    assert client.zrank("big", "m000") == 299
    assert client.zrank("big", "m299") == 0
    assert client.zrevrank("big", "m100") == 100


def test_score_formatting(client):
    scores = {"tenth": 0.1, "big": 1e20, "pinf": float("inf"), "ninf": float("-inf"),
              "int": 3, "neg": -2, "zero": 0, "tiny": 1e-5, "long": 123456789012345678}
    client.zadd("z", scores)
    for member, score in scores.items():
        assert client.zscore("z", member) == float(score)
    assert client.zscore("z", "pinf") == float("inf") and client.zscore("z", "ninf") == float("-inf")
    assert client.zmscore("z", ["tenth", "big", "pinf", "ninf"]) == [0.1, 1e20, float("inf"), float("-inf")]
    ordered = ["ninf", "neg", "zero", "tiny", "tenth", "int", "long", "big", "pinf"]
    assert client.zrange("z", 0, -1, withscores=True) == [
        (m, float(scores[m])) if protocol(client) == 2 else [m, float(scores[m])] for m in ordered]
    raw = client.execute_command("ZRANGE", "z", 0, -1, "WITHSCORES")  # no withscores option: no conversion
    if protocol(client) == 2:
        text = dict(zip(raw[::2], raw[1::2]))
        # Integral scores print without a fraction, infinities as inf/-inf, big ones with an exponent.
        assert {m: text[m] for m in ("pinf", "ninf", "big", "int", "neg", "zero")} == {
            "pinf": "inf", "ninf": "-inf", "big": "1e+20", "int": "3", "neg": "-2", "zero": "0"}
        # Redis before 7.2 prints %.17g (0.10000000000000001), later the shortest form (0.1).
        assert text["tenth"] in ("0.1", "0.10000000000000001") and float(text["tenth"]) == 0.1
        assert float(text["tiny"]) == 1e-5 and float(text["long"]) == 123456789012345678.0
    else:
        assert raw == [[m, float(scores[m])] for m in ordered]
        assert all(isinstance(score, float) for _, score in raw)


# MARK: - Counting and ranges

def test_zcount_and_zlexcount(client):
    client.zadd("z", {"ninf": "-inf", "a": 1, "b": 2, "c": 3, "pinf": "+inf"})
    assert client.zcount("z", "-inf", "+inf") == 5
    assert client.zcount("z", 1, 3) == 3
    assert client.zcount("z", "(1", 3) == 2
    assert client.zcount("z", "(1", "(3") == 1
    assert client.zcount("z", "-inf", "(1") == 1
    assert client.zcount("z", "(-inf", "(+inf") == 3
    assert client.zcount("z", "(inf", "+inf") == 0
    assert client.zcount("z", 3, 1) == 0
    assert client.zcount("missing", "-inf", "+inf") == 0
    with pytest.raises(redis.ResponseError, match="min or max is not a float"):
        client.zcount("z", "x", 1)

    client.zadd("l", {m: 0 for m in "abcdefg"})
    assert client.zlexcount("l", "-", "+") == 7
    assert client.zlexcount("l", "[b", "[e") == 4
    assert client.zlexcount("l", "(b", "[e") == 3
    assert client.zlexcount("l", "(b", "(e") == 2
    assert client.zlexcount("l", "[aa", "+") == 6
    assert client.zlexcount("l", "+", "-") == 0
    assert client.zlexcount("missing", "-", "+") == 0
    with pytest.raises(redis.ResponseError, match="min or max not valid string range item"):
        client.zlexcount("l", "b", "e")


def test_zrange_by_rank_with_scores(client):
    client.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4})
    assert client.zrange("z", 0, -1) == ["a", "b", "c", "d"]
    assert client.zrange("z", 1, 2) == ["b", "c"]
    assert client.zrange("z", -2, 100) == ["c", "d"]
    assert client.zrange("z", 3, 1) == []
    assert client.zrange("missing", 0, -1) == []
    assert client.zrange("z", 0, -1, desc=True) == ["d", "c", "b", "a"]
    expected = [("a", 1.0), ("b", 2.0)]
    got = client.zrange("z", 0, 1, withscores=True)
    if protocol(client) == 2:
        assert got == expected  # a list of (member, score) tuples
    else:
        assert got == [list(p) for p in expected]  # a list of [member, score] lists
    assert all(isinstance(score, float) for _, score in got)
    assert pairs(client.zrange("z", 0, 0, desc=True, withscores=True)) == [("d", 4.0)]
    assert pairs(client.zrange("z", 0, -1, withscores=True, score_cast_func=int)) == [
        ("a", 1), ("b", 2), ("c", 3), ("d", 4)]
    assert client.zrange("z", 0, -1, withscores=True, score_cast_func=int)[0][1] == 1


def test_zrange_byscore_bylex_desc_and_limit(client):
    client.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
    assert client.zrange("z", 2, 4, byscore=True) == ["b", "c", "d"]
    assert client.zrange("z", "(2", "+inf", byscore=True) == ["c", "d", "e"]
    assert client.zrange("z", "-inf", "(3", byscore=True) == ["a", "b"]
    assert client.zrange("z", "-inf", "+inf", byscore=True, offset=1, num=2) == ["b", "c"]
    assert client.zrange("z", "-inf", "+inf", byscore=True, offset=3, num=-1) == ["d", "e"]
    assert client.zrange("z", "+inf", "(2", byscore=True, desc=True) == ["e", "d", "c"]
    assert client.zrange("z", "+inf", "-inf", byscore=True, desc=True, offset=1, num=2) == ["d", "c"]
    assert pairs(client.zrange("z", "(3", 5, byscore=True, withscores=True)) == [("d", 4.0), ("e", 5.0)]
    assert client.zrange("z", 5, 1, byscore=True) == []

    client.zadd("l", {m: 0 for m in "abcdefg"})
    assert client.zrange("l", "[b", "(e", bylex=True) == ["b", "c", "d"]
    assert client.zrange("l", "-", "+", bylex=True, offset=2, num=3) == ["c", "d", "e"]
    assert client.zrange("l", "+", "[e", bylex=True, desc=True) == ["g", "f", "e"]
    assert client.zrange("l", "(e", "-", bylex=True, desc=True, offset=1, num=2) == ["c", "b"]
    with pytest.raises(redis.ResponseError, match="LIMIT is only supported"):
        client.execute_command("ZRANGE", "z", 0, -1, "LIMIT", 0, 1)


def test_zrangestore(client):
    client.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4})
    assert client.zrangestore("dst", "z", 1, 2) == 2
    assert pairs(client.zrange("dst", 0, -1, withscores=True)) == [("b", 2.0), ("c", 3.0)]
    assert client.zrangestore("dst", "z", "(1", "+inf", byscore=True, offset=1, num=5) == 2
    assert client.zrange("dst", 0, -1) == ["c", "d"]
    assert client.zrangestore("dst", "z", 0, 1, desc=True) == 2
    assert pairs(client.zrange("dst", 0, -1, withscores=True)) == [("c", 3.0), ("d", 4.0)]
    client.zadd("l", {m: 0 for m in "abcde"})
    assert client.zrangestore("dst", "l", "[b", "[d", bylex=True) == 3
    assert client.zrange("dst", 0, -1) == ["b", "c", "d"]
    # An empty result deletes the destination.
    assert client.zrangestore("dst", "z", 5, 10) == 0
    assert client.exists("dst") == 0
    client.set("str", "v")
    assert client.zrangestore("str", "z", 0, 0) == 1
    assert client.type("str") == "zset"


def test_older_range_forms(client):
    client.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
    assert client.zrevrange("z", 0, 1) == ["e", "d"]
    assert pairs(client.zrevrange("z", 0, 1, withscores=True)) == [("e", 5.0), ("d", 4.0)]
    assert client.zrangebyscore("z", 2, 4) == ["b", "c", "d"]
    assert client.zrangebyscore("z", "(1", "(5") == ["b", "c", "d"]
    assert client.zrangebyscore("z", "-inf", "+inf", start=1, num=2) == ["b", "c"]
    got = client.zrangebyscore("z", "-inf", "+inf", start=3, num=10, withscores=True)
    assert got == ([("d", 4.0), ("e", 5.0)] if protocol(client) == 2 else [["d", 4.0], ["e", 5.0]])
    assert client.zrevrangebyscore("z", "+inf", "(3") == ["e", "d"]
    assert pairs(client.zrevrangebyscore("z", 5, 1, start=1, num=2, withscores=True)) == [("d", 4.0), ("c", 3.0)]
    with pytest.raises(redis.DataError):
        client.zrangebyscore("z", 1, 2, start=1)  # redis-py wants both start and num

    client.zadd("l", {m: 0 for m in "abcdefg"})
    assert client.zrangebylex("l", "-", "(c") == ["a", "b"]
    assert client.zrangebylex("l", "[aaa", "(g", start=1, num=2) == ["c", "d"]
    assert client.zrevrangebylex("l", "+", "[e") == ["g", "f", "e"]
    assert client.zrevrangebylex("l", "(e", "-", start=0, num=2) == ["d", "c"]
    assert client.zrangebylex("missing", "-", "+") == []
    with pytest.raises(redis.ResponseError, match="not valid string range item"):
        client.zrangebylex("l", "a", "c")


def test_ranges_over_a_big_set(client):
    # 300 members leave the compact encoding; the answers must not change.
    members = {"m%03d" % i: i * 0.5 for i in range(300)}
    client.zadd("z", members)
    assert client.zcard("z") == 300
    assert client.zrange("z", 0, -1) == sorted(members)
    assert client.zrange("z", 100, 102) == ["m100", "m101", "m102"]
    assert client.zrevrange("z", 0, 1) == ["m299", "m298"]
    assert client.zcount("z", "(10", 20) == 20
    assert client.zrangebyscore("z", 50, "+inf", start=5, num=3) == ["m105", "m106", "m107"]
    assert client.zrange("z", "(149", "-inf", byscore=True, desc=True, offset=0, num=2) == ["m297", "m296"]
    assert pairs(client.zrange("z", -1, -1, withscores=True)) == [("m299", 149.5)]
    assert client.zremrangebyrank("z", 0, 99) == 100
    assert client.zremrangebyscore("z", "(100", "+inf") == 99
    assert client.zrange("z", 0, -1) == ["m%03d" % i for i in range(100, 201)]


# MARK: - Removal and pops

def test_zremrangebyrank_score_lex(client):
    client.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6})
    assert client.zremrangebyrank("z", 0, 1) == 2
    assert client.zremrangebyrank("z", -1, -1) == 1
    assert client.zremrangebyrank("z", 5, 10) == 0
    assert client.zrange("z", 0, -1) == ["c", "d", "e"]
    assert client.zremrangebyscore("z", "(3", 4) == 1
    assert client.zremrangebyscore("z", "(5", "+inf") == 0
    assert client.zrange("z", 0, -1) == ["c", "e"]
    assert client.zremrangebyscore("z", "-inf", "+inf") == 2
    assert client.exists("z") == 0
    assert client.zremrangebyrank("missing", 0, -1) == 0

    client.zadd("l", {m: 0 for m in "abcdefg"})
    assert client.zremrangebylex("l", "(a", "[c") == 2
    assert client.zremrangebylex("l", "[zz", "+") == 0
    assert client.zremrangebylex("l", "(e", "+") == 2
    assert client.zrange("l", 0, -1) == ["a", "d", "e"]
    assert client.zremrangebylex("l", "-", "+") == 3
    assert client.exists("l") == 0


def test_zpopmin_zpopmax_zmpop(client):
    client.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
    one = client.zpopmin("z")
    top = client.zpopmax("z")
    if protocol(client) == 2:
        assert one == [("a", 1.0)] and top == [("e", 5.0)]
    else:
        assert one == ["a", 1.0] and top == ["e", 5.0]  # RESP3 without a count: one flat pair
    assert pairs(client.zpopmin("z", 2)) == [("b", 2.0), ("c", 3.0)]
    assert client.zpopmax("z", 0) == []
    assert pairs(client.zpopmax("z", 10)) == [("d", 4.0)]
    assert client.exists("z") == 0
    assert client.zpopmin("missing") == []
    assert client.zpopmax("missing", 3) == []
    client.zadd("z", {"x": 1})
    with pytest.raises(redis.ResponseError, match="out of range|must be positive"):
        client.zpopmin("z", -1)

    client.delete("z")
    client.zadd("a", {"x": 1, "y": 2, "z": 3})
    client.zadd("b", {"w": 10})
    got = client.zmpop(2, ["missing", "a"], min=True)
    assert got[0] == "a" and pairs(got[1]) == [("x", 1.0)]
    if protocol(client) == 2:
        assert got == ["a", [["x", "1"]]]  # RESP2: scores as text
    else:
        assert got == ["a", [["x", 1.0]]]
    got = client.zmpop(2, ["missing", "a"], max=True, count=5)
    assert got[0] == "a" and pairs(got[1]) == [("z", 3.0), ("y", 2.0)]
    assert client.exists("a") == 0
    got = client.zmpop(2, ["a", "b"], min=True, count=1)
    assert got[0] == "b" and pairs(got[1]) == [("w", 10.0)]
    assert client.zmpop(2, ["a", "b"], min=True) is None
    with pytest.raises(redis.ResponseError, match="numkeys"):
        client.execute_command("ZMPOP", 0, "a", "MIN")
    with pytest.raises(redis.ResponseError, match="count"):
        client.execute_command("ZMPOP", 1, "a", "MIN", "COUNT", 0)
    with pytest.raises(redis.ResponseError, match="syntax error"):
        client.execute_command("ZMPOP", 1, "a", "MIDDLE")


# MARK: - Blocking pops

def test_blocking_pops_with_data_do_not_block(client):
    client.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert list(client.bzpopmin(["missing", "z"], timeout=1)) == ["z", "a", 1.0]
    assert list(client.bzpopmax(["missing", "z"], timeout=0)) == ["z", "c", 3.0]
    # RESP2: a (key, member, score) tuple; RESP3: a list.
    assert client.bzpopmin("z", timeout=1) == (("z", "b", 2.0) if protocol(client) == 2 else ["z", "b", 2.0])
    client.zadd("z", {"d": 4, "e": 5})
    got = client.bzmpop(1, 2, ["missing", "z"], max=True, count=10)
    assert got[0] == "z" and pairs(got[1]) == [("e", 5.0), ("d", 4.0)]
    assert client.exists("z") == 0
    assert blocked_clients(client) == 0


def test_blocking_pops_time_out_with_none(client):
    started = time.monotonic()
    assert client.bzpopmin(["missing", "other"], timeout=0.05) is None
    assert client.bzpopmax("missing", timeout=0.05) is None
    assert client.bzmpop(0.05, 1, ["missing"], min=True) is None
    assert time.monotonic() - started >= 0.14
    with pytest.raises(redis.ResponseError, match="timeout is negative"):
        client.bzpopmin("missing", timeout=-1)
    with pytest.raises(redis.ResponseError, match="timeout is not a float"):
        client.bzpopmin("missing", timeout="abc")


def test_blocked_pops_are_served_by_a_later_zadd(client, server):
    waiter = another(client, server)
    popped = Background(waiter.bzpopmin, ["q1", "q2"], 10)
    wait_blocked(client, 1)
    assert client.zadd("q2", {"late": 2, "early": 1}) == 2
    assert list(popped.outcome()) == ["q2", "early", 1.0]
    assert client.zrange("q2", 0, -1) == ["late"]
    assert blocked_clients(client) == 0

    popped = Background(waiter.bzpopmax, "q", 10)
    wait_blocked(client, 1)
    client.zadd("q", {"a": 1, "b": 2, "c": 3})
    assert list(popped.outcome()) == ["q", "c", 3.0]

    client.delete("q")
    popped = Background(waiter.bzmpop, 10, 2, ["other", "q"], None, True, 2)  # MAX COUNT 2
    wait_blocked(client, 1)
    client.zadd("q", {"a": 1, "b": 2, "c": 3})
    got = popped.outcome()
    assert got[0] == "q" and pairs(got[1]) == [("c", 3.0), ("b", 2.0)]
    assert client.zrange("q", 0, -1) == ["a"]
    waiter.close()


def test_waiters_on_one_key_are_served_in_arrival_order(client, server):
    waiters = [another(client, server) for _ in range(4)]
    calls = [
        (waiters[0].bzpopmin, "q", 10),
        (waiters[1].bzmpop, 10, 2, ["x", "q"], None, True, 2),  # MAX COUNT 2
        (waiters[2].bzpopmax, ["q", "y"], 10),
        (waiters[3].bzpopmin, "q", 10),
    ]
    popped = []
    for number, call in enumerate(calls, 1):
        popped.append(Background(*call))
        wait_blocked(client, number)
    # Four members for the first three waiters (1 + 2 + 1); the fourth waits on.
    client.zadd("q", {"a": 1, "b": 2, "c": 3, "d": 4})
    assert list(popped[0].outcome()) == ["q", "a", 1.0]
    got = popped[1].outcome()
    assert got[0] == "q" and pairs(got[1]) == [("d", 4.0), ("c", 3.0)]
    assert list(popped[2].outcome()) == ["q", "b", 2.0]
    wait_blocked(client, 1)
    assert client.exists("q") == 0
    client.zadd("q", {"e": 5})
    assert list(popped[3].outcome()) == ["q", "e", 5.0]
    assert client.exists("q") == 0
    for waiter in waiters:
        waiter.close()


def test_blocked_client_sees_the_state_after_exec(client, server):
    waiter = another(client, server)
    popped = Background(waiter.bzpopmin, "q", 10)
    wait_blocked(client, 1)
    # Added and removed inside one transaction: nothing to serve, still blocked.
    pipe = client.pipeline(transaction=True)
    pipe.zadd("q", {"gone": 1}).zrem("q", "gone")
    assert pipe.execute() == [1, 1]
    assert blocked_clients(client) == 1
    # A string under the key does not wake it either.
    client.set("q", "text")
    assert blocked_clients(client) == 1
    client.delete("q")
    client.zadd("q", {"kept": 5})
    assert list(popped.outcome()) == ["q", "kept", 5.0]
    waiter.close()


def test_list_waiters_are_passed_over_by_zadd(client, server):
    list_waiter, zset_waiter = another(client, server), another(client, server)
    blpop = Background(list_waiter.blpop, ["k", "l"], 10)
    wait_blocked(client, 1)
    bzpop = Background(zset_waiter.bzpopmin, "k", 10)
    wait_blocked(client, 2)
    client.zadd("k", {"m": 1})
    assert list(bzpop.outcome()) == ["k", "m", 1.0]
    assert blocked_clients(client) == 1  # the BLPOP client waits on
    client.rpush("l", "item")
    assert list(blpop.outcome()) == ["l", "item"]
    list_waiter.close()
    zset_waiter.close()


# MARK: - ZRANDMEMBER

def test_zrandmember(client):
    scores = {"a": 1.0, "b": 2.0, "c": 3.0}
    client.zadd("z", scores)
    assert client.zrandmember("z") in scores
    distinct = client.zrandmember("z", 2)
    assert len(distinct) == 2 and len(set(distinct)) == 2 and set(distinct) <= set(scores)
    assert sorted(client.zrandmember("z", 10)) == ["a", "b", "c"]
    repeated = client.zrandmember("z", -7)
    assert len(repeated) == 7 and set(repeated) <= set(scores)
    assert client.zrandmember("z", 0) == []

    got = client.zrandmember("z", 2, withscores=True)
    if protocol(client) == 2:
        # RESP2: redis-py leaves the flat member, score, ... list with scores as text.
        assert len(got) == 4 and all(isinstance(s, str) for s in got[1::2])
    else:
        assert len(got) == 2 and all(isinstance(p, list) and isinstance(p[1], float) for p in got)
    assert all(scores[m] == s for m, s in pairs(got))
    negative = pairs(client.zrandmember("z", -5, withscores=True))
    assert len(negative) == 5 and all(scores[m] == s for m, s in negative)
    assert sorted(pairs(client.zrandmember("z", 5, withscores=True))) == sorted(scores.items())

    assert client.zrandmember("missing") is None
    assert client.zrandmember("missing", 3) == []
    assert client.zrandmember("missing", -3, withscores=True) == []


# MARK: - Algebra

def test_zunion_zinter_zdiff(client):
    client.zadd("a", {"x": 1, "y": 2, "z": 3})
    client.zadd("b", {"y": 10, "z": 20, "w": 30})
    client.zadd("c", {"z": 100})
    assert client.zunion(["a", "b"]) == ["x", "y", "z", "w"]
    got = client.zunion(["a", "b"], withscores=True)
    expected = [("x", 1.0), ("y", 12.0), ("z", 23.0), ("w", 30.0)]
    assert got == (expected if protocol(client) == 2 else [list(p) for p in expected])
    assert pairs(client.zunion({"a": 2, "b": 0.5}, withscores=True)) == [
        ("x", 2.0), ("y", 9.0), ("w", 15.0), ("z", 16.0)]
    assert pairs(client.zunion(["a", "b"], aggregate="MIN", withscores=True)) == [
        ("x", 1.0), ("y", 2.0), ("z", 3.0), ("w", 30.0)]
    assert pairs(client.zunion(["a", "b", "missing"], aggregate="MAX", withscores=True)) == [
        ("x", 1.0), ("y", 10.0), ("z", 20.0), ("w", 30.0)]

    assert client.zinter(["a", "b"]) == ["y", "z"]
    assert pairs(client.zinter(["a", "b"], withscores=True)) == [("y", 12.0), ("z", 23.0)]
    assert pairs(client.zinter(["a", "b", "c"], withscores=True)) == [("z", 123.0)]
    assert pairs(client.zinter({"a": 1, "b": -1}, aggregate="SUM", withscores=True)) == [
        ("z", -17.0), ("y", -8.0)]
    assert pairs(client.zinter(["a", "b"], aggregate="MAX", withscores=True)) == [("y", 10.0), ("z", 20.0)]
    assert client.zinter(["a", "missing"]) == []

    assert client.zdiff(["a", "b"]) == ["x"]
    assert client.zdiff(["b", "a"]) == ["w"]
    assert client.zdiff(["a"]) == ["x", "y", "z"]
    assert client.zdiff(["missing", "a"]) == []
    got = client.zdiff(["a", "c"], withscores=True)
    # redis-py leaves RESP2 ZDIFF WITHSCORES flat, scores as text; RESP3 gives pairs.
    assert got == (["x", "1", "y", "2"] if protocol(client) == 2 else [["x", 1.0], ["y", 2.0]])

    # A plain set counts as a sorted set whose scores are all 1.
    client.sadd("set", "y", "q")
    assert pairs(client.zunion(["a", "set"], withscores=True)) == [
        ("q", 1.0), ("x", 1.0), ("y", 3.0), ("z", 3.0)]
    # Infinities: inf + -inf is 0 in an aggregate, not NaN.
    client.zadd("pinf", {"m": "inf"})
    client.zadd("ninf", {"m": "-inf"})
    assert pairs(client.zunion(["pinf", "ninf"], withscores=True)) == [("m", 0.0)]

    with pytest.raises(redis.ResponseError, match="syntax error"):
        client.execute_command("ZUNION", 2, "a", "b", "AGGREGATE", "AVG")
    with pytest.raises(redis.ResponseError, match="weight value is not a float"):
        client.execute_command("ZUNION", 2, "a", "b", "WEIGHTS", 1, "x")
    with pytest.raises(redis.ResponseError, match="at least 1 input key"):
        client.execute_command("ZUNION", 0, "a")


def test_zinter_weight_times_infinity_is_nan(client):
    # A weight of 0 times an infinite score is NaN. ZINTER walks the smallest set and
    # counts a NaN there as 0; a NaN from another set makes a SUM 0 and is skipped by
    # MIN and MAX (Redis's zunionInterAggregate). ZUNION counts every NaN as 0.
    client.zadd("small", {"top": "inf"})
    client.zadd("large", {"top": "inf", "one": 1, "two": 2})
    inf = float("inf")
    assert pairs(client.zinter({"small": 1, "large": 0}, aggregate="MIN", withscores=True)) == [("top", inf)]
    assert pairs(client.zinter({"large": 0, "small": 1}, aggregate="MIN", withscores=True)) == [("top", inf)]
    assert pairs(client.zinter({"small": 1, "large": 0}, aggregate="MAX", withscores=True)) == [("top", inf)]
    assert pairs(client.zinter({"small": 1, "large": 0}, withscores=True)) == [("top", 0.0)]
    assert pairs(client.zinter({"small": 0, "large": 1}, withscores=True)) == [("top", inf)]
    assert client.zinterstore("dst", {"small": 1, "large": 0}, aggregate="MIN") == 1
    assert client.zscore("dst", "top") == inf
    assert pairs(client.zunion({"small": 1, "large": 0}, aggregate="MIN", withscores=True)) == [
        ("one", 0.0), ("top", 0.0), ("two", 0.0)]


def test_store_forms_and_zintercard(client):
    client.zadd("a", {"x": 1, "y": 2, "z": 3})
    client.zadd("b", {"y": 10, "z": 20, "w": 30})
    assert client.zunionstore("d", {"a": 1, "b": 2}) == 4
    assert pairs(client.zrange("d", 0, -1, withscores=True)) == [
        ("x", 1.0), ("y", 22.0), ("z", 43.0), ("w", 60.0)]
    assert client.zinterstore("d", ["a", "b"], aggregate="MAX") == 2
    assert pairs(client.zrange("d", 0, -1, withscores=True)) == [("y", 10.0), ("z", 20.0)]
    assert client.zinterstore("d", ["a", "b"], aggregate="min") == 2
    assert pairs(client.zrange("d", 0, -1, withscores=True)) == [("y", 2.0), ("z", 3.0)]
    assert client.zdiffstore("d", ["a", "b"]) == 1
    assert pairs(client.zrange("d", 0, -1, withscores=True)) == [("x", 1.0)]
    # The destination may be a source, and is replaced whatever its type.
    assert client.zunionstore("a", ["a", "b"]) == 4
    assert client.zscore("a", "y") == 12.0
    client.set("str", "v")
    assert client.zunionstore("str", ["b"]) == 3
    assert client.type("str") == "zset"
    # An empty result deletes the destination.
    assert client.zinterstore("d", ["a", "missing"]) == 0
    assert client.exists("d") == 0
    assert client.zdiffstore("str", ["b", "b"]) == 0
    assert client.exists("str") == 0

    client.zadd("ca", {str(i): i for i in range(100)})
    client.zadd("cb", {str(i): i for i in range(50, 150)})
    assert client.zintercard(2, ["ca", "cb"]) == 50
    assert client.zintercard(2, ["ca", "cb"], limit=10) == 10
    assert client.zintercard(2, ["ca", "cb"], limit=0) == 50
    assert client.zintercard(2, ["ca", "cb"], limit=1000) == 50
    assert client.zintercard(1, ["ca"]) == 100
    assert client.zintercard(2, ["ca", "missing"]) == 0
    with pytest.raises(redis.ResponseError, match="numkeys|at least 1 input key"):
        client.zintercard(0, [])
    with pytest.raises(redis.ResponseError, match="LIMIT can't be negative"):
        client.zintercard(2, ["ca", "cb"], limit=-1)


# MARK: - ZSCAN

def test_zscan_iter(client):
    members = {"m:%d" % i: i * 0.5 for i in range(600)}
    members.update({"other:%d" % i: -i for i in range(40)})
    client.zadd("big", members)
    found = list(client.zscan_iter("big"))
    assert len(found) == len(members) and dict(found) == members
    assert all(isinstance(score, float) for _, score in found)
    assert dict(client.zscan_iter("big", count=7)) == members
    assert dict(client.zscan_iter("big", match="other:*")) == {"other:%d" % i: -i for i in range(40)}
    assert dict(client.zscan_iter("big", match="m:1?")) == {"m:%d" % i: i * 0.5 for i in range(10, 20)}
    assert dict(client.zscan_iter("big", match="m:59?", score_cast_func=int)) == {
        "m:%d" % i: int(i * 0.5) for i in range(590, 600)}
    assert list(client.zscan_iter("missing")) == []

    client.zadd("small", {"a": 1, "b": float("inf"), "c": 0.1})
    cursor, found = client.zscan("small", 0)
    assert cursor == 0 and sorted(found) == [("a", 1.0), ("b", float("inf")), ("c", 0.1)]


# MARK: - Errors and pipelines

def test_wrongtype_errors(client):
    client.set("str", "v")
    client.zadd("z", {"a": 1})
    calls = [
        lambda: client.zadd("str", {"a": 1}),
        lambda: client.zadd("str", {"a": 1}, incr=True),
        lambda: client.zincrby("str", 1, "a"),
        lambda: client.zscore("str", "a"),
        lambda: client.zmscore("str", ["a"]),
        lambda: client.zcard("str"),
        lambda: client.zrank("str", "a"),
        lambda: client.zrevrank("str", "a"),
        lambda: client.zcount("str", "-inf", "+inf"),
        lambda: client.zlexcount("str", "-", "+"),
        lambda: client.zrange("str", 0, -1),
        lambda: client.zrange("str", 0, -1, withscores=True),
        lambda: client.zrangestore("dst", "str", 0, -1),
        lambda: client.zrevrange("str", 0, -1),
        lambda: client.zrangebyscore("str", "-inf", "+inf"),
        lambda: client.zrangebylex("str", "-", "+"),
        lambda: client.zremrangebyrank("str", 0, -1),
        lambda: client.zremrangebyscore("str", "-inf", "+inf"),
        lambda: client.zremrangebylex("str", "-", "+"),
        lambda: client.zrem("str", "a"),
        lambda: client.zpopmin("str"),
        lambda: client.zpopmax("str", 2),
        lambda: client.zmpop(1, ["str"], min=True),
        lambda: client.bzpopmin("str", timeout=0.01),
        lambda: client.bzmpop(0.01, 1, ["str"], max=True),
        lambda: client.zrandmember("str"),
        lambda: client.zrandmember("str", 2, withscores=True),
        lambda: client.zunion(["z", "str"]),
        lambda: client.zinter(["z", "str"]),
        lambda: client.zdiff(["z", "str"]),
        lambda: client.zintercard(2, ["z", "str"]),
        lambda: client.zunionstore("dst", ["z", "str"]),
        lambda: client.zinterstore("dst", ["z", "str"]),
        lambda: client.zdiffstore("dst", ["z", "str"]),
        lambda: list(client.zscan_iter("str")),
    ]
    for call in calls:
        with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
            call()
    assert client.exists("dst") == 0
    assert client.get("str") == "v"
    # The other direction: string and set commands against a sorted set.
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
        client.get("z")
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
        client.sadd("z", "a")
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
        client.lpush("z", "a")


def test_pipeline_applies_the_response_callbacks(client):
    pipe = client.pipeline(transaction=True)
    pipe.zadd("z", {"a": 1, "b": 2}).zadd("z", {"a": 0.5}, incr=True).zscore("z", "a")
    pipe.zmscore("z", ["a", "nope"]).zincrby("z", 1, "b").zrank("z", "b").zcard("z")
    assert pipe.execute() == [2, 1.5, 1.5, [1.5, None], 3.0, 1, 2]
    pipe = client.pipeline(transaction=False)
    pipe.zrange("z", 0, -1, withscores=True).zpopmax("z", 1)
    ranged, popped = pipe.execute()
    assert pairs(ranged) == [("a", 1.5), ("b", 3.0)]
    assert pairs(popped) == [("b", 3.0)]
