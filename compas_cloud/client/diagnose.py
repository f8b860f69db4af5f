"""Why a first connection failed, said in one line a user can act on.

Each websocket library words a failed connection its own way: websocket-client
quotes the whole HTTP answer (an HTML page of hundreds of lines), .NET's
``ClientWebSocket`` says "Unable to connect" whatever happened. When a
connection fails, the proxy asks once more here, over a plain socket, what
answers at the address, and words the error itself: the same first line on
every transport and runtime (CPython 2.7 and 3, IronPython, pythonnet).

Each message is listed, with what to do, in docs/troubleshooting.md. What
another program answered is kept in the ``compas_cloud.client`` log (at most
:data:`BODY_IN_LOG` characters), never in the message.

Python 2.7 and IronPython safe.
"""
from __future__ import absolute_import

import errno
import logging
import socket
import time

from compas_cloud._compat import text_type
from compas_cloud.errors import AccessDenied, CloudTimeout, NotCompasCloudServer, ServerNotFound
from compas_cloud.client.transports.base import handshake_request
from compas_cloud.protocol import address

log = logging.getLogger("compas_cloud.client")
log.addHandler(logging.NullHandler())  # a library's logger: silent unless the application configures logging

#: Characters of another program's answer kept in the log (and in the error's ``body``).
BODY_IN_LOG = 300

#: The most bytes read of an answer.
_READ_LIMIT = 65536

#: Seconds a probe may wait for an answer at most, whatever the connect timeout.
_PROBE_TIMEOUT = 3.0

_REFUSED = set(
    code for code in (getattr(errno, "ECONNREFUSED", None), getattr(errno, "WSAECONNREFUSED", None), 10061) if code
)


class Answer(object):
    """What answered a websocket opening handshake sent over a plain socket.

    Attributes
    ----------
    status : int or None
        The HTTP status (101: the handshake was accepted); None if the answer was not HTTP.
    reason : str
        The status line's reason ("OK", "Not Found").
    headers : dict
        The response headers, names in lower case.
    body : bytes
        The start of what followed the headers (or of the whole answer, when it was not HTTP).
    """

    def __init__(self, status=None, reason="", headers=None, body=b""):
        self.status = status
        self.reason = reason
        self.headers = headers or {}
        self.body = body

    @property
    def server(self):
        """str: The ``Server`` header, or ""."""
        return self.headers.get("server", "")

    def excerpt(self, limit=BODY_IN_LOG):
        """Return the start of the body as text, at most ``limit`` characters."""
        text = _text(self.body[: limit * 4]) if self.body else u""
        return text[:limit]

    def describe(self):
        """Return how the answer reads in a message: ``HTTP 200 OK, server: SimpleHTTP/0.6``."""
        if self.status is None:
            return "no HTTP answer"
        text = "HTTP {0}".format(self.status) + (" {0}".format(self.reason) if self.reason else "")
        return text + ", server: {0}".format(self.server or "not named")


def _text(data):
    """Another program's bytes as text: UTF-8 where they are, U+FFFD where not (cut characters, binary)."""
    if isinstance(data, text_type):
        return data
    return bytes(data).decode("utf-8", "replace")


def _parse(data):
    head, found, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(None, 2)
    if not found and not data.startswith(b"HTTP/"):
        return Answer(body=data)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        return Answer(body=data)
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            headers[_text(name).strip().lower()] = _text(value).strip()
    reason = _text(parts[2]).strip() if len(parts) > 2 else ""
    return Answer(int(parts[1]), reason, headers, body)


def _complete(data):
    """True once ``data`` holds a whole answer, or enough of one."""
    head, found, body = data.partition(b"\r\n\r\n")
    if not found:
        return False
    if b" 101 " in head.split(b"\r\n")[0] + b" ":
        return True
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            length = int(value.strip())
    return len(body) >= min(length if length is not None else _READ_LIMIT, BODY_IN_LOG * 4)


def ask(host, port, path="/", headers=None, timeout=5.0):
    """Send a websocket opening handshake to ``host:port`` over a plain socket; return the :class:`Answer`.

    Reads until the headers and enough of the body have come, the other side
    closes, or ``timeout`` (at most a few seconds) has passed.

    Raises
    ------
    socket.error
        The TCP connection could not be made (``socket.gaierror``: unknown
        host; ``socket.timeout``: no answer to the connection attempt).
    """
    timeout = min(timeout, _PROBE_TIMEOUT) if timeout else _PROBE_TIMEOUT
    sock = socket.create_connection((host, port), timeout)
    data = b""
    deadline = time.time() + timeout
    try:
        sock.sendall(handshake_request(address.format_hostport(host, port), path, headers))
        while len(data) < _READ_LIMIT and not _complete(data):
            left = deadline - time.time()
            if left <= 0:
                break
            sock.settimeout(left)
            try:
                chunk = sock.recv(4096)
            except (socket.timeout, socket.error, OSError):
                break
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    return _parse(data)


def _start_hint(host, port):
    command = "python -m compas_cloud.server --port {0}".format(port)
    if address.is_this_machine(host):
        return command
    return "{0} --host <its address> --token-file, on {1} (see docs/deploy.md)".format(command, address.format_host(host))


def not_found(host, port, autolaunch_off=False):
    """The :class:`~compas_cloud.errors.ServerNotFound` for an address where nothing listens."""
    where = address.format_hostport(host, port)
    text = "no compas_cloud server at {0} (nothing listens there): start one with: {1}".format(where, _start_hint(host, port))
    if autolaunch_off:
        text += ", or let the proxy launch one (Proxy(autolaunch=True))"
    return ServerNotFound(text)


def foreign(host, port, answer):
    """The :class:`~compas_cloud.errors.NotCompasCloudServer` for another program's ``answer`` (an :class:`Answer`)."""
    where = address.format_hostport(host, port)
    excerpt = answer.excerpt()
    log.info("the answer of %s to a websocket handshake (%s): %r", where, answer.describe(), excerpt)
    if answer.status in (502, 503, 504):
        return NotCompasCloudServer(
            "a proxy answers at {0} ({1}) but cannot reach a server behind it: start the compas_cloud server it "
            "forwards to, or check the proxy's configuration (see docs/deploy.md)".format(where, answer.describe()),
            answer.status, answer.server, excerpt,
        )
    if answer.status is None:
        what = "it does not speak HTTP: {0}".format("it sent {0} bytes".format(len(answer.body)) if answer.body else "it sent nothing")
    else:
        what = answer.describe()
    return NotCompasCloudServer(
        "something other than a compas_cloud server answers at {0} ({1}): give Proxy the port of a compas_cloud "
        "server, or another, free port to launch one on".format(where, what),
        answer.status, answer.server, excerpt,
    )


def refused(host, port, status, token_source=None, body=b"", origin=None):
    """The :class:`~compas_cloud.errors.AccessDenied` for a handshake a compas_cloud server refused (401 or 403).

    ``token_source`` says where the token this client sent came from (None: it sent none).
    """
    where = address.format_hostport(host, port)
    excerpt = _text(body or b"").strip()[:BODY_IN_LOG]
    if excerpt:
        log.info("%s refused the handshake (HTTP %s): %s", where, status, excerpt)
    if status == 403:
        text = ("the server at {0} refused the connection (HTTP 403): it refuses the origin {1}; start it with "
                "--allow-origin {1} to let it in (see docs/security.md)".format(where, origin or "this client sent"))
    elif token_source:
        text = ("the server at {0} refused the token (HTTP 401) from {1}: it is not this server's token; pass the one "
                "it was started with (Proxy(token=...) or COMPAS_CLOUD_TOKEN)".format(where, token_source))
    else:
        text = ("the server at {0} requires a token (HTTP 401): pass the one it was started with, "
                "Proxy(token=...) or the environment variable COMPAS_CLOUD_TOKEN".format(where))
    return AccessDenied(text, status)


def explain(url, headers=None, timeout=5.0, token_source=None, autolaunch_off=False):
    """Find out what answers at ``url`` after a failed connection; return the error to raise, or None.

    Parameters
    ----------
    url : str
        ``ws://host:port/path`` (for ``wss://`` only the TCP connection is checked).
    headers : dict, optional
        The handshake headers the transport sent (the token).
    timeout : float, optional
        Seconds the TCP connection may take.
    token_source : str, optional
        Where the token among ``headers`` came from, for the message of a refused token.
    autolaunch_off : bool, optional
        The proxy may not launch a server: say how to let it.

    Returns
    -------
    CloudError or None
        :class:`~compas_cloud.errors.ServerNotFound`,
        :class:`~compas_cloud.errors.NotCompasCloudServer`,
        :class:`~compas_cloud.errors.AccessDenied` or
        :class:`~compas_cloud.errors.CloudTimeout`; None when a websocket
        handshake succeeds now (the transport's own error is then the best account).
    """
    scheme, host, port, path = address.parse_url(url)
    where = address.format_hostport(host, port)
    target = address.connect_host(host)
    try:
        if scheme == "wss":
            socket.create_connection((target, port), timeout).close()
            return None
        answer = ask(target, port, path, headers, timeout)
    except socket.timeout:
        return CloudTimeout(
            "nothing answered at {0} within {1:g} s: check the address (and a firewall between here and there)".format(where, timeout)
        )
    except socket.gaierror:
        return ServerNotFound("cannot find the host {0!r} (its name does not resolve): check the address".format(host))
    except (socket.error, OSError) as error:
        if getattr(error, "errno", None) in _REFUSED or not getattr(error, "errno", None):
            return not_found(host, port, autolaunch_off)
        return ServerNotFound("cannot reach {0} ({1}): check the address".format(where, error))
    if answer.status == 101:
        return None
    if answer.status in (401, 403):
        origin = dict((key.lower(), value) for key, value in (headers or {}).items()).get("origin")
        return refused(host, port, answer.status, token_source, answer.body, origin)
    return foreign(host, port, answer)


def websocket_server(url, timeout=5.0):
    """Return the ``Server`` header of the websocket service at ``url`` ("" when unknown)."""
    try:
        scheme, host, port, path = address.parse_url(url)
        if scheme != "ws":
            return ""
        return ask(address.connect_host(host), port, path, None, timeout).server
    except Exception:  # only for the wording of a message: never hide the real error behind this one
        return ""
