"""The log files of servers launched by this client: one per launch, private, the newest ten per port.

Python 2.7 and IronPython safe. :mod:`compas_cloud.client.launcher` creates
them (:func:`create_log`) and shows their last lines when a server fails to
start (:func:`tail`).
"""
from __future__ import absolute_import

import errno
import glob
import os
import random
import time

from compas_cloud import auth
from compas_cloud.errors import ServerStartError

__all__ = ["KEEP_LOGS", "log_dir", "default_log_path", "create_log", "tail", "last_reason"]


#: Logs kept per port (older ones are removed when a server is launched).
KEEP_LOGS = 10


def log_dir():
    """Return the folder of launched servers' logs: ``logs`` in the per-user folder (not created)."""
    return os.path.join(auth.config_dir(), "logs")


def default_log_path(port):
    """Return the newest log of a server launched for ``port``, or None if there is none."""
    logs = sorted(glob.glob(os.path.join(log_dir(), "server-{0}-*.log".format(int(port)))))
    return logs[-1] if logs else None


def _prune_logs(port):
    logs = sorted(glob.glob(os.path.join(log_dir(), "server-{0}-*.log".format(int(port)))))
    for old in logs[:-KEEP_LOGS]:
        for path in (old, os.path.splitext(old)[0] + "-launch.py"):
            try:
                os.remove(path)
            except OSError:
                pass


def create_log(port, log_path=None):
    """Create the log file of a server about to be launched; return ``(path, fd)``.

    By default a new file ``server-<port>-<time>-<pid>-<n>.log`` in
    :func:`log_dir` (0700): names sort by time, and two clients launching at
    once get a file each. The file is created 0600 without following a
    symlink (an existing name is never reused).

    Raises
    ------
    ServerStartError
        The folder or the file cannot be created privately.
    """
    try:
        if log_path:
            auth.makedirs_private(os.path.dirname(os.path.abspath(log_path)))
            return log_path, auth.open_private(log_path, os.O_WRONLY | os.O_TRUNC)
        folder = log_dir()
        auth.makedirs_private(folder)
        _check_private_folder(folder)
        _prune_logs(port)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for attempt in range(20):
            name = "server-{0}-{1}-{2}-{3:04d}.log".format(int(port), stamp, os.getpid(), random.randint(0, 9999))
            path = os.path.join(folder, name)
            try:
                return path, auth.open_private(path, os.O_WRONLY | os.O_EXCL)
            except OSError as error:
                if error.errno != errno.EEXIST:
                    raise
        raise OSError(errno.EEXIST, "no free log file name", folder)
    except (IOError, OSError) as error:
        raise ServerStartError("cannot create the log file of a server on port {0}: {1}".format(port, error))


def _check_private_folder(folder):
    if not hasattr(os, "fchmod") or os.name == "nt":
        return  # IronPython's os.stat reports 0666 whatever the mode: trust make_private there
    info = os.lstat(folder)
    import stat

    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise OSError(errno.ELOOP, "not a folder (a symlink?)", folder)
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise OSError(errno.EPERM, "the folder belongs to another user", folder)
    if info.st_mode & 0o077:
        os.chmod(folder, 0o700)


def tail(path, lines=20):
    """Return the last ``lines`` lines of a text file (empty if it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 16384))
            data = handle.read()
    except (IOError, OSError):
        return ""
    text = data.decode("utf-8", "replace")
    return "\n".join(text.splitlines()[-lines:])


def last_reason(log_path, default):
    """The last line of a launched server's log, as a clause of a one-line message."""
    line = tail(log_path, 1).strip()
    if line.startswith("compas_cloud server "):
        line = line[len("compas_cloud server "):]
    return line.rstrip(".") or default
