"""Lists with list-compress-depth against redis-server: both servers run with small
chunks (list-max-listpack-size 8) and compression (depth 1 and 2), and a seeded mix of
pushes, pops, LINSERT, LSET, LREM, LTRIM, LMOVE, LINDEX and LRANGE over long,
compressible elements must give identical replies (the inside chunks are compressed
and decompressed all along). The same mix again with DEBUG QUICKLIST-PACKED-THRESHOLD
low enough that about half the elements live alone in plain chunks (Redis's plain
nodes), compressed and not."""
import random

import pytest
import redis

from conftest import REDIS_SERVER, ReferenceServer


def element(rng):
    base = rng.choice(["job", "task", "event"])
    return ("%s:%05d:" % (base, rng.randrange(50))) + rng.choice(["a", "b"]) * rng.randrange(0, 90)


def commands(rng, count):
    for _ in range(count):
        kind = rng.randrange(12)
        key = rng.choice(["q1", "q2"])
        if kind <= 3:
            yield [rng.choice(["LPUSH", "RPUSH"]), key] + [element(rng) for _ in range(rng.randrange(1, 6))]
        elif kind == 4:
            yield [rng.choice(["LPOP", "RPOP"]), key, str(rng.randrange(1, 4))]
        elif kind == 5:
            yield ["LINSERT", key, rng.choice(["BEFORE", "AFTER"]), element(rng), element(rng)]
        elif kind == 6:
            yield ["LSET", key, str(rng.randrange(-40, 40)), element(rng)]
        elif kind == 7:
            yield ["LREM", key, str(rng.randrange(-2, 3)), element(rng)]
        elif kind == 8 and rng.randrange(6) == 0:
            yield ["LTRIM", key, str(rng.randrange(0, 20)), str(rng.randrange(-20, 200))]
        elif kind == 9:
            yield ["LMOVE", key, "q2" if key == "q1" else "q1", rng.choice(["LEFT", "RIGHT"]), rng.choice(["LEFT", "RIGHT"])]
        elif kind == 10:
            yield ["LINDEX", key, str(rng.randrange(-100, 100))]
        else:
            start = rng.randrange(-150, 150)
            yield ["LRANGE", key, str(start), str(start + rng.randrange(0, 120))]


def reply(r, args):
    try:
        return r.execute_command(*args)
    except redis.ResponseError as error:
        return "error: %s" % error


@pytest.mark.parametrize("depth", [1, 2])
def test_compressed_lists_match_redis(server_factory, redis_server, depth):
    ours = redis.Redis(port=server_factory("--list-compress-depth", str(depth), "--list-max-listpack-size", "8").port)
    theirs = redis.Redis(port=redis_server.port)
    theirs.config_set("list-compress-depth", depth)
    theirs.config_set("list-max-listpack-size", 8)
    theirs.flushall()
    rng = random.Random(depth)
    for index, args in enumerate(commands(rng, 4000)):
        assert reply(ours, args) == reply(theirs, args), "command %d: %s" % (index, args)
    for key in ("q1", "q2"):
        assert ours.lrange(key, 0, -1) == theirs.lrange(key, 0, -1)
    assert ours.llen("q1") + ours.llen("q2") > 200
    ours.close()
    theirs.close()


@pytest.mark.parametrize("depth", [0, 1])
def test_lists_with_plain_chunks_match_redis(server_factory, depth):
    if REDIS_SERVER is None:
        pytest.skip("redis-server not found (set REDIS_SERVER)")
    reference = ReferenceServer("--enable-debug-command", "yes")
    try:
        ours = redis.Redis(port=server_factory("--enable-debug-command", "yes").port)
        theirs = redis.Redis(port=reference.port)
        for r in (ours, theirs):
            r.config_set("list-compress-depth", depth)
            r.config_set("list-max-listpack-size", 8)
            # Elements are 11 to 100 bytes: those of 40 or more are plain.
            assert r.execute_command("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "40b") == b"OK"
        rng = random.Random(100 + depth)
        for index, args in enumerate(commands(rng, 4000)):
            assert reply(ours, args) == reply(theirs, args), "command %d: %s" % (index, args)
        for key in ("q1", "q2"):
            assert ours.lrange(key, 0, -1) == theirs.lrange(key, 0, -1)
        # Plain chunks hold one element each: many more chunks than 8-element ones would need.
        nodes = int(ours.execute_command("DEBUG", "OBJECT", "q1").decode().split("ql_nodes:")[1].split()[0])
        assert nodes > ours.llen("q1") // 4
        for bad in ("4gb", "-1", "lots"):
            with pytest.raises(redis.ResponseError, match="smaller than 4gb"):
                ours.execute_command("DEBUG", "QUICKLIST-PACKED-THRESHOLD", bad)
        assert ours.execute_command("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0") == b"OK"
        ours.close()
        theirs.close()
    finally:
        reference.stop()
