"""1,000 tasks sharing one RedstartClient pool, under Thread Sanitizer.

Scripts/test.sh builds `redstart-client-stress` (Tests/ClientStress) with
`--sanitize=thread` into .build-tsan; this runs it against redstart-server and
redis-server. The program checks every reply and the totals (no lost update under
WATCH, every transaction and script counted, every subscriber served) and exits 1 on
a wrong result; TSan makes it exit 66 on any data race it reports. The suppressions
cover only hand-offs synchronized inside Swift's uninstrumented concurrency runtime
(see the file).
"""
import os
import subprocess

from conftest import ROOT

STRESS = os.environ.get(
    "REDSTART_CLIENT_STRESS", os.path.join(ROOT, ".build-tsan", "debug", "redstart-client-stress"))
SUPPRESSIONS = os.path.join(ROOT, "Tests", "ClientStress", "tsan-suppressions.txt")


def run_stress(port):
    assert os.path.exists(STRESS), (
        f"{STRESS} is missing: swift build --sanitize=thread --scratch-path .build-tsan "
        "--product redstart-client-stress (Scripts/test.sh does this)")
    environment = dict(os.environ, TSAN_OPTIONS=f"halt_on_error=1 suppressions={SUPPRESSIONS}")
    result = subprocess.run([STRESS, "--url", f"redis://127.0.0.1:{port}", "--tasks", "1000", "--rounds", "5"],
                            capture_output=True, text=True, timeout=600, env=environment)
    # TSan's first report (both accesses' stacks) says what raced; the tail only says which threads.
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[:12000]
    assert result.stdout.startswith("ok: 1000 tasks"), result.stdout


def test_thousand_tasks_share_a_pool_on_redstart(server):
    run_stress(server.port)


def test_thousand_tasks_share_a_pool_on_redis(redis_server):
    run_stress(redis_server.port)
