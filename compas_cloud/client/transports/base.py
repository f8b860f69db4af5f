"""What a transport does: move whole websocket messages, with a timeout on every wait."""
from __future__ import absolute_import

import base64
import os
import socket

from compas_cloud._compat import to_text
from compas_cloud.errors import AccessDenied
from compas_cloud.protocol import address


class Transport(object):
    """A websocket connection that sends and receives whole messages.

    Subclasses wrap one websocket library. They are used by one
    :class:`~compas_cloud.client.connection.Connection`, which guarantees that
    at most one thread sends and at most one thread receives at a time.

    Attributes
    ----------
    name : str
        The name to select this transport with (``Proxy(transport=name)``).
    label : str
        How the transport is named to users ("websockets client", ".NET client").
    """

    name = None
    label = None

    def connect(self, url, timeout, headers=None, tls=None):
        """Open the connection.

        Parameters
        ----------
        url : str
            ``ws://host:port`` or ``wss://host:port``.
        timeout : float
            Seconds the TCP connection and the opening handshake may take.
        headers : dict, optional
            Extra HTTP headers for the handshake.
        tls : dict, optional
            For ``wss://``: ``cafile`` (a PEM file of the certificate
            authorities to trust instead of the system's) and ``verify``
            (False: accept any certificate, for tests only).

        Raises
        ------
        compas_cloud.errors.ConnectionFailed
            Nothing listens there, or the handshake was refused.
        compas_cloud.errors.CloudTimeout
            The handshake took longer than ``timeout``.
        """
        raise NotImplementedError

    def send(self, data, timeout=None):
        """Send one whole message: text (``unicode``) as a text frame, ``bytes`` as a binary frame.

        Raises
        ------
        compas_cloud.errors.ConnectionClosed
        compas_cloud.errors.CloudTimeout
        """
        raise NotImplementedError

    def recv(self, timeout):
        """Receive one whole message.

        Parameters
        ----------
        timeout : float or None
            Seconds to wait for a message to start; 0 polls; None waits for ever.

        Returns
        -------
        str or bytes or None
            The text of a text message, the bytes of a binary message, or None
            if nothing arrived within ``timeout`` (or only a control frame did).

        Raises
        ------
        compas_cloud.errors.ConnectionClosed
            The server closed the connection or it dropped.
        """
        raise NotImplementedError

    def close(self):
        """Close the connection (politely, when it is still open). Never raises."""
        raise NotImplementedError

    @classmethod
    def available(cls):
        """Return None if this transport can be used here, else what to install to use it."""
        raise NotImplementedError


def close_message(code, reason):
    """Describe a websocket close code for users."""
    meanings = {
        1000: "the server closed the connection",
        1001: "the server shut down",
        1002: "the server rejected a malformed websocket frame",
        1006: "the connection dropped (the server stopped or the network failed)",
        1008: "the server refused the connection (policy)",
        1009: "the message was larger than the server accepts (its --max-message-size)",
        1011: "the server hit an internal error",
    }
    text = meanings.get(code, "the connection closed")
    if code is not None:
        text += " (code {0}".format(code) + (": {0})".format(reason) if reason else ")")
    return text


_REFUSALS = {
    401: "the server requires a token: pass Proxy(token=...) or set COMPAS_CLOUD_TOKEN (see docs/security.md)",
    403: "the server refuses this client's origin (see --allow-origin in docs/security.md)",
}


def refusal(url, status, body=""):
    """Return the :class:`AccessDenied` for a handshake refused with HTTP ``status`` (401 or 403).

    The server's own explanation (the response body) is used when the
    websocket library passes it on; a standard one otherwise.
    """
    detail = to_text(body or b"").strip() or _REFUSALS.get(status, "")
    return AccessDenied("{0} refused the connection ({1}): {2}".format(url, status, detail), status)


def handshake_request(hostport, path, headers=None):
    """Return the bytes of a websocket opening handshake for ``path`` on ``hostport``, with extra ``headers``."""
    lines = [
        "GET {0} HTTP/1.1".format(path or "/"),
        "Host: {0}".format(hostport),
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: {0}".format(to_text(base64.b64encode(os.urandom(16)))),
        "Sec-WebSocket-Version: 13",
    ]
    lines += ["{0}: {1}".format(key, value) for key, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def probe_handshake(url, headers=None, timeout=5.0):
    """Send a websocket opening handshake over a plain socket; return ``(status, body)`` of the answer.

    For websocket libraries that do not say why a handshake failed (Mono's
    ClientWebSocket reports every refusal as "Unable to connect"). Returns
    None if nothing could be read.
    """
    try:
        _, host, port, path = address.parse_url(url)
    except address.InvalidAddress:
        return None
    request = handshake_request(address.format_hostport(host, port), path, headers)
    try:
        sock = socket.create_connection((host, port), timeout)
    except (socket.error, OSError, ValueError):
        return None
    data = b""
    try:
        sock.sendall(request)
        while len(data) < 65536:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
            head, found, body = data.partition(b"\r\n\r\n")
            if found and b" 101 " in head.split(b"\r\n")[0]:
                break  # accepted after all
    except (socket.error, OSError):
        pass
    finally:
        sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n")[0].split()
    if len(status_line) < 2 or not status_line[1].isdigit():
        return None
    return int(status_line[1]), body
