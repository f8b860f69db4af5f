"""A real headless Chromium page from another origin tries to run os.getcwd on the server."""
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

from compas_cloud import Proxy
from helpers import ROOT, ServerProcess, free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

if CHROMIUM is None and os.environ.get("COMPAS_CLOUD_REQUIRE_BROWSER"):
    raise RuntimeError("chromium is required (tools/runtimes/browser.sh installs it) but is not installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium missing: tools/runtimes/browser.sh installs it and runs this test")

PAGE = """<!doctype html>
<html><body><pre id="out">PENDING</pre>
<script>
const out = document.getElementById("out");
function report(text) {
  if (out.textContent !== "PENDING") return;
  out.textContent = text;
  fetch("/report?" + encodeURIComponent(text));
}
const ws = new WebSocket("ws://127.0.0.1:%(port)d");
ws.onopen = () => ws.send(JSON.stringify({package: "os.getcwd", args: [], kwargs: {}}));
ws.onmessage = (event) => { report("RESULT:" + event.data); ws.close(); };
ws.onerror = () => report("REFUSED");
</script></body></html>
"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the page, and records what the page reports to /report."""

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
def web_page():
    """An http.server on its own port (another origin than the compas_cloud server) serving one page."""
    folder = tempfile.mkdtemp(prefix="compas_cloud-page-")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), functools.partial(_Handler, directory=folder))
    httpd.reports = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def serve(server_port):
        with open(os.path.join(folder, "page.html"), "w") as handle:
            handle.write(PAGE % {"port": server_port})
        return "http://127.0.0.1:{0}".format(httpd.server_address[1])

    serve.reports = httpd.reports
    yield serve
    httpd.shutdown()
    httpd.server_close()
    shutil.rmtree(folder, ignore_errors=True)


def visit(url, reports, timeout=60.0):
    """Open ``url`` in a fresh headless Chromium; return what the page reports (None if nothing within ``timeout``)."""
    profile = tempfile.mkdtemp(prefix="compas_cloud-chromium-")
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile, url,
    ]
    del reports[:]
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


def test_a_page_from_another_origin_cannot_call_os_getcwd(web_page):
    with ServerProcess() as server:
        origin = web_page(server.port)
        outcome = visit(origin + "/page.html", web_page.reports)
        assert outcome == "REFUSED", outcome
        with Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False) as proxy:
            status = proxy.status()
        assert status["refused_handshakes"] >= 1  # refused at the handshake (HTTP 403), before any message
        assert status["calls"] == 0


def test_the_same_page_works_once_its_origin_is_allowed(web_page):
    """The control: the page and the browser work, so the refusal above is the origin check."""
    served = web_page(0)  # the page's origin; the page itself is rewritten below with the server's port
    with ServerProcess("--allow-origin", served) as server:
        web_page(server.port)
        outcome = visit(served + "/page.html", web_page.reports)
        assert outcome is not None and outcome.startswith("RESULT:"), outcome
        assert ROOT in outcome
