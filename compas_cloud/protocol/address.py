"""Where a server is: the defaults, host formatting, URLs and the one meaning of "loopback".

Every part of compas_cloud (client, launcher, server, components) takes its
default address and its idea of "this machine only" from here, so they agree.
Runs on IronPython 2.7 and every later Python (no ``ipaddress`` needed).
"""
from __future__ import absolute_import

DEFAULT_HOST = "127.0.0.1"
"""str: The host a server binds and a client connects to unless told otherwise."""

DEFAULT_PORT = 9009
"""int: The port a server listens on and a client connects to unless told otherwise."""

SCHEMES = {"ws": 80, "wss": 443}


class InvalidAddress(ValueError):
    """A websocket URL that cannot be read; the message names the URL and the problem."""


def _bare(host):
    host = (host or "").strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def is_loopback(host):
    """Return True if ``host`` only ever reaches this machine.

    Loopback means ``localhost``, any IPv4 address in 127.0.0.0/8 and the IPv6
    address ``::1`` (also written ``[::1]`` or in full). ``0.0.0.0`` and ``::``
    are NOT loopback: a server bound there listens on every interface.

    Parameters
    ----------
    host : str

    Returns
    -------
    bool
    """
    host = _bare(host).lower()
    if host in ("localhost", "localhost."):
        return True
    parts = host.split(".")
    if len(parts) == 4 and parts[0] == "127":
        return all(part.isdigit() and int(part) <= 255 for part in parts)
    if ":" in host:
        return _is_ipv6_loopback(host)
    return False


def _is_ipv6_loopback(host):
    """Return True if ``host`` is ``::1`` in any of its spellings."""
    head, gap, tail = host.partition("::")
    if "::" in tail:
        return False
    head = head.split(":") if head else []
    tail = tail.split(":") if tail else []
    missing = 8 - len(head) - len(tail)
    if (gap and missing < 1) or (not gap and missing != 0):
        return False
    groups = head + ["0"] * missing + tail
    for group in groups:
        if not 0 < len(group) <= 4 or any(c not in "0123456789abcdef" for c in group):
            return False
    return [int(g, 16) for g in groups] == [0] * 7 + [1]


def is_wildcard(host):
    """Return True if ``host`` means "every interface" (``0.0.0.0``, ``::``): not loopback, but this machine."""
    return _bare(host) in ("0.0.0.0", "::")


def is_this_machine(host):
    """Return True if a server for ``host`` runs on this machine (loopback or every interface).

    This is where a client may launch a server itself and find its token file.
    """
    return is_loopback(host) or is_wildcard(host)


def connect_host(host):
    """Return the host a client on this machine connects to for a server bound to ``host``.

    A server bound to every interface (``0.0.0.0``, ``::``) or to ``localhost``
    is reached on the loopback address; any other host as it is.
    """
    if host in ("0.0.0.0", "localhost", "", None):
        return DEFAULT_HOST
    if host == "::":
        return "::1"
    return host


def format_host(host):
    """Return ``host`` as it is written in a URL: IPv6 addresses in brackets (``[::1]``)."""
    host = _bare(host)
    return "[{0}]".format(host) if ":" in host else host


def format_hostport(host, port):
    """Return ``host:port`` with IPv6 hosts in brackets (``[::1]:9009``)."""
    return "{0}:{1}".format(format_host(host), port)


def make_url(host=DEFAULT_HOST, port=DEFAULT_PORT, secure=False, path=""):
    """Return the websocket URL of a server, e.g. ``ws://127.0.0.1:9009`` or ``ws://[::1]:9009``."""
    url = "{0}://{1}:{2}".format("wss" if secure else "ws", format_host(host), int(port))
    return url + ("/" + path.lstrip("/") if path else "")


def parse_url(url):
    """Return ``(scheme, host, port, path)`` of a ``ws://`` or ``wss://`` URL.

    The host comes back without brackets; the port defaults to the scheme's
    (80 for ``ws``, 443 for ``wss``); the path starts with ``/``.

    Raises
    ------
    InvalidAddress
        If the scheme is not ws/wss, the host is missing or the port is not a number.
    """
    scheme, found, rest = (url or "").partition("://")
    scheme = scheme.lower()
    if not found or scheme not in SCHEMES:
        raise InvalidAddress("{0!r} is not a websocket URL: it must start with ws:// or wss://".format(url))
    hostport, slash, path = rest.partition("/")
    hostport = hostport.rpartition("@")[2]
    if hostport.startswith("["):
        host, closed, after = hostport[1:].partition("]")
        if not closed or (after and not after.startswith(":")):
            raise InvalidAddress("{0!r}: an IPv6 host must be written [address]:port".format(url))
        port = after[1:]
    else:
        host, _, port = hostport.partition(":")
    if not host:
        raise InvalidAddress("{0!r} names no host".format(url))
    if port:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise InvalidAddress("{0!r}: the port {1!r} is not a number from 1 to 65535".format(url, port))
        port = int(port)
    else:
        port = SCHEMES[scheme]
    return scheme, host, port, "/" + path
