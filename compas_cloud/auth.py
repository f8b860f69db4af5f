"""Tokens: where they are kept and how a client presents them.

Shared by the client and the server, so Python 2.7 and IronPython safe.

A server that requires a token accepts it in any of three places, checked in
this order:

1. the HTTP header ``Authorization: Bearer <token>`` of the websocket
   handshake (websocket-client, .NET ``ClientWebSocket.Options.SetRequestHeader``,
   Node.js ``ws`` with ``{headers: ...}``);
2. a websocket subprotocol ``compas_cloud.token.<token>`` (browsers, which
   cannot set headers: ``new WebSocket(url, ["compas_cloud.token." + token])``;
   the server selects that subprotocol so the browser accepts the answer);
3. the query parameter ``?token=<token>`` of the URL (last resort: URLs end
   up in logs and histories).

Token files live in a per-user folder (:func:`config_dir`) and are written
with user-only permissions (0600).
"""
from __future__ import absolute_import

import binascii
import errno
import os
import sys

#: The environment variable holding a token (read by the server, the client and the launcher).
TOKEN_ENV = "COMPAS_CLOUD_TOKEN"

#: The environment variable that moves the per-user folder (tests, portable installs).
CONFIG_DIR_ENV = "COMPAS_CLOUD_CONFIG_DIR"

#: Prefix of the websocket subprotocol that carries a token (for browsers).
SUBPROTOCOL_PREFIX = "compas_cloud.token."

#: The URL query parameter that carries a token.
QUERY_PARAMETER = "token"


def config_dir():
    """Return the per-user folder of compas_cloud (not created).

    ``$COMPAS_CLOUD_CONFIG_DIR`` if set; else ``%APPDATA%\\compas_cloud`` on
    Windows, ``~/Library/Application Support/compas_cloud`` on macOS and
    ``$XDG_CONFIG_HOME/compas_cloud`` (``~/.config/compas_cloud``) elsewhere.
    """
    explicit = os.environ.get(CONFIG_DIR_ENV)
    if explicit:
        return explicit
    if os.name == "nt" or (sys.platform == "cli" and os.environ.get("APPDATA")):
        base = os.environ.get("APPDATA") or os.path.expanduser("~")
    elif sys.platform == "darwin":
        base = os.path.join(os.path.expanduser("~"), "Library", "Application Support")
    else:
        base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "compas_cloud")


def default_token_file():
    """Return the token file a server uses with ``--token-file`` and no path."""
    return os.path.join(config_dir(), "token")


def launched_token_file(port):
    """Return the file where a client keeps the token of the server it launched on ``port``."""
    return os.path.join(config_dir(), "launched-{0}.token".format(int(port)))


def new_token():
    """Return a new random token (192 bits, hexadecimal)."""
    return binascii.hexlify(os.urandom(24)).decode("ascii")


def read_token(path):
    """Return the token stored in ``path``, or None if the file does not exist or is empty."""
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8").strip()
    except (IOError, OSError) as error:
        if getattr(error, "errno", None) == errno.ENOENT:
            return None
        raise
    return text or None


def _makedirs_private(folder):
    if folder and not os.path.isdir(folder):
        try:
            os.makedirs(folder, 0o700)
        except OSError:
            if not os.path.isdir(folder):
                raise


def write_token(path, token, exclusive=False):
    """Write ``token`` to ``path``, readable and writable by the user only (0600).

    The file is created with mode 0600 (never briefly world-readable); an
    existing file gets its mode reset to 0600 before it is written.

    Parameters
    ----------
    exclusive : bool, optional
        Fail with ``OSError(EEXIST)`` if the file exists (two starts racing).
    """
    _makedirs_private(os.path.dirname(path))
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0)
    flags |= os.O_EXCL if exclusive else os.O_TRUNC
    fd = os.open(path, flags, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        os.write(fd, (token + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def load_or_create_token(path):
    """Return the token in ``path``, creating the file with a new token if it does not exist.

    Returns
    -------
    tuple
        ``(token, created)``.
    """
    token = read_token(path)
    if token:
        return token, False
    token = new_token()
    try:
        write_token(path, token, exclusive=True)
    except OSError as error:
        if error.errno != errno.EEXIST:
            raise
        existing = read_token(path)  # another process created it at the same moment
        if existing:
            return existing, False
        write_token(path, token)
    return token, True


def auth_headers(token):
    """Return the handshake headers that present ``token`` (empty if there is none)."""
    if not token:
        return {}
    return {"Authorization": "Bearer " + token}


def find_client_token(port=None):
    """Return the token a client should present when none was given explicitly.

    ``$COMPAS_CLOUD_TOKEN``; else the token of a server this user's clients
    launched on ``port`` (:func:`launched_token_file`); else the default token
    file, when it exists; else None.
    """
    token = os.environ.get(TOKEN_ENV)
    if token:
        return token.strip()
    candidates = []
    if port is not None:
        candidates.append(launched_token_file(port))
    candidates.append(default_token_file())
    for path in candidates:
        try:
            token = read_token(path)
        except (IOError, OSError):
            token = None
        if token:
            return token
    return None
