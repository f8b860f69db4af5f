"""examples/browser/index.html in a real headless Chromium against a real server.

The page is served by a web server on its own port (its origin), the compas_cloud server allows that
origin, and the page reports what it shows to the web server (``report=1``).
"""
import functools
import http.server
import os
import threading
import urllib.parse

import pytest

from cdp import CHROMIUM, ReportHandler, visit
from helpers import ROOT, ServerProcess, free_port

if CHROMIUM is None and os.environ.get("COMPAS_CLOUD_REQUIRE_BROWSER"):
    raise RuntimeError("chromium is required (tools/runtimes/browser.sh installs it) but is not installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium missing: tools/runtimes/browser.sh installs it and runs this test")

EXAMPLE = os.path.join(ROOT, "examples", "browser")



@pytest.fixture
def site():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), functools.partial(ReportHandler, directory=EXAMPLE))
    httpd.reports = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()



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
