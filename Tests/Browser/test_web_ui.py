"""The web UI in a real browser: Debian's Chromium driven by Selenium (`make test-browser`).

A real coordinator (`gitci serve`) builds a real push: the commit page is opened while a job
runs and its log is seen growing, also across a cut connection (through a relay that drops
every connection it carries); a 50 MB log opens on its tail and loads earlier lines on demand;
rerun is clicked by a signed-in person; and every kind of page is saved as a screenshot, light
and dark, into $GITCI_SCREENSHOTS (default .build/screenshots).
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

GITCI = os.environ.get("GITCI") or shutil.which("gitci")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCREENSHOTS = os.environ.get("GITCI_SCREENSHOTS") or os.path.join(ROOT, ".build", "screenshots")
WAIT = 90

PIPELINE = r"""
stages: [build, test]
jobs:
  build:
    stage: build
    steps:
      - name: compile
        run: "for i in $(seq 1 60); do printf '\e[32mline %d\e[0m of the build\n' $i; sleep 0.25; done"
  big:
    stage: build
    steps:
      - name: write a 50 MB log
        run: "python3 -c \"import sys; w = sys.stdout.write; [w('%07d padding to make a large log, like a verbose test run would write it\\n' % i) for i in range(680000)]\""
  test:
    stage: test
    needs: [build]
    steps:
      - name: unit tests
        run: "printf '<testsuite name=\"unit\"><testcase classname=\"unit\" name=\"adds\"/><testcase classname=\"unit\" name=\"divides\"><failure message=\"ZeroDivisionError: division by zero\">Traceback (most recent call last)</failure></testcase></testsuite>' > report.xml"
    junit: [report.xml]
    allow_failure: true
"""


class Relay:
    """A TCP relay in front of the server whose connections can all be cut at once."""

    def __init__(self, target):
        self.target = target
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.lock = threading.Lock()
        self.open = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            with self.lock:
                self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def pipe(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def cut(self):
        with self.lock:
            cut, self.open = self.open, []
        for end in cut:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return len(cut)


def run(*arguments, cwd=None, env=None, check=True):
    result = subprocess.run(arguments, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(arguments)} failed ({result.returncode}): {result.stderr}")
    return result.stdout.strip()


class WebUITest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not GITCI or not os.path.exists(GITCI):
            raise RuntimeError("set GITCI to the gitci binary (make test-browser does)")
        cls.folder = tempfile.mkdtemp(prefix="gitci-browser-")
        cls.env = dict(os.environ, GITCI_HOME=os.path.join(cls.folder, "home"), GIT_AUTHOR_NAME="Ada Lovelace",
                       GIT_AUTHOR_EMAIL="ada@example.com", GIT_COMMITTER_NAME="Ada Lovelace",
                       GIT_COMMITTER_EMAIL="ada@example.com", NO_COLOR="1")
        bare = os.path.join(cls.folder, "app.git")
        run("git", "init", "-q", "--bare", "-b", "main", bare)
        run(GITCI, "install", bare, env=cls.env)
        cls.token = run(GITCI, "token", "create", "ada", env=cls.env)
        cls.serve = subprocess.Popen([GITCI, "serve", "--listen", "127.0.0.1:0", "--jobs", "3"], env=cls.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        port = None
        deadline = time.time() + WAIT
        while port is None and time.time() < deadline:
            line = cls.serve.stderr.readline()
            found = re.search(r"on http://127\.0\.0\.1:(\d+)/", line)
            if found:
                port = int(found.group(1))
        if port is None:
            raise RuntimeError("gitci serve did not say its port")
        threading.Thread(target=lambda: [None for _ in cls.serve.stderr], daemon=True).start()
        cls.relay = Relay(port)
        cls.base = f"http://127.0.0.1:{cls.relay.port}"
        cls.direct = f"http://127.0.0.1:{port}"

        work = os.path.join(cls.folder, "work")
        run("git", "clone", "-q", bare, work, env=cls.env)
        with open(os.path.join(work, ".gitci.yml"), "w") as file:
            file.write(PIPELINE)
        run("git", "add", ".gitci.yml", cwd=work, env=cls.env)
        run("git", "commit", "-q", "-m", "Build, a large log and unit tests <b>with</b> markup", cwd=work, env=cls.env)
        run("git", "push", "-q", "origin", "main", cwd=work, env=cls.env)
        cls.commit = run("git", "rev-parse", "HEAD", cwd=work)

        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                         "--disable-gpu", "--no-first-run"):
            options.add_argument(argument)
        service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
        cls.driver = webdriver.Chrome(options=options, service=service)
        cls.driver.set_script_timeout(WAIT)
        cls.driver.set_page_load_timeout(WAIT)
        os.makedirs(SCREENSHOTS, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.driver.quit()
        finally:
            cls.serve.terminate()
            try:
                cls.serve.wait(timeout=30)
            except subprocess.TimeoutExpired:
                cls.serve.kill()
            shutil.rmtree(cls.folder, ignore_errors=True)

    # Helpers

    def api(self, path):
        with urllib.request.urlopen(self.direct + path, timeout=30) as response:
            return json.load(response)

    def commit_document(self):
        return self.api(f"/api/v1/repos/app/commits/{self.commit}")

    def job_status(self, job):
        for entry in self.commit_document()["jobs"]:
            if entry["name"] == job:
                return entry["status"]
        return None

    def wait_for(self, condition, message, timeout=WAIT):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.2)
        self.fail(f"timed out waiting for {message}")

    def log_numbers(self):
        text = self.driver.find_element(By.ID, "log").text
        return [int(number) for number in re.findall(r"line (\d+) of the build", text)]

    def screenshot(self, name):
        for scheme in ("light", "dark"):
            self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                                        {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
            self.driver.save_screenshot(os.path.join(SCREENSHOTS, f"{name}-{scheme}.png"))
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})

    # The tests run in name order: a live build first, then what it left.

    def test_1_log_grows_live_and_resumes_after_a_cut(self):
        self.wait_for(lambda: self.job_status("build") == "running", "the build job to run")
        self.driver.get(f"{self.base}/repos/app/commits/{self.commit}")
        self.assertIn("running", self.driver.find_element(By.ID, "commit-status").text)
        self.screenshot("commit-running")
        self.driver.find_element(By.LINK_TEXT, "build").click()
        WebDriverWait(self.driver, WAIT).until(lambda d: d.find_element(By.ID, "log").get_attribute("data-running") == "true")
        first = self.wait_for(lambda: (lambda n: n if len(n) >= 3 else None)(self.log_numbers()), "the first lines")
        grown = self.wait_for(lambda: (lambda n: n if len(n) > len(first) + 3 else None)(self.log_numbers()),
                              "the log to grow while the page is open")
        self.assertEqual(grown, list(range(1, len(grown) + 1)), "lines arrive once each, in order")
        self.screenshot("job-live")

        self.assertGreater(self.relay.cut(), 0, "the relay carried the page's event stream")
        before_cut = len(self.log_numbers())
        resumed = self.wait_for(lambda: (lambda n: n if len(n) > before_cut + 8 else None)(self.log_numbers()),
                                "lines after the connection was cut")
        self.assertEqual(resumed, list(range(1, len(resumed) + 1)), "no line lost or doubled across the cut")

        self.wait_for(lambda: self.job_status("build") == "passed", "the build job to pass")
        WebDriverWait(self.driver, WAIT).until(lambda d: "passed" in d.find_element(By.ID, "log-status").text)
        self.assertEqual(self.log_numbers(), list(range(1, 61)))

    def test_2_a_50_mb_log_opens_on_its_tail_and_stays_responsive(self):
        self.wait_for(lambda: self.job_status("big") in ("passed", "failed"), "the big job to end")
        started = time.time()
        self.driver.get(f"{self.base}/repos/app/commits/{self.commit}/jobs/big")
        loaded = time.time() - started
        log = self.driver.find_element(By.ID, "log")
        start = int(log.get_attribute("data-start"))
        end = int(log.get_attribute("data-end"))
        self.assertGreater(end, 50_000_000, "the log is the size this test is about")
        self.assertLess(end - start, 5_000_000, "the page holds the tail, not the whole log")
        self.assertIn("0679999 padding", log.text)
        self.assertNotIn("0000001 padding", log.text)
        # The page answers a script at once: nothing is busy rendering 50 MB.
        self.assertEqual(self.driver.execute_script("return 1 + 1"), 2)
        self.driver.find_element(By.ID, "log-earlier").click()
        WebDriverWait(self.driver, WAIT).until(lambda d: int(d.find_element(By.ID, "log").get_attribute("data-start")) < start)
        self.assertLess(int(self.driver.find_element(By.ID, "log").get_attribute("data-start")), start)
        print(f"\n50 MB log page loaded in {loaded * 1000:.0f} ms (tail of {end - start} bytes)", file=sys.stderr)

        search = self.driver.find_element(By.ID, "log-search")
        field = search.find_element(By.NAME, "q")
        field.send_keys("0000123 padding")
        field.submit()
        WebDriverWait(self.driver, WAIT).until(lambda d: "0000123 padding" in d.find_element(By.TAG_NAME, "main").text)
        self.screenshot("job-search")

    def test_3_rerun_by_a_signed_in_person(self):
        self.wait_for(lambda: self.commit_document()["status"] not in ("queued", "running"), "the first build to end")
        self.driver.get(f"{self.base}/login")
        self.screenshot("login")
        field = self.driver.find_element(By.ID, "token")
        field.send_keys(self.token)
        field.submit()
        WebDriverWait(self.driver, WAIT).until(lambda d: "/login" not in d.current_url)
        self.driver.get(f"{self.base}/repos/app/commits/{self.commit}")
        self.driver.find_element(By.ID, "rerun").click()
        WebDriverWait(self.driver, WAIT).until(lambda d: d.current_url.endswith(f"/commits/{self.commit}"))
        document = self.wait_for(lambda: (lambda d: d if d["status"] in ("queued", "running") else None)(self.commit_document()),
                                 "the rerun to be queued")
        self.assertIn("rerun by ada", document.get("reason") or "")
        # The page follows the build by itself: its jobs' statuses change, then it shows the end.
        WebDriverWait(self.driver, WAIT).until(
            lambda d: d.find_element(By.CSS_SELECTOR, '[data-job-status="build"]').get_attribute("data-status") == "running")
        final = self.wait_for(lambda: (lambda d: d["status"] if d["status"] not in ("queued", "running") else None)(self.commit_document()),
                              "the rerun to end")
        WebDriverWait(self.driver, WAIT).until(lambda d: final in d.find_element(By.ID, "commit-status").text)

    def test_4_screenshots_of_every_page_kind(self):
        pages = {
            "home": "/",
            "repository": "/repos/app",
            "branch": "/repos/app/branches/main",
            "commit": f"/repos/app/commits/{self.commit}",
            "job": f"/repos/app/commits/{self.commit}/jobs/build",
            "tests": f"/repos/app/commits/{self.commit}/tests",
            "test-history": "/repos/app/tests?suite=unit&name=divides",
            "flaky": "/repos/app/tests",
        }
        for name, path in pages.items():
            self.driver.get(self.base + path)
            self.assertNotIn("Internal Server Error", self.driver.title)
            self.assertEqual(self.driver.execute_script("return document.querySelectorAll('main').length"), 1, path)
            self.screenshot(name)
        # Readable on a phone: nothing wider than the screen but the log and the graph, which scroll.
        self.driver.set_window_size(390, 844)
        self.driver.get(f"{self.base}/repos/app/commits/{self.commit}")
        overflow = self.driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        self.assertLessEqual(overflow, 0, "the commit page fits a phone's width")
        self.screenshot("commit-phone")
        self.driver.set_window_size(1280, 1000)
        # Keyboard: the first Tab reaches the skip link, which moves focus to the content.
        self.driver.get(self.base + "/")
        body = self.driver.find_element(By.TAG_NAME, "body")
        body.send_keys("\t")
        focused = self.driver.switch_to.active_element
        self.assertEqual(focused.text.strip(), "Skip to content")
        saved = sorted(os.listdir(SCREENSHOTS))
        self.assertGreaterEqual(len([name for name in saved if name.endswith("-dark.png")]), len(pages))
        print(f"\nscreenshots in {SCREENSHOTS}", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
