"""maxmemory and eviction against the real binary: each policy keeps used_memory under
the limit while keys are written, evicts the keys its policy names, sends `evicted`
keyspace events and DELs to the AOF, and noeviction refuses writes with Redis's -OOM
error (inside MULTI too) while reads go on."""
import time

import pytest
import redis

LIMIT = 4 * 1024 * 1024
VALUE = "v" * 200


def info(client, section, field):
    return client.info(section)[field]


def fill(client, count, prefix="key", ttl=None):
    pipe = client.pipeline(transaction=False)
    for i in range(count):
        if ttl is None:
            pipe.set("%s:%d" % (prefix, i), VALUE)
        else:
            pipe.set("%s:%d" % (prefix, i), VALUE, ex=ttl)
        if i % 500 == 499:
            pipe.execute()
    pipe.execute()


def test_allkeys_policies_hold_used_memory_under_the_limit(server):
    c = redis.Redis(port=server.port)
    for policy in ("allkeys-lru", "allkeys-lfu", "allkeys-random"):
        c.flushall()
        c.config_set("maxmemory-policy", policy)
        c.config_set("maxmemory", LIMIT)
        fill(c, 60000)  # about 3x the limit
        used = info(c, "memory", "used_memory")
        assert used <= LIMIT * 1.05, (policy, used)
        assert info(c, "stats", "evicted_keys") > 0
        assert 0 < c.dbsize() < 60000
        c.config_set("maxmemory", 0)
        c.config_resetstat()


def test_lru_keeps_the_keys_in_use(server):
    import time
    c = redis.Redis(port=server.port)
    c.config_set("maxmemory-policy", "allkeys-lru")
    fill(c, 8000, prefix="cold")
    fill(c, 2000, prefix="hot")
    # LRU clocks have a resolution of one second, as Redis's: the cold keys are then
    # idle for a second when the hot ones are read.
    time.sleep(1.1)
    for i in range(2000):
        c.get("hot:%d" % i)
    c.config_set("maxmemory", int(info(c, "memory", "used_memory") * 0.7))
    assert info(c, "stats", "evicted_keys") > 1000
    hot = sum(c.exists("hot:%d" % i) for i in range(2000))
    assert hot >= 1950, hot
    c.config_set("maxmemory", 0)


def test_volatile_policies_only_evict_keys_with_a_ttl(server):
    c = redis.Redis(port=server.port)
    for policy in ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"):
        c.flushall()
        c.config_set("maxmemory", 0)
        fill(c, 2000, prefix="keep")
        c.config_set("maxmemory-policy", policy)
        c.config_set("maxmemory", LIMIT)
        fill(c, 40000, prefix="temp", ttl=10000)
        assert all(c.exists("keep:%d" % i) for i in range(0, 2000, 7)), policy
        assert info(c, "stats", "evicted_keys") > 0
        c.config_set("maxmemory", 0)
        c.config_resetstat()


def test_volatile_ttl_evicts_the_nearest_expiry_first(server):
    c = redis.Redis(port=server.port)
    c.config_set("maxmemory-policy", "volatile-ttl")
    c.config_set("maxmemory-samples", 10)
    fill(c, 3000, prefix="late", ttl=100000)
    fill(c, 3000, prefix="soon", ttl=1000)
    c.config_set("maxmemory", int(info(c, "memory", "used_memory") * 0.9))
    late = sum(c.exists("late:%d" % i) for i in range(3000))
    soon = sum(c.exists("soon:%d" % i) for i in range(3000))
    assert late > soon


def test_noeviction_refuses_writes_with_oom(server):
    c = redis.Redis(port=server.port)
    c.set("k", "v")
    c.config_set("maxmemory-policy", "noeviction")
    c.config_set("maxmemory", 1)
    try:
        for command in (("SET", "a", "b"), ("LPUSH", "l", "x"), ("EVAL", "#!lua\nreturn 1", "0")):
            try:
                c.execute_command(*command)
                raise AssertionError("%s was not refused" % (command,))
            except redis.ResponseError as e:
                assert str(e) == "command not allowed when used memory > 'maxmemory'.", e
        assert c.get("k") == b"v"  # reads go on
        assert c.delete("k") == 1  # DEL frees memory: allowed
        # Inside MULTI every queued command is refused and EXEC aborts.
        pipe = c.pipeline(transaction=True)
        pipe.get("k")
        try:
            pipe.execute()
            raise AssertionError("EXEC of a refused transaction succeeded")
        except redis.ResponseError as e:
            assert "EXECABORT" in str(e) or "maxmemory" in str(e), e
        # A script's first write is refused, with the error its caller gets.
        try:
            c.eval("return redis.call('set', 'x', 'y')", 0)
            raise AssertionError("the script's write was not refused")
        except redis.ResponseError as e:
            assert "maxmemory" in str(e), e
    finally:
        c.config_set("maxmemory", 0)
    assert c.set("a", "b")


def test_evicted_keys_are_reported(server):
    c = redis.Redis(port=server.port)
    c.config_set("notify-keyspace-events", "Ee")
    listener = redis.Redis(port=server.port).pubsub()
    listener.subscribe("__keyevent@0__:evicted")
    assert listener.get_message(timeout=5)["type"] == "subscribe"
    fill(c, 1000)
    c.config_set("maxmemory-policy", "allkeys-random")
    c.config_set("maxmemory", int(info(c, "memory", "used_memory") * 0.9))
    message = listener.get_message(timeout=5)
    assert message and message["channel"] == b"__keyevent@0__:evicted"
    assert not c.exists(message["data"])
    c.config_set("maxmemory", 0)
    listener.close()


def test_info_memory_fields(server):
    c = redis.Redis(port=server.port, decode_responses=True)
    c.config_set("maxmemory", "10mb")
    c.config_set("maxmemory-policy", "allkeys-lfu")
    memory = c.info("memory")
    assert memory["maxmemory"] == 10 * 1024 * 1024
    assert memory["maxmemory_human"] == "10.00M"
    assert memory["maxmemory_policy"] == "allkeys-lfu"
    assert memory["mem_not_counted_for_evict"] == 0
    assert 0 < memory["used_memory"] < 10 * 1024 * 1024
    c.set("f", "1")
    assert c.object("freq", "f") >= 0
    c.config_set("maxmemory", 0)


def test_the_heap_is_jemalloc_and_info_reports_its_figures(server):
    c = redis.Redis(port=server.port, decode_responses=True)
    c.set("k", "v" * 100)
    memory = c.info("memory")
    assert memory["mem_allocator"].startswith("jemalloc-")
    assert 0 < memory["allocator_allocated"] <= memory["allocator_active"] <= memory["allocator_resident"]
    assert memory["allocator_frag_bytes"] == memory["allocator_active"] - memory["allocator_allocated"]
    assert "jemalloc statistics" in c.execute_command("MEMORY", "MALLOC-STATS")
    assert c.execute_command("MEMORY", "PURGE") == "OK"
    assert c.get("k") == "v" * 100


def test_info_memory_overhead_and_dataset_agree_with_memory_stats(server):
    """INFO's used_memory_overhead / used_memory_dataset / used_memory_dataset_perc and
    MEMORY STATS' overhead.total / dataset.bytes / dataset.percentage are Redis's one
    breakdown (getMemoryOverheadData): overhead is at least the startup memory, dataset
    is the rest, and a big value moves the dataset, not the overhead. The allocator lines
    of MEMORY STATS are jemalloc's figures, as INFO's allocator_* are."""
    c = redis.Redis(port=server.port, decode_responses=True)
    c.set("big", "x" * 1_000_000)
    memory = c.info("memory")
    stats = c.execute_command("MEMORY", "STATS")
    stats = dict(zip(stats[::2], stats[1::2])) if isinstance(stats, list) else stats
    assert memory["used_memory_overhead"] >= memory["used_memory_startup"] > 0
    assert memory["used_memory_dataset"] == memory["used_memory"] - memory["used_memory_overhead"]
    assert memory["used_memory_dataset"] >= 1_000_000
    net = memory["used_memory"] - memory["used_memory_startup"]
    assert float(memory["used_memory_dataset_perc"].rstrip("%")) == round(memory["used_memory_dataset"] * 100 / net, 2)
    # The same figures, a moment later (the connection's own buffers may move a little).
    assert abs(stats["overhead.total"] - memory["used_memory_overhead"]) < 64 * 1024
    assert abs(stats["dataset.bytes"] - memory["used_memory_dataset"]) < 64 * 1024
    assert 0 < stats["allocator.allocated"] <= stats["allocator.active"] <= stats["allocator.resident"]
    assert stats["allocator-fragmentation.bytes"] == stats["allocator.active"] - stats["allocator.allocated"]
    assert stats["allocator-rss.bytes"] == stats["allocator.resident"] - stats["allocator.active"]


def test_config_resetstat_clears_lazyfreed_objects(server):
    c = redis.Redis(port=server.port, decode_responses=True)
    c.config_resetstat()
    c.sadd("big", *["member:%d" % i for i in range(1000)])
    assert c.unlink("big") == 1
    deadline = time.time() + 10
    while c.info("memory")["lazyfreed_objects"] != 1 and time.time() < deadline:
        time.sleep(0.02)
    assert c.info("memory")["lazyfreed_objects"] == 1
    c.config_resetstat()
    assert c.info("memory")["lazyfreed_objects"] == 0


def test_small_integers_are_shared_unless_an_lru_or_lfu_policy_is_set(server):
    """OBJECT REFCOUNT of a small integer: shared (INT_MAX) without maxmemory or under a
    policy that keeps no access clock, 1 under LRU/LFU. Redstart judges by the settings
    when asked; Redis by the settings when the value was written (a key written before the
    policy changed keeps its answer there)."""
    c = redis.Redis(port=server.port)
    c.set("a", "1")
    assert c.object("refcount", "a") == 2 ** 31 - 1
    c.config_set("maxmemory", "1gb")
    c.config_set("maxmemory-policy", "allkeys-random")
    assert c.object("refcount", "a") == 2 ** 31 - 1
    c.config_set("maxmemory-policy", "allkeys-lfu")
    assert c.object("refcount", "a") == 1
    c.config_set("maxmemory", 0)


@pytest.mark.parametrize("which", ["redstart", "redis"])
def test_lua_memory_is_outside_used_memory_and_maxmemory(request, which):
    """The Lua VM's memory is reported as used_memory_lua and is not part of used_memory
    (Redis's Lua allocates outside zmalloc's count): a script that builds a table of
    300,000 strings raises used_memory_lua by megabytes and used_memory by almost
    nothing, and under a noeviction maxmemory just above used_memory writes still pass.
    Checked against redis-server too."""
    target = request.getfixturevalue("server" if which == "redstart" else "redis_server")
    c = redis.Redis(port=target.port, decode_responses=True)
    c.set("before", "1")
    memory = c.info("memory")
    build = "local t = {} for i = 1, 300000 do t[i] = 'x' .. i end return #t"
    assert c.eval(build, 0) == 300000
    after = c.info("memory")
    assert after["used_memory_lua"] - memory["used_memory_lua"] > 10_000_000
    assert after["used_memory"] - memory["used_memory"] < 2_000_000
    c.config_set("maxmemory-policy", "noeviction")
    c.config_set("maxmemory", after["used_memory"] + 1_000_000)
    try:
        assert c.eval(build + " + redis.call('incr', 'counter')", 0) == 300001
        assert c.set("after", "1")
    finally:
        c.config_set("maxmemory", 0)


def test_jemalloc_background_thread_follows_its_setting(server_factory):
    """jemalloc-bg-thread (default yes) turns jemalloc's purging thread on and off, as
    Redis's set_jemalloc_bg_thread does; DEBUG MALLCTL reads jemalloc's own flag."""
    import redis as redis_py
    client = redis_py.Redis(port=server_factory("--enable-debug-command", "yes").port)
    assert client.config_get("jemalloc-bg-thread") == {"jemalloc-bg-thread": "yes"}
    assert client.execute_command("DEBUG", "MALLCTL", "background_thread") == 1
    client.config_set("jemalloc-bg-thread", "no")
    assert client.execute_command("DEBUG", "MALLCTL", "background_thread") == 0
    client.config_set("jemalloc-bg-thread", "yes")
    assert client.execute_command("DEBUG", "MALLCTL", "background_thread") == 1
    off = redis_py.Redis(port=server_factory("--enable-debug-command", "yes", "--jemalloc-bg-thread", "no").port)
    assert off.execute_command("DEBUG", "MALLCTL", "background_thread") == 0
