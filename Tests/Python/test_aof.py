"""The append-only file, end to end with real processes: every type through restarts
with both base formats, rewrites under writes, SIGKILL under a write load with
`always` and `everysec` (no acknowledged write lost, no transaction half applied), the
seed's scenario (a transaction cut at every byte offset: loaded without it under
aof-load-truncated yes, refused with the fix-it message under no, loadable after
redstart-check-aof --fix, with redis-check-aof agreeing on every file), AOF
directories exchanged with redis-server both ways, AOF turned on and off at run
time, group commit and the everysec fsync (counted with strace), and start-up
refusals (missing files, broken manifests, unknown commands, bad format).
"""
import os
import random
import re
import shutil
import subprocess
import threading
import time

import pytest
import redis

import strace_server

from conftest import BINARY, REDIS_SERVER
from test_persistence import digests, fill, functions, persistence, processes, start, wait_for, workdir  # noqa: F401

CHECK_AOF = os.path.join(os.path.dirname(BINARY), "redstart-check-aof")
REDIS_CHECK_AOF = shutil.which("redis-check-aof")
AOF_DIR = "appendonlydir"
MANIFEST = os.path.join(AOF_DIR, "appendonly.aof.manifest")


def aof_server(processes, directory, *args, binary=BINARY, **kwargs):
    return start(processes, binary, directory, "--appendonly", "yes", "--save", "", *args, **kwargs)


def manifest_lines(directory):
    with open(os.path.join(directory, MANIFEST)) as f:
        return [line.rstrip("\n") for line in f]


def last_incr_path(directory):
    name = manifest_lines(directory)[-1].split(" ")[1]
    return os.path.join(directory, AOF_DIR, name)


def wait_rewrite(r):
    wait_for(lambda: persistence(r, "aof_rewrite_in_progress") == 0 and persistence(r, "aof_rewrite_scheduled") == 0,
             message="the AOF rewrite")


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for arg in args:
        arg = arg if isinstance(arg, bytes) else str(arg).encode()
        out += b"$%d\r\n%s\r\n" % (len(arg), arg)
    return out


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_every_type_survives_restarts_and_rewrites(workdir, processes, preamble):
    p = aof_server(processes, workdir, "--aof-use-rdb-preamble", preamble)
    r = p.client()
    fill(r)
    r.incrbyfloat("float", 1.5)
    r.expire("raw", 1000)
    before, libraries = digests(r), functions(r)
    p.kill()
    p = aof_server(processes, workdir, "--aof-use-rdb-preamble", preamble)
    r = p.client()
    assert digests(r) == before and functions(r) == libraries
    # A rewrite replaces the base and the increments; the dataset stays the same.
    r.bgrewriteaof()
    wait_rewrite(r)
    suffix = "rdb" if preamble == "yes" else "aof"
    assert manifest_lines(workdir) == [
        "file appendonly.aof.2.base.%s seq 2 type b" % suffix, "file appendonly.aof.2.incr.aof seq 2 type i"]
    wait_for(lambda: sorted(os.listdir(os.path.join(workdir, AOF_DIR))) == [
        "appendonly.aof.2.base.%s" % suffix, "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"],
        message="history files to go")
    r.set("after-rewrite", "yes")
    expected = digests(r)
    r.execute_command("DEBUG", "LOADAOF")
    assert digests(r) == expected
    assert p.shutdown() == 0
    p = aof_server(processes, workdir, "--aof-use-rdb-preamble", preamble)
    assert digests(p.client()) == expected
    assert subprocess.run([CHECK_AOF, os.path.join(workdir, MANIFEST)], capture_output=True).returncode == 0


def writer(port, stop, seed):
    r = redis.Redis(port=port)
    rng = random.Random(seed)
    while not stop.is_set():
        key = "k%d" % rng.randint(0, 5000)
        choice = rng.random()
        if choice < 0.4:
            r.set(key, rng.randint(0, 10**9))
        elif choice < 0.6:
            r.incr("counter:%d" % seed)
        elif choice < 0.8:
            r.rpush("list:%d" % (seed % 7), rng.randint(0, 1000))
        elif choice < 0.9:
            r.hset("hash:%d" % rng.randint(0, 50), key, choice)
        else:
            with r.pipeline(transaction=True) as t:
                t.incr("pair:a").incr("pair:b").execute()
    r.close()


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_rewrite_under_writes_keeps_every_write(workdir, processes, preamble):
    p = aof_server(processes, workdir, "--aof-use-rdb-preamble", preamble)
    stop = threading.Event()
    threads = [threading.Thread(target=writer, args=(p.port, stop, seed)) for seed in range(4)]
    for t in threads:
        t.start()
    r = p.client()
    wait_for(lambda: r.dbsize() > 500, message="writes")
    r.bgrewriteaof()
    wait_rewrite(r)
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join()
    expected = digests(r)
    assert r.get("pair:a") == r.get("pair:b")
    r.execute_command("DEBUG", "LOADAOF")
    assert digests(r) == expected
    p.kill()
    assert digests(aof_server(processes, workdir).client()) == expected


class AcknowledgedWrites:
    """A client that writes until stopped and remembers what the server acknowledged."""

    def __init__(self, port, index):
        self.index = index
        self.r = redis.Redis(port=port, socket_timeout=10)
        self.sets = 0
        self.increments = 0
        self.pushes = 0
        self.transactions = 0

    def run(self, stop):
        try:
            while not stop.is_set():
                n = self.sets
                self.r.set("c%d:set:%d" % (self.index, n), n)
                self.sets = n + 1
                self.increments = self.r.incr("c%d:counter" % self.index)
                self.pushes = self.r.lpush("c%d:list" % self.index, n)
                with self.r.pipeline(transaction=True) as t:
                    a, b = t.incr("c%d:a" % self.index).incr("c%d:b" % self.index).execute()
                assert a == b
                self.transactions = a
        except (redis.ConnectionError, redis.TimeoutError):
            pass


@pytest.mark.parametrize("policy", ["always", "everysec"])
def test_sigkill_under_load_loses_no_acknowledged_write(workdir, processes, policy):
    p = aof_server(processes, workdir, "--appendfsync", policy)
    stop = threading.Event()
    clients = [AcknowledgedWrites(p.port, i) for i in range(6)]
    threads = [threading.Thread(target=c.run, args=(stop,)) for c in clients]
    for t in threads:
        t.start()
    wait_for(lambda: min(c.transactions for c in clients) > 50, message="writes")
    p.kill()
    stop.set()
    for t in threads:
        t.join()
    r = aof_server(processes, workdir, "--appendfsync", policy).client()
    for c in clients:
        i = c.index
        # Everything acknowledged is there (a write past the last acknowledgement may be too).
        assert int(r.get("c%d:counter" % i)) >= c.increments
        assert r.llen("c%d:list" % i) >= c.pushes
        assert all(v is not None for v in r.mget(["c%d:set:%d" % (i, n) for n in range(c.sets)]))
        # A transaction is all there or not at all.
        a, b = int(r.get("c%d:a" % i)), int(r.get("c%d:b" % i))
        assert a == b and a >= c.transactions


def strace_count(log):
    with open(log) as f:
        return sum(1 for line in f if "fdatasync(" in line and "resumed" not in line)


def traced_server(processes, workdir, trace, *args, strace_options=""):
    """The server with the AOF on, under strace, counting its fdatasync calls into `trace`."""
    return strace_server.traced_server(processes, workdir, trace, "fdatasync", "--appendonly", "yes", "--save", "",
                                       *args, strace_options=strace_options)


def test_group_commit_and_the_everysec_fsync(workdir, processes):
    """With always, clients writing in the same loop turn share one fdatasync; with
    everysec there is about one fdatasync a second."""
    trace = os.path.join(workdir, "always.trace")
    p = traced_server(processes, workdir, trace, "--appendfsync", "always")
    subprocess.run(["redis-benchmark", "-p", str(p.port), "-c", "50", "-n", "5000", "-t", "set", "-q"],
                   check=True, capture_output=True)
    assert p.client().dbsize() == 1
    p.shutdown("NOSAVE")
    syncs = strace_count(trace)
    assert 0 < syncs < 5000 / 4, "%d fdatasyncs for 5000 writes from 50 clients" % syncs

    trace = os.path.join(workdir, "everysec.trace")
    shutil.rmtree(os.path.join(workdir, AOF_DIR))
    p = traced_server(processes, workdir, trace, "--appendfsync", "everysec")
    r = p.client()
    started = time.time()
    writes = 0
    while time.time() - started < 3:
        r.incr("n")
        writes += 1
    p.kill()
    syncs = strace_count(trace)
    assert 2 <= syncs <= 6 and writes > 100, "%d fdatasyncs in 3 s of %d writes" % (syncs, writes)


def test_a_slow_everysec_fsync_postpones_writes_for_two_seconds_at_most(workdir, processes):
    """everysec on a disk whose fdatasync takes 4 s (strace delays it): the writes that
    follow wait for it up to two seconds, then go to the file anyway, counted in
    aof_delayed_fsync and logged as Redis logs it; meanwhile the loop keeps answering."""
    trace = os.path.join(workdir, "slow-fsync.trace")
    p = traced_server(processes, workdir, trace, "--appendfsync", "everysec",
                      strace_options="-e inject=fdatasync:delay_exit=4000000")
    r = p.client(socket_timeout=10)
    deadline = time.time() + 20
    worst = 0.0
    writes = 0
    while time.time() < deadline and int(persistence(r, "aof_delayed_fsync")) == 0:
        before = time.time()
        r.incr("n")
        worst = max(worst, time.time() - before)
        writes += 1
        time.sleep(0.005)
    assert int(persistence(r, "aof_delayed_fsync")) >= 1, "no write went ahead of the slow fsync"
    assert worst < 1, "a write waited %.2f s for the disk" % worst
    wait_for(lambda: "Asynchronous AOF fsync is taking too long" in p.log_text(), 10, "the log line")
    assert writes > 50 and int(r.get("n")) == writes
    p.kill()


def build_aof_with_final_transaction(processes, workdir):
    """An AOF directory whose last incremental file ends with a MULTI … EXEC unit; returns
    the bytes of that file and where the unit starts."""
    p = aof_server(processes, workdir)
    r = p.client()
    r.set("before", "1")
    r.rpush("list", "a", "b")
    with r.pipeline(transaction=True) as t:
        t.set("inside", "x").incr("counter").execute()
    p.shutdown("NOSAVE")
    path = last_incr_path(workdir)
    with open(path, "rb") as f:
        data = f.read()
    unit = data.rindex(resp("MULTI"))
    assert data.endswith(resp("EXEC"))
    return path, data, unit


def check_reports(tool, manifest, *options):
    run = subprocess.run([tool, *options, manifest], capture_output=True, text=True, input="")
    analyzed = re.findall(r"AOF analyzed: .*", run.stdout)
    return run.returncode, [re.sub(r"filename=\S+", "", line) for line in analyzed]


def test_transaction_cut_at_every_offset(workdir, processes):
    path, data, unit = build_aof_with_final_transaction(processes, workdir)
    manifest = os.path.join(workdir, MANIFEST)
    for cut in range(unit + 1, len(data)):
        with open(path, "wb") as f:
            f.write(data[:cut])
        # Both checkers call the file invalid at the same offset and line.
        ours = check_reports(CHECK_AOF, manifest)
        assert ours[0] == 1 and ("ok_up_to=%d," % unit) in ours[1][-1]
        assert check_reports(REDIS_CHECK_AOF, manifest) == ours, "cut at %d" % cut
        # aof-load-truncated no: start-up is refused, telling the user what to run.
        refused = aof_server(processes, workdir, "--aof-load-truncated", "no", wait=False)
        assert refused.wait_exit() == 1
        assert "Unexpected end of file reading the append only file" in refused.log_text()
        assert "redstart-check-aof --fix" in refused.log_text()
        # redstart-check-aof --fix makes it load (asking first; -y answers for scripts).
        run = subprocess.run([CHECK_AOF, "--fix", manifest], capture_output=True, text=True, input="y\n")
        assert run.returncode == 0 and "Successfully truncated AOF" in run.stdout, run.stdout
        assert os.path.getsize(path) == unit
        loaded = aof_server(processes, workdir, "--aof-load-truncated", "no")
        r = loaded.client()
        assert r.get("before") == b"1" and r.get("inside") is None and r.get("counter") is None
        loaded.kill()
        # aof-load-truncated yes: the unfinished transaction is dropped and the file cut.
        with open(path, "wb") as f:
            f.write(data[:cut])
        tolerant = aof_server(processes, workdir)
        r = tolerant.client()
        assert r.get("before") == b"1" and r.llen("list") == 2 and r.get("inside") is None
        assert "loaded anyway because aof-load-truncated is enabled" in tolerant.log_text()
        tolerant.kill()
        assert os.path.getsize(path) == unit
    with open(path, "wb") as f:
        f.write(data)
    assert check_reports(CHECK_AOF, manifest)[0] == 0
    assert subprocess.run([CHECK_AOF, "-y", "--fix", manifest], capture_output=True).returncode == 0


def test_check_tool_reports_and_truncates_to_a_timestamp(workdir):
    os.makedirs(os.path.join(workdir, AOF_DIR))
    with open(os.path.join(workdir, MANIFEST), "w") as f:
        f.write("file appendonly.aof.1.incr.aof seq 1 type i\n")
    incr = os.path.join(workdir, AOF_DIR, "appendonly.aof.1.incr.aof")
    with open(incr, "wb") as f:
        f.write(b"#TS:100\r\n" + resp("SET", "a", "1") + b"#TS:200\r\n" + resp("SET", "b", "2") + b"#TS:300\r\n")
    manifest = os.path.join(workdir, MANIFEST)
    run = subprocess.run([CHECK_AOF, manifest], capture_output=True, text=True)
    assert run.returncode == 0
    assert "Start checking Multi Part AOF" in run.stdout and "All AOF files and manifest are valid" in run.stdout
    run = subprocess.run([CHECK_AOF, "--truncate-to-timestamp", "150", manifest], capture_output=True, text=True)
    assert run.returncode == 0 and "Successfully truncated AOF appendonly.aof.1.incr.aof to timestamp 150" in run.stdout
    with open(incr, "rb") as f:
        assert f.read() == b"#TS:100\r\n" + resp("SET", "a", "1")
    run = subprocess.run([CHECK_AOF, "--truncate-to-timestamp", "50", manifest], capture_output=True, text=True)
    assert run.returncode == 1 and "has nothing before timestamp 50, aborting" in run.stdout
    with open(incr, "ab") as f:
        f.write(b"garbage")
    run = subprocess.run([CHECK_AOF, manifest], capture_output=True, text=True)
    assert run.returncode == 1 and "is not valid" in run.stdout and "format error" in run.stdout


def exchange(processes, workdir, writer_binary, reader_binary, preamble):
    source = os.path.join(workdir, "source")
    target = os.path.join(workdir, "target")
    os.makedirs(source)
    w = aof_server(processes, source, "--aof-use-rdb-preamble", preamble, binary=writer_binary)
    r = w.client()
    # The base holds the dataset written before a rewrite; the increment what came after.
    fill(r, seed=3)
    r.bgrewriteaof()
    wait_rewrite(r)
    r.set("after", "rewrite")
    r.incrbyfloat("float", "2.5")
    r.lpush("list-small", "more")
    r.expire("raw", 5000)
    expected = digests(r)
    w.shutdown("NOSAVE")
    shutil.copytree(os.path.join(source, AOF_DIR), os.path.join(target, AOF_DIR))
    reader = aof_server(processes, target, binary=reader_binary)
    assert digests(reader.client()) == expected


@pytest.mark.skipif(REDIS_SERVER is None, reason="needs redis-server")
@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_redis_aof_loads_in_redstart(workdir, processes, preamble):
    exchange(processes, workdir, REDIS_SERVER, BINARY, preamble)


@pytest.mark.skipif(REDIS_SERVER is None, reason="needs redis-server")
@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_redstart_aof_loads_in_redis(workdir, processes, preamble):
    exchange(processes, workdir, BINARY, REDIS_SERVER, preamble)


def test_appendonly_turned_on_and_off_at_run_time(workdir, processes):
    p = start(processes, BINARY, workdir, "--save", "")
    r = p.client()
    fill(r, seed=5)
    assert persistence(r, "aof_enabled") == 0
    r.config_set("appendonly", "yes")
    wait_rewrite(r)
    assert persistence(r, "aof_enabled") == 1
    assert manifest_lines(workdir) == [
        "file appendonly.aof.1.base.rdb seq 1 type b", "file appendonly.aof.1.incr.aof seq 1 type i"]
    r.set("written", "after")
    expected = digests(r)
    p.kill()
    p = aof_server(processes, workdir)
    r = p.client()
    assert digests(r) == expected
    r.config_set("appendonly", "no")
    r.set("not", "logged")
    size = os.path.getsize(last_incr_path(workdir))
    r.set("nor", "this")
    assert os.path.getsize(last_incr_path(workdir)) == size
    p.kill()
    assert digests(aof_server(processes, workdir).client()) == expected


def test_flushdb_of_an_empty_database_and_bgrewriteaof_replies(workdir, processes):
    p = aof_server(processes, workdir, "--appendfsync", "always")
    r = p.client()
    r.flushdb()
    r.flushall()
    with open(last_incr_path(workdir), "rb") as f:
        assert f.read().endswith(resp("FLUSHDB") + resp("FLUSHALL"))
    r.config_set("rdb-key-save-delay", "1000000")
    r.set("k", "v")
    r.bgsave()
    reply = subprocess.run(["redis-cli", "-p", str(p.port), "BGREWRITEAOF"], capture_output=True, text=True).stdout
    assert reply.strip() == "Background append only file rewriting scheduled"
    assert persistence(r, "aof_rewrite_scheduled") == 1
    r.config_set("rdb-key-save-delay", "0")
    wait_for(lambda: persistence(r, "aof_rewrite_scheduled") == 0 and persistence(r, "aof_rewrite_in_progress") == 0,
             message="the scheduled rewrite")
    r.config_set("rdb-key-save-delay", "1000000")
    r.bgrewriteaof()
    with pytest.raises(redis.ResponseError, match="already in progress"):
        r.bgrewriteaof()
    with pytest.raises(redis.ResponseError, match="Another child process is active"):
        r.execute_command("BGSAVE")
    reply = subprocess.run(["redis-cli", "-p", str(p.port), "BGSAVE", "SCHEDULE"], capture_output=True, text=True).stdout
    assert reply.strip() == "Background saving scheduled"
    r.config_set("rdb-key-save-delay", "0")
    wait_for(lambda: persistence(r, "rdb_bgsave_in_progress") == 0 and persistence(r, "aof_rewrite_in_progress") == 0
             and persistence(r, "rdb_saves") == 1, message="the rewrite, then the scheduled save")


@pytest.mark.parametrize("layout,message", [
    ({"appendonly.aof.manifest": b"file appendonly.aof.1.incr.aof seq 1 type i\n"},
     "appendonly.aof.1.incr.aof length. stat: No such file or directory"),
    ({"appendonly.aof.manifest": b"file appendonly.aof.1.base.aof seq 1 type x\n"}, "Unknown AOF file type"),
    ({"appendonly.aof.manifest": b""}, "Found an empty AOF manifest"),
    ({"appendonly.aof.manifest": b"file appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
      "appendonly.aof.1.incr.aof": b"", "appendonly.aof.2.incr.aof": b""}, "Found a non-monotonic sequence number"),
    ({"appendonly.aof.manifest": b"file appendonly.aof.1.incr.aof seq 1 type i\n",
      "appendonly.aof.1.incr.aof": resp("SET", "a", "1") + resp("BLA", "x")}, "Unknown command 'BLA' reading the append only file"),
    ({"appendonly.aof.manifest": b"file appendonly.aof.1.incr.aof seq 1 type i\n",
      "appendonly.aof.1.incr.aof": resp("SET", "a", "1") + b"!!!" + resp("SET", "b", "1")}, "Bad file format reading the append only file"),
])
def test_broken_aof_stops_start_up(workdir, processes, layout, message):
    os.makedirs(os.path.join(workdir, AOF_DIR))
    for name, content in layout.items():
        with open(os.path.join(workdir, AOF_DIR, name), "wb") as f:
            f.write(content)
    p = aof_server(processes, workdir, wait=False)
    assert p.wait_exit() == 1
    assert message in p.log_text()


def test_old_style_aof_is_moved_into_the_directory(workdir, processes):
    with open(os.path.join(workdir, "appendonly.aof"), "wb") as f:
        f.write(resp("SET", "k1", "v1") + resp("SELECT", "3") + resp("RPUSH", "l", "a", "b"))
    p = aof_server(processes, workdir)
    r = p.client()
    assert r.get("k1") == b"v1"
    r.select(3)
    assert r.lrange("l", 0, -1) == [b"a", b"b"]
    assert manifest_lines(workdir) == ["file appendonly.aof seq 1 type b", "file appendonly.aof.1.incr.aof seq 1 type i"]
    assert not os.path.exists(os.path.join(workdir, "appendonly.aof"))
    assert "Successfully migrated an old-style AOF file" in p.log_text()


@pytest.mark.parametrize("strategy", ["MAXLEN", "MINID"])
def test_approximate_trims_with_limit_replay_exactly(workdir, processes, strategy):
    # An approximate trim propagates as exact (`MAXLEN = <length left>` or `MINID = <first
    # ID>`), its LIMIT kept: the replay applies it whole instead of refusing LIMIT without ~
    # (Redis's suite: "XADD with ~ MAXLEN and LIMIT can propagate correctly").
    lengths = {}
    for name, binary in (("redstart", BINARY), ("redis", REDIS_SERVER)):
        directory = os.path.join(workdir, name)
        os.makedirs(directory)
        r = aof_server(processes, directory, "--stream-node-max-entries", "10", binary=binary).client()
        for j in range(1, 101):
            r.xadd("s", {"f": "v"}, id="%d-1" % j)
        threshold = "55" if strategy == "MAXLEN" else "60-0"
        r.execute_command("XADD", "s", strategy, "~", threshold, "LIMIT", "30", "*", "f", "v")
        r.execute_command("XTRIM", "s", strategy, "~", "50" if strategy == "MAXLEN" else "62-0", "LIMIT", "20")
        before = (r.xlen("s"), r.xrange("s", count=1)[0][0])
        r.config_set("stream-node-max-entries", "1")
        assert r.execute_command("DEBUG", "LOADAOF") == b"OK"
        assert (r.xlen("s"), r.xrange("s", count=1)[0][0]) == before
        assert r.info("stats").get("unexpected_error_replies", 0) == 0
        lengths[name] = before[0]
    assert lengths["redstart"] == lengths["redis"]
