"""A headless Chromium driven over the DevTools protocol (with websocket-client): load, evaluate, screenshot."""
import base64
import http.server
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--remote-debugging-port=0",
         "--hide-scrollbars"]


#: DevTools errors that only mean the page is between two documents (a reload), so asking again is right.
_NAVIGATING = ("navigated or closed", "Execution context was destroyed", "Cannot find context")


class Browser(object):
    """A fresh headless Chromium (its own profile) showing one page.

    Parameters
    ----------
    url : str
        The page to open.
    size : tuple, optional
        The window size in pixels.
    flags : list, optional
        More command-line switches for Chromium.
    """

    def __init__(self, url, size=(1280, 900), flags=()):
        import websocket

        self.profile = tempfile.mkdtemp(prefix="compas_cloud-chromium-")
        command = [CHROMIUM] + FLAGS + list(flags) + ["--user-data-dir=" + self.profile,
                                        "--window-size={0},{1}".format(*size), url]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        self._ids = itertools.count(1)
        try:
            port = self._devtools_port()
            page = self._page(port)
            self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
            if not self.wait_for("location.href !== 'about:blank' && document.readyState === 'complete'"):
                raise RuntimeError("chromium did not load " + url)
        except Exception:
            self.close()
            raise

    def _devtools_port(self, timeout=60.0):
        path = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if os.path.exists(path):
                with open(path) as handle:
                    first = handle.readline().strip()
                if first:
                    return int(first)
            if self.process.poll() is not None:
                raise RuntimeError("chromium exited with code {0}".format(self.process.returncode))
            time.sleep(0.1)
        raise RuntimeError("chromium did not open its DevTools port")

    def _page(self, port, timeout=60.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with urllib.request.urlopen("http://127.0.0.1:{0}/json/list".format(port), timeout=10) as answer:
                pages = [item for item in json.loads(answer.read().decode("utf-8")) if item.get("type") == "page"]
            if pages:
                return pages[0]
            time.sleep(0.1)
        raise RuntimeError("chromium shows no page")

    def command(self, method, **params):
        """Send a DevTools command; return its result."""
        ident = next(self._ids)
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError("{0}: {1}".format(method, message["error"]))
                return message.get("result", {})

    def evaluate(self, expression):
        """Evaluate a JavaScript expression in the page (promises awaited); return its value."""
        result = self.command("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError("the page raised: {0}".format(result["exceptionDetails"]))
        return result["result"].get("value")

    def wait_for(self, expression, timeout=60.0):
        """Evaluate ``expression`` until it is truthy; return its value (None after ``timeout``)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError as error:
                # The page may be (re)loading: its old context is gone before the new one exists.
                if not any(text in str(error) for text in _NAVIGATING):
                    raise
                value = None
            if value:
                return value
            time.sleep(0.2)
        return None

    def set_viewport(self, width, height):
        """Make the page's viewport ``width`` x ``height`` CSS pixels (the window's own frame aside)."""
        self.command("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                     mobile=False)

    def screenshot(self, path):
        """Write what the viewport shows to ``path`` (PNG)."""
        data = self.command("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(data))

    def close(self):
        ws = getattr(self, "ws", None)
        if ws is not None:
            try:
                ws.close()
            except Exception:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # the browser and the helper processes it started
        except ProcessLookupError:
            pass
        self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class ReportHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder, and records what a page reports to ``/report?<text>`` in ``server.reports``."""

    def do_GET(self):
        if self.path.startswith("/report?"):
            self.server.reports.append(urllib.parse.unquote(self.path[len("/report?"):]))
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, *args):
        pass


def visit(url, reports, timeout=120.0):
    """Open ``url`` in a fresh headless Chromium (no DevTools); the page's first report to ``reports``.

    ``reports`` is emptied first; None if nothing is reported within ``timeout`` s (generous: a cold
    Chromium on a machine busy with other test runs took most of a minute).
    """
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
