"""The RedstartClient examples (Examples/, the example-* targets) against redstart-server
and against a real redis-server, and the DocC articles' code kept in step with them.

Each example checks its own results and exits 1 when one is wrong; this runs the built
binaries (`swift build --build-tests`, as Scripts/test.sh does, builds them with
everything else) and looks for a few lines of what they print. The articles in
Sources/RedstartClient/RedstartClient.docc copy code from the examples in blocks that
start with `// From Examples/<Name>/main.swift`; every line of such a block must still be
a line of that file.
"""
import glob
import os
import re
import subprocess

import pytest

from conftest import ROOT, free_port

BIN = os.path.join(ROOT, ".build", "debug")
CATALOG = os.path.join(ROOT, "Sources", "RedstartClient", "RedstartClient.docc")

# Example target: lines its output must contain.
EXAMPLES = {
    "example-quickstart": ["GET quickstart:greeting -> hello", "HGETALL quickstart:user:1 -> 2 fields, name Ada",
                           "quickstart: ok"],
    "example-pipelines": ["reply 3 is an error: WRONGTYPE", "counter 100, connections used: 1", "SELECT refused",
                          "pipelines: ok"],
    "example-reliable-queue": ["left in processing: [\"job:1\"]", "done: 20, queued: 0, processing: 0",
                               "reliable-queue: ok"],
    "example-pubsub-chat": ["moderator got [chat:random via chat:*]", "after the reconnect: 1 message(s) on chat:ops",
                            "pubsub-chat: ok"],
    "example-optimistic-locking": ["balances [", "always conflicting: transaction aborted", "optimistic-locking: ok"],
    "example-scripting": ["5 calls -> [1, 1, 1, 0, 0]", "FCALL greet -> hello Ada", "scripting: ok"],
}


def run_example(name, *arguments, environment=None):
    path = os.path.join(BIN, name)
    assert os.path.exists(path), f"{path} is missing: swift build --build-tests (Scripts/test.sh) builds it"
    return subprocess.run([path, *arguments], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, **(environment or {})))


def check_example(name, port):
    result = run_example(name, f"redis://127.0.0.1:{port}")
    assert result.returncode == 0, result.stdout + result.stderr
    for line in EXAMPLES[name]:
        assert line in result.stdout, result.stdout


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_on_redstart(server, name):
    check_example(name, server.port)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_on_redis(redis_server, name):
    check_example(name, redis_server.port)


def test_example_takes_the_url_from_the_environment(server):
    result = run_example("example-quickstart", environment={"REDIS_URL": f"redis://127.0.0.1:{server.port}"})
    assert result.returncode == 0 and "quickstart: ok" in result.stdout, result.stdout + result.stderr


def test_example_exits_nonzero_on_failure():
    result = run_example("example-quickstart", f"ftp://127.0.0.1:{free_port()}")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "quickstart: FAILED: invalid URL: unknown scheme ftp" in result.stdout


def test_articles_show_the_examples_as_they_are():
    blocks = 0
    for article in sorted(glob.glob(os.path.join(CATALOG, "*.md"))):
        text = open(article).read()
        for block in re.findall(r"```swift\n(.*?)```", text, re.S):
            first, _, body = block.partition("\n")
            if not first.startswith("// From "):
                continue
            source = os.path.join(ROOT, first[len("// From "):].strip())
            assert os.path.exists(source), f"{os.path.basename(article)}: {first}"
            lines = {line.strip() for line in open(source)}
            for line in body.splitlines():
                assert not line.strip() or line.strip() in lines, \
                    f"{os.path.basename(article)}: not in {first[len('// From '):]}: {line.strip()}"
            blocks += 1
        # Every example an article tells to run exists.
        for target in re.findall(r"swift run (example-[a-z-]+)", text):
            assert target in EXAMPLES, f"{os.path.basename(article)}: unknown example {target}"
    assert blocks >= 15


def test_every_example_is_a_package_target_and_shown_in_an_article():
    manifest = open(os.path.join(ROOT, "Package.swift")).read()
    articles = "".join(open(path).read() for path in glob.glob(os.path.join(CATALOG, "*.md")))
    for name in EXAMPLES:
        assert f'name: "{name}"' in manifest
        assert f"swift run {name}" in articles
