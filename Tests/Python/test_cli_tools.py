"""redstart-cli's tool modes against redstart-server, each next to redis-cli 7.0 run the
same way: --bigkeys, --memkeys (--memkeys-samples), --hotkeys (byte for byte: the
reports are deterministic for a given server and dataset), --latency,
--latency-history, --latency-dist, --stat (the same shape: timings differ), --rdb and
--functions-rdb (valid snapshots, the same messages), --replica, --intrinsic-latency,
and the errors (connection refused, AUTH, exclusive options). The endless modes run as
child processes read until the expected output appears, then stopped."""
import os
import re
import select
import signal
import subprocess
import time

import pytest
import redis

from conftest import ReferenceServer, Server, free_port
from test_cli_golden import find_cli

REDIS_CLI = "redis-cli"


@pytest.fixture(scope="module")
def cli():
    return find_cli()


@pytest.fixture(scope="module")
def tools_server():
    s = Server()
    yield s
    s.stop()


def load_dataset(port, extra=0):
    """Keys of every type, binary and spaced names, a few big ones; `extra` more strings."""
    r = redis.Redis(port=port)
    r.flushall()
    pipe = r.pipeline(transaction=False)
    pipe.set("str", "hello")
    pipe.set("longer string", "x" * 300)
    pipe.set(b"bin\xff\x00key", "binary name")
    pipe.rpush("list", *range(50))
    pipe.rpush("short list", "a")
    pipe.hset("hash", mapping={"f%d" % i: i for i in range(20)})
    pipe.sadd("set", *range(7))
    pipe.sadd("intset", 1, 2)
    pipe.zadd("zset", {"m%d" % i: i for i in range(12)})
    pipe.xadd("stream", {"a": "b"})
    pipe.xadd("stream", {"c": "d"})
    pipe.pfadd("hll", "a", "b")
    for i in range(extra):
        pipe.set("bulk:%05d" % i, "v" * (i % 97))
    pipe.execute()
    r.execute_command("SELECT", "2")
    r.set("in db 2", "value")
    r.close()


def run(tool, args, stdin=b"", env=None, timeout=60):
    p = subprocess.run([tool, *args], input=stdin, capture_output=True, timeout=timeout, env=env)
    return p.stdout, p.stderr, p.returncode


def both(cli, args, **kwargs):
    return run(REDIS_CLI, args, **kwargs), run(cli, args, **kwargs)


# --bigkeys, --memkeys, --hotkeys: byte for byte.

@pytest.mark.parametrize("args", [
    ["--bigkeys"],
    ["--bigkeys", "--pattern", "*list*"],
    ["--bigkeys", "-i", "0.01"],
    ["--bigkeys", "-n", "2"],
    ["--memkeys"],
    ["--memkeys-samples", "3"],
    ["--memkeys", "--pattern", "s*"],
    ["--bigkeys", "--no-raw"],
], ids=lambda a: " ".join(a))
def test_key_size_reports_match_redis_cli(cli, tools_server, args):
    load_dataset(tools_server.port, extra=1500)
    expected, actual = both(cli, ["-p", str(tools_server.port), *args])
    assert expected[2] == 0
    assert actual == expected
    assert b"-------- summary -------" in actual[0]


def test_bigkeys_report_contents(cli, tools_server):
    load_dataset(tools_server.port)
    out, err, code = run(cli, ["-p", str(tools_server.port), "--bigkeys"])
    assert code == 0 and err == b""
    text = out.decode()
    assert text.startswith("\n# Scanning the entire keyspace to find biggest keys as well as\n")
    assert "Sampled 11 keys in the keyspace!\n" in text
    assert "Biggest string found '\"longer string\"' has 300 bytes\n" in text
    assert "Biggest   list found '\"list\"' has 50 items\n" in text
    assert "Biggest   hash found '\"hash\"' has 20 fields\n" in text
    assert "Biggest stream found '\"stream\"' has 2 entries\n" in text
    # The HyperLogLog is a string; the binary name is quoted.
    assert "4 strings with" in text
    assert "1 zsets with 12 members (09.09% of keys, avg size 12.00)\n" in text


def test_bigkeys_on_an_empty_database(cli, tools_server):
    redis.Redis(port=tools_server.port).flushall()
    expected, actual = both(cli, ["-p", str(tools_server.port), "--bigkeys"])
    assert actual == expected
    assert b"Sampled 0 keys in the keyspace!\nTotal key length in bytes is 0 (avg len 0.00)\n" in actual[0]


def test_count_changes_batches_not_results(cli, tools_server):
    """--count (redis-cli 7.2's option) sizes each SCAN; the summary is the same."""
    load_dataset(tools_server.port, extra=300)
    port = str(tools_server.port)
    plain = run(cli, ["-p", port, "--bigkeys"])[0]
    counted = run(cli, ["-p", port, "--bigkeys", "--count", "1000"])[0]
    summary = b"-------- summary -------"
    assert counted[counted.index(summary):] == plain[plain.index(summary):]


@pytest.mark.parametrize("args", [["--hotkeys"], ["--hotkeys", "--pattern", "h*"]], ids=lambda a: " ".join(a))
def test_hotkeys_match_redis_cli(cli, tools_server, args):
    port = tools_server.port
    load_dataset(port, extra=40)
    r = redis.Redis(port=port)
    r.config_set("maxmemory-policy", "allkeys-lfu")
    try:
        for i in range(30):
            r.get("str")
            if i % 3 == 0:
                r.hget("hash", "f1")
        expected, actual = both(cli, ["-p", str(port), *args])
        assert expected[2] == 0
        assert actual == expected
        assert b"hot key found with counter: " in actual[0]
    finally:
        r.config_set("maxmemory-policy", "noeviction")
        r.close()


def test_hotkeys_without_lfu_is_the_servers_error(cli, tools_server):
    load_dataset(tools_server.port)
    expected, actual = both(cli, ["-p", str(tools_server.port), "--hotkeys"])
    assert actual == expected
    assert actual[2] == 1 and actual[1].startswith(b"Error: ERR An LFU maxmemory policy is not selected")


def test_bigkeys_stops_at_ctrl_c_with_a_summary(cli, tools_server):
    port = tools_server.port
    load_dataset(port, extra=3000)
    r = redis.Redis(port=port)
    r.config_resetstat()
    # -i 30 sleeps 30 s after every 100 SCAN calls: the scan is parked there.
    p = subprocess.Popen([cli, "-p", str(port), "--bigkeys", "-i", "30"], stdout=subprocess.PIPE)
    deadline = time.time() + 20
    while r.info("commandstats").get("cmdstat_scan", {}).get("calls", 0) < 100:
        assert time.time() < deadline
        time.sleep(0.02)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=20)
    r.close()
    assert p.returncode == 0
    assert re.search(rb"\n-------- summary -------\n\n\[\d\d\.\d\d%\] Sampled \d+ keys in the keyspace!\n", out)


# --latency, --latency-history, --latency-dist, --stat: the same shape as redis-cli.

def read_until(process, pattern, timeout=20):
    """Reads the child's stdout until `pattern` (bytes regex) matches what was read."""
    data = b""
    deadline = time.time() + timeout
    fd = process.stdout.fileno()
    while not re.search(pattern, data):
        left = deadline - time.time()
        assert left > 0, "never saw %r in %r" % (pattern, data[-2000:])
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 65536)
            assert chunk, "the process ended: %r" % data[-2000:]
            data += chunk
    return data


def stream(tool, args, pattern, env=None):
    p = subprocess.Popen([tool, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        return read_until(p, pattern)
    finally:
        p.kill()
        p.wait()


RAW_LATENCY = rb"^\d+ \d+ \d+\.\d\d \d+\n$"
CSV_LATENCY = rb"^\d+,\d+,\d+\.\d\d,\d+\n$"


@pytest.mark.parametrize("args,shape", [(["--raw"], RAW_LATENCY), (["--csv"], CSV_LATENCY), ([], RAW_LATENCY)],
                         ids=["raw", "csv", "pipe"])
def test_latency_once_when_not_a_terminal(cli, tools_server, args, shape):
    for tool in (REDIS_CLI, cli):
        start = time.time()
        out, err, code = run(tool, ["-p", str(tools_server.port), "--latency", "-i", "0.3", *args])
        assert code == 0 and err == b""
        assert re.match(shape, out), (tool, out)
        assert time.time() - start >= 0.3


STANDARD_LATENCY = rb"\x1b\[0G\x1b\[2Kmin: \d+, max: \d+, avg: \d+\.\d\d \((\d+) samples\)"


def test_latency_rewrites_its_line_on_a_terminal(cli, tools_server):
    env = dict(os.environ, FAKETTY="1")
    for tool in (REDIS_CLI, cli):
        data = stream(tool, ["-p", str(tools_server.port), "--latency"],
                      STANDARD_LATENCY.replace(rb"(\d+) samples", rb"5 samples"), env=env)
        samples = [int(n) for n in re.findall(STANDARD_LATENCY, data)]
        assert samples[:5] == [1, 2, 3, 4, 5], (tool, data)
        assert b"\n" not in data


def test_latency_history_closes_a_line_per_interval(cli, tools_server):
    env = dict(os.environ, FAKETTY="1")
    range_line = rb" -- 0\.[3-9]\d seconds range\n"
    for tool in (REDIS_CLI, cli):
        data = stream(tool, ["-p", str(tools_server.port), "--latency-history", "-i", "0.3"],
                      range_line + rb"(.|\n)*" + range_line, env=env)
        assert re.search(STANDARD_LATENCY + range_line, data), (tool, data)
        raw = stream(tool, ["-p", str(tools_server.port), "--latency-history", "-i", "0.3", "--raw"], range_line)
        samples = raw[:re.search(range_line, raw).start()].split(b"\n")
        assert len(samples) > 5
        assert all(re.match(RAW_LATENCY, line + b"\n") for line in samples[:-1]), (tool, raw)
        # The line before the range is the last sample's, not closed by a newline.
        assert re.match(RAW_LATENCY, samples[-1] + b"\n") or samples[-1] == b"", (tool, raw)


def test_latency_dist_draws_the_same_legend_and_rows(cli, tools_server):
    for extra in ([], ["--mono"]):
        outputs = []
        for tool in (REDIS_CLI, cli):
            data = stream(tool, ["-p", str(tools_server.port), "--latency-dist", "-i", "0.2", *extra],
                          rb"(\x1b\[38;5;0m.*\x1b\[0m\n){2}")
            legend_end = data.index(b"\x1b[0m\n---------------------------------------------\n") + 51
            rows = data[legend_end:].split(b"\n")[:2]
            for row in rows:
                cells = re.findall(rb"\x1b\[48;5;(\d+)m(.)", row)
                assert b"".join(c[1] for c in cells) == b".-*#123456789ABCDEFGHIJKLMNOPQ?", row
            outputs.append(data[:legend_end])
        assert outputs[1] == outputs[0]


STAT_HEADER = (b"------- data ------ --------------------- load -------------------- - child -\n"
               b"keys       mem      clients blocked requests            connections          \n")
STAT_LINE = rb"(\d+) +(\d+(\.\d\d)?[BKMG]) +(\d+) +(\d+) +(\d+) \(\+(\d+)\) +(\d+) *(SAVE|AOF|SAVE\+AOF|LOAD)?\n"


def test_stat_prints_the_same_columns(cli, tools_server):
    load_dataset(tools_server.port)
    size = redis.Redis(port=tools_server.port).dbsize()
    for tool in (REDIS_CLI, cli):
        data = stream(tool, ["-p", str(tools_server.port), "--stat", "-i", "0.1"], rb"(" + STAT_LINE + rb"){3}")
        assert data.startswith(STAT_HEADER)
        lines = data[len(STAT_HEADER):].split(b"\n")[:3]
        for index, line in enumerate(lines):
            match = re.match(STAT_LINE, line + b"\n")
            assert match, (tool, line)
            assert int(match.group(1)) == size + 1  # db 2 holds one key too
            # Columns start where redis-cli puts them.
            assert all(line[i:i + 1] != b" " for i in (0, 11, 20, 28, 36, 56)), line
            assert line[19:20] == b" " and line[55:56] == b" ", line
            # The first line shows no increase; later lines the commands since (INFO itself).
            assert (int(match.group(7)) == 0) == (index == 0)


def test_stat_reconnects_when_the_server_goes_away(cli, server_factory):
    s = server_factory()
    p = subprocess.Popen([cli, "-p", str(s.port), "--stat", "-i", "0.1"], stdout=subprocess.PIPE)
    try:
        read_until(p, STAT_LINE)
        s.stop()
        read_until(p, rb"\r\x1b\[0KReconnecting\.\.\. 2\r")
    finally:
        p.kill()
        p.wait()


# --rdb, --functions-rdb, --replica.

def check_rdb(path):
    p = subprocess.run(["redis-check-rdb", path], capture_output=True, timeout=30)
    assert b"RDB looks OK" in p.stdout, p.stdout
    keys = re.search(rb"\[info\] (\d+) keys read", p.stdout)
    return int(keys.group(1))


def numbers_hidden(text):
    return re.sub(rb"\d+", b"N", text)


def test_rdb_fetches_a_snapshot(cli, tools_server, tmp_path):
    port = tools_server.port
    load_dataset(port)
    directory = str(tmp_path)
    results = []
    for tool in (REDIS_CLI, cli):
        path = os.path.join(directory, tool.replace("/", "_") + ".rdb")
        out, err, code = run(tool, ["-p", str(port), "--rdb", path])
        assert code == 0 and out == b""
        assert check_rdb(path) == 12
        results.append((numbers_hidden(err.replace(path.encode(), b"PATH")), os.path.getsize(path)))
    assert results[1] == results[0]
    assert results[1][0] == (b"sending REPLCONF capa eof\nsending REPLCONF rdb-only N\n"
                             b"SYNC sent to master, writing bytes of bulk transfer until EOF marker to 'PATH'\n"
                             b"Transfer finished with success after N bytes\n")


def test_rdb_to_standard_output(cli, tools_server):
    port = tools_server.port
    load_dataset(port)
    out, err, code = run(cli, ["-p", str(port), "--rdb", "-"])
    assert code == 0
    length = int(re.search(rb"after (\d+) bytes", err).group(1))
    # Standard output cannot be truncated: the 40-byte end mark follows the snapshot.
    assert out.startswith(b"REDIS00") and len(out) == length + 40


def test_functions_rdb_keeps_only_functions(cli, tools_server, redis_server, tmp_path):
    library = "#!lua name=clitestlib\nredis.register_function('clitest', function() return 1 end)"
    directory = str(tmp_path)
    for s in (tools_server, redis_server):
        r = redis.Redis(port=s.port)
        r.flushall()
        r.function_flush()
        r.set("a key", "v")
        r.function_load(library)
        r.config_set("repl-diskless-sync-delay", "0")
        r.close()
    # Both servers filter (REPLCONF rdb-filter-only functions): both tools say and write the
    # same against either, and the file holds the library and no key.
    results = {}
    for s in (tools_server, redis_server):
        for tool in (REDIS_CLI, cli):
            path = os.path.join(directory, "%d-%s.rdb" % (s.port, tool.replace("/", "_")))
            out, err, code = run(tool, ["-p", str(s.port), "--functions-rdb", path])
            assert code == 0, err
            assert check_rdb(path) == 0
            results[(s.port, tool)] = numbers_hidden(err.replace(path.encode(), b"PATH"))
            loaded = ReferenceServer("--dir", directory, "--dbfilename", os.path.basename(path))
            try:
                r = redis.Redis(port=loaded.port)
                assert r.dbsize() == 0
                assert [entry[1] for entry in r.function_list()] == [b"clitestlib"]
                r.close()
            finally:
                loaded.stop()
    for s in (tools_server, redis_server):
        redis.Redis(port=s.port).config_set("repl-diskless-sync-delay", "5")
    assert len(set(results.values())) == 1, results
    assert results[(tools_server.port, cli)] == (
        b"sending REPLCONF capa eof\nsending REPLCONF rdb-only N\nsending REPLCONF rdb-filter-only functions\n"
        b"SYNC sent to master, writing bytes of bulk transfer until EOF marker to 'PATH'\n"
        b"Transfer finished with success after N bytes\n")


def test_rdb_and_functions_rdb_are_exclusive(cli, tools_server):
    args = ["-p", str(tools_server.port), "--rdb", "/tmp/x.rdb", "--functions-rdb", "/tmp/y.rdb"]
    expected, actual = both(cli, args)
    assert actual == expected and actual[2] == 1


def test_replica_prints_the_replication_stream(cli, tools_server):
    port = tools_server.port
    r = redis.Redis(port=port)
    r.config_set("repl-diskless-sync-delay", "0")
    p = subprocess.Popen([cli, "-p", str(port), "--replica"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        err = b""
        while b"Logging commands from master.\n" not in err:
            line = p.stderr.readline()
            assert line, err
            err += line
        assert err.startswith(b"sending REPLCONF capa eof\nsending REPLCONF rdb-filter-only \n")
        assert b"SYNC with master, discarding bytes of bulk transfer until EOF marker...\n" in err
        r.set("replicated key", "its value")
        data = read_until(p, rb'"(set|SET)","replicated key","its value"\n')
        assert data.startswith(b'"SELECT","0"\n') or data.startswith(b'"select","0"\n')
    finally:
        p.kill()
        p.wait()
        r.config_set("repl-diskless-sync-delay", "5")
        r.close()


def test_intrinsic_latency(cli):
    for tool in (REDIS_CLI, cli):
        out, err, code = run(tool, ["--intrinsic-latency", "1"])
        assert code == 0
        assert re.match(rb"(Max latency so far: \d+ microseconds\.\n)+\n\d+ total runs \(avg latency: \d+\.\d{4} "
                        rb"microseconds / \d+\.\d\d nanoseconds per run\)\.\nWorst run took \d+x longer than the "
                        rb"average latency\.\n$", out), out


# redis-cli's line; redis-cli buffers it when stdout is a pipe, so only ours is read live.
LRU_LINE = rb"^(\d+) Gets/sec \| Hits: (\d+) \((\d+\.\d\d)%\) \| Misses: (\d+) \((\d+\.\d\d)%\)\n$"


def test_lru_test_simulates_an_80_20_cache(cli, server_factory):
    s = server_factory()
    line = stream(cli, ["-p", str(s.port), "--lru-test", "1000"], rb"\n")
    match = re.match(LRU_LINE, line)
    assert match, line
    gets, hits, hit_percent, misses, miss_percent = match.groups()
    assert int(gets) == int(hits) + int(misses) > 0
    assert abs(float(hit_percent) - 100 * int(hits) / int(gets)) < 0.01
    c = redis.Redis(port=s.port, decode_responses=True)
    numbers = sorted(int(key.split(":")[1]) for key in c.scan_iter("lru:*"))
    assert numbers and numbers[0] >= 0 and numbers[-1] <= 1000
    # 80-20: the low numbers are the hot ones, so the SETs keep those and skip most others.
    assert sum(1 for n in numbers if n <= 200) > sum(1 for n in numbers if n > 800)
    assert all(len(c.get("lru:%d" % n)) == 5 for n in numbers[:20])


# Errors.

@pytest.mark.parametrize("args", [["--bigkeys"], ["--memkeys"], ["--hotkeys"], ["--stat"], ["--latency"],
                                  ["--latency-dist"], ["--rdb", "/tmp/never.rdb"], ["--functions-rdb", "/tmp/never.rdb"],
                                  ["--replica"]], ids=lambda a: a[0])
def test_connection_refused(cli, args):
    expected, actual = both(cli, ["-p", str(free_port()), *args])
    assert actual == expected and actual[2] == 1


@pytest.fixture(scope="module")
def auth_server():
    s = Server("--requirepass", "toolsecret")
    yield s
    s.stop()


@pytest.mark.parametrize("args", [["-a", "wrong", "--bigkeys"], ["-a", "wrong", "--stat"],
                                  ["--no-auth-warning", "-a", "toolsecret", "--bigkeys"],
                                  ["--no-auth-warning", "-a", "toolsecret", "--latency", "--raw", "-i", "0.1"]],
                         ids=lambda a: " ".join(a))
def test_auth(cli, auth_server, args):
    expected, actual = both(cli, ["-p", str(auth_server.port), *args])
    if "--latency" in args:
        assert re.match(RAW_LATENCY, actual[0]) and actual[1:] == expected[1:]
    else:
        assert actual == expected


@pytest.mark.parametrize("args", [["--cluster", "help"], ["--ldb", "--eval", "x.lua"]], ids=lambda a: a[0])
def test_modes_not_supported_say_so(cli, args):
    out, err, code = run(cli, args)
    assert code == 1 and out == b""
    assert err.startswith(b"redstart-cli: ") and b"is not supported" in err
