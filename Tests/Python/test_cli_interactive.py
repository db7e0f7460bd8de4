"""redstart-cli's interactive mode, driven through a real terminal: each test starts
redstart-cli (and, for comparisons, redis-cli 7.0) in a detached tmux session of a fixed
size on its own tmux server, types keys with `send-keys` and polls `capture-pane` until
the expected text appears (no fixed sleeps). Covered: the prompt ([db], (TX), not
connected, connect), replies in RESP2 and RESP3 (compared with redis-cli's display of
the same commands), hints that shrink as arguments are typed, TAB completion, the
history file across two runs (and what it leaves out), help, line editing keys,
SUBSCRIBE streaming and Ctrl-C, and the line-by-line mode when stdin is not a terminal
(compared byte for byte with redis-cli)."""
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time

import pytest
import redis

from conftest import Server, free_port
from test_cli_golden import find_cli

REDIS_CLI = "redis-cli"
WIDTH, HEIGHT = 200, 50

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")


@pytest.fixture(scope="module")
def cli():
    return find_cli()


@pytest.fixture(scope="module")
def cli_server():
    s = Server("--enable-debug-command", "yes")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def tmux_socket():
    """A tmux server of our own (its own socket and configuration), killed at the end."""
    directory = tempfile.mkdtemp(prefix="redstart-cli-tmux-")
    config = os.path.join(directory, "tmux.conf")
    with open(config, "w") as f:
        # The server stays up between sessions (a session ending while the next starts
        # would otherwise race with the server's exit).
        f.write("set -s exit-empty off\nset -g remain-on-exit on\nset -g history-limit 20000\nset -g status off\n")
    socket = "redstart-cli-tests-%d" % os.getpid()
    yield socket, config
    subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
    shutil.rmtree(directory, ignore_errors=True)


class Pane:
    """A program running in a detached tmux session."""
    count = 0

    def __init__(self, tmux, argv, env=None):
        self.socket, config = tmux
        Pane.count += 1
        self.name = "pane%d" % Pane.count
        assignments = ["%s=%s" % (k, shlex.quote(v)) for k, v in (env or {}).items()]
        # The shell prints the exit status once the program ends (tmux's own is not reliable).
        command = " ".join(["env"] + assignments + [shlex.quote(a) for a in argv]) + '; echo "[exit status $?]"'
        self.tmux("-f", config, "new-session", "-d", "-s", self.name, "-x", str(WIDTH), "-y", str(HEIGHT), command)

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, check=True).stdout.decode()

    def send(self, *keys):
        """Keys in tmux's names (Enter, Tab, C-a, Left, ...)."""
        self.tmux("send-keys", "-t", self.name, *keys)

    def type(self, text):
        """Text typed literally."""
        self.tmux("send-keys", "-t", self.name, "-l", text)

    def text(self, colours=False):
        """The whole pane, scrollback included, trailing blank lines dropped."""
        args = ["capture-pane", "-p", "-t", self.name, "-S", "-"]
        if colours:
            args.insert(1, "-e")
        return self.tmux(*args).rstrip("\n") + "\n"

    def screen(self):
        """Only the visible rows."""
        return self.tmux("capture-pane", "-p", "-t", self.name)

    def line(self, pattern):
        """The last visible line matching `pattern`."""
        lines = [l for l in self.screen().splitlines() if re.search(pattern, l)]
        return lines[-1] if lines else None

    def wait_for_pane(self, pattern, timeout=10, colours=False):
        """Polls the pane until `pattern` (a regex) matches its text; returns the text."""
        deadline = time.time() + timeout
        while True:
            text = self.text(colours)
            if re.search(pattern, text, re.M):
                return text
            if time.time() > deadline:
                raise AssertionError("pane never showed %r; it shows:\n%s" % (pattern, text))
            time.sleep(0.03)

    def wait_for_line(self, pattern, timeout=10):
        """Polls the visible rows until one matches `pattern`; returns that row."""
        deadline = time.time() + timeout
        while True:
            line = self.line(pattern)
            if line is not None:
                return line
            if time.time() > deadline:
                raise AssertionError("no row matches %r; the screen is:\n%s" % (pattern, self.screen()))
            time.sleep(0.03)

    def is_dead(self):
        return self.tmux("display-message", "-p", "-t", self.name, "#{pane_dead}").strip() == "1"

    def wait_until_dead(self, timeout=10):
        deadline = time.time() + timeout
        while not self.is_dead():
            if time.time() > deadline:
                raise AssertionError("the program did not exit; the pane shows:\n%s" % self.text())
            time.sleep(0.03)

    def close(self):
        subprocess.run(["tmux", "-L", self.socket, "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture
def home():
    directory = tempfile.mkdtemp(prefix="redstart-cli-home-")
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def start(tmux_socket, home):
    """Starts a tool (argv) in a pane with a private HOME and history file."""
    panes = []

    def run(argv, history=None, env=None):
        environment = {"HOME": home, "REDISCLI_HISTFILE": history or os.path.join(home, "history"),
                       "REDISCLI_RCFILE": os.path.join(home, "rc")}
        environment.update(env or {})
        pane = Pane(tmux_socket, argv, environment)
        panes.append(pane)
        return pane

    yield run
    for pane in panes:
        pane.close()


def prompt(port, db=0, tx=False):
    text = "127.0.0.1:%d" % port
    if db:
        text += "[%d]" % db
    if tx:
        text += "(TX)"
    return text + "> "


def ready(pane, port, db=0):
    pane.wait_for_pane(re.escape(prompt(port, db).rstrip()) + "$")
    return pane


# The prompt and simple commands.

def test_prompt_command_and_reply(cli, cli_server, start):
    port = cli_server.port
    pane = ready(start([cli, "-p", str(port)]), port)
    pane.type("set greeting hello")
    pane.send("Enter")
    pane.wait_for_pane(r"^OK$")
    pane.type("get greeting")
    pane.send("Enter")
    # The reply, then the next prompt under it (captured once both are drawn: the reply
    # alone can be on the screen a moment before the prompt).
    text = pane.wait_for_pane(r'^"hello"\n%s$' % re.escape(prompt(port).rstrip()))
    assert text.endswith('"hello"\n' + prompt(port).rstrip() + "\n")


def test_select_and_multi_change_the_prompt(cli, cli_server, start):
    port = cli_server.port
    pane = ready(start([cli, "-p", str(port)]), port)
    for line, expected in [("select 3", prompt(port, 3)), ("multi", prompt(port, 3, tx=True)),
                           ("set k v", prompt(port, 3, tx=True)), ("exec", prompt(port, 3)),
                           ("multi", prompt(port, 3, tx=True)), ("select 5", prompt(port, 5, tx=True)),
                           ("discard", prompt(port, 3)), ("select 0", prompt(port))]:
        pane.type(line)
        pane.send("Enter")
        pane.wait_for_pane(re.escape(line) + r"\n.*\n" + re.escape(expected.rstrip()) + "$")


def test_not_connected_then_connect(cli, cli_server, start):
    closed = free_port()
    pane = start([cli, "-p", str(closed)])
    pane.wait_for_pane(r"Could not connect to Redis at 127\.0\.0\.1:%d: Connection refused\nnot connected>$" % closed)
    pane.type("ping")
    pane.send("Enter")
    pane.wait_for_pane(r"ping\nCould not connect to Redis at .*\nnot connected>$")
    pane.type("connect 127.0.0.1 %d" % cli_server.port)
    pane.send("Enter")
    ready(pane, cli_server.port)
    pane.type("ping")
    pane.send("Enter")
    pane.wait_for_pane(r"^PONG$")


def test_lost_connection_reconnects_on_the_next_command(cli, cli_server, start):
    port = cli_server.port
    pane = ready(start([cli, "-p", str(port)]), port)
    pane.type("client setname victim")
    pane.send("Enter")
    pane.wait_for_pane(r"^OK$")
    r = redis.Redis(port=port)
    victim = [c for c in r.client_list() if c["name"] == "victim"]
    r.execute_command("CLIENT", "KILL", "ID", victim[0]["id"])
    r.close()
    pane.type("ping")
    pane.send("Enter")
    pane.wait_for_pane(r"^Error: Server closed the connection\nnot connected>$")
    pane.type("ping")
    pane.send("Enter")
    pane.wait_for_pane(r"not connected> ping\nPONG\n" + re.escape(prompt(port).rstrip()) + "$")


def test_repeat_prefix_and_invalid_lines(cli, cli_server, start):
    port = cli_server.port
    pane = ready(start([cli, "-p", str(port)]), port)
    redis.Redis(port=port).delete("counter")
    for line in ["3 incr counter", "0 ping", '"unbalanced', ":set nothing", "restart"]:
        enter(pane, port, line)
    text = pane.wait_for_pane(r"^Use 'restart' only in Lua debugging mode\.$")
    assert "(integer) 1\n(integer) 2\n(integer) 3\n" in text
    assert "Invalid redis-cli repeat command option value.\n" in text
    assert "Invalid argument(s)\n" in text
    assert "unknown redstart-cli preference 'nothing'\n" in text


# Replies, compared with redis-cli's display of the same commands.

SETUP = [
    ("DEL", "s", "l", "h", "st", "z", "empty"), ("SET", "s", "plain"), ("RPUSH", "l", "a", "b", "c"),
    ("HSET", "h", "f1", "v1", "f2", "v2"), ("SADD", "st", "m1"), ("ZADD", "z", "1.5", "one", "2", "two"),
]

DISPLAY_COMMANDS = [
    "get s", "get missing", "lrange l 0 -1", "lrange missing 0 -1", "hgetall h", "hgetall missing",
    "smembers st", "zrange z 0 -1 withscores", "zscore z one", "incr counter2", "nosuchcommand arg",
    "lpush s x", 'echo "with \\"quotes\\" and \\x00 bytes"', "eval \"return {1,{2,{3,'x'}},{}}\" 0",
    "eval \"return {map={a=1,b={1,2}}}\" 0", "eval \"return {set={x=true}}\" 0", "eval \"return {double=3.5}\" 0",
    "eval \"return true\" 0", "eval \"return false\" 0", "eval \"return nil\" 0",
    "debug protocol verbatim", "debug protocol true", "debug protocol double", "debug protocol map",
    "debug protocol set", "debug protocol null", "config get maxmemory", "xadd stream 1-1 a b",
    "xrange stream - +",
]


def enter(pane, port, line):
    """Types `line` and Enter, then waits for the next prompt (so nothing is typed ahead
    while a reply prints, which the terminal would echo in the middle of it)."""
    bare = prompt(port).rstrip()
    before = sum(1 for l in pane.text().splitlines() if l.startswith(bare))
    pane.type(line)
    pane.send("Enter")
    deadline = time.time() + 10
    while True:
        lines = pane.text().splitlines()
        if lines[-1] == bare and sum(1 for l in lines if l.startswith(bare)) > before:
            return
        assert time.time() < deadline, "no prompt after %r:\n%s" % (line, pane.text())
        time.sleep(0.03)


def run_session(pane, port, lines, marker="display done"):
    """Enters every line, then an ECHO of `marker`; returns the pane text from the first line on."""
    for line in lines:
        enter(pane, port, line)
    pane.type("echo %r" % marker)
    pane.send("Enter")
    text = pane.wait_for_pane(r'^"%s"\n%s$' % (re.escape(marker), re.escape(prompt(port).rstrip())))
    return text[text.index(lines[0]) - len(prompt(port)):]


@pytest.mark.parametrize("protocol", [2, 3])
def test_reply_display_matches_redis_cli(cli, cli_server, start, protocol):
    port = cli_server.port
    lines = ["hello 3", "echo 'resp3 from here'"] if protocol == 3 else []
    lines += DISPLAY_COMMANDS
    outputs = []
    for tool in (REDIS_CLI, cli):
        r = redis.Redis(port=port)
        for command in SETUP:
            r.execute_command(*command)
        r.delete("counter2", "stream")
        r.close()
        pane = ready(start([tool, "-p", str(port)]), port)
        text = run_session(pane, port, lines)
        # HELLO's reply names the connection's id: compare from the line after it.
        if protocol == 3:
            text = text[text.index("echo 'resp3 from here'"):]
        outputs.append(text)
        pane.close()
    assert outputs[1] == outputs[0]


def test_resp3_display_after_hello_3(cli, cli_server, start):
    port = cli_server.port
    r = redis.Redis(port=port)
    for command in SETUP:
        r.execute_command(*command)
    r.close()
    pane = ready(start([cli, "-p", str(port)]), port)
    text = run_session(pane, port, ["hello 3", "hgetall h", "smembers st", "zscore z one", "debug protocol true",
                                    "eval \"return {map={k={1,2}}}\" 0"])
    assert '3# "proto" => (integer) 3\n' in text
    assert '1# "f1" => "v1"\n2# "f2" => "v2"\n' in text
    assert '1~ "m1"\n' in text
    assert "(double) 1.5\n" in text
    assert "(true)\n" in text
    assert '1# "k" =>\n   1) (integer) 1\n   2) (integer) 2\n' in text


def test_slow_command_shows_its_time(cli, cli_server, start):
    port = cli_server.port
    pane = ready(start([cli, "-p", str(port)]), port)
    pane.type("debug sleep 0.6")
    pane.send("Enter")
    pane.wait_for_pane(r"^OK\n\(0\.\d\ds\)\n")


# Hints and completion.

def test_hints_shrink_as_arguments_are_typed(cli, cli_server, start):
    port = cli_server.port
    pane = ready(start([cli, "-p", str(port)]), port)
    head = re.escape(prompt(port))
    pane.type("SET ")
    pane.wait_for_line(head + re.escape("SET key value [NX|XX] [GET] [EX seconds|PX milliseconds|"
                                        "EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]") + "$")
    # The hint is drawn in grey (SGR 90).
    assert "\x1b[90mkey value [NX|XX]" in pane.text(colours=True)
    pane.type("foo ")
    pane.wait_for_line(head + re.escape("SET foo value [NX|XX] [GET] [EX seconds|") + ".*KEEPTTL]$")
    pane.type("bar ")
    pane.wait_for_line(head + re.escape("SET foo bar [NX|XX] [GET] [EX seconds|") + ".*KEEPTTL]$")
    pane.type("NX ")
    pane.wait_for_line(head + re.escape("SET foo bar NX [GET] [EX seconds|") + ".*KEEPTTL]$")
    pane.type("EX ")
    pane.wait_for_line(head + re.escape("SET foo bar NX EX seconds [GET]") + "$")
    pane.type("10 ")
    pane.wait_for_line(head + re.escape("SET foo bar NX EX 10 [GET]") + "$")
    pane.type("GET ")
    pane.wait_for_line(head + re.escape("SET foo bar NX EX 10 GET") + "$")
    # Without a trailing space the hint starts with one.
    pane.send("C-u")
    pane.type("mset a")
    pane.wait_for_line(head + re.escape("mset a value [key value ...]") + "$")
    pane.type(" b ")
    pane.wait_for_line(head + re.escape("mset a b [key value ...]") + "$")
    pane.send("C-u")
    pane.type("config get ")
    pane.wait_for_line(head + re.escape("config get parameter [parameter ...]") + "$")
    pane.send("C-u")
    pane.type("zadd z 1 ")
    pane.wait_for_line(head + re.escape("zadd z 1 member [score member ...]") + "$")
    # Entered lines keep no hint.
    pane.send("C-u")
    pane.type("get ")
    pane.wait_for_line(head + re.escape("get key") + "$")
    pane.type("k")
    pane.send("Enter")
    pane.wait_for_pane(head + r"get k\n")


def test_hints_can_be_switched_off(cli, cli_server, start):
    port = cli_server.port
    pane = ready(start([cli, "-p", str(port)]), port)
    pane.type(":set nohints")
    pane.send("Enter")
    ready(pane, port)
    # With hints "SET k" would be followed by " value [NX|XX] ...".
    pane.type("SET k")
    pane.wait_for_line(re.escape(prompt(port) + "SET k") + "$")
    pane.send("C-u")
    pane.type(":set hints")
    pane.send("Enter")
    ready(pane, port)
    pane.type("GET ")
    pane.wait_for_line(re.escape(prompt(port) + "GET key") + "$")


def test_tab_completes_and_cycles(cli, cli_server, start):
    port = cli_server.port
    pane = ready(start([cli, "-p", str(port)]), port)
    head = re.escape(prompt(port))
    pane.type("se")
    pane.send("Tab")
    pane.wait_for_line(head + re.escape("SELECT index") + "$")
    pane.send("Tab")
    pane.wait_for_line(head + re.escape("SET key value [NX|XX]"))
    pane.send("Tab")
    pane.wait_for_line(head + re.escape("SETBIT key offset value") + "$")
    pane.send("Escape")
    pane.wait_for_line(head + "se$")
    pane.send("C-u")
    pane.type("config g")
    pane.send("Tab")
    pane.wait_for_line(head + re.escape("CONFIG GET parameter [parameter ...]") + "$")
    # Another key accepts the candidate.
    pane.type(" maxmemory")
    pane.send("Enter")
    pane.wait_for_pane(r'^1\) "maxmemory"\n2\) "0"$')
    pane.type("help @stri")
    pane.send("Tab")
    pane.wait_for_line(head + re.escape("help @string") + "$")


# History.

def test_history_is_kept_across_runs(cli, cli_server, start, home):
    port = cli_server.port
    history = os.path.join(home, "cli history")
    pane = ready(start([cli, "-p", str(port)], history=history), port)
    for line in ["set histkey 1", "auth nobody secret", "get histkey", "get histkey"]:
        pane.type(line)
        pane.send("Enter")
        pane.wait_for_pane(re.escape(line) + r"\n.*\n" + re.escape(prompt(port).rstrip()) + "$")
    pane.type("quit")
    pane.send("Enter")
    pane.wait_until_dead()
    with open(history) as f:
        assert f.read() == "set histkey 1\nget histkey\nquit\n"
    assert os.stat(history).st_mode & 0o777 == 0o600

    pane = ready(start([cli, "-p", str(port)], history=history), port)
    head = re.escape(prompt(port))
    pane.send("Up")
    pane.wait_for_line(head + "quit$")
    pane.send("Up")
    pane.wait_for_line(head + "get histkey$")
    pane.send("Up")
    pane.wait_for_line(head + "set histkey 1")
    pane.send("Down")
    pane.wait_for_line(head + "get histkey$")
    pane.send("Enter")
    pane.wait_for_pane(r'^"1"$')
    # Ctrl-R finds older lines.
    pane.send("C-r")
    pane.type("set")
    pane.wait_for_line(re.escape("(reverse-i-search)`set': set histkey 1") + "$")
    pane.send("Enter")
    pane.wait_for_pane(r"set histkey 1\nOK$")


def test_history_file_dev_null_records_nothing(cli, cli_server, start, home):
    port = cli_server.port
    pane = ready(start([cli, "-p", str(port)], history="/dev/null"), port)
    pane.type("ping")
    pane.send("Enter")
    pane.wait_for_pane(r"^PONG$")
    pane.send("Up")
    pane.wait_for_line(re.escape(prompt(port)) + "ping$")  # in memory for this run
    assert os.listdir(home) == []


# Line editing.

@pytest.mark.parametrize("keys,reply", [
    ([("type", "hello"), ("send", "C-a"), ("type", "echo "), ("send", "Enter")], '"hello"'),
    ([("type", "echo abcdef"), ("send", "Left", "Left", "C-k", "Enter")], '"abcd"'),
    ([("type", "echo two"), ("send", "C-w"), ("type", "three"), ("send", "Enter")], '"three"'),
    ([("type", "garbage"), ("send", "C-u"), ("type", "echo fresh"), ("send", "Enter")], '"fresh"'),
    ([("type", "echo abcd"), ("send", "BSpace", "Left", "Left", "DC", "Enter")], '"ac"'),
    ([("type", "cho x"), ("send", "Home"), ("type", "e"), ("send", "End"), ("type", "y"), ("send", "Enter")], '"xy"'),
    ([("type", "echo ab"), ("send", "C-b", "C-b", "C-d", "C-f", "C-e"), ("type", "z"), ("send", "Enter")], '"bz"'),
    ([("type", "echo ab"), ("send", "Left", "C-t", "Enter")], '"ba"'),
    ([("type", "echo héllowörld"), ("send", "Left"), ("send", "BSpace", "Enter")], '"h\\xc3\\xa9llow\\xc3\\xb6rd"'),
], ids=["ctrl-a", "ctrl-k", "ctrl-w", "ctrl-u", "backspace-delete", "home-end", "ctrl-bdfe", "ctrl-t", "utf8"])
def test_editing_keys(cli, cli_server, start, keys, reply):
    port = cli_server.port
    pane = ready(start([cli, "-p", str(port)]), port)
    for kind, *args in keys:
        if kind == "type":
            pane.type(args[0])
        else:
            pane.send(*args)
    pane.wait_for_pane("^" + re.escape(reply) + "$")


def test_long_lines_wrap_and_come_back(cli, cli_server, start):
    port = cli_server.port
    pane = ready(start([cli, "-p", str(port)]), port)
    value = "".join("%03d-" % i for i in range(100))  # 400 characters: three rows
    pane.type("echo " + value)
    pane.send("Home", "Right", "Right", "Right", "Right", "Right")
    pane.type("X")
    pane.send("Enter")
    pane.wait_for_pane(r'^"X' + re.escape(value[:WIDTH - 10]))
    pane.type("echo done")
    pane.send("Enter")
    text = pane.wait_for_pane(r'^"done"$')
    # The whole line was drawn once, over as many rows as it needs.
    joined = pane.tmux("capture-pane", "-p", "-J", "-t", pane.name, "-S", "-")
    assert (prompt(port) + "echo X" + value) in joined
    assert text.count(prompt(port) + "echo X") == 1


def test_clear_and_ctrl_l_clear_the_screen(cli, cli_server, start):
    port = cli_server.port
    pane = ready(start([cli, "-p", str(port)]), port)
    pane.type("echo before")
    pane.send("Enter")
    pane.wait_for_pane(r'^"before"$')
    pane.type("clear")
    pane.send("Enter")
    deadline = time.time() + 10
    while pane.screen().splitlines()[0] != prompt(port).rstrip():
        assert time.time() < deadline, pane.screen()
        time.sleep(0.03)
    pane.type("echo again")
    pane.send("Enter")
    pane.wait_for_pane(r'^"again"$')
    pane.send("C-l")
    while pane.screen().splitlines()[0] != prompt(port).rstrip():
        assert time.time() < deadline, pane.screen()
        time.sleep(0.03)


@pytest.mark.parametrize("keys", [["C-d"], ["C-c"], ["quit", "Enter"], ["exit", "Enter"]])
def test_ways_to_leave(cli, cli_server, start, keys):
    port = cli_server.port
    pane = ready(start([cli, "-p", str(port)]), port)
    pane.send(*keys)
    pane.wait_for_pane(r"^\[exit status 0\]$")


def test_dumb_terminal_gets_plain_lines(cli, cli_server, start):
    """TERM=dumb: no editing (the terminal echoes), the prompt is still shown."""
    port = cli_server.port
    pane = ready(start([cli, "-p", str(port)], env={"TERM": "dumb"}), port)
    pane.type("echo plain")
    pane.send("Enter")
    pane.wait_for_pane(r'^%secho plain\n"plain"\n%s$' % (re.escape(prompt(port)), re.escape(prompt(port).rstrip())))


# Help.

@pytest.mark.parametrize("topic", ["help set", "help @string", "help config", "help nosuchthing", "help GEOSEARCH"])
def test_help_matches_redis_cli(cli, cli_server, start, topic):
    port = cli_server.port
    outputs = []
    for tool in (REDIS_CLI, cli):
        pane = ready(start([tool, "-p", str(port)]), port)
        outputs.append(run_session(pane, port, [topic], marker="help done"))
        pane.close()
    assert outputs[1] == outputs[0]
    if topic == "help set":
        assert "  SET key value [NX|XX] [GET] [EX seconds|PX milliseconds" in outputs[1]
        assert "  summary: Set the string value of a key\n  since: 1.0.0\n  group: string\n" in outputs[1]


@pytest.mark.parametrize("topic", [["help", "set"], ["help", "@list"], ["help", "client", "kill"], ["HELP", "get"],
                                   ["help", "nosuch"], ["?", "config"]], ids=lambda t: " ".join(t))
def test_help_as_the_command_matches_redis_cli(cli, cli_server, topic):
    """`redstart-cli help set`: the same bytes as redis-cli's (escape codes and CRLFs)."""
    args = ["-p", str(cli_server.port), *topic]
    results = [subprocess.run([tool, *args], capture_output=True, timeout=30) for tool in (REDIS_CLI, cli)]
    assert (results[1].stdout, results[1].stderr, results[1].returncode) == \
        (results[0].stdout, results[0].stderr, results[0].returncode)


def test_help_alone_is_our_intro(cli, cli_server, start):
    port = cli_server.port
    pane = ready(start([cli, "-p", str(port)]), port)
    text = run_session(pane, port, ["help"])
    assert "redstart-cli 0.1.0 (redis-cli 7.0.15 compatible)\n" in text
    assert '"help @<group>" to get a list of commands in <group>' in text
    assert '":set hints" enable online hints' in text


# Streaming.

def test_subscribe_streams_messages_until_ctrl_c(cli, cli_server, start):
    port = cli_server.port
    pane = ready(start([cli, "-p", str(port)]), port)
    pane.type("subscribe news")
    pane.send("Enter")
    pane.wait_for_pane(r'Reading messages\.\.\. \(press Ctrl-C to quit\)\n1\) "subscribe"\n2\) "news"\n3\) \(integer\) 1$')
    r = redis.Redis(port=port)
    assert r.publish("news", "hello world") == 1
    pane.wait_for_pane(r'^1\) "message"\n2\) "news"\n3\) "hello world"$')
    r.publish("news", "second")
    pane.wait_for_pane(r'3\) "second"$')
    pane.send("C-c")
    ready(pane, port)
    # Ctrl-C reconnected: the new connection is not subscribed.
    pane.type("ping")
    pane.send("Enter")
    pane.wait_for_pane(r"^PONG$")
    deadline = time.time() + 10
    while r.pubsub_numsub("news") != [(b"news", 0)]:
        assert time.time() < deadline
        time.sleep(0.03)
    r.close()


def test_subscribe_display_matches_redis_cli(cli, cli_server, start):
    port = cli_server.port
    outputs = []
    for tool in (REDIS_CLI, cli):
        pane = ready(start([tool, "-p", str(port)]), port)
        pane.type("psubscribe n*")
        pane.send("Enter")
        pane.wait_for_pane(r"3\) \(integer\) 1$")
        r = redis.Redis(port=port)
        r.publish("nx", "payload")
        r.close()
        text = pane.wait_for_pane(r'4\) "payload"$')
        outputs.append(text)
        pane.close()
    assert outputs[1] == outputs[0]


def test_monitor_streams_until_ctrl_c(cli, cli_server, start):
    port = cli_server.port
    pane = ready(start([cli, "-p", str(port)]), port)
    pane.type("monitor")
    pane.send("Enter")
    pane.wait_for_pane(r"monitor\nOK$")
    r = redis.Redis(port=port)
    r.set("watched", "1")
    pane.wait_for_pane(r'"(set|SET)" "watched" "1"')
    r.close()
    pane.send("C-c")
    ready(pane, port)


# Standard input that is not a terminal: one command per line.

PIPED = (b'set piped 1\nget piped\n\n  \nlrange nosuch 0 -1\n"unbalanced\n3 incr pipedcounter\n0 ping\n'
         b'help get\nselect 1\nmulti\nset a b\nexec\nhgetall nope\nquit\nping\n')


@pytest.mark.parametrize("mode", [[], ["--no-raw"], ["-3", "--no-raw"], ["--csv"]], ids=lambda m: " ".join(m) or "raw")
def test_piped_lines_match_redis_cli(cli, cli_server, mode):
    port = cli_server.port
    results = []
    for tool in (REDIS_CLI, cli):
        redis.Redis(port=port).delete("piped", "pipedcounter")
        p = subprocess.run([tool, "-p", str(port), *mode], input=PIPED, capture_output=True, timeout=30)
        results.append((p.stdout, p.stderr, p.returncode))
    assert results[1] == results[0]


def test_piped_last_line_without_newline(cli, cli_server):
    port = cli_server.port
    for stdin in (b"ping", b"echo a\r\necho b", b""):
        results = [subprocess.run([tool, "-p", str(port)], input=stdin, capture_output=True, timeout=30)
                   for tool in (REDIS_CLI, cli)]
        assert (results[1].stdout, results[1].returncode) == (results[0].stdout, results[0].returncode)


def test_piped_lines_without_a_server(cli):
    port = free_port()
    results = [subprocess.run([tool, "-p", str(port)], input=b"ping\nget x\n", capture_output=True, timeout=30)
               for tool in (REDIS_CLI, cli)]
    assert (results[1].stdout, results[1].stderr, results[1].returncode) == \
        (results[0].stdout, results[0].stderr, results[0].returncode)
