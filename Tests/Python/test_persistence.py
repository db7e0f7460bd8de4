"""RDB persistence, end to end with real processes: round trips of every type and
encoding through SAVE/restart and DEBUG RELOAD, dumps exchanged with redis-server in
both directions (contents compared key by key with Redis's own DEBUG DIGEST-VALUE),
background saves that are point-in-time while clients write, and the faults: SIGKILL
during BGSAVE, truncated and flipped files, a directory that cannot be written,
newer RDB versions, -LOADING while loading, save points, SHUTDOWN modes and SIGTERM.
"""
import os
import random
import shutil
import signal
import socket
import subprocess
import time

import pytest
import redis

from conftest import BINARY, REDIS_SERVER, answers_ping, free_port

CHECK_RDB = os.path.join(os.path.dirname(BINARY), "redstart-check-rdb")


class Process:
    """A server (redstart-server or redis-server) in `directory`, logging to a file."""

    def __init__(self, binary, directory, *args, wait=True, log_directory=None):
        self.directory = directory
        self.port = free_port()
        self.log = os.path.join(log_directory or directory, "server-%d.log" % self.port)
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", directory,
             "--enable-debug-command", "yes", "--appendonly", "no", "--logfile", self.log, *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited (%s): %s" % (self.process.returncode, self.log_text()))
            if answers_ping(self.port):
                return
            time.sleep(0.02)
        # Not left running: the caller never got the object to stop it.
        self.process.kill()
        self.process.wait(timeout=60)
        raise RuntimeError("server did not become ready: " + self.log_text())

    def client(self, **kwargs):
        return redis.Redis(port=self.port, **kwargs)

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait_exit(self, timeout=60):
        return self.process.wait(timeout=timeout)

    def kill(self, sig=signal.SIGKILL):
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=60)

    def shutdown(self, *mode):
        try:
            self.client().execute_command("SHUTDOWN", *mode)
        except redis.ConnectionError:
            pass
        return self.process.wait(timeout=60)


@pytest.fixture
def workdir(tmp_path):
    yield str(tmp_path)
    for name in os.listdir(str(tmp_path)):
        path = os.path.join(str(tmp_path), name)
        if os.path.isdir(path):
            os.chmod(path, 0o755)


@pytest.fixture
def processes():
    started = []
    yield started
    for p in started:
        p.kill()


def start(processes, binary, directory, *args, **kwargs):
    p = Process(binary, directory, *args, **kwargs)
    processes.append(p)
    return p


def wait_for(condition, timeout=60, message="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("timed out waiting for " + message)


def persistence(r, field):
    return r.info("persistence")[field]


LIBRARY = """#!lua name=persisted
redis.register_function('persisted_echo', function(keys, args) return args[1] end)
"""


def fill(r, seed=7, scale=1):
    """Every type and encoding Redstart has, in databases 0, 1 and 9, some keys with
    expiry times, and a function library."""
    rng = random.Random(seed)
    for db in (0, 1, 9):
        r.execute_command("SELECT", db)
        p = r.pipeline(transaction=False)
        p.set("int", 12345)
        p.set("negative", -98765432109)
        p.set("embstr", "hello %d" % db)
        p.set("raw", "x" * 100)
        p.set("compressible", "abc" * 500)
        p.set("binary", bytes(range(256)) * 3)
        p.set("empty", "")
        p.set("expiring", "soon", ex=3600)
        p.set("expiring-px", "later", px=86_400_000)
        p.rpush("list-small", 1, "two", 3.5, -4)
        p.rpush("list-huge-elements", "z" * 20000, "small", bytes(rng.getrandbits(8) for _ in range(9000)), 7)
        p.rpush("list-big", *[rng.choice(["a" * rng.randint(1, 80), str(rng.randint(-10**12, 10**12))]) for _ in range(1500 * scale)])
        p.hset("hash-small", mapping={"f%d" % i: "v%d" % i for i in range(10)})
        p.hset("hash-big", mapping={"field:%d" % i: "value:%d" % rng.randint(0, 10**6) for i in range(700 * scale)})
        p.hset("hash-long-value", mapping={"f": "y" * 200})
        p.sadd("set-intset", *range(-50, 50))
        p.sadd("set-big-ints", *[rng.randint(-10**15, 10**15) for _ in range(600)])
        p.sadd("set-strings", *["member:%d" % i for i in range(300 * scale)])
        p.zadd("zset-small", {"a": 1, "b": 2.5, "c": -3, "d": float("inf")})
        p.zadd("zset-big", {"m%d" % i: rng.random() * 1000 for i in range(400 * scale)})
        p.pexpire("hash-small", 7_200_000)
        for i in range(120):
            p.xadd("stream", {"field": "value %d" % i, "n": i})
        p.execute()
        r.xgroup_create("stream", "group-a", id="0")
        r.xgroup_create("stream", "group-b", id="$")
        r.xreadgroup("group-a", "alice", {"stream": ">"}, count=10)
        r.xreadgroup("group-a", "bob", {"stream": ">"}, count=5)
        entries = r.xrange("stream", count=3)
        r.xack("stream", "group-a", entries[0][0])
        r.xdel("stream", entries[1][0])
        r.execute_command("XGROUP", "CREATECONSUMER", "stream", "group-b", "carol")
    r.execute_command("SELECT", 0)
    r.function_load(LIBRARY, replace=True)


def digests(r):
    """DEBUG DIGEST, and per database every key's type, TTL presence and DIGEST-VALUE."""
    result = {"all": r.execute_command("DEBUG", "DIGEST")}
    for db in range(16):
        r.execute_command("SELECT", db)
        keys = sorted(r.keys("*"))
        if not keys:
            continue
        values = r.execute_command("DEBUG", "DIGEST-VALUE", *keys)
        result[db] = {key: (r.type(key), r.ttl(key) > 0, value) for key, value in zip(keys, values)}
    r.execute_command("SELECT", 0)
    return result


def functions(r):
    listed = []
    for item in r.function_list(withcode=True):
        fields = item if isinstance(item, dict) else dict(zip(item[::2], item[1::2]))
        fields = {(k.decode() if isinstance(k, bytes) else k): v for k, v in fields.items()}
        listed.append((fields["library_name"], fields["library_code"]))
    return listed


def test_every_type_survives_save_and_restart(workdir, processes):
    p = start(processes, BINARY, workdir, "--save", "")
    r = p.client()
    fill(r)
    before = digests(r)
    libraries = functions(r)
    assert r.save()
    assert persistence(r, "rdb_changes_since_last_save") == 0
    assert p.shutdown() == 0
    q = start(processes, BINARY, workdir, "--save", "")
    r = q.client()
    assert digests(r) == before
    assert functions(r) == libraries
    assert r.fcall("persisted_echo", 0, "hi") == b"hi"
    assert persistence(r, "rdb_last_load_keys_loaded") == sum(len(v) for k, v in before.items() if k != "all")
    assert "Done loading RDB" in q.log_text()


def test_debug_reload_keeps_the_dataset(workdir, processes):
    p = start(processes, BINARY, workdir, "--save", "")
    r = p.client()
    fill(r)
    before = digests(r)
    assert r.execute_command("DEBUG", "RELOAD") == b"OK"
    assert digests(r) == before
    assert functions(r)
    # NOSAVE loads the file as it is: changes since are dropped.
    r.set("added-after", "1")
    assert r.execute_command("DEBUG", "RELOAD", "NOSAVE") == b"OK"
    assert r.exists("added-after") == 0
    assert digests(r) == before


def transfer(processes, workdir, writer, reader, filename, seed):
    """Fills a `writer` server, saves to `filename`, starts a `reader` server on the file;
    checks that every key (and the function libraries) came across. Returns the reader's
    client."""
    p = start(processes, writer, workdir, "--save", "", "--dbfilename", filename)
    source = p.client()
    fill(source, seed=seed)
    before = digests(source)
    libraries = functions(source)
    source.save()
    q = start(processes, reader, workdir, "--save", "", "--dbfilename", filename)
    loaded = q.client()
    assert digests(loaded) == before
    assert functions(loaded) == libraries
    return loaded


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server not found")
def test_redstart_dump_loads_in_redis(workdir, processes):
    transfer(processes, workdir, BINARY, REDIS_SERVER, "from-redstart.rdb", seed=11)
    check = subprocess.run(["redis-check-rdb", os.path.join(workdir, "from-redstart.rdb")], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    assert "RDB looks OK" in check.stdout


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server not found")
def test_redis_dump_loads_in_redstart(workdir, processes):
    r = transfer(processes, workdir, REDIS_SERVER, BINARY, "from-redis.rdb", seed=13)
    # And the compact encodings came back as Redis's (listpack, intset, quicklist).
    assert r.object("encoding", "hash-small") == b"listpack"
    assert r.object("encoding", "set-intset") == b"intset"
    assert r.object("encoding", "zset-big") == b"skiplist"
    checked = subprocess.run([CHECK_RDB, os.path.join(workdir, "from-redis.rdb")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout
    assert "[info] db 9:" in checked.stdout


def test_background_save_is_a_point_in_time_image(workdir, processes):
    """Keys changed, removed, renamed, expired and swapped while BGSAVE walks the dataset
    are in the file as they were when it began."""
    p = start(processes, BINARY, workdir, "--save", "")
    r = p.client()
    fill(r)
    r.execute_command("DEBUG", "POPULATE", 20000)
    r.execute_command("SELECT", 1)
    r.execute_command("DEBUG", "POPULATE", 5000, "other")
    r.execute_command("SELECT", 0)
    before = digests(r)
    # Slow the walk down so that the writes below land in the middle of it.
    r.config_set("rdb-key-save-delay", 150)
    assert r.bgsave()
    assert persistence(r, "rdb_bgsave_in_progress") == 1
    rng = random.Random(3)
    writes = 0
    while persistence(r, "rdb_bgsave_in_progress") == 1 and writes < 20000:
        n = rng.randrange(20000)
        op = rng.randrange(8)
        if op == 0:
            r.set("key:%d" % n, "changed")
        elif op == 1:
            r.delete("key:%d" % n)
        elif op == 2:
            r.expire("key:%d" % n, 5000)
        elif op == 3 and r.exists("key:%d" % n):
            r.rename("key:%d" % n, "renamed:%d" % n)
        elif op == 4:
            r.rpush("list-big", "appended")
            r.hset("hash-big", "field:%d" % n, "new")
        elif op == 5:
            r.xadd("stream", {"during": "save"})
            r.zincrby("zset-big", 5, "m%d" % (n % 400))
        elif op == 6 and writes % 500 == 0:
            r.swapdb(0, 9)
        elif op == 7 and writes == 3000:
            r.execute_command("SELECT", 1)
            r.flushdb()
            r.execute_command("SELECT", 0)
        writes += 1
    assert writes > 500, "the save ended before the writes could overlap it"
    wait_for(lambda: persistence(r, "rdb_bgsave_in_progress") == 0, message="BGSAVE to end")
    assert persistence(r, "rdb_last_bgsave_status") == "ok"
    assert persistence(r, "rdb_last_cow_size") > 0
    q = start(processes, BINARY, workdir, "--save", "", "--dbfilename", "dump.rdb")
    assert digests(q.client()) == before


def test_sigkill_during_bgsave_leaves_the_previous_dump(workdir, processes):
    p = start(processes, BINARY, workdir, "--save", "")
    r = p.client()
    fill(r)
    r.save()
    saved = digests(r)
    r.execute_command("DEBUG", "POPULATE", 30000)
    r.config_set("rdb-key-save-delay", 100)
    r.bgsave()
    # Under way: keys written, and the background writer process has made its file.
    wait_for(lambda: persistence(r, "current_save_keys_processed") > 100
             and any(name.startswith("temp-") for name in os.listdir(workdir)), message="the save to be under way")
    p.kill()
    assert [name for name in os.listdir(workdir) if name.startswith("temp-")]
    q = start(processes, BINARY, workdir, "--save", "")
    assert digests(q.client()) == saved
    # The killed save's temporary file is cleaned up at the next start.
    assert not [name for name in os.listdir(workdir) if name.startswith("temp-")]


def test_truncated_and_damaged_dumps_are_refused(workdir, processes):
    p = start(processes, BINARY, workdir, "--save", "")
    r = p.client()
    fill(r)
    r.save()
    p.shutdown("NOSAVE")
    path = os.path.join(workdir, "dump.rdb")
    with open(path, "rb") as f:
        good = f.read()
    assert len(good) > 40_000
    bad = os.path.join(workdir, "bad.rdb")
    # Cut at every 4 KB offset: the checker (the server's own loader) refuses each.
    for cut in range(0, len(good), 4096):
        with open(bad, "wb") as f:
            f.write(good[:cut])
        result = subprocess.run([CHECK_RDB, bad], capture_output=True, text=True)
        assert result.returncode == 1, (cut, result.stdout)
        assert "RDB ERROR DETECTED" in result.stdout
    # A server given a truncated file stops with exit code 1 and says why.
    with open(bad, "wb") as f:
        f.write(good[: len(good) // 2])
    q = start(processes, BINARY, workdir, "--save", "", "--dbfilename", "bad.rdb", wait=False)
    assert q.wait_exit() == 1
    assert "Terminating server after rdb file reading failure." in q.log_text()
    # Flipped bytes: the CRC catches them.
    rng = random.Random(5)
    for _ in range(5):
        damaged = bytearray(good)
        position = rng.randrange(9, len(good) - 8)
        damaged[position] ^= 0x5A
        with open(bad, "wb") as f:
            f.write(damaged)
        result = subprocess.run([CHECK_RDB, bad], capture_output=True, text=True)
        assert result.returncode == 1, (position, result.stdout)
    q = start(processes, BINARY, workdir, "--save", "", "--dbfilename", "bad.rdb", wait=False)
    assert q.wait_exit() == 1
    assert "RDB ERROR DETECTED" in q.log_text()


def test_newer_rdb_version_is_refused(workdir, processes):
    with open(os.path.join(workdir, "dump.rdb"), "wb") as f:
        f.write(b"REDIS0011\xff" + bytes(8))
    p = start(processes, BINARY, workdir, "--save", "", wait=False)
    assert p.wait_exit() == 1
    assert "Can't handle RDB format version 11" in p.log_text()


def test_unwritable_directory_fails_the_save_visibly(workdir, processes):
    target = os.path.join(workdir, "data")
    os.mkdir(target)
    p = start(processes, BINARY, target, "--save", "3600 1", log_directory=workdir)
    r = p.client()
    r.set("k", "v")
    # Take the directory away (chmod would not stop root): the background writer cannot make
    # its temporary file. As with Redis, BGSAVE starts and the save fails in the background.
    shutil.rmtree(target)
    assert r.bgsave()
    wait_for(lambda: persistence(r, "rdb_last_bgsave_status") == "err", message="the save to fail")
    assert "Failed opening the temp RDB file" in p.log_text()
    assert "Background saving error" in p.log_text()
    # stop-writes-on-bgsave-error: writes are refused, reads and other commands are not.
    with pytest.raises(redis.ResponseError, match="MISCONF"):
        r.set("k", "w")
    assert r.get("k") == b"v"
    os.mkdir(target)
    assert r.bgsave()
    wait_for(lambda: persistence(r, "rdb_bgsave_in_progress") == 0, message="BGSAVE to end")
    assert persistence(r, "rdb_last_bgsave_status") == "ok"
    assert r.set("k", "w")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        r.execute_command("SAVE", "extra")


def test_save_points_start_a_background_save(workdir, processes):
    p = start(processes, BINARY, workdir, "--save", "1 2")
    r = p.client()
    assert r.config_get("save") == {"save": "1 2"}
    r.set("a", 1)
    r.set("b", 2)
    wait_for(lambda: persistence(r, "rdb_saves") >= 1 and persistence(r, "rdb_changes_since_last_save") == 0,
             message="the save point to fire")
    assert os.path.exists(os.path.join(workdir, "dump.rdb"))
    assert "changes in 1 seconds. Saving..." in p.log_text()


def test_default_save_points_are_redis_defaults(workdir, processes):
    port = free_port()
    process = subprocess.Popen([BINARY, "--port", str(port), "--dir", workdir], stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: _answers(port), message="server")
        assert redis.Redis(port=port).config_get("save") == {"save": "3600 1 300 100 60 10000"}
    finally:
        process.kill()
        process.wait()


def _answers(port):
    try:
        return redis.Redis(port=port).ping()
    except redis.ConnectionError:
        return False


@pytest.mark.serial
def test_loading_answers_loading_until_done(workdir, processes):
    p = start(processes, BINARY, workdir, "--save", "")
    r = p.client()
    r.execute_command("DEBUG", "POPULATE", 2000)
    r.save()
    p.shutdown("NOSAVE")
    q = start(processes, BINARY, workdir, "--save", "", "--key-load-delay", "2000", wait=False)
    # A raw connection: redis-py retries through -LOADING on its own.
    wait_for(lambda: _reply(q.port, b"GET key:1\r\n").startswith(b"-LOADING Redis is loading the dataset in memory"),
             message="-LOADING")
    info = _reply(q.port, b"INFO persistence\r\n").decode()
    assert "loading:1" in info
    perc = float(info.split("loading_loaded_perc:")[1].split()[0])
    assert perc < 100
    r = q.client()
    r.config_set("key-load-delay", 0)
    q.wait_ready()
    assert r.dbsize() == 2000
    assert r.info("persistence")["loading"] == 0


def _reply(port, request):
    """The first reply bytes to `request` on a new connection (b"" when refused)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(request)
            return s.recv(65536)
    except OSError:
        return b""


def test_shutdown_modes_and_sigterm(workdir, processes):
    p = start(processes, BINARY, workdir, "--save", "")
    r = p.client()
    r.set("kept", "1")
    assert p.shutdown("SAVE") == 0  # SAVE writes even without save points
    q = start(processes, BINARY, workdir, "--save", "3600 1")
    r = q.client()
    assert r.get("kept") == b"1"
    r.set("dropped", "1")
    assert q.shutdown("NOSAVE") == 0
    s = start(processes, BINARY, workdir, "--save", "3600 1")
    r = s.client()
    assert r.exists("dropped") == 0
    r.set("on-sigterm", "1")
    assert s.kill(signal.SIGTERM) == 0
    assert "Saving the final RDB snapshot before exiting." in s.log_text()
    t = start(processes, BINARY, workdir, "--save", "")
    assert t.client().get("on-sigterm") == b"1"


def test_second_sigint_during_the_final_save_exits_at_once(workdir, processes):
    # As Redis: a SIGINT while the shutdown's save runs means "exit now", with an error
    # status, and the save's temporary file is removed.
    p = start(processes, BINARY, workdir, "--save", "3600 1")
    r = p.client()
    for i in range(20):
        r.set(i, i)
    r.config_set("rdb-key-save-delay", 100000)  # 2 s for the whole save
    temporary = os.path.join(workdir, "temp-%d.rdb" % p.process.pid)
    p.process.send_signal(signal.SIGINT)
    deadline = time.time() + 10
    while not os.path.exists(temporary) and time.time() < deadline:
        time.sleep(0.01)
    assert os.path.exists(temporary), "the shutdown did not start its save"
    p.process.send_signal(signal.SIGINT)
    assert p.wait_exit(timeout=10) == 1
    assert not os.path.exists(temporary)
    assert not os.path.exists(os.path.join(workdir, "dump.rdb"))


def test_flushall_aborts_bgsave_and_saves_the_empty_dataset(workdir, processes):
    p = start(processes, BINARY, workdir, "--save", "3600 1")
    r = p.client()
    r.execute_command("DEBUG", "POPULATE", 5000)
    r.config_set("rdb-key-save-delay", 1000)
    r.bgsave()
    assert persistence(r, "rdb_bgsave_in_progress") == 1
    r.flushall()
    assert persistence(r, "rdb_bgsave_in_progress") == 0
    assert persistence(r, "rdb_changes_since_last_save") == 1
    r.config_set("rdb-key-save-delay", 0)
    p.kill()
    q = start(processes, BINARY, workdir, "--save", "")
    assert q.client().dbsize() == 0
    assert not [name for name in os.listdir(workdir) if name.startswith("temp-")]


def test_bgsave_schedule_and_errors(workdir, processes):
    p = start(processes, BINARY, workdir, "--save", "")
    r = p.client()
    r.execute_command("DEBUG", "POPULATE", 3000)
    r.config_set("rdb-key-save-delay", 300)
    r.set_response_callback("BGSAVE", lambda reply, **options: reply)
    assert r.execute_command("BGSAVE") == b"Background saving started"
    # As Redis: a running save refuses another, even with SCHEDULE (which only waits for
    # an AOF rewrite).
    for command in (("BGSAVE",), ("BGSAVE", "SCHEDULE"), ("SAVE",)):
        with pytest.raises(redis.ResponseError, match="Background save already in progress"):
            r.execute_command(*command)
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("BGSAVE", "NOW")
    r.config_set("rdb-key-save-delay", 0)
    wait_for(lambda: persistence(r, "rdb_bgsave_in_progress") == 0, message="the save")
    # Inside a transaction BGSAVE is scheduled, and the cron starts it after.
    pipe = r.pipeline(transaction=True)
    pipe.execute_command("BGSAVE")
    assert pipe.execute() == [b"Background saving scheduled"]
    wait_for(lambda: persistence(r, "rdb_saves") >= 2 and persistence(r, "rdb_bgsave_in_progress") == 0,
             message="the scheduled save")
