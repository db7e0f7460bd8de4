#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the build and the tests need
# (the Lua libraries, Debian's redis-server and redis-tools for the reference server,
# redis-cli and redis-check-aof, redis-sentinel for the failover tests, strace to count the AOF's fsyncs, openssl for the TLS tests' certificates, chromium and
# chromedriver for the dashboard's browser tests, PyPI's redis, pytest, pytest-xdist, pytest-timeout
# and selenium for the Python tests), then runs the Swift tests
# and the redis-py tests.
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/install-build-deps.sh

missing=()
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
command -v strace >/dev/null 2>&1 || missing+=(strace)
command -v ss >/dev/null 2>&1 || missing+=(iproute2)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
# The jobs dashboard's browser tests: headless Chromium driven through chromedriver.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# selenium 4.51.0: 4.52 and later need a certifi release that PyPI mirrors may not have yet.
python3 -c 'import redis, pytest, xdist, pytest_timeout, bullmq, rq, dramatiq, saq, selenium' 2>/dev/null \
    || python3 -m pip install -q pytest pytest-xdist==3.8.0 pytest-timeout==2.4.0 selenium==4.51.0 -r Tests/Python/job_libraries/requirements.txt

swift build --build-tests
# The client's 1,000-task pool test runs under Thread Sanitizer (Tests/Python/test_client_stress.py):
# only that program and the client library are built with it.
swift build --sanitize=thread --scratch-path .build-tsan --product redstart-client-stress
swift test
# Two pytest processes (most tests wait on servers and sockets more than they compute), then
# the tests marked `serial` (bounds on latency or timing) alone. A test that hangs fails after
# ten minutes with every thread's stack, instead of holding the run until CI's limit; the
# slowest tests are listed, so that one creeping towards that limit shows.
python3 -m pytest -q -n 2 -m "not serial" --timeout 600 --durations 15 Tests/Python
python3 -m pytest -q -m serial --timeout 600 Tests/Python
