"""docs/troubleshooting.md quotes the messages the code gives: each one is provoked here, for real.

Every message this test provokes (servers that refuse, launches that fail, limits, timeouts) must match
one line of the page's ``text`` boxes, where ``<...>`` on the page stands for any text. When a message
changes, this test fails until the page says the new words.
"""
import http.client
import http.server
import io
import os
import re
import socket
import subprocess
import threading
import time

import pytest

from compas_cloud import Proxy
from compas_cloud.client import launcher
from helpers import ROOT, ServerProcess, free_port, server_env, server_python

PAGE = os.path.join(ROOT, "docs", "troubleshooting.md")
BOX = re.compile(r"^```text\n(.*?)^```", re.S | re.M)


def quoted_lines():
    with io.open(PAGE, encoding="utf-8") as handle:
        text = handle.read()
    return [line for block in BOX.findall(text) for line in block.splitlines() if line.strip()]


def as_pattern(line):
    """The page's line as a regular expression: ``<...>`` matches any text."""
    parts = re.split(r"<[^<>]+>", line)
    return re.compile(".+?".join(re.escape(part) for part in parts) + r"\Z", re.S)


PATTERNS = [(line, as_pattern(line)) for line in quoted_lines()]


def assert_quoted(shown):
    """``shown`` (a message's first line) matches a line the page quotes."""
    first = shown.strip().splitlines()[0]
    matches = [line for line, pattern in PATTERNS if pattern.match(first)]
    assert matches, "docs/troubleshooting.md does not quote this message:\n    %s" % first


def shown(error):
    """The last line of the traceback Python prints for ``error`` (its first line)."""
    return "%s.%s: %s" % (type(error).__module__, type(error).__name__, str(error).splitlines()[0])


def raised(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except Exception as error:  # the test checks its type through the quoted line
        return error
    raise AssertionError("%r did not raise" % (call,))


@pytest.fixture(autouse=True)
def private_config(tmp_path, monkeypatch):
    """Launch tokens and logs in a folder of this test; no token from the environment."""
    folder = tmp_path / "config"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("COMPAS_CLOUD_CONFIG_DIR", str(folder))
    monkeypatch.delenv("COMPAS_CLOUD_TOKEN", raising=False)
    monkeypatch.delenv("COMPAS_CLOUD_PYTHON", raising=False)


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory):
    """A CPython 3 with nothing installed: no websockets, no websocket-client."""
    folder = str(tmp_path_factory.mktemp("bare-venv"))
    subprocess.check_call([server_python(), "-m", "venv", "--without-pip", folder])
    return launcher._python_in(folder)


def test_every_box_is_a_pattern_and_the_page_is_in_the_nav():
    assert len(PATTERNS) >= 20
    with io.open(os.path.join(ROOT, "mkdocs.yml"), encoding="utf-8") as handle:
        assert "troubleshooting.md" in handle.read()


# -- connecting -------------------------------------------------------------------------------------


def test_nothing_answers():
    assert_quoted(shown(raised(Proxy, port=free_port(), autolaunch=False, verbose=False)))


def test_another_program_answers():
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<html><body>" + b"another program<br>" * 200 + b"</body></html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    try:
        error = raised(Proxy, port=web.server_address[1], autolaunch=False, verbose=False, connect_timeout=10)
        assert_quoted(shown(error))
    finally:
        web.shutdown()
        web.server_close()


def test_a_program_that_never_answers_the_handshake():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)  # accepted by the kernel, never answered
    try:
        error = raised(Proxy, port=silent.getsockname()[1], autolaunch=False, verbose=False, connect_timeout=1)
        assert_quoted(shown(error))
    finally:
        silent.close()


def run_server(*args, **env_changes):
    env = server_env()
    env.pop("COMPAS_CLOUD_TOKEN", None)
    env.update(env_changes)
    return subprocess.run([server_python(), "-m", "compas_cloud.server"] + list(args), cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)


def test_port_taken():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        result = run_server("--port", str(taken.getsockname()[1]))
    finally:
        taken.close()
    assert result.returncode == 1
    assert_quoted(result.stderr.strip().splitlines()[-1])


def test_network_address_without_token():
    result = run_server("--host", "0.0.0.0", "--port", "0")
    assert result.returncode == 2
    assert_quoted(result.stderr.strip().splitlines()[-1])


# -- starting a server from a proxy ------------------------------------------------------------------


def test_wrong_interpreter():
    error = raised(Proxy, port=free_port(), python=os.path.join(ROOT, "no-such-python"), verbose=False)
    assert_quoted(shown(error))


def test_no_interpreter_at_all(bare_python):
    # A bare CPython (not a fit to run the server itself), with no PATH and no recorded interpreter.
    script = ("from compas_cloud.client import launcher\n"
              "try:\n    launcher.find_python(path='', windows=False)\n"
              "except Exception as error:\n    print('%s.%s: %s' % (type(error).__module__, type(error).__name__, error))\n")
    env = {"PYTHONPATH": ROOT, "PATH": "", "COMPAS_CLOUD_CONFIG_DIR": os.environ["COMPAS_CLOUD_CONFIG_DIR"]}
    output = subprocess.check_output([bare_python, "-c", script], env=env, universal_newlines=True, cwd=ROOT)
    assert "no CPython interpreter found" in output
    assert_quoted(output)


def test_missing_server_dependencies(bare_python):
    error = raised(Proxy, port=free_port(), python=bare_python, verbose=False, launch_timeout=60)
    assert_quoted(shown(error))
    assert '"{0}" -m pip install "compas_cloud[server]"'.format(bare_python) in str(error)


def test_an_interpreter_too_old():
    old = os.environ.get("COMPAS_CLOUD_PYTHON27") or os.path.expanduser("~/.pyenv/versions/2.7.18/bin/python")
    if not os.path.isfile(old):
        pytest.skip("no Python 2.7 here to play the old interpreter")
    error = raised(Proxy, port=free_port(), python=old, verbose=False, launch_timeout=60)
    assert_quoted(shown(error))
    assert "it needs Python >= 3.9, not Python 2.7" in str(error)
    assert len(str(error).splitlines()) == 1


def test_no_websocket_library(bare_python):
    script = ("from compas_cloud import Proxy\n"
              "try:\n    Proxy(port=PORT, autolaunch=False, verbose=False)\n"
              "except Exception as error:\n    print('%s.%s: %s' % (type(error).__module__, type(error).__name__, error))\n"
              ).replace("PORT", str(free_port()))
    output = subprocess.check_output([bare_python, "-c", script], env={"PYTHONPATH": ROOT}, universal_newlines=True, cwd=ROOT)
    assert "TransportUnavailable" in output
    assert_quoted(output)


# -- refused at the door -----------------------------------------------------------------------------


def test_token_missing_or_wrong():
    with ServerProcess("--token", "the-right-one") as server:
        assert_quoted(shown(raised(Proxy, host=server.host, port=server.port, autolaunch=False, verbose=False)))
        error = raised(Proxy, host=server.host, port=server.port, autolaunch=False, verbose=False, token="a-wrong-one")
        assert_quoted(shown(error))


def test_origin_refused():
    with ServerProcess() as server:
        connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
        connection.request("GET", "/", headers={
            "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": "https://some-site.example",
        })
        response = connection.getresponse()
        body = response.read().decode("utf-8")
        connection.close()
        deadline = time.time() + 10
        while "refused a connection" not in server.read_log() and time.time() < deadline:
            time.sleep(0.05)
        logged = server.read_log()
    assert response.status == 403
    assert_quoted(body)
    line = [text for text in server.read_log().splitlines() if "refused a connection from the web page" in text]
    assert len(line) == 1, logged
    assert_quoted(line[0])
    assert line[0].endswith("--allow-origin https://some-site.example")


# -- calling functions, limits, waiting ---------------------------------------------------------------


def test_calling_errors_and_limits():
    options = ["--deny", "os", "--max-message-size", "1", "--max-connection-memory", "1",
               "--max-calls-per-connection", "2"]
    with ServerProcess(*options) as server:
        proxy = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False)
        try:
            for name, args in (("no_such_module.solve", []), ("numpy.no_such_function", []), ("math.pi", []),
                               ("os.getcwd", []), ("threading.Lock", []), ("math.sqrt", [-1]),
                               ("builtins.len", [[0.5] * 200000])):
                assert_quoted(shown(raised(proxy.function(name), *args)))
            assert proxy.function("builtins.len")([1, 2]) == 2  # the connection stays usable
            assert_quoted(shown(raised(proxy.cache, [0.5] * 100000)))
            assert_quoted(shown(raised(proxy.get, {"cached": "no-such-id"})))
            sleep = proxy.function("time.sleep")
            running = [sleep.submit(0.5), sleep.submit(0.5)]
            assert_quoted(shown(raised(sleep.submit(0.5).result, 30)))
            for future in running:
                future.result(30)
            impatient = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False, timeout=1)
            assert_quoted(shown(raised(impatient.function("time.sleep"), 3)))
            impatient.close()
        finally:
            proxy.close()


def test_allow_list_and_total_memory():
    with ServerProcess("--allow", "math", "--max-total-memory", "1") as server:
        proxy = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False)
        try:
            assert_quoted(shown(raised(proxy.function("numpy.linalg.norm"), [3, 4])))
            assert_quoted(shown(raised(proxy.cache, [0.5] * 100000)))
        finally:
            proxy.close()


def test_the_server_went_away():
    with ServerProcess() as server:
        proxy = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False)
        other = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False)
        try:
            other.shutdown()
            deadline = time.time() + 30
            while server.alive() and time.time() < deadline:
                time.sleep(0.05)
            assert_quoted(shown(raised(proxy.function("math.sqrt"), 4)))
        finally:
            proxy.close()
            other.close()

