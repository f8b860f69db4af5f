"""The dashboard in a real headless Chromium, against a real server while a client runs a call that reports progress.

Browser stage (tools/runtimes/browser.sh); skipped in the CPython stage when chromium is missing.
"""
import functools
import http.server
import importlib.util
import os
import shutil
import struct
import tempfile
import threading

import pytest

from cdp import CHROMIUM, Browser
from compas_cloud import Proxy
from compas_cloud.errors import CallCancelled
from helpers import ROOT, ServerProcess, free_port, make_certificates, server_python

if CHROMIUM is None and os.environ.get("COMPAS_CLOUD_REQUIRE_BROWSER"):
    raise RuntimeError("chromium is required (tools/runtimes/browser.sh installs it) but is not installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium missing: tools/runtimes/browser.sh installs it")

TOKEN = "dashboard-browser-token-0123456789"
HELD = "tests.dashboard_tasks.held_at"


class HeldCall(object):
    """A call of ``held_at`` (3 of 10 reported) running in a thread until :meth:`release`."""

    def __init__(self, proxy):
        self.folder = tempfile.mkdtemp(prefix="compas_cloud-held-")
        self.flag = os.path.join(self.folder, "release")
        self.result = []
        self.errors = []
        self.thread = threading.Thread(target=self._run, args=(proxy,))
        self.thread.start()

    def _run(self, proxy):
        try:
            self.result.append(proxy.function(HELD)(3, 10, self.flag))
        except CallCancelled as error:
            self.errors.append(error)

    def release(self):
        open(self.flag, "w").close()
        self.thread.join(120)
        shutil.rmtree(self.folder, ignore_errors=True)
        return self.result


def _text(selector):
    return "(document.querySelector({0!r}) || {{innerText: ''}}).innerText".format(selector)


def test_the_page_shows_the_client_the_call_and_its_progress():
    with ServerProcess() as server:
        with Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False, progress=False) as proxy:
            proxy.function("numpy.linalg.norm")([3, 4])
            held = HeldCall(proxy)
            try:
                with Browser("http://{0}:{1}/".format(server.host, server.port)) as browser:
                    shown = browser.wait_for(
                        "document.querySelector('#running .bar[data-done=\"3\"][data-total=\"10\"]') && " + _text("#running"))
                    assert shown, browser.evaluate("document.body.innerText")
                    assert HELD in shown and "3 / 10" in shown and "step 3" in shown
                    # the bar is drawn (the page's CSP forbids style attributes: widths are set through the CSSOM)
                    fraction = browser.evaluate("parseFloat(getComputedStyle(document.querySelector('#running .bar > span'))"
                                                ".width) / document.querySelector('#running .bar').clientWidth")
                    assert abs(fraction - 0.3) < 0.01
                    clients = browser.evaluate(_text("#clients"))
                    assert "CPython" in clients and "compas_cloud" in clients and "websocket-client" in clients
                    recent = browser.wait_for(_text("#recent") + ".includes('numpy.linalg.norm') && " + _text("#recent"))
                    assert recent and "ok" in recent
                    server_info = browser.evaluate(_text("#server"))
                    assert "websockets" in server_info and "max_calls_per_connection" in server_info
                    # no token on this server: nobody can act, so no button is shown
                    assert browser.evaluate("[...document.querySelectorAll('button')].filter(b => b.offsetParent !== null).length") == 0
            finally:
                assert held.release() == [3]


def test_with_a_token_the_page_shows_nothing_until_given_it_and_can_then_cancel():
    with ServerProcess("--token", TOKEN) as server:
        with Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False, token=TOKEN,
                   progress=False) as proxy:
            held = HeldCall(proxy)
            try:
                with Browser("http://{0}:{1}/dashboard".format(server.host, server.port)) as browser:
                    assert browser.wait_for("!document.getElementById('login').hidden")
                    body = browser.evaluate("document.body.innerText")
                    assert HELD not in body and "CPython" not in body and str(server.port + 0) not in _strip_port(body)
                    assert browser.evaluate("document.getElementById('main').hidden") is True
                    browser.evaluate("document.getElementById('token').value = 'wrong'; "
                                     "document.getElementById('login-form').requestSubmit(); true")
                    assert browser.wait_for(_text("#login-error") + ".includes('refused')")
                    browser.evaluate("document.getElementById('token').value = {0!r}; "
                                     "document.getElementById('login-form').requestSubmit(); true".format(TOKEN))
                    assert browser.wait_for("document.querySelector('#running .bar[data-done=\"3\"]') !== null")
                    # the token stays in the tab (sessionStorage), not in the URL or a cookie
                    assert browser.evaluate("sessionStorage.getItem('compas_cloud.token')") == TOKEN
                    assert browser.evaluate("document.cookie") == "" and TOKEN not in browser.evaluate("location.href")
                    # holding the token, the viewer may cancel the call
                    browser.evaluate("window.confirm = () => true; "
                                     "document.querySelector('#running button').click(); true")
                    assert browser.wait_for(_text("#recent") + ".includes('cancelled by an operator on the server')")
            finally:
                result = held.release()
            assert result == [] and len(held.errors) == 1  # the call was cancelled: the client got CallCancelled
            assert "cancelled by an operator on the server's dashboard" in str(held.errors[0])


def _png_size(path):
    with open(path, "rb") as handle:
        head = handle.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", path
    return struct.unpack(">II", head[16:24])


def test_the_screenshot_the_docs_use(tmp_path):
    """tools/screenshot_dashboard.py against a real server: what the picture shows, checked from the DOM.

    ``COMPAS_CLOUD_UPDATE_DOCS_IMAGES=1`` writes docs/images/dashboard.png itself."""
    spec = importlib.util.spec_from_file_location("screenshot_dashboard", os.path.join(ROOT, "tools", "screenshot_dashboard.py"))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    output = tool.DOCS_IMAGE if os.environ.get("COMPAS_CLOUD_UPDATE_DOCS_IMAGES") else str(tmp_path / "dashboard.png")
    shown = tool.make(output)
    assert shown["running"].count(HELD) == 2 and "3 / 10" in shown["running"] and "72 / 100 · step 72" in shown["running"]
    assert shown["clients"].count("CPython") == 2 and "of 512.0 MiB" in shown["clients"]
    assert "2 running, 4 waiting" in shown["batches"]
    assert "math.sqrt" in shown["recent"] and "ValueError: math domain error" in shown["recent"]
    assert "2 (67% of 3)" in shown["result-cache"] and "site model" in shown["shared"] and "Mesh" in shown["shared"]
    assert _png_size(output) == tool.SIZE
    assert _png_size(tool.DOCS_IMAGE) == tool.SIZE  # the docs' picture is this tool's


def test_over_tls_the_page_works_same_origin_and_another_page_cannot_read_it(tmp_path):
    """A --certfile server: the page over https:// (the test CA is in no browser store: Chromium is told to
    accept the certificate; the page's origin is still https://127.0.0.1:port), the token, the call."""
    ca, cert, key = make_certificates(str(tmp_path))
    with ServerProcess("--token", TOKEN, "--certfile", cert, "--keyfile", key) as server:
        url = "wss://localhost:{0}".format(server.port)
        with Proxy(url=url, cafile=ca, autolaunch=False, verbose=False, token=TOKEN, progress=False) as proxy:
            held = HeldCall(proxy)
            try:
                page = "https://127.0.0.1:{0}/".format(server.port)
                with Browser(page, flags=["--ignore-certificate-errors"]) as browser:
                    assert browser.evaluate("location.origin") == page.rstrip("/")
                    assert browser.wait_for("!document.getElementById('login').hidden")
                    assert HELD not in browser.evaluate("document.body.innerText")
                    browser.evaluate("document.getElementById('token').value = {0!r}; "
                                     "document.getElementById('login-form').requestSubmit(); true".format(TOKEN))
                    shown = browser.wait_for("document.querySelector('#running .bar[data-done=\"3\"]') && "
                                             + _text("#running"))
                    assert shown and HELD in shown and "3 / 10" in shown
                    assert "(TLS)" in browser.evaluate(_text("#address"))
                    # the page's own origin reads the state with the token...
                    own = browser.evaluate(
                        "fetch({0!r}, {{headers: {{Authorization: 'Bearer ' + {1!r}}}}})"
                        ".then(r => 'read:' + r.status).catch(() => 'blocked')".format(page + "api/state", TOKEN))
                    assert own == "read:200"
                # ...another page cannot, even knowing the token (its preflight is refused: origin "null" here)
                with Browser("data:text/html,<title>other</title>", flags=["--ignore-certificate-errors"]) as browser:
                    fetched = browser.evaluate(
                        "fetch({0!r}, {{headers: {{Authorization: 'Bearer ' + {1!r}}}}})"
                        ".then(r => 'read:' + r.status).catch(() => 'blocked')".format(page + "api/state", TOKEN))
                    assert fetched == "blocked"
            finally:
                assert held.release() == [3]


def test_a_designer_finds_the_token_of_the_server_a_script_launched(tmp_path, monkeypatch):
    """The designer's case: a Proxy launched the server (with a token of its own); the login tells where it is."""
    monkeypatch.setenv("COMPAS_CLOUD_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))  # tests.dashboard_tasks
    port = free_port()
    proxy = Proxy(port=port, python=server_python(), verbose=False, progress=False)
    try:
        assert proxy.launched is not None
        held = HeldCall(proxy)
        try:
            with Browser(proxy.dashboard_url) as browser:
                assert browser.wait_for("!document.getElementById('login').hidden")
                name = "launched-{0}.token".format(port)
                assert name in browser.evaluate("document.getElementById('token-help').textContent")
                with open(str(tmp_path / name)) as handle:
                    token = handle.read().strip()
                browser.evaluate("document.getElementById('token').value = {0!r}; "
                                 "document.getElementById('login-form').requestSubmit(); true".format(token))
                shown = browser.wait_for("document.querySelector('#running .bar') && " + _text("#running"))
                assert shown and HELD in shown and "3 / 10" in shown
        finally:
            assert held.release() == [3]
    finally:
        proxy.close()
        if proxy.launched.running():
            proxy.launched.process.kill()
            proxy.launched.process.wait()


def _strip_port(text):
    return text.replace("compas_cloud", "")


class _Page(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_a_page_from_another_origin_cannot_read_the_state():
    folder = tempfile.mkdtemp(prefix="compas_cloud-page-")
    with open(os.path.join(folder, "index.html"), "w") as handle:
        handle.write("<!doctype html><title>other</title><p>another site</p>")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), functools.partial(_Page, directory=folder))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        with ServerProcess() as server:
            with Browser("http://127.0.0.1:{0}/index.html".format(httpd.server_address[1])) as browser:
                assert browser.wait_for("document.title === 'other'")
                target = "http://{0}:{1}".format(server.host, server.port)
                fetched = browser.evaluate(
                    "fetch({0!r} + '/api/state').then(r => 'read:' + r.status).catch(() => 'blocked')".format(target))
                assert fetched == "blocked"
                opaque = browser.evaluate(
                    "fetch({0!r} + '/api/state', {{mode: 'no-cors'}}).then(r => r.type).catch(() => 'blocked')"
                    .format(target))
                assert opaque in ("opaque", "blocked")  # nothing readable either way
                socket = browser.evaluate(
                    "new Promise(done => {{ const ws = new WebSocket({0!r}); ws.onopen = () => done('open'); "
                    "ws.onerror = () => done('refused'); }})".format(target.replace("http", "ws")))
                assert socket == "refused"
            with Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False) as proxy:
                assert proxy.status()["refused_handshakes"] >= 2  # the /api/state requests and the websocket
    finally:
        httpd.shutdown()
        httpd.server_close()
        shutil.rmtree(folder, ignore_errors=True)


def test_the_page_shows_the_result_cache_and_the_shared_values():
    with ServerProcess("--result-cache", "1") as server:
        with Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False) as proxy:
            for _ in range(4):
                proxy.call("tests.beyond_tasks.scaled_sum", [[1, 2]], cache_result=True)  # 1 miss, 3 hits
            proxy.share(proxy.cache([1, 2, 3]), "site model")
            with Browser("http://{0}:{1}/".format(server.host, server.port)) as browser:
                shown = browser.wait_for(_text("#shared") + ".includes('site model') && " + _text("#result-cache"))
                assert shown, browser.evaluate("document.body.innerText")
                figures = browser.evaluate(
                    "Object.fromEntries([...document.querySelectorAll('#result-cache dd')]"
                    ".map(dd => [dd.dataset.key, dd.innerText]))")
                assert figures["hits"] == "3 (75% of 4)" and figures["misses"] == "1" and figures["entries"] == "1"
                assert figures["size"].endswith("of 1.0 MiB")
                assert "list" in browser.evaluate(_text("#shared")) and "(1," in browser.evaluate(_text("#shared-count"))
                proxy.unshare("site model")
                assert browser.wait_for(_text("#shared") + ".includes('nothing shared')")


def test_the_page_says_when_the_server_has_no_result_cache():
    with ServerProcess() as server:
        with Browser("http://{0}:{1}/".format(server.host, server.port)) as browser:
            assert browser.wait_for(_text("#result-cache") + ".includes('--result-cache')")
