"""Redis's crash report and DEBUG's ways of ending or restarting the process: a fatal
signal (DEBUG SEGFAULT, SIGABRT from outside) writes the report to the log and the
process ends by that signal; DEBUG PANIC, ASSERT and OOM write theirs and abort (or
exit 1 under use-exit-on-panic); crash-log-enabled no leaves only the signal;
DEBUG RESTART starts the executable again in the same process after the shutdown's
save, CRASH-AND-RECOVER without it."""
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile

import pytest
import redis

from blocking_helpers import wait_until
from conftest import BINARY, answers_ping, free_port, shutdown_nosave


class CrashingServer:
    """A server logging to a file, with core dumps off (the tests crash it on purpose)."""

    def __init__(self, *args):
        self.directory = tempfile.mkdtemp(prefix="redstart-crash-")
        self.log = os.path.join(self.directory, "server.log")
        self.port = free_port()
        self.process = subprocess.Popen(
            [BINARY, "--port", str(self.port), "--save", "", "--logfile", self.log,
             "--enable-debug-command", "yes", *args],
            cwd=self.directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE, (0, 0)))
        wait_until(lambda: answers_ping(self.port) or self.process.poll() is not None, "the server to start")
        assert self.process.poll() is None, self.text()

    def text(self):
        with open(self.log, errors="replace") as file:
            return file.read()

    def send_last_command(self, *words):
        """Sends a command the server does not survive; returns once the connection closed."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=60) as connection:
            connection.sendall(b" ".join(word.encode() for word in words) + b"\r\n")
            reply = b""
            while chunk := connection.recv(4096):
                reply += chunk
            return reply

    def wait_for_exit(self):
        return self.process.wait(timeout=60)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def crashing_server():
    """Starts CrashingServers; whatever is left of them is killed after the test."""
    started = []

    def start(*args):
        server = CrashingServer(*args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        shutil.rmtree(server.directory, ignore_errors=True)


def test_debug_segfault_writes_the_report_with_the_memory_test_and_ends_by_sigsegv(crashing_server):
    server = crashing_server()
    assert server.send_last_command("DEBUG", "SEGFAULT") == b""
    assert server.wait_for_exit() == -signal.SIGSEGV
    log = server.text()
    assert "=== REDSTART BUG REPORT START: Cut & paste starting from here ===" in log
    assert "Redstart 0.1.0 crashed by signal: 11" in log
    assert "Accessing address: 0x" in log
    assert "------ STACK TRACE ------" in log and "crashOrRestart" in log  # the frames are named
    assert "------ REGISTERS ------" in log and "RIP:" in log
    assert "------ FAST MEMORY TEST ------" in log  # crash-memcheck-enabled is yes by default
    assert "Fast memory test PASSED" in log
    assert log.rstrip().endswith("crash-memcheck-enabled yes does a fast one).")
    assert "=== REDSTART BUG REPORT END. Make sure to include from START to END. ===" in log


def test_sigabrt_from_another_process_is_reported_with_the_sender(crashing_server):
    server = crashing_server("--crash-memcheck-enabled", "no")
    os.kill(server.process.pid, signal.SIGABRT)
    assert server.wait_for_exit() == -signal.SIGABRT
    log = server.text()
    assert "crashed by signal: 6" in log
    assert "Killed by PID: %d, UID: %d" % (os.getpid(), os.getuid()) in log
    assert "FAST MEMORY TEST" not in log
    assert "BUG REPORT END" in log


def test_crash_log_disabled_at_run_time_leaves_only_the_signal(crashing_server):
    server = crashing_server()
    client = redis.Redis(port=server.port)
    assert client.config_set("crash-log-enabled", "no")
    assert client.config_get("crash-log-enabled") == {"crash-log-enabled": "no"}
    client.close()
    server.send_last_command("DEBUG", "SEGFAULT")
    assert server.wait_for_exit() == -signal.SIGSEGV
    assert "BUG REPORT" not in server.text()


def test_debug_panic_exits_with_status_1_under_use_exit_on_panic(crashing_server):
    server = crashing_server("--crash-memcheck-enabled", "no")
    client = redis.Redis(port=server.port)
    client.config_set("use-exit-on-panic", "yes")
    client.close()
    server.send_last_command("DEBUG", "PANIC")
    assert server.wait_for_exit() == 1
    log = server.text()
    assert "!!! Software Failure. Press left mouse button to continue" in log
    assert "Guru Meditation: DEBUG PANIC called at Unix time" in log
    assert "BUG REPORT END" in log


def test_debug_assert_reports_the_failed_assertion_and_aborts(crashing_server):
    server = crashing_server("--crash-memcheck-enabled", "no")
    server.send_last_command("DEBUG", "ASSERT")
    assert server.wait_for_exit() == -signal.SIGABRT
    log = server.text()
    assert "=== ASSERTION FAILED CLIENT CONTEXT ===" in log
    assert 'client->argv[1] = "ASSERT"' in log
    assert "=== ASSERTION FAILED ===" in log and "'1 == 2' is not true" in log
    assert log.count("BUG REPORT START") == 1  # the abort is not reported again


def test_debug_oom_is_a_software_failure(crashing_server):
    server = crashing_server("--crash-memcheck-enabled", "no", "--use-exit-on-panic", "yes")
    server.send_last_command("DEBUG", "OOM")
    assert server.wait_for_exit() == 1
    log = server.text()
    assert "Out Of Memory allocating" in log
    assert "Guru Meditation: Redstart aborting for OUT OF MEMORY." in log


def test_debug_leak_keeps_the_memory(crashing_server):
    server = crashing_server()
    client = redis.Redis(port=server.port)
    before = client.info("memory")["used_memory"]
    assert client.execute_command("DEBUG", "LEAK", "x" * 1_000_000) == b"OK"
    assert client.info("memory")["used_memory"] - before >= 1_000_000
    client.close()


def test_debug_restart_saves_and_starts_again_in_the_same_process(crashing_server):
    server = crashing_server("--save", "900 1")
    client = redis.Redis(port=server.port)
    client.set("kept", "value")
    run_id = client.info("server")["run_id"]
    assert server.send_last_command("DEBUG", "RESTART") == b""
    wait_until(lambda: answers_ping(server.port), "the restarted server")
    assert server.process.poll() is None
    info = client.info("server")
    assert info["process_id"] == server.process.pid and info["run_id"] != run_id
    assert client.get("kept") == b"value"  # saved before, loaded after
    assert "Saving the final RDB snapshot before exiting." in server.text()
    client.close()
    shutdown_nosave(server.port)
    assert server.wait_for_exit() == 0


def test_debug_crash_and_recover_restarts_without_saving(crashing_server):
    server = crashing_server("--save", "900 1")
    client = redis.Redis(port=server.port)
    client.set("lost", "value")
    server.send_last_command("DEBUG", "CRASH-AND-RECOVER", "50")
    wait_until(lambda: answers_ping(server.port), "the restarted server")
    assert client.info("server")["process_id"] == server.process.pid
    assert client.get("lost") is None
    assert not os.path.exists(os.path.join(server.directory, "dump.rdb"))
    client.close()
    shutdown_nosave(server.port)


def test_the_watchdog_logs_the_stack_of_a_held_event_loop(crashing_server):
    server = crashing_server()
    client = redis.Redis(port=server.port, decode_responses=True)
    # At least two cron ticks, as Redis raises it to (hz 10: 200 ms).
    client.config_set("watchdog-period", "50")
    assert client.config_get("watchdog-period") == {"watchdog-period": "200"}
    client.config_set("watchdog-period", "300")
    client.execute_command("DEBUG", "SLEEP", "1")
    wait_until(lambda: "--- WATCHDOG TIMER EXPIRED ---" in server.text(), "the watchdog's report")
    log = server.text()
    assert "DebugFamily" in log[log.index("WATCHDOG TIMER EXPIRED"):]  # the frames of the sleeping command
    assert client.ping()  # a report, not a crash
    client.config_set("watchdog-period", "0")
    client.execute_command("DEBUG", "SLEEP", "0.5")
    assert server.text().count("WATCHDOG TIMER EXPIRED") == 1
    client.close()
