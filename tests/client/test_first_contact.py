# -*- coding: utf-8 -*-
"""The errors a user meets on first contact: each one line to act on, the same on every transport.

Runs on CPython 3 (websocket-client), on the .NET ClientWebSocket (tools/runtimes/dotnet.sh) and on
CPython 2.7 (tools/runtimes/py27.sh): every expected first line below is exact, so a transport that
words a failure its own way fails here. Each line must also be quoted by docs/troubleshooting.md
(``<...>`` there stands for the parts that vary). Everything that answers is a real process or socket.
"""
from __future__ import absolute_import

import io
import logging
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading

import pytest

from compas_cloud import Proxy
from compas_cloud.client import diagnose, launcher
from compas_cloud.errors import (
    AccessDenied, CloudTimeout, NotCompasCloudServer, ProtocolError, ProtocolMismatch, ServerNotFound, ServerStartError,
)

from helpers import ROOT, ServerProcess, free_port, server_env, server_python

try:
    from http.server import BaseHTTPRequestHandler, HTTPServer
except ImportError:  # Python 2.7
    from BaseHTTPServer import BaseHTTPRequestHandler, HTTPServer

PAGE = os.path.join(ROOT, "docs", "troubleshooting.md")
TOKEN = "first-contact-token-0123456789"


def page_patterns():
    with io.open(PAGE, encoding="utf-8") as handle:
        text = handle.read()
    lines = [line for block in re.findall(r"^```text\n(.*?)^```", text, re.S | re.M) for line in block.splitlines()]
    return [re.compile(".+?".join(re.escape(part) for part in re.split(r"<[^<>]+>", line)) + r"\Z", re.S)
            for line in lines if line.strip()]


PATTERNS = page_patterns()


def first_line(error):
    """What Python's traceback shows last for ``error``, and the message's first line."""
    return "{0}.{1}: {2}".format(type(error).__module__, type(error).__name__, str(error).splitlines()[0])


def check(error, expected_class, expected_message, lines=1):
    assert type(error) is expected_class, repr(error)
    assert str(error).splitlines()[0] == expected_message
    assert len(str(error).splitlines()) == lines, str(error)
    shown = first_line(error)
    assert any(pattern.match(shown) for pattern in PATTERNS), "docs/troubleshooting.md does not quote:\n" + shown


def raised(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except Exception as error:
        return error
    raise AssertionError("{0!r} did not raise".format(call))


@pytest.fixture(autouse=True)
def no_token_around(monkeypatch, tmp_path):
    monkeypatch.delenv("COMPAS_CLOUD_TOKEN", raising=False)
    monkeypatch.delenv("COMPAS_CLOUD_PYTHON", raising=False)
    folder = tmp_path / "config"
    folder.mkdir()
    os.chmod(str(folder), 0o700)
    monkeypatch.setenv("COMPAS_CLOUD_CONFIG_DIR", str(folder))


# -- nothing there ----------------------------------------------------------------------------------


def test_nothing_listens():
    port = free_port()
    error = raised(Proxy, port=port, autolaunch=False, verbose=False)
    check(error, ServerNotFound,
          "no compas_cloud server at 127.0.0.1:{0} (nothing listens there): start one with: python -m "
          "compas_cloud.server --port {0}, or let the proxy launch one (Proxy(autolaunch=True))".format(port))


def test_an_unknown_host():
    error = raised(Proxy, host="no-such-host.invalid", port=9009, verbose=False)
    check(error, ServerNotFound, "cannot find the host 'no-such-host.invalid' (its name does not resolve): check the address")


# -- another program answers -------------------------------------------------------------------------


class _Pages(BaseHTTPRequestHandler):
    server_version = "TestPages/1.0"
    sys_version = ""
    body = b"<html><body>" + b"<p>a line of another program's page</p>\n" * 300 + b"</body></html>"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def web_server():
    web = HTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=web.serve_forever)
    thread.daemon = True
    thread.start()
    yield web.server_address[1]
    web.shutdown()
    web.server_close()


@pytest.mark.parametrize("autolaunch", [False, True])
def test_an_http_server_is_named_in_one_line_and_its_page_goes_to_the_log(web_server, autolaunch, caplog):
    caplog.set_level(logging.INFO, logger="compas_cloud.client")
    error = raised(Proxy, port=web_server, autolaunch=autolaunch, verbose=False)
    check(error, NotCompasCloudServer,
          "something other than a compas_cloud server answers at 127.0.0.1:{0} (HTTP 200 OK, server: TestPages/1.0): "
          "give Proxy the port of a compas_cloud server, or another, free port to launch one on".format(web_server))
    assert error.status == 200 and error.server == "TestPages/1.0"
    assert error.body.startswith("<html><body><p>a line of another program's page</p>")
    assert len(error.body) == diagnose.BODY_IN_LOG  # the page is 12,000 characters: only its start is kept
    logged = [record.getMessage() for record in caplog.records if record.name == "compas_cloud.client"]
    assert len(logged) == 1 and "another program's page" in logged[0]
    assert len(logged[0]) < diagnose.BODY_IN_LOG * 2


class _AccentedPages(_Pages):
    # A UTF-8 page whose two-byte characters straddle the bytes the client keeps of it.
    body = (u"a" * (diagnose.BODY_IN_LOG * 4 - 1) + u"\u00e9" * 400).encode("utf-8")


def test_a_page_in_utf8_cut_inside_a_character():
    web = HTTPServer(("127.0.0.1", 0), _AccentedPages)
    thread = threading.Thread(target=web.serve_forever)
    thread.daemon = True
    thread.start()
    try:
        error = raised(Proxy, port=web.server_address[1], autolaunch=False, verbose=False)
    finally:
        web.shutdown()
        web.server_close()
    check(error, NotCompasCloudServer,
          "something other than a compas_cloud server answers at 127.0.0.1:{0} (HTTP 200 OK, server: TestPages/1.0): "
          "give Proxy the port of a compas_cloud server, or another, free port to launch one on".format(web.server_address[1]))
    assert error.body == u"a" * diagnose.BODY_IN_LOG


def test_a_program_that_answers_bytes_that_are_not_text():
    binary = socket.socket()
    binary.bind(("127.0.0.1", 0))
    binary.listen(5)
    port = binary.getsockname()[1]

    def answer():
        # Every connection (the transport's, then the client's own probe) gets bytes that are no UTF-8.
        while True:
            try:
                peer, _ = binary.accept()
            except (socket.error, OSError):
                return
            try:
                peer.sendall(b"\xff\xfe\x00\x80binary protocol\xc3")
            except (socket.error, OSError):
                pass
            peer.close()

    thread = threading.Thread(target=answer)
    thread.daemon = True
    thread.start()
    try:
        error = raised(Proxy, port=port, autolaunch=False, verbose=False, connect_timeout=2)
    finally:
        binary.close()
    assert type(error) is NotCompasCloudServer, repr(error)
    assert str(error) == (
        "something other than a compas_cloud server answers at 127.0.0.1:{0} (it does not speak HTTP: it sent 20 "
        "bytes): give Proxy the port of a compas_cloud server, or another, free port to launch one on".format(port))


class _BadGateway(_Pages):
    server_version = "TestProxy/1.0"

    def do_GET(self):
        self.send_response(502)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_a_reverse_proxy_without_its_server():
    web = HTTPServer(("127.0.0.1", 0), _BadGateway)
    thread = threading.Thread(target=web.serve_forever)
    thread.daemon = True
    thread.start()
    try:
        error = raised(Proxy, port=web.server_address[1], verbose=False)
    finally:
        web.shutdown()
        web.server_close()
    check(error, NotCompasCloudServer,
          "a proxy answers at 127.0.0.1:{0} (HTTP 502 Bad Gateway, server: TestProxy/1.0) but cannot reach a server "
          "behind it: start the compas_cloud server it forwards to, or check the proxy's configuration (see "
          "docs/deploy.md)".format(web.server_address[1]))


class _Foreign(object):
    """A websocket service that is not compas_cloud (tests/foreign_service.py, a CPython 3 process)."""

    def __init__(self, mode):
        script = os.path.join(ROOT, "tests", "foreign_service.py")
        self.process = subprocess.Popen([server_python(), script, mode], stdout=subprocess.PIPE, env=server_env(),
                                        universal_newlines=True)
        line = self.process.stdout.readline()
        assert line.startswith("port "), line
        self.port = int(line.split()[1])

    def stop(self):
        self.process.kill()
        self.process.wait()
        self.process.stdout.close()


def test_a_websocket_service_that_never_answers_the_handshake():
    foreign = _Foreign("silent")
    try:
        error = raised(Proxy, port=foreign.port, autolaunch=False, verbose=False, connect_timeout=1)
    finally:
        foreign.stop()
    check(error, ProtocolMismatch,
          "ProtocolMismatch: something other than a compas_cloud server answers at 127.0.0.1:{0} (a websocket service, "
          "server: ForeignService/1.0): it did not answer the compas_cloud handshake within 1 s; give Proxy the port of a "
          "compas_cloud server (one older than 0.5 needs updating)".format(foreign.port))


def test_a_websocket_service_that_answers_something_else(caplog):
    caplog.set_level(logging.INFO, logger="compas_cloud.client")
    foreign = _Foreign("echo")
    try:
        error = raised(Proxy, port=foreign.port, verbose=False)
    finally:
        foreign.stop()
    check(error, ProtocolError,
          "something other than a compas_cloud server answers at 127.0.0.1:{0} (a websocket service, server: "
          "ForeignService/1.0): this client cannot read its answer to the compas_cloud handshake; give Proxy the "
          "port of a compas_cloud server (one older than 0.5 needs updating)".format(foreign.port))
    logged = [record.getMessage() for record in caplog.records if record.name == "compas_cloud.client"]
    assert any("hello" in text for text in logged)  # what it sent back is in the log


def test_a_program_that_accepts_and_never_answers():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    port = silent.getsockname()[1]
    try:
        error = raised(Proxy, port=port, verbose=False, connect_timeout=1)
    finally:
        silent.close()
    check(error, CloudTimeout,
          "127.0.0.1:{0} accepted the connection but did not finish the websocket handshake within 1 s: it is not a "
          "compas_cloud server, or one too busy to answer; check the port, or raise Proxy(connect_timeout=...)".format(port))


# -- refused at the door -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def token_server():
    server = ServerProcess("--token", TOKEN)
    yield server
    server.stop()


def test_no_token(token_server):
    error = raised(Proxy, port=token_server.port, autolaunch=False, verbose=False)
    check(error, AccessDenied,
          "the server at 127.0.0.1:{0} requires a token (HTTP 401): pass the one it was started with, Proxy(token=...) "
          "or the environment variable COMPAS_CLOUD_TOKEN".format(token_server.port))
    assert error.status == 401


def test_a_wrong_token_says_where_it_came_from(token_server, monkeypatch):
    message = ("the server at 127.0.0.1:{0} refused the token (HTTP 401) from {1}: it is not this server's token; pass "
               "the one it was started with (Proxy(token=...) or COMPAS_CLOUD_TOKEN)")
    error = raised(Proxy, port=token_server.port, autolaunch=False, verbose=False, token="wrong")
    check(error, AccessDenied, message.format(token_server.port, "Proxy(token=...)"))
    monkeypatch.setenv("COMPAS_CLOUD_TOKEN", "also-wrong")
    error = raised(Proxy, port=token_server.port, autolaunch=False, verbose=False)
    check(error, AccessDenied, message.format(token_server.port, "the environment variable COMPAS_CLOUD_TOKEN"))


def test_an_origin_refused(server):
    error = diagnose.explain(server.url, {"Origin": "https://some-site.example"}, 5.0)
    check(error, AccessDenied,
          "the server at {0}:{1} refused the connection (HTTP 403): it refuses the origin https://some-site.example; "
          "start it with --allow-origin https://some-site.example to let it in (see docs/security.md)".format(
              server.host, server.port))


# -- launching a server ------------------------------------------------------------------------------


def test_a_python_argument_that_is_no_interpreter():
    missing = os.path.join(ROOT, "no-such-python")
    error = raised(Proxy, port=free_port(), python=missing, verbose=False)
    check(error, ServerStartError,
          "the python argument {0!r} is not an interpreter: pass the path of a CPython >= 3.9 (its python.exe or "
          "bin/python3) or the folder of its environment".format(missing))


def _old_python():
    if sys.version_info < (3, 9):
        return sys.executable
    candidate = os.environ.get("COMPAS_CLOUD_PYTHON27") or os.path.expanduser("~/.pyenv/versions/2.7.18/bin/python")
    return candidate if os.path.isfile(candidate) else None


def test_an_interpreter_too_old():
    old = _old_python()
    if old is None:
        pytest.skip("no Python older than 3.9 here")
    version = subprocess.check_output([old, "-c", "import sys; print(sys.version.split()[0])"], universal_newlines=True)
    error = raised(Proxy, port=free_port(), python=old, verbose=False, launch_timeout=60)
    check(error, ServerStartError,
          "the compas_cloud server cannot run on {0} (chosen from the python argument): it needs Python >= 3.9, not "
          "Python {1}; pass a CPython >= 3.9 with Proxy(python=...) or the environment variable "
          "COMPAS_CLOUD_PYTHON".format(old, version.strip()))


def test_an_interpreter_without_the_server_dependencies():
    folder = tempfile.mkdtemp(prefix="compas_cloud-bare-")
    subprocess.check_call([server_python(), "-m", "venv", "--without-pip", folder])
    bare = launcher._python_in(folder)
    error = raised(Proxy, port=free_port(), python=bare, verbose=False, launch_timeout=60)
    check(error, ServerStartError,
          "the compas_cloud server cannot run on {0} (chosen from the python argument): it lacks the server's "
          "dependencies (No module named 'websockets'); install them there with: \"{0}\" -m pip install "
          "\"compas_cloud[server]\" (or pick another interpreter: Proxy(python=...) or COMPAS_CLOUD_PYTHON)".format(bare))


def _start_server(*args):
    process = subprocess.Popen([server_python(), "-m", "compas_cloud.server"] + list(args), cwd=ROOT, env=server_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    out, err = process.communicate()
    return process.returncode, err.strip().splitlines()


def test_a_server_on_a_taken_port(server):
    code, lines = _start_server("--port", str(server.port))
    assert code == 1
    match = re.match(r"compas_cloud server could not start: port {0} on 127\.0\.0\.1 is already taken \(by a compas_cloud "
                     r"server still running\? see http://127\.0\.0\.1:{0}/ ; or by another program\): stop it, or "
                     r"choose another port: --port (\d+)\Z".format(server.port), lines[-1])
    assert match, lines
    assert any(pattern.match(lines[-1]) for pattern in PATTERNS)
    offered = int(match.group(1))
    assert offered != server.port
    sock = socket.socket()  # the port it offers is free
    sock.bind(("127.0.0.1", offered))
    sock.close()


def test_a_pool_names_each_server_that_does_not_answer():
    ports = [free_port(), free_port()]
    pool = Proxy(servers=["127.0.0.1:{0}".format(port) for port in ports], verbose=False)
    try:
        error = raised(pool.call, "math.hypot", [3, 4])
    finally:
        pool.close()
    assert str(error) == "none of the servers of the pool answers ({0})".format("; ".join(
        "ws://127.0.0.1:{0}: no compas_cloud server at 127.0.0.1:{0} (nothing listens there): start one with: python -m "
        "compas_cloud.server --port {0}".format(port) for port in ports))
