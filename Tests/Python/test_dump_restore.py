"""DUMP/RESTORE between Redstart and redis-server: payloads of every type and
encoding Redis 7.0 writes (int/LZF strings, listpack and quicklist lists, intset
and hashtable sets, listpack and skiplist sorted sets, listpack and hashtable
hashes) restore on Redstart with the same contents and encodings, and Redstart's
payloads restore on Redis. Then a seeded fuzz: thousands of damaged payloads
(checksums recomputed so that the parser sees them) never harm the server."""
import random

import redis

POLY = int("".join(reversed(format(0xad93d23594c935a9, "064b"))), 2)
TABLE = []
for i in range(256):
    v = i
    for _ in range(8):
        v = (v >> 1) ^ POLY if v & 1 else v >> 1
    TABLE.append(v)


def crc64(data):
    crc = 0
    for b in data:
        crc = TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def reseal(body):
    return body + crc64(body).to_bytes(8, "little")


def fill(r):
    r.set("int", 12345)
    r.set("neg", -7)
    r.set("big", 2 ** 40)
    r.set("lzf", "a" * 30 + "b" * 30)
    r.set("raw", "x" * 100)
    r.rpush("small_list", *[str(i) for i in range(10)])
    r.rpush("long_list", *["v" * i for i in range(300)])
    r.rpush("huge_element", "x" * 20000, "y")
    # Entries whose listpack back-length sits at a size boundary (127, 16383 bytes ...).
    r.rpush("boundaries", *("y" * n for n in (62, 63, 125, 126, 4094, 4095, 16377, 16378, 16379)))
    r.sadd("intset", 1, 2, 3, -5, 70000)
    r.sadd("wide_intset", 2 ** 40, 1)
    r.sadd("words", "a", "b", "c")
    r.sadd("many", *range(1000))
    r.zadd("small_zset", {"a": 1, "b": 2.5, "c": -3})
    r.zadd("infinite", {"up": float("inf"), "down": float("-inf")})
    r.zadd("large_zset", {"m%d" % i: i / 3 for i in range(300)})
    r.hset("small_hash", mapping={"f1": "v1", "f2": "2", "n": "-123456"})
    r.hset("large_hash", mapping={"f%d" % i: "v" * i for i in range(200)})
    fill_streams(r)


def fill_streams(r):
    """Streams: several nodes, entries with other field names, deleted and trimmed
    entries, big values, consumer groups with pending entries and idle consumers."""
    r.config_set("stream-node-max-entries", "7")
    for i in range(1, 60):
        fields = {"job": i, "payload": "p" * (i % 5) * 20} if i % 4 else {"other": "x" * i, "n": -i}
        r.xadd("stream", fields, id="%d-%d" % (1000 + i // 2, i % 2))
    r.xadd("stream", {"huge": "h" * 5000}, id="2000-0")
    r.xdel("stream", "1003-1", "1010-0")
    r.xtrim("stream", minid="1002-0")
    r.xgroup_create("stream", "workers", "0")
    r.xgroup_create("stream", "late", "$")
    r.xreadgroup("workers", "alice", {"stream": ">"}, count=9)
    r.xreadgroup("workers", "bob", {"stream": ">"}, count=4)
    r.xack("stream", "workers", "1002-1")
    r.xgroup_createconsumer("stream", "late", "idle")
    r.xadd("empty_stream", {"f": "v"}, id="5-5")
    r.xdel("empty_stream", "5-5")
    r.execute_command("XSETID", "empty_stream", "9-9", "ENTRIESADDED", 4, "MAXDELETEDID", "6-0")
    r.config_set("stream-node-max-entries", "100")


def contents(r, key):
    kind = r.type(key)
    if kind == b"string":
        return r.get(key)
    if kind == b"list":
        return r.lrange(key, 0, -1)
    if kind == b"set":
        return sorted(r.smembers(key))
    if kind == b"zset":
        return r.zrange(key, 0, -1, withscores=True)
    if kind == b"stream":
        info = r.execute_command("XINFO", "STREAM", key, "FULL", "COUNT", "0")
        # radix-tree-nodes describes Redis's tree, not the entries.
        fields = dict(info) if isinstance(info, dict) else dict(zip(info[::2], info[1::2]))
        fields = {k.decode() if isinstance(k, bytes) else k: v for k, v in fields.items()}
        fields.pop("radix-tree-nodes")
        return r.xrange(key), fields
    return sorted(r.hgetall(key).items())


def test_payloads_move_both_ways(server, redis_server):
    theirs = redis.Redis(port=redis_server.port)
    ours = redis.Redis(port=server.port)
    fill(theirs)
    keys = sorted(theirs.keys("*"))
    for key in keys:
        assert ours.restore(key, 0, theirs.dump(key)) == b"OK"
        assert contents(ours, key) == contents(theirs, key), key
        assert ours.object("encoding", key) == theirs.object("encoding", key), key
        back = key + b":back"
        assert theirs.restore(back, 0, ours.dump(key)) == b"OK"
        assert contents(theirs, back) == contents(theirs, key), key
        assert theirs.object("encoding", back) == theirs.object("encoding", key), key
    theirs.close()
    ours.close()


def test_damaged_payloads_never_harm_the_server(server, redis_server):
    theirs = redis.Redis(port=redis_server.port)
    fill(theirs)
    payloads = [theirs.dump(key) for key in sorted(theirs.keys("*"))]
    theirs.close()
    ours = redis.Redis(port=server.port)
    rng = random.Random(7)
    restored = 0
    for attempt in range(3000):
        body = bytearray(rng.choice(payloads)[:-8])
        for _ in range(rng.randint(1, 4)):
            if len(body) < 4:
                break
            action = rng.randrange(3)
            position = rng.randrange(len(body) - 2)  # keep the version bytes
            if action == 0:
                body[position] = rng.randrange(256)
            elif action == 1:
                del body[position]
            else:
                body.insert(position, rng.randrange(256))
        key = "fuzz:%d" % attempt
        try:
            ours.restore(key, 0, reseal(bytes(body)))
        except redis.ResponseError as error:
            assert str(error) in ("Bad data format", "DUMP payload version or checksum are wrong")
            continue
        restored += 1
        contents(ours, key)  # whatever was accepted can be read back whole
    assert ours.ping()
    assert restored > 0
    ours.close()


def test_compressed_strings_restore_on_redis(server, redis_server):
    """With rdbcompression (the default) long strings go out LZF-compressed; Redis must
    read back exactly what Redstart compressed."""
    ours = redis.Redis(port=server.port)
    theirs = redis.Redis(port=redis_server.port)
    rng = random.Random(3)
    compressed = 0
    for _ in range(200):
        alphabet = rng.choice([b"ab", b"abcdefgh", bytes(range(256)), b"x"])
        value = bytes(rng.choice(alphabet) for _ in range(rng.randint(21, 5000)))
        if rng.random() < 0.5:
            value = value[: len(value) // 3] * 3
        ours.set("text", value)
        payload = ours.dump("text")
        compressed += payload[1] == 0xC3
        assert theirs.restore("text", 0, payload, replace=True) == b"OK"
        assert theirs.get("text") == value
    assert compressed > 100
    ours.close()
    theirs.close()


def test_ziplist_hash_with_duplicate_fields_is_an_integrity_failure(server_factory, tmp_path):
    """A ziplist hash whose fields repeat is refused and logged as Redis logs it: ziplists
    are always converted on load, and the conversion checks them deeply, whatever
    sanitize-dump-payload says (Redis's suite, corrupt-dump: "valid zipped hash header,
    dup records")."""
    from conftest import ReferenceServer, REDIS_SERVER
    payload = (b"\x0D\x1B\x1B\x00\x00\x00\x16\x00\x00\x00\x04\x00\x00\x02\x61\x00\x04\x02\x62\x00"
               b"\x04\x02\x61\x00\x04\x02\x64\x00\xFF\x09\x00\xA1\x98\x36\x78\xCC\x8E\x93\x2E")
    ours_log = tmp_path / "redstart.log"
    ours = server_factory("--loglevel", "verbose", "--logfile", str(ours_log))
    servers = [(ours.port, ours_log)]
    reference = None
    if REDIS_SERVER is not None:
        theirs_log = tmp_path / "redis.log"
        reference = ReferenceServer("--loglevel", "verbose", "--logfile", str(theirs_log))
        servers.append((reference.port, theirs_log))
    try:
        for port, log in servers:
            client = redis.Redis(port=port)
            for sanitize in ("no", "yes"):
                client.config_set("sanitize-dump-payload", sanitize)
                try:
                    client.restore("key", 0, payload)
                    raise AssertionError("a hash with duplicate fields was restored")
                except redis.ResponseError as error:
                    assert str(error) == "Bad data format"
            client.close()
            lines = [line for line in log.read_text().splitlines() if "Internal error in RDB" in line]
            assert len(lines) == 2 and all(line.endswith("Hash ziplist integrity check failed.") for line in lines), lines
    finally:
        if reference is not None:
            reference.stop()
