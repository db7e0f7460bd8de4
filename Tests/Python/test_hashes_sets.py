"""Hash and set commands through redis-py over RESP2 and RESP3: the Python
shapes redis-py builds from the replies (dicts, sets, floats, the flat or
paired HRANDFIELD WITHVALUES reply), scan iterators that must yield every
field or member, the STORE forms, and WRONGTYPE errors as ResponseError."""
import pytest
import redis


def protocol(client):
    return client.connection_pool.connection_kwargs.get("protocol") or 2


# MARK: - Hashes

def test_hset_mapping_and_hgetall(client):
    assert client.hset("h", mapping={"a": 1, "b": "two", "c": 3.5}) == 3
    assert client.hset("h", "a", "10", mapping={"d": "4"}, items=["e", "5"]) == 2
    assert client.hgetall("h") == {"a": "10", "b": "two", "c": "3.5", "d": "4", "e": "5"}
    assert client.hgetall("missing") == {}
    assert client.hlen("h") == 5
    assert client.hlen("missing") == 0
    keys, values = client.hkeys("h"), client.hvals("h")
    assert dict(zip(keys, values)) == client.hgetall("h")
    assert client.hkeys("missing") == [] and client.hvals("missing") == []


def test_hget_hsetnx_hexists_hstrlen_hdel(client):
    client.hset("h", mapping={"a": "1", "b": "hello"})
    assert client.hget("h", "b") == "hello"
    assert client.hget("h", "nope") is None
    assert client.hget("missing", "a") is None
    assert client.hsetnx("h", "a", "9") == 0
    assert client.hsetnx("h", "z", "9") == 1
    assert client.hget("h", "a") == "1"
    assert client.hexists("h", "a") is True
    assert client.hexists("h", "nope") is False
    assert client.hstrlen("h", "b") == 5
    assert client.hstrlen("h", "nope") == 0
    assert client.hdel("h", "a", "nope") == 1
    assert client.hdel("h", "b", "z") == 2
    assert client.exists("h") == 0


def test_hmget_and_hmset(client):
    # redis-py's hmset() is deprecated (and warns): send the command itself.
    assert client.execute_command("HMSET", "h", "a", "1", "b", "2") in (True, "OK")
    assert client.hmget("h", ["a", "nope", "b"]) == ["1", None, "2"]
    assert client.hmget("h", "b", "a") == ["2", "1"]
    assert client.hmget("missing", ["a", "b"]) == [None, None]


def test_hincrby_and_hincrbyfloat(client):
    assert client.hincrby("h", "n") == 1
    assert client.hincrby("h", "n", 41) == 42
    assert client.hincrby("h", "n", -50) == -8
    assert client.hget("h", "n") == "-8"
    assert client.hincrbyfloat("h", "f", 10.5) == 10.5
    assert client.hincrbyfloat("h", "f", 0.1) == pytest.approx(10.6)
    assert client.hget("h", "f") == "10.6"
    assert client.hincrbyfloat("h", "e", 5.0e3) == 5000.0
    assert client.hget("h", "e") == "5000"
    assert client.hincrbyfloat("h", "n", 1.5) == -6.5

    client.hset("h", mapping={"s": "abc", "big": str(2**63 - 1)})
    with pytest.raises(redis.ResponseError, match="hash value is not an integer"):
        client.hincrby("h", "s", 1)
    with pytest.raises(redis.ResponseError, match="hash value is not a float"):
        client.hincrbyfloat("h", "s", 1)
    with pytest.raises(redis.ResponseError, match="would overflow"):
        client.hincrby("h", "big", 1)
    with pytest.raises(redis.ResponseError, match="NaN or Infinity"):
        client.hincrbyfloat("h", "f", float("inf"))
    assert client.hget("h", "big") == str(2**63 - 1)


def test_hrandfield_shapes(client):
    fields = {"a": "1", "b": "2", "c": "3"}
    client.hset("h", mapping=fields)
    assert client.hrandfield("h") in fields

    distinct = client.hrandfield("h", 2)
    assert len(distinct) == 2 and len(set(distinct)) == 2 and set(distinct) <= set(fields)
    assert sorted(client.hrandfield("h", 10)) == ["a", "b", "c"]
    repeated = client.hrandfield("h", -7)
    assert len(repeated) == 7 and set(repeated) <= set(fields)

    pairs = client.hrandfield("h", 2, withvalues=True)
    negative = client.hrandfield("h", -5, withvalues=True)
    if protocol(client) == 3:
        # RESP3: an array of [field, value] pairs.
        assert len(pairs) == 2 and all(fields[f] == v for f, v in pairs)
        assert len(negative) == 5 and all(fields[f] == v for f, v in negative)
    else:
        # RESP2: one flat array, field, value, field, value, ...
        assert len(pairs) == 4 and all(fields[f] == v for f, v in zip(pairs[::2], pairs[1::2]))
        assert len(negative) == 10
        assert all(fields[f] == v for f, v in zip(negative[::2], negative[1::2]))

    assert client.hrandfield("missing") is None
    assert client.hrandfield("missing", 3) == []
    assert client.hrandfield("missing", 3, withvalues=True) == []
    assert client.hrandfield("h", 0) == []


def test_hscan_iter_yields_everything(client):
    fields = {"field:%d" % i: str(i) for i in range(600)}
    fields.update({"other:%d" % i: "x" for i in range(50)})
    client.hset("big", mapping=fields)
    assert dict(client.hscan_iter("big")) == fields
    assert dict(client.hscan_iter("big", count=10)) == fields
    assert dict(client.hscan_iter("big", match="other:*")) == {"other:%d" % i: "x" for i in range(50)}
    assert dict(client.hscan_iter("big", match="field:1?")) == {"field:%d" % i: str(i) for i in range(10, 20)}
    assert list(client.hscan_iter("missing")) == []

    client.hset("small", mapping={"a": "1", "b": "2"})
    cursor, found = client.hscan("small", 0)
    assert found == {"a": "1", "b": "2"}
    assert cursor == 0


# MARK: - Sets

def test_sadd_smembers_scard_srem(client):
    assert client.sadd("s", "a", "b", "c") == 3
    assert client.sadd("s", "a", "d") == 1
    assert client.smembers("s") == {"a", "b", "c", "d"}
    assert client.smembers("missing") == set()
    assert client.scard("s") == 4
    assert client.scard("missing") == 0
    assert client.srem("s", "a", "nope") == 1
    assert client.srem("missing", "a") == 0
    assert client.srem("s", "b", "c", "d") == 3
    assert client.exists("s") == 0


def test_integer_sets_and_their_conversion(client):
    numbers = [str(n) for n in range(-300, 300)]
    assert client.sadd("ints", *numbers) == 600
    assert client.smembers("ints") == set(numbers)
    assert client.sadd("ints", "0700", "x") == 2
    assert client.sismember("ints", "0700")
    assert not client.sismember("ints", "700")
    assert client.scard("ints") == 602


def test_sismember_and_smismember(client):
    client.sadd("s", "a", 1, 2)
    assert client.sismember("s", "a")
    assert client.sismember("s", 1)
    assert not client.sismember("s", "zz")
    assert not client.sismember("missing", "a")
    assert client.smismember("s", ["a", "zz", 2]) == [1, 0, 1]
    assert client.smismember("s", "zz", "a") == [0, 1]
    assert client.smismember("missing", ["a", "b"]) == [0, 0]


def test_spop(client):
    members = {str(i) for i in range(10)}
    client.sadd("s", *members)
    one = client.spop("s")
    assert one in members
    popped = client.spop("s", 4)
    assert len(popped) == 4 and len(set(popped)) == 4
    assert set(popped) <= members - {one}
    assert client.smembers("s") == members - {one} - set(popped)
    assert client.spop("s", 0) == []
    assert sorted(client.spop("s", 100)) == sorted(members - {one} - set(popped))
    assert client.exists("s") == 0
    assert client.spop("missing") is None
    assert client.spop("missing", 3) == []
    with pytest.raises(redis.ResponseError, match="out of range|must be positive"):
        client.spop("s", -1)


def test_srandmember(client):
    members = {"a", "b", "c"}
    client.sadd("s", *members)
    assert client.srandmember("s") in members
    picked = client.srandmember("s", 2)
    assert len(picked) == 2 and len(set(picked)) == 2 and set(picked) <= members
    assert sorted(client.srandmember("s", 10)) == ["a", "b", "c"]
    repeated = client.srandmember("s", -20)
    assert len(repeated) == 20 and set(repeated) <= members
    assert client.srandmember("s", 0) == []
    assert client.scard("s") == 3
    assert client.srandmember("missing") is None
    assert client.srandmember("missing", 5) == []
    assert client.srandmember("missing", -5) == []


def test_sinter_sunion_sdiff(client):
    client.sadd("a", 1, 2, 3, 4, "x")
    client.sadd("b", 3, 4, 5, "x")
    client.sadd("c", 4, "x", "y")
    assert client.sinter("a", "b", "c") == {"4", "x"}
    assert client.sinter(["a", "b"]) == {"3", "4", "x"}
    assert client.sinter("a", "missing") == set()
    assert client.sunion("a", "b", "c") == {"1", "2", "3", "4", "5", "x", "y"}
    assert client.sunion("missing", "c") == {"4", "x", "y"}
    assert client.sdiff("a", "b", "c") == {"1", "2"}
    assert client.sdiff("a", "missing") == {"1", "2", "3", "4", "x"}
    assert client.sdiff("missing", "a") == set()


def test_store_forms(client):
    client.sadd("a", 1, 2, 3, "x")
    client.sadd("b", 2, 3, "y")
    assert client.sinterstore("dst", ["a", "b"]) == 2
    assert client.smembers("dst") == {"2", "3"}
    assert client.sunionstore("dst", ["a", "b"]) == 5
    assert client.smembers("dst") == {"1", "2", "3", "x", "y"}
    assert client.sdiffstore("dst", ["a", "b"]) == 2
    assert client.smembers("dst") == {"1", "x"}
    # A store form overwrites a key of any type, and an empty result deletes it.
    client.set("str", "v")
    assert client.sunionstore("str", ["a"]) == 4
    assert client.type("str") == "set"
    assert client.sinterstore("dst", ["a", "missing"]) == 0
    assert client.exists("dst") == 0
    assert client.sdiffstore("dst", ["a", "a"]) == 0
    assert client.exists("dst") == 0


def test_sintercard(client):
    client.sadd("a", *range(100))
    client.sadd("b", *range(50, 150))
    assert client.sintercard(2, ["a", "b"]) == 50
    assert client.sintercard(2, ["a", "b"], limit=10) == 10
    assert client.sintercard(2, ["a", "b"], limit=0) == 50
    assert client.sintercard(2, ["a", "b"], limit=1000) == 50
    assert client.sintercard(1, ["a"]) == 100
    assert client.sintercard(2, ["a", "missing"]) == 0
    with pytest.raises(redis.ResponseError, match="numkeys"):
        client.sintercard(0, [])
    with pytest.raises(redis.ResponseError, match="LIMIT can't be negative"):
        client.sintercard(2, ["a", "b"], limit=-1)


def test_smove(client):
    client.sadd("src", "a", "b")
    client.sadd("dst", "a")
    assert client.smove("src", "dst", "b") is True
    assert client.smembers("src") == {"a"} and client.smembers("dst") == {"a", "b"}
    assert client.smove("src", "dst", "nope") is False
    assert client.smove("missing", "dst", "a") is False
    assert client.smove("src", "new", "a") is True
    assert client.exists("src") == 0
    assert client.smembers("new") == {"a"}
    assert client.smove("new", "new", "a") is True
    assert client.smove("new", "new", "zz") is False
    client.set("str", "v")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        client.smove("new", "str", "a")
    assert client.smembers("new") == {"a"}


def test_sscan_iter_yields_everything(client):
    members = {"m:%d" % i for i in range(700)} | {str(i) for i in range(100)}
    client.sadd("big", *members)
    assert set(client.sscan_iter("big")) == members
    assert set(client.sscan_iter("big", count=7)) == members
    assert set(client.sscan_iter("big", match="m:5?")) == {"m:%d" % i for i in range(50, 60)}
    assert set(client.sscan_iter("big", match="9*")) == {"9"} | {str(i) for i in range(90, 100)}
    assert list(client.sscan_iter("missing")) == []

    client.sadd("ints", 3, 1, 2)
    cursor, found = client.sscan("ints", 0)
    assert cursor == 0 and sorted(found) == ["1", "2", "3"]


# MARK: - Errors and pipelines

def test_wrongtype_errors(client):
    client.set("str", "v")
    client.sadd("set", "a")
    client.hset("hash", "f", "v")
    calls = [
        lambda: client.hset("str", "f", "v"),
        lambda: client.hget("str", "f"),
        lambda: client.hgetall("set"),
        lambda: client.hmget("str", ["f"]),
        lambda: client.hincrby("set", "f"),
        lambda: client.hincrbyfloat("str", "f", 1.0),
        lambda: client.hrandfield("str", 2),
        lambda: list(client.hscan_iter("set")),
        lambda: client.sadd("hash", "a"),
        lambda: client.smembers("str"),
        lambda: client.sismember("hash", "a"),
        lambda: client.smismember("hash", ["a"]),
        lambda: client.spop("str"),
        lambda: client.srandmember("hash", -2),
        lambda: client.sinter("set", "str"),
        lambda: client.sunion("set", "hash"),
        lambda: client.sdiff("set", "str"),
        lambda: client.sintercard(2, ["set", "hash"]),
        lambda: client.sinterstore("dst", ["set", "str"]),
        lambda: list(client.sscan_iter("hash")),
    ]
    for call in calls:
        with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
            call()
    assert client.exists("dst") == 0
    assert client.get("str") == "v"


def test_pipeline_applies_the_response_callbacks(client):
    pipe = client.pipeline(transaction=True)
    pipe.hset("h", mapping={"a": "1"}).hgetall("h").hincrbyfloat("h", "a", 0.5)
    pipe.sadd("s", "x", "y").smembers("s").sismember("s", "x").smove("s", "t", "x")
    assert pipe.execute() == [1, {"a": "1"}, 1.5, 2, {"x", "y"}, 1, True]


def test_binary_fields_and_members(server):
    for proto in (2, 3):
        c = redis.Redis(port=server.port, protocol=proto)
        c.flushall()
        field, member = b"\x00f\xff\r\n", b"\xfe\x00m"
        c.hset(b"h", field, b"\x01\x02")
        assert c.hgetall(b"h") == {field: b"\x01\x02"}
        c.sadd(b"s", member, b"plain")
        assert c.smembers(b"s") == {member, b"plain"}
        assert dict(c.hscan_iter(b"h")) == {field: b"\x01\x02"}
        assert set(c.sscan_iter(b"s", match=b"\xfe*")) == {member}
        c.close()
