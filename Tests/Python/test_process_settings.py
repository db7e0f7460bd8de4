"""Settings that act on the process rather than the data, each checked where the
system shows its effect: set-proc-title and proc-title-template (/proc/<pid>/cmdline),
disable-thp (THP_enabled in /proc/<pid>/status), socket-mark-id (the listener's
fwmark in `ss`), the *_cpulist settings (each thread's Cpus_allowed_list),
dynamic-hz (INFO's hz), activerehashing (DEBUG HTSTATS), and
rdb-save-incremental-fsync / aof-rewrite-incremental-fsync (fdatasync calls, traced)."""
import glob
import os
import subprocess
import time

import redis

import strace_server
from blocking_helpers import wait_until
from conftest import BINARY, free_port
from test_persistence import processes, workdir  # noqa: F401 (fixtures)


def pid_of(client):
    return client.info("server")["process_id"]


def command_line(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read().split(b"\0")[0].decode()


def status_field(path, name):
    with open(path) as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
    raise AssertionError("%s not in %s" % (name, path))


def threads(pid):
    """(name, Cpus_allowed_list) of each thread of `pid`."""
    result = []
    for task in glob.glob("/proc/%d/task/*" % pid):
        with open(task + "/comm") as f:
            name = f.read().strip()
        result.append((name, status_field(task + "/status", "Cpus_allowed_list")))
    return result


def test_process_title_follows_the_template(server_factory):
    server = server_factory("--enable-debug-command", "yes")
    client = redis.Redis(port=server.port, decode_responses=True)
    pid = pid_of(client)
    # The default template: "{title} {listen-addr} {server-mode}", trimmed.
    assert command_line(pid) == "%s *:%d" % (BINARY, server.port)
    client.config_set("proc-title-template", "TEST {title} {listen-addr} {port} {tls-port} {unixsocket} {config-file} {{x}")
    assert command_line(pid) == "TEST %s *:%d %d 0  - {x}" % (BINARY, server.port, server.port)
    # Longer than the original command line: the environment's room is used too.
    long_template = "{title} " + "x" * 300
    client.config_set("proc-title-template", long_template)
    assert command_line(pid) == BINARY + " " + "x" * 300
    for bad in ("{invalid-var}", "{title}", "{port", "  "):
        try:
            client.config_set("proc-title-template", bad)
            raise AssertionError("accepted " + bad)
        except redis.ResponseError as error:
            assert "template format is invalid or contains unknown variables" in str(error)
    client.close()


def test_set_proc_title_no_leaves_the_command_line(server_factory):
    server = server_factory("--set-proc-title", "no")
    client = redis.Redis(port=server.port)
    pid = pid_of(client)
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        assert f.read().split(b"\0")[:3] == [BINARY.encode(), b"--port", str(server.port).encode()]
    client.config_set("proc-title-template", "TEST {port}")
    assert command_line(pid) == BINARY
    client.close()


def test_disable_thp(server_factory):
    on = server_factory()
    off = server_factory("--disable-thp", "no")
    assert status_field("/proc/%d/status" % on.process.pid, "THP_enabled") == "0"
    assert status_field("/proc/%d/status" % off.process.pid, "THP_enabled") == "1"


def has_net_admin():
    capabilities = int(status_field("/proc/self/status", "CapEff"), 16)
    return bool(capabilities & (1 << 12))


def test_socket_mark_id_marks_the_listeners(server_factory):
    server = server_factory("--socket-mark-id", "77", "--bind", "127.0.0.1")
    listing = subprocess.run(["ss", "-ltne", "sport = :%d" % server.port], capture_output=True, text=True, check=True).stdout
    assert ":%d" % server.port in listing
    # As Redis: without CAP_NET_ADMIN the system refuses the mark, and the server goes on without it.
    assert ("fwmark:0x4d" in listing) == has_net_admin(), listing
    plain = server_factory("--bind", "127.0.0.1")
    listing = subprocess.run(["ss", "-ltne", "sport = :%d" % plain.port], capture_output=True, text=True, check=True).stdout
    assert "fwmark" not in listing


def test_cpu_lists_bind_the_loop_the_background_threads_and_the_save(server_factory):
    cpus = sorted(os.sched_getaffinity(0))
    first, last = str(cpus[0]), str(cpus[-1])
    everything = status_field("/proc/self/status", "Cpus_allowed_list")
    server = server_factory("--server_cpulist", first, "--bio_cpulist", last, "--bgsave_cpulist", first,
                            "--rdb-key-save-delay", "10000", "--enable-debug-command", "yes")
    client = redis.Redis(port=server.port)
    pid = pid_of(client)
    wait_until(lambda: ("redstart-loop", first) in threads(pid), "the event loop bound to " + first)
    # Lazy freeing and the AOF's fsync are the two background threads; the snapshot writer is free.
    wait_until(lambda: [cpus for name, cpus in threads(pid) if name == "TP-#0"].count(last) == 2, "bio threads")
    assert ("redstart-server", everything) in threads(pid)  # the main thread only waits
    client.execute_command("DEBUG", "POPULATE", "100")
    client.bgsave()

    def child():
        children = []
        for task in glob.glob("/proc/%d/task/*/children" % pid):
            with open(task) as f:
                children += f.read().split()
        return int(children[0]) if children else None

    saver = wait_until(child, "the background save's child")
    # 100 keys at 10 ms each: the child lives for about a second, and binds itself first thing.
    wait_until(lambda: status_field("/proc/%d/status" % saver, "Cpus_allowed_list") == first, "the child's CPUs")
    # Its title is the template's, with its own name, as Redis's fork children have it (set
    # by the child first thing: it may not have run yet).
    wait_until(lambda: command_line(saver) == "redstart-rdb-bgsave *:%d" % server.port, "the child's title")
    wait_until(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0, "the save to end")
    assert client.info("persistence")["rdb_last_bgsave_status"] == "ok"
    client.close()


def test_a_bad_cpu_list_is_logged_and_changes_nothing(server_factory):
    server = server_factory("--server_cpulist", "3-1", "--loglevel", "notice")
    client = redis.Redis(port=server.port)
    pid = pid_of(client)
    everything = status_field("/proc/self/status", "Cpus_allowed_list")
    assert ("redstart-loop", everything) in threads(pid)
    client.close()
    server.stop()
    assert "Could not apply server_cpulist '3-1': Invalid argument" in server.output()


def test_dynamic_hz_follows_the_number_of_clients(server_factory):
    server = server_factory("--hz", "1")
    client = redis.Redis(port=server.port)
    assert client.info("server")["hz"] == 1
    connections = [redis.Redis(port=server.port) for _ in range(260)]
    for connection in connections:
        connection.ping()
    # 261 clients, more than 200 per tick at 1 Hz: the cron runs twice as often.
    wait_until(lambda: client.info("server")["hz"] == 2, "hz to double")
    assert client.info("server")["configured_hz"] == 1
    client.config_set("dynamic-hz", "no")
    assert client.info("server")["hz"] == 1
    client.config_set("dynamic-hz", "yes")
    for connection in connections:
        connection.close()
    wait_until(lambda: client.info("server")["hz"] == 1, "hz back to its setting")
    client.close()


def rehashing(client):
    return "rehashing target" in client.execute_command("DEBUG", "HTSTATS", "0")


def test_activerehashing_no_leaves_rehashing_to_the_commands(server_factory):
    server = server_factory("--enable-debug-command", "yes", "--hz", "100")
    client = redis.Redis(port=server.port, decode_responses=True)
    client.config_set("activerehashing", "no")
    # The 1025th key grows the table from 1024 buckets: a rehash begins.
    client.execute_command("DEBUG", "POPULATE", "1025")
    assert rehashing(client)
    time.sleep(0.5)  # 50 cron ticks at hz 100: none of them may move the rehash on
    assert rehashing(client)
    client.config_set("activerehashing", "yes")
    wait_until(lambda: not rehashing(client), "the cron to finish the rehash")
    client.close()


def fdatasync_count(trace):
    with open(trace) as f:
        return sum(1 for line in f if "fdatasync(" in line and "resumed" not in line)


def test_incremental_fsync_while_saving(workdir, processes):  # noqa: F811
    trace = os.path.join(workdir, "save.trace")
    p = strace_server.traced_server(processes, workdir, trace, "fdatasync", "--save", "", "--enable-debug-command", "yes")
    r = p.client()
    r.execute_command("DEBUG", "POPULATE", "12000", "key", "2000")  # ~24 MB of values
    r.config_set("rdbcompression", "no")
    r.save()
    saved = fdatasync_count(trace)
    assert saved >= 5, "%d fdatasyncs for a 24 MB SAVE" % saved
    r.bgsave()
    wait_for_save(r)
    background = fdatasync_count(trace) - saved
    assert background >= 5, "%d fdatasyncs for a 24 MB BGSAVE (in its child)" % background
    r.config_set("rdb-save-incremental-fsync", "no")
    before = fdatasync_count(trace)
    r.save()
    r.bgsave()
    wait_for_save(r)
    assert fdatasync_count(trace) == before
    r.bgrewriteaof()
    wait_until(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0, "the rewrite to end")
    assert fdatasync_count(trace) - before >= 5  # aof-rewrite-incremental-fsync is yes
    p.kill()


def wait_for_save(client):
    wait_until(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0, "the save to end")
    assert client.info("persistence")["rdb_last_bgsave_status"] == "ok"


def test_syslog_enabled_sends_each_line_to_the_system_log(tmp_path):
    """With no system log on the machine (a container) and the right to make one, the test
    listens at /dev/log itself; otherwise it reads from a trace what the server sends (or,
    with no system log to reach, that it tries to reach /dev/log)."""
    import socket
    receiver = None
    if not os.path.exists("/dev/log"):
        try:
            receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            receiver.bind("/dev/log")
            receiver.settimeout(10)
        except OSError:
            receiver.close()
            receiver = None
    trace = str(tmp_path / "syslog.trace")
    command = [] if receiver else ["strace", "-f", "-qq", "-s", "200", "-e", "trace=connect,sendto", "-o", trace]
    port = free_port()
    process = subprocess.Popen(
        command + [BINARY, "--port", str(port), "--save", "", "--syslog-enabled", "yes", "--syslog-ident", "redstart-test",
                   "--syslog-facility", "local3"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(tmp_path))
    try:
        if receiver:
            messages = ""
            while "Ready to accept connections" not in messages:
                messages += receiver.recv(65536).decode(errors="replace") + "\n"
        else:
            wait_until(lambda: os.path.exists(trace) and '"/dev/log"' in open(trace).read(), "the connection to /dev/log")
            if not os.path.exists("/dev/log"):
                return  # nothing listens: the attempt is all there is to see
            wait_until(lambda: "Ready to accept connections" in open(trace).read(), "the sendto")
            messages = open(trace).read()
        # local3 (19 * 8) + notice (5) = <157>; the ident and the pid, as openlog's LOG_PID writes them.
        assert "<157>" in messages and "redstart-test[" in messages, messages
        assert "<156>" in messages  # "Server initialized" is a warning: 19 * 8 + 4
    finally:
        process.terminate()
        process.wait(timeout=10)
        if receiver:
            receiver.close()
            os.unlink("/dev/log")
