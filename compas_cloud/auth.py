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


def _chmod_dotnet(path, mode):
    # IronPython: Mono.Posix on Mono (Rhino 7 for Mac), File.SetUnixFileMode on .NET 7+ (Rhino 8).
    try:
        import clr
    except ImportError:
        return False
    try:
        clr.AddReference("Mono.Posix")
        from Mono.Unix.Native import FilePermissions, Syscall

        if Syscall.chmod(path, FilePermissions(mode)) == 0:
            return True
    except Exception:
        pass
    try:
        from System.IO import File, UnixFileMode

        File.SetUnixFileMode(path, UnixFileMode(mode))
        return True
    except Exception:
        return False


def _chmod_command(path, mode):
    command = ["chmod", "{0:o}".format(mode), path]
    try:
        import subprocess

        with open(os.devnull, "wb") as devnull:
            return subprocess.call(command, stdout=devnull, stderr=devnull) == 0
    except Exception:
        pass
    try:  # IronPython on Mono: subprocess is incomplete there
        import clr  # noqa: F401
        from System.Diagnostics import Process, ProcessStartInfo

        info = ProcessStartInfo(command[0], " ".join('"{0}"'.format(part.replace('"', '\\"')) for part in command[1:]))
        info.UseShellExecute = False
        info.CreateNoWindow = True
        process = Process.Start(info)
        if not process.WaitForExit(10000):
            process.Kill()
            return False
        return process.ExitCode == 0
    except Exception:
        return False


def make_private(path, mode):
    """Give ``path`` the permission bits ``mode`` (0600 for files, 0700 for folders); return True if that worked.

    On Windows files in the user's profile are private already: True. Where
    ``os.fchmod`` exists (CPython) ``os.chmod`` does it. IronPython on
    Mono/.NET ignores the mode of ``os.open``/``os.makedirs``, has no
    ``os.fchmod`` and an ``os.chmod`` that only toggles read-only: there the
    mode is set through .NET (Mono.Posix, ``File.SetUnixFileMode``), else by
    running ``chmod``.
    """
    if os.name == "nt":
        return True
    if hasattr(os, "fchmod"):
        os.chmod(path, mode)
        return True
    return _chmod_dotnet(path, mode) or _chmod_command(path, mode)


def makedirs_private(folder):
    """Create ``folder`` (and its parents) for the user only (0700); an existing folder is kept as it is.

    Raises
    ------
    OSError
        The folder cannot be created, or (IronPython on posix) cannot be made private.
    """
    if not folder or os.path.isdir(folder):
        return
    try:
        os.makedirs(folder, 0o700)
    except OSError:
        if not os.path.isdir(folder):
            raise
        return
    if not hasattr(os, "fchmod") and not make_private(folder, 0o700):
        raise OSError(errno.EACCES, "cannot make the folder private (mode 0700)", folder)


_makedirs_private = makedirs_private


def open_private(path, flags):
    """``os.open(path, flags | O_CREAT, 0o600)`` that also holds where the mode is ignored (IronPython).

    Symlinks are not followed where the system can refuse them (``O_NOFOLLOW``).

    Returns
    -------
    int
        The file descriptor.

    Raises
    ------
    OSError
        Also when the file cannot be made private; it is removed then.
    """
    flags |= os.O_CREAT | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        elif not make_private(path, 0o600):
            raise OSError(errno.EACCES, "cannot make the file private (mode 0600)", path)
    except Exception:
        os.close(fd)
        if flags & os.O_EXCL:
            try:
                os.remove(path)
            except OSError:
                pass
        raise
    return fd


def write_token(path, token, exclusive=False):
    """Write ``token`` to ``path``, readable and writable by the user only (0600).

    The file is created with mode 0600 and made private before the token is
    written (never readable by others with the token in it), also on
    IronPython, whose ``os.open`` ignores the mode (see :func:`make_private`).

    Parameters
    ----------
    exclusive : bool, optional
        Fail with ``OSError(EEXIST)`` if the file exists (two starts racing).

    Raises
    ------
    OSError
        The file cannot be written or made private.
    """
    makedirs_private(os.path.dirname(path))
    flags = os.O_WRONLY | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = open_private(path, flags)
    try:
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
    return find_client_token_and_source(port)[0]


def find_client_token_and_source(port=None):
    """Return ``(token, where it came from)`` as :func:`find_client_token` finds it; ``(None, None)`` if none."""
    token = os.environ.get(TOKEN_ENV)
    if token:
        return token.strip(), "the environment variable " + TOKEN_ENV
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
            return token, "the token file " + path
    return None, None
