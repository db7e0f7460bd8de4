"""Config-file directives that are not settings.

redis.conf's `rename-command <name> <new name>`: the command answers to the new name only,
an empty new name removes it, and a bad line stops start-up with Redis's message. ACL
rules still name commands by their own names, as in Redis. The AOF and a primary's stream
are applied whatever the renames (their effect forms use the commands' own names; Redis
refuses its own AOF once MULTI is renamed, a difference kept on purpose). Client-facing
cases run against redis-server 7.0.15 too, so the replies compared are Redis's.

Sentinel's directives and `--sentinel` (Redstart has no Sentinel mode: redis-sentinel
monitors it) and `loadmodule` (modules for Redis's module API cannot load) stop start-up
with a clear message."""
import os
import subprocess

import pytest
import redis

from blocking_helpers import wait_until
from conftest import BINARY, REDIS_SERVER, free_port

# redis.conf's own example renames CONFIG to a 40-character name: longer than any
# command's own name.
LONG_NAME = "b840fc02d524045429941cc15f59e41cb7be6c52"

RENAMES = 'rename-command flushdb badger\nrename-command CONFIG ""\nrename-command set %s\n' % LONG_NAME

SERVERS = [pytest.param(BINARY, id="redstart"), pytest.param(REDIS_SERVER, id="redis")]


class ConfiguredServer:
    """A server started from a config file in `directory` (the file comes first on the
    command line, as redis-server wants)."""

    def __init__(self, binary, directory, text, *args):
        self.binary = binary
        self.directory = directory
        self.config = os.path.join(directory, "server.conf")
        self.port = free_port()
        with open(self.config, "w") as f:
            f.write('port %d\ndir %s\nsave ""\n%s' % (self.port, directory, text))
        self.args = args
        self.process = None

    def start(self):
        self.process = subprocess.Popen([self.binary, self.config, *self.args],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.client = redis.Redis(port=self.port, decode_responses=True)
        # Replies as the server sent them (redis-py reshapes COMMAND's and CONFIG's).
        self.client.response_callbacks.clear()
        wait_until(self.answers, "the server to start", timeout=30)

    def answers(self):
        if self.process.poll() is not None:
            raise AssertionError("the server exited with %s" % self.process.returncode)
        try:
            return self.client.ping()
        except redis.ConnectionError:
            return False

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def configured(tmp_path):
    started = []

    def start(binary, text, *args):
        directory = tmp_path / ("server-%d" % len(started))
        directory.mkdir()
        server = ConfiguredServer(binary, str(directory), text, *args)
        started.append(server)  # stopped at the end even when it fails to answer
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


def error_of(call, *args):
    with pytest.raises(redis.ResponseError) as raised:
        call(*args)
    return str(raised.value)


@pytest.mark.parametrize("binary", SERVERS)
def test_renamed_and_removed_commands(configured, binary):
    server = configured(binary, RENAMES)
    c = server.client
    assert c.execute_command(LONG_NAME, "k", "v") == "OK"
    assert c.execute_command(LONG_NAME.upper(), "k2", "v") == "OK"
    assert error_of(c.execute_command, "SET", "k", "v") == "unknown command 'SET', with args beginning with: 'k' 'v' "
    assert error_of(c.execute_command, "FLUSHDB") == "unknown command 'FLUSHDB', with args beginning with: "
    assert error_of(c.execute_command, "CONFIG", "GET", "port") == \
        "unknown command 'CONFIG', with args beginning with: 'GET' 'port' "
    # COMMAND looks a command up by the name clients use, and shows its own name.
    assert c.execute_command("COMMAND", "INFO", "badger")[0][0] == "flushdb"
    assert c.execute_command("COMMAND", "INFO", "flushdb") == [None]
    assert c.execute_command("COMMAND", "INFO", "config") == [None]
    assert "config" not in c.execute_command("COMMAND", "LIST")
    assert c.execute_command("COMMAND", "GETKEYS", LONG_NAME, "k", "v") == ["k"]
    # Scripts call commands by the names clients use.
    assert c.eval("return redis.call('%s', 'k', 'w')" % LONG_NAME, 0) == "OK"
    assert "Unknown Redis command called from script" in error_of(c.eval, "return redis.call('set', 'k', 'v')", 0)
    # ACL rules name commands by their own names.
    assert c.execute_command("ACL", "SETUSER", "u", "on", "nopass", "+flushdb", "+get") == "OK"
    user = redis.Redis(port=server.port, username="u", password="x", decode_responses=True)
    assert user.execute_command("BADGER") == "OK"
    assert "no permissions to run the 'set' command" in error_of(user.execute_command, LONG_NAME, "k", "v")
    assert c.dbsize() == 0


def test_removing_a_command_takes_it_out_of_command_count(configured, tmp_path):
    counts = {}
    for binary in (BINARY, REDIS_SERVER):
        plain = configured(binary, "").client.execute_command("COMMAND", "COUNT")
        renamed = configured(binary, 'rename-command config ""\nrename-command get fetch\n')
        counts[binary] = plain - renamed.client.execute_command("COMMAND", "COUNT")
    assert counts == {BINARY: 1, REDIS_SERVER: 1}


@pytest.mark.parametrize("line, message", [
    ("rename-command nosuchcommand x", "No such command in rename-command"),
    ("rename-command get set", "Target command name already exists"),
    ("rename-command get", "Bad directive or wrong number of arguments"),
])
def test_bad_rename_lines_stop_start_up(tmp_path, line, message):
    config = tmp_path / "bad.conf"
    config.write_text('save ""\n%s\n' % line)
    for binary in (BINARY, REDIS_SERVER):
        result = subprocess.run([binary, str(config), "--port", str(free_port())], capture_output=True, timeout=30)
        output = (result.stdout + result.stderr).decode()
        assert result.returncode == 1, (binary, output)
        assert "Reading the configuration file, at line 2" in output, (binary, output)
        assert ">>> '%s'" % line in output, (binary, output)
        assert message in output, (binary, output)


def test_a_subcommand_cannot_be_renamed(tmp_path):
    # redis-server 7.0.15 finds `config|get`, then fails an assertion removing it from its
    # table; Redstart refuses the line.
    config = tmp_path / "bad.conf"
    config.write_text("rename-command config|get x\n")
    result = subprocess.run([BINARY, str(config), "--port", str(free_port())], capture_output=True, timeout=30)
    assert result.returncode == 1
    assert b"No such command in rename-command" in result.stdout + result.stderr


def test_renaming_on_the_command_line(configured):
    server = configured(BINARY, "", "--rename-command", "get", "fetch")
    server.client.set("k", "v")
    assert server.client.execute_command("FETCH", "k") == "v"
    assert "unknown command 'GET'" in error_of(server.client.get, "k")


def test_config_rewrite_keeps_the_renames(configured):
    # Redis's "CONFIG REWRITE handles rename-command properly" (unit/introspection).
    server = configured(BINARY, "rename-command flushdb badger\n")
    server.client.execute_command("CONFIG", "SET", "maxmemory", "10mb")
    server.client.execute_command("CONFIG", "REWRITE")
    server.stop()
    server.start()
    assert "unknown command 'FLUSHDB'" in error_of(server.client.flushdb)
    assert server.client.execute_command("BADGER") == "OK"
    assert server.client.config_get("maxmemory") == {"maxmemory": "10485760"}


def test_the_aof_of_renamed_commands_loads_under_the_same_renames(configured):
    # The AOF holds writes in their effect form: commands by their own names (SET, MULTI,
    # EXEC, PEXPIREAT …), which replay applies whatever the names clients use.
    renames = 'enable-debug-command yes\nappendonly yes\nappendfsync always\nrename-command set put\nrename-command multi begin\n' \
              'rename-command exec commit\nrename-command expire ttl-set\n'
    server = configured(BINARY, renames)
    c = server.client
    c.execute_command("PUT", "a", "1")
    c.execute_command("TTL-SET", "a", "1000")
    c.execute_command("BEGIN")
    c.execute_command("PUT", "b", "2")
    c.execute_command("INCR", "b")
    assert c.execute_command("COMMIT") == ["OK", 3]
    digest = c.execute_command("DEBUG", "DIGEST")
    server.stop()
    server.start()
    assert server.client.execute_command("DEBUG", "DIGEST") == digest
    assert server.client.get("b") == "3"
    assert 0 < server.client.ttl("a") <= 1000


def test_a_replica_applies_its_primarys_writes_whatever_it_renamed(configured):
    # The primary's stream names commands by their own names (Redis's
    # lookupCommandOrOriginal serves the same purpose there).
    primary = configured(BINARY, "")
    replica = configured(BINARY, 'rename-command set put\nrename-command del ""\nreplicaof 127.0.0.1 %d\n' % primary.port)
    # Written once the link is up, so they come in the stream, not in the first copy.
    wait_until(lambda: "master_link_status:up" in replica.client.execute_command("INFO", "replication"),
               "the replica's link to come up")
    primary.client.set("a", "1")
    primary.client.set("b", "2")
    primary.client.delete("a")
    primary.client.set("done", "yes")
    wait_until(lambda: replica.client.get("done") == "yes", "the replica to catch up")
    assert replica.client.get("b") == "2"
    assert replica.client.exists("a") == 0


def start_up_failure(*args):
    result = subprocess.run([BINARY, *args], capture_output=True, timeout=30)
    return result.returncode, (result.stdout + result.stderr).decode()


def test_sentinel_directives_and_sentinel_mode_are_refused(tmp_path):
    config = tmp_path / "sentinel.conf"
    config.write_text("sentinel monitor mymaster 127.0.0.1 6379 2\n")
    for binary in (BINARY, REDIS_SERVER):
        result = subprocess.run([binary, str(config), "--port", str(free_port())], capture_output=True, timeout=30)
        assert result.returncode == 1
        assert b"sentinel directive while not in sentinel mode" in result.stdout + result.stderr
    status, output = start_up_failure("--port", str(free_port()), "--sentinel")
    assert status == 1 and "Redstart has no Sentinel mode: run redis-sentinel" in output


def test_a_lone_sentinel_line_is_ignored_as_in_redis(configured):
    assert configured(BINARY, "sentinel\n").client.ping()


def test_loadmodule_is_refused_naming_the_module(tmp_path):
    config = tmp_path / "modules.conf"
    config.write_text("loadmodule /opt/redis-stack/lib/rejson.so\n")
    status, output = start_up_failure(str(config), "--port", str(free_port()))
    assert status == 1
    assert ">>> 'loadmodule /opt/redis-stack/lib/rejson.so'" in output
    assert "Module /opt/redis-stack/lib/rejson.so failed to load: Redstart cannot load modules built for Redis's module API" in output
