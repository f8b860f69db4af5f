"""examples/browser/index.html in a real headless Chromium against a real server.

The page is served by a web server on its own port (its origin), the compas_cloud server allows that
origin, and the page reports what it shows to the web server (``report=1``).
"""
import functools
import http.server
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse

import pytest

from helpers import ROOT, ServerProcess, free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and os.environ.get("COMPAS_CLOUD_REQUIRE_BROWSER"):
    raise RuntimeError("chromium is required (tools/runtimes/browser.sh installs it) but is not installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium missing: tools/runtimes/browser.sh installs it and runs this test")

EXAMPLE = os.path.join(ROOT, "examples", "browser")


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves examples/browser, and records what the page reports to /report."""

    def do_GET(self):
        if self.path.startswith("/report?"):
            self.server.reports.append(urllib.parse.unquote(self.path[len("/report?"):]))
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), functools.partial(_Handler, directory=EXAMPLE))
    httpd.reports = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def visit(url, reports, timeout=120.0):
    """Open ``url`` in a fresh headless Chromium; the page's first report (None if none within ``timeout``).

    The wait is generous: a cold Chromium on a machine busy with other test runs took most of a minute.
    """
    profile = tempfile.mkdtemp(prefix="compas_cloud-chromium-")
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile, url,
    ]
    browser = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + timeout
        while not reports and time.time() < deadline and browser.poll() is None:
            time.sleep(0.1)
        return reports[0] if reports else None
    finally:
        try:
            os.killpg(browser.pid, signal.SIGKILL)  # the browser and the helper processes it started
        except ProcessLookupError:
            pass
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


def page_url(site, port, values):
    origin = "http://127.0.0.1:{0}".format(site.server_address[1])
    query = urllib.parse.urlencode({"port": port, "values": values, "report": 1})
    return origin, "{0}/index.html?{1}".format(origin, query)


def test_the_browser_example_computes_a_norm_with_numpy(site):
    origin, _ = page_url(site, 0, "")
    with ServerProcess("--allow-origin", origin) as server:
        _, url = page_url(site, server.port, "6, 8")
        outcome = visit(url, site.reports)
    assert outcome == "norm = 10", outcome


def test_the_browser_example_shows_a_remote_error(site):
    origin, _ = page_url(site, 0, "")
    with ServerProcess("--allow-origin", origin) as server:
        _, url = page_url(site, server.port, "1, x")  # Number("x") is NaN, sent as null: numpy fails
        outcome = visit(url, site.reports)
    assert outcome is not None and outcome.startswith("ERROR "), outcome


def test_the_browser_example_says_when_its_origin_is_refused(site):
    with ServerProcess() as server:  # no --allow-origin: the page's origin is refused
        _, url = page_url(site, server.port, "3, 4")
        outcome = visit(url, site.reports)
    assert outcome == "REFUSED", outcome
