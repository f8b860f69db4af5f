"""Take the dashboard screenshot the docs use (docs/images/dashboard.png).

A real server, two clients (one running calls that report progress, one holding references, one failed
call), and the page in headless Chromium holding the token::

    .venv/bin/python tools/screenshot_dashboard.py [output.png]
"""
import os
import shutil
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from cdp import Browser  # noqa: E402
from compas_cloud import Proxy  # noqa: E402
from helpers import ServerProcess  # noqa: E402

TOKEN = "screenshot-token-0123456789"
HELD = "tests.dashboard_tasks.held_at"


def main(output):
    folder = tempfile.mkdtemp(prefix="compas_cloud-screenshot-")
    flag = os.path.join(folder, "release")
    threads = []
    with ServerProcess("--token", TOKEN, "--max-connection-memory", "512") as server:
        designer = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False, token=TOKEN, progress=False)
        team = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False, token=TOKEN, progress=False)
        try:
            designer.function("numpy.linalg.norm")([3, 4])
            team.function("numpy.arange", cache=True)(2000000)
            team.function("numpy.linspace", cache=True)(0, 1, 500000)
            try:
                team.function("math.sqrt")(-1)
            except Exception:
                pass
            for done, total, proxy in ((3, 10, designer), (72, 100, team)):
                thread = threading.Thread(target=proxy.function(HELD), args=(done, total, flag))
                thread.start()
                threads.append(thread)
            time.sleep(1.0)  # let the calls start (a picture, not a test)
            with Browser("http://{0}:{1}/".format(server.host, server.port), size=(1280, 1000)) as browser:
                browser.evaluate("sessionStorage.setItem('compas_cloud.token', {0!r}); location.reload(); true".format(TOKEN))
                time.sleep(1.0)
                if not browser.wait_for("document.querySelectorAll('#running .bar').length === 2"):
                    raise RuntimeError("the dashboard did not show the two running calls")
                time.sleep(1.5)  # one more refresh: elapsed times tick
                browser.screenshot(output)
        finally:
            open(flag, "w").close()
            for thread in threads:
                thread.join(60)
            designer.close()
            team.close()
            shutil.rmtree(folder, ignore_errors=True)
    print("wrote " + output)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs", "images", "dashboard.png"))
