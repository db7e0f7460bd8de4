"""The jobs dashboard (`redstart-jobs dashboard`) in a real browser, against Redstart and
redis-server: Debian's chromium, headless, driven by Selenium through Debian's
chromedriver.

- The page loads and shows the queues' counts, the server panel and the version.
- Counts, charts and the workers panel follow the server live (no reload) after jobs
  are enqueued and run.
- A failed job is opened from the failed list, its error read, and retried from its
  page; it then completes.
- A queue paused from the dashboard stops being fetched by a running worker (a job of
  another queue it serves is taken meanwhile), and runs again once resumed.

Each test keeps screenshots in test-artifacts/dashboard/ (REDSTART_TEST_ARTIFACTS moves
it). Nothing sleeps and hopes: every step waits for a condition with a deadline."""
import os
import signal
import subprocess
import sys

import pytest
import redis
from blocking_helpers import wait_until
from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "Examples", "PythonProducer"))
import producer  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

JOBS = os.path.join(ROOT, ".build", "debug", "redstart-jobs")
WORKER = os.path.join(ROOT, ".build", "debug", "redstart-jobs-test-worker")
ARTIFACTS = os.path.join(os.environ.get("REDSTART_TEST_ARTIFACTS", os.path.join(ROOT, "test-artifacts")), "dashboard")


@pytest.fixture(params=["redstart", "redis"])
def jobs_server(request):
    server = request.getfixturevalue("server" if request.param == "redstart" else "redis_server")
    server.kind = request.param
    return server


@pytest.fixture
def r(jobs_server):
    client = redis.Redis(port=jobs_server.port, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def dashboard(jobs_server):
    """The dashboard's URL; it samples every 200 ms. Stopped with SIGTERM, which it must obey."""
    process = subprocess.Popen(
        [JOBS, "dashboard", "--url", "redis://127.0.0.1:%d" % jobs_server.port, "--port", "0", "--interval", "0.2"],
        stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    assert line.startswith("dashboard listening on "), line
    yield line.split()[-1]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0, "the dashboard stops on SIGTERM"


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1600"]:
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService("/usr/bin/chromedriver"))
    yield driver
    driver.quit()


@pytest.fixture
def workers(jobs_server):
    started = []

    def start(*options):
        process = subprocess.Popen([WORKER, "--port", str(jobs_server.port), *options], stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline().startswith("ready"), "the worker started"
        started.append(process)
        return process

    yield start
    for process in started:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)


def shot(browser, jobs_server, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    browser.save_screenshot(os.path.join(ARTIFACTS, "%s-%s.png" % (name, jobs_server.kind)))


def wait(browser, condition, what, timeout=30):
    WebDriverWait(browser, timeout, poll_frequency=0.05).until(lambda d: condition(d), "timed out waiting for " + what)


def text(browser, selector):
    """The text of the first element `selector` matches (read in the page: the script
    replaces rows whose data changed, so a found element may be gone a moment later)."""
    return browser.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText : null", selector)


def click(browser, selector):
    """A real click on `selector`, found again if the page replaced it meanwhile."""
    def clicked(d):
        try:
            d.find_element(By.CSS_SELECTOR, selector).click()
            return True
        except StaleElementReferenceException:
            return False
    wait(browser, clicked, "a click on " + selector, timeout=10)


def count(browser, queue, state):
    return text(browser, 'tr[data-queue="%s"] td[data-state="%s"]' % (queue, state))


def open_dashboard(browser, url):
    browser.get(url)
    wait(browser, lambda d: text(d, "#live") == "live", "the live stream")


def test_the_page_shows_queues_and_the_server(jobs_server, r, dashboard, browser):
    producer.enqueue(r, "mark", {"n": 1}, queue="mail")
    producer.enqueue(r, "mark", {"n": 2}, queue="mail", delay_ms=3_600_000)
    open_dashboard(browser, dashboard)
    wait(browser, lambda d: count(d, "mail", "waiting") == "1", "the waiting count")
    assert count(browser, "mail", "delayed") == "1"
    assert text(browser, "#namespace") == "rj"
    assert "7.0.15" in text(browser, "#server-version")
    assert ("Redstart" in text(browser, "#server-version")) == (jobs_server.kind == "redstart")
    assert text(browser, '[data-stat="used-memory"]').endswith("B")
    assert int(text(browser, '[data-stat="keys"]')) >= 3
    shot(browser, jobs_server, "overview")


def test_counts_charts_and_workers_update_live(jobs_server, r, dashboard, browser, workers):
    open_dashboard(browser, dashboard)
    browser.execute_script("window.notReloaded = true")
    producer.enqueue_many(r, "mark", [{"n": n} for n in range(5)], queue="live")
    wait(browser, lambda d: count(d, "live", "waiting") == "5", "five waiting jobs to show")
    shot(browser, jobs_server, "live-enqueued")

    workers("--queue", "live", "--lease-ms", "600")
    wait(browser, lambda d: count(d, "live", "completed") == "5", "the five to complete")
    # A long job shows under its worker while it runs.
    slow = producer.enqueue(r, "mark", {"n": 99, "sleep_ms": 60_000}, queue="live")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '#workers [data-running="%s"]' % slow), "the running job")
    # The throughput chart drew the completions; the latency chart their times.
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '#chart-throughput [data-series="completed"]'), "a chart")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '#chart-latency [data-series="run p99"]'), "run times")
    assert browser.execute_script("return window.notReloaded") is True
    shot(browser, jobs_server, "live-running")


def test_a_failed_job_is_retried_from_its_page(jobs_server, r, dashboard, browser, workers):
    r.set("rj-test:done:broken", "1")
    workers("--queue", "default")
    job = producer.enqueue(r, "mark", {"n": 7, "fail": True}, max_attempts=1)
    wait_until(lambda: r.hget("rj:job:" + job, "state") == "failed", "the job to fail", timeout=30)

    open_dashboard(browser, dashboard + "#/queue/default/failed")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, 'tr[data-job="%s"]' % job), "the failed job's row")
    assert "broken" in text(browser, 'tr[data-job="%s"] td.error' % job)
    click(browser, 'tr[data-job="%s"]' % job)
    wait(browser, lambda d: text(d, "#job-state") == "failed", "the job's page")
    assert "broken" in text(browser, '#job-errors tr[data-attempt="1"]')
    assert '"n": 7' in text(browser, "#job-payload")
    shot(browser, jobs_server, "failed-job")

    r.delete("rj-test:done:broken")
    click(browser, 'button[data-job-action="retry"]')
    wait(browser, lambda d: text(d, "#job-state") == "completed", "the retried job to complete")
    assert r.hget("rj:job:" + job, "state") == "completed"
    assert r.sismember("rj-test:done", "7")
    shot(browser, jobs_server, "retried-job")


def test_a_queue_paused_from_the_dashboard_is_not_fetched(jobs_server, r, dashboard, browser, workers):
    workers("--queue", "default,other")
    producer.enqueue(r, "mark", {"n": 1})
    wait_until(lambda: r.sismember("rj-test:done", "1"), "a first job to run")
    open_dashboard(browser, dashboard)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, 'tr[data-queue="default"] button[data-action="pause"]'),
         "the pause button")
    click(browser, 'tr[data-queue="default"] button[data-action="pause"]')
    wait(browser, lambda d: text(d, 'tr[data-queue="default"] [data-paused]') == "paused", "the queue to show paused")
    assert r.exists("rj:q:default:paused")

    held = producer.enqueue(r, "mark", {"n": 100})
    producer.enqueue(r, "mark", {"n": 101}, queue="other")
    # The worker took the other queue's job after the paused one was enqueued: it looked, and left it.
    wait_until(lambda: r.sismember("rj-test:done", "101"), "the other queue's job to run")
    assert r.hget("rj:job:" + held, "state") == "waiting"
    wait(browser, lambda d: count(d, "default", "waiting") == "1", "the held job to show")
    shot(browser, jobs_server, "paused-queue")

    click(browser, 'tr[data-queue="default"] button[data-action="resume"]')
    wait_until(lambda: r.sismember("rj-test:done", "100"), "the held job to run once resumed")
    wait(browser, lambda d: text(d, 'tr[data-queue="default"] [data-paused]') == "running", "the queue to show running")
