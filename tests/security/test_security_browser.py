"""A real headless Chromium page from another origin tries to run os.getcwd on the server."""
import functools
import http.server
import os
import shutil
import tempfile
import threading

import pytest

from compas_cloud import Proxy
from cdp import CHROMIUM, ReportHandler, visit
from helpers import ROOT, ServerProcess, free_port


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



@pytest.fixture
def web_page():
    """An http.server on its own port (another origin than the compas_cloud server) serving one page."""
    folder = tempfile.mkdtemp(prefix="compas_cloud-page-")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), functools.partial(ReportHandler, directory=folder))
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
