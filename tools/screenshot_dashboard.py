"""Take the dashboard screenshot the docs use (docs/images/dashboard.png).

A real server holding a token and a result cache, two clients (one running a call that reports progress; the other holding
references, a shared model, with a failed call, a call reporting progress and a batch of six tasks, two of them running),
and the page in headless Chromium given the token::

    .venv/bin/python tools/screenshot_dashboard.py [output.png]

tests/dashboard/test_dashboard_browser.py runs :func:`make` too (into a temporary file, or into the docs'
picture with ``COMPAS_CLOUD_UPDATE_DOCS_IMAGES=1``) and checks what the page showed.
"""
import os
import shutil
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.path.join(ROOT, "tests") not in sys.path:
    sys.path.insert(0, os.path.join(ROOT, "tests"))

from cdp import Browser  # noqa: E402
from compas_cloud import Proxy  # noqa: E402
from helpers import ServerProcess  # noqa: E402

DOCS_IMAGE = os.path.join(ROOT, "docs", "images", "dashboard.png")
SIZE = (1280, 1000)
TOKEN = "screenshot-token-0123456789"
HELD = "tests.dashboard_tasks.held_at"

#: True once the page shows both running calls with their progress and the batch with two tasks running.
_READY = ("document.querySelectorAll('#running .bar').length === 2 && "
          "document.querySelectorAll('#batches .task.running').length === 2 && "
          "document.querySelectorAll('#batches .task.waiting').length === 4 && "
          "document.querySelector('#recent').innerText.includes('math.sqrt')")


def make(output, size=SIZE):
    """Write the screenshot to ``output``; return the text the page showed, by section."""
    folder = tempfile.mkdtemp(prefix="compas_cloud-screenshot-")
    flag = os.path.join(folder, "release")
    threads = []
    with ServerProcess("--token", TOKEN, "--max-connection-memory", "512", "--executor-workers", "2",
                       "--result-cache", "64") as server:
        designer = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False, token=TOKEN, progress=False)
        team = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False, token=TOKEN, progress=False)
        batch = None
        try:
            for _ in range(3):
                designer.call("numpy.linalg.norm", [[3, 4]], cache_result=True)  # one miss, two hits
            team.function("numpy.arange", cache=True)(2000000)
            team.function("numpy.linspace", cache=True)(0, 1, 500000)
            team.share(team.call("compas.datastructures.Mesh.from_polyhedron", [12], cache=True), "site model")
            try:
                team.function("math.sqrt")(-1)
            except Exception:
                pass
            batch = team.batch([(HELD, [i, 6, flag], {}) for i in range(6)])
            for done, total, proxy in ((3, 10, designer), (72, 100, team)):
                thread = threading.Thread(target=proxy.function(HELD), args=(done, total, flag))
                thread.start()
                threads.append(thread)
            with Browser("http://{0}:{1}/".format(server.host, server.port), size=size) as browser:
                browser.set_viewport(*size)
                browser.evaluate("sessionStorage.setItem('compas_cloud.token', {0!r}); location.reload(); true".format(TOKEN))
                if not browser.wait_for(_READY, timeout=120):
                    raise RuntimeError("the dashboard did not show the two running calls and the batch:\n"
                                       + str(browser.evaluate("document.body.innerText")))
                time.sleep(1.5)  # one more refresh: elapsed times tick
                shown = browser.evaluate(
                    "Object.fromEntries(['clients', 'running', 'batches', 'recent', 'result-cache', 'shared', 'server']"
                    ".map(id => [id, document.getElementById(id).innerText]))")
                browser.screenshot(output)
        finally:
            open(flag, "w").close()
            for thread in threads:
                thread.join(60)
            if batch is not None:
                batch.wait(120)
            designer.close()
            team.close()
            shutil.rmtree(folder, ignore_errors=True)
    return shown


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else DOCS_IMAGE
    make(target)
    print("wrote " + target)
