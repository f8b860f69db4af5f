"""Starting and stopping real servers for the tests (Python 2.7 safe: the client suite runs there too)."""
from __future__ import absolute_import, print_function

import os
import re
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LISTEN = re.compile(r"Listenning at (\S+):(\d+)")


def server_python():
    """The CPython 3 that runs servers: $COMPAS_CLOUD_TEST_SERVER_PYTHON, else this interpreter."""
    path = os.environ.get("COMPAS_CLOUD_TEST_SERVER_PYTHON")
    if path:
        return path
    if sys.version_info >= (3, 9):
        return sys.executable
    raise RuntimeError("set COMPAS_CLOUD_TEST_SERVER_PYTHON to a CPython >= 3.9 with the server's dependencies")


def server_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


class ServerProcess(object):
    """A real ``python -m compas_cloud.server`` on a free loopback port."""

    def __init__(self, *args, **options):
        """``args``: the server's options; ``prelude=`` (Python source) runs in the server's process first."""
        self.log = tempfile.NamedTemporaryFile(prefix="compas_cloud-test-", suffix=".log", delete=False)
        prelude = options.pop("prelude", None)
        if options:
            raise TypeError("unknown options: {0}".format(sorted(options)))
        if prelude:
            start = ["-c", prelude + "\nimport runpy\nrunpy.run_module('compas_cloud.server', run_name='__main__', alter_sys=True)"]
        else:
            start = ["-m", "compas_cloud.server"]
        command = [server_python()] + start + ["--host", "127.0.0.1", "--port", "0"] + list(args)
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self.log, env=server_env(), cwd=ROOT, universal_newlines=True
        )
        self.lines = []
        self.host = None
        self.port = None
        self._listening = threading.Event()
        # Read stdout in a thread from the start: the wait for the address is bounded even if the
        # server hangs before printing, and the server never blocks on a full pipe.
        self._drain = threading.Thread(target=self._read_rest)
        self._drain.daemon = True
        self._drain.start()
        self._listening.wait(60)
        if self.port is None:
            self.stop()
            raise RuntimeError("the test server did not start:\n" + "\n".join(self.lines) + "\n" + self.read_log())

    def _read_rest(self):
        for line in iter(self.process.stdout.readline, ""):
            self.lines.append(line.rstrip("\n"))
            match = _LISTEN.search(line)
            if match and self.port is None:
                self.host, self.port = match.group(1), int(match.group(2))
                self._listening.set()
        self._listening.set()  # the server exited

    def wait_line(self, text, timeout=10.0):
        """Return the first output line containing ``text``, waiting up to ``timeout`` s (None if none)."""
        deadline = time.time() + timeout
        while True:
            for line in list(self.lines):
                if text in line:
                    return line
            if time.time() > deadline:
                return None
            time.sleep(0.05)

    @property
    def url(self):
        return "ws://{0}:{1}".format(self.host, self.port)

    @property
    def pid(self):
        return self.process.pid

    def read_log(self):
        with open(self.log.name) as handle:
            return handle.read()

    def alive(self):
        return self.process.poll() is None

    def wait(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline and self.process.poll() is None:
            time.sleep(0.05)
        return self.process.poll()

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            if self.wait(10) is None:
                self.kill()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def free_port():
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


#: The openssl command, which makes the TLS tests' certificate authority and server certificate.
OPENSSL = next((os.path.join(folder, "openssl") for folder in os.environ.get("PATH", "").split(os.pathsep)
                if os.path.isfile(os.path.join(folder, "openssl"))), None)


def _openssl(*args):
    subprocess.check_call([OPENSSL] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def make_certificates(folder, name="127.0.0.1"):
    """A test CA, and a server certificate it signs for 127.0.0.1 and localhost; return the paths."""
    path = lambda name: os.path.join(folder, name)  # noqa: E731
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=compas_cloud test CA",
             "-keyout", path("ca.key"), "-out", path("ca.pem"))
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", path("server.key"),
             "-out", path("server.csr"))
    with open(path("ext.cnf"), "w") as handle:
        handle.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                     "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
             "-CAcreateserial", "-days", "2", "-extfile", path("ext.cnf"), "-out", path("server.pem"))
    return path("ca.pem"), path("server.pem"), path("server.key")


def http_get(host, port, path, headers=None, ssl_context=None):
    """GET ``path`` over HTTP (HTTPS with ``ssl_context``); return (status, headers dict, body text)."""
    try:
        import http.client as client
    except ImportError:  # Python 2.7
        import httplib as client
    if ssl_context is None:
        connection = client.HTTPConnection(host, port, timeout=30)
    else:
        connection = client.HTTPSConnection(host, port, timeout=30, context=ssl_context)
    try:
        connection.request("GET", path, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read().decode("utf-8")
    finally:
        connection.close()
