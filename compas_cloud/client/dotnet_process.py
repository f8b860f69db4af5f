"""Starting the CPython server from a .NET host (IronPython in Rhino, pyRevit, Dynamo).

IronPython's ``subprocess`` is incomplete, so the server is started with
``System.Diagnostics.Process``: no console window, no pipes (the host never
blocks on the server's output, and the server outlives the host's pipes),
output written to a log file.

Quoting a command line the same way for Windows and Mono is fragile, and the
launcher's command carries a multi-line ``-c`` program. So the program is
written to a small script next to the log, which first sends its own
standard output and error to the log file; the command line left holds
only the interpreter, that script and plain options.
"""
from __future__ import absolute_import

import os

from compas_cloud import auth
from compas_cloud._compat import text_type

_REDIRECT = u"""\
# -*- coding: utf-8 -*-
# Written by compas_cloud to start a server; safe to delete.
import os, sys
_log = os.open({log!r}, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
os.dup2(_log, 1)
os.dup2(_log, 2)
os.close(_log)
sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
sys.stderr = os.fdopen(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
_code = {code!r}
exec(compile(_code, "<compas_cloud launcher>", "exec"), {{"__name__": "__main__"}})
"""


def _text(value):
    if isinstance(value, text_type):
        return value
    return value.decode("utf-8")


def quote(argument):
    """Quote one argument for a Windows command line (and Mono's parser, for simple arguments).

    Parameters
    ----------
    argument : str

    Returns
    -------
    str
    """
    if argument and not any(char in argument for char in ' \t\n\v"'):
        return argument
    quoted = []
    backslashes = 0
    for char in argument:
        if char == "\\":
            backslashes += 1
            continue
        if char == '"':
            quoted.append("\\" * (backslashes * 2 + 1) + '"')
        else:
            quoted.append("\\" * backslashes + char)
        backslashes = 0
    quoted.append("\\" * (backslashes * 2))
    return '"' + "".join(quoted) + '"'


def script_command(command, log_path):
    """Turn ``[python, "-c", code, *options]`` into ``[python, script, *options]``.

    The script is written next to ``log_path``; it redirects the server's
    output to ``log_path`` and runs ``code``.

    Returns
    -------
    list of str
    """
    command = [_text(part) for part in command]
    if len(command) >= 3 and command[1] == "-c":
        code, options = command[2], command[3:]
    else:
        raise ValueError("expected [python, '-c', code, ...], got {0!r}".format(command[:2]))
    script = os.path.splitext(log_path)[0] + "-launch.py"
    # repr of str on Python 3 and of unicode on IronPython are both valid Python 3 literals.
    text = _REDIRECT.format(log=os.path.abspath(log_path), code=code)
    # Private (0600) and never through a symlink: the log's folder may be one other users can write to.
    fd = auth.open_private(script, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "wb") as handle:
        handle.write(text.encode("utf-8"))
    return [command[0], script] + options


class DotNetProcess(object):
    """A ``System.Diagnostics.Process`` with the parts of ``subprocess.Popen`` the launcher uses.

    Attributes
    ----------
    pid : int
    """

    def __init__(self, process):
        self._process = process
        self.pid = process.Id
        self.returncode = None

    def poll(self):
        """Return the exit code, or None while the process runs."""
        if self.returncode is None:
            self._process.Refresh()
            if self._process.HasExited:
                self._process.WaitForExit()  # lets the exit code settle
                self.returncode = self._process.ExitCode
        return self.returncode

    def wait(self, timeout=None):
        """Wait for the process to end (up to ``timeout`` seconds); return its exit code or None."""
        if timeout is None:
            self._process.WaitForExit()
        else:
            self._process.WaitForExit(int(max(0.0, timeout) * 1000))
        return self.poll()

    def kill(self):
        """End the process at once (no error if it already ended)."""
        if self.poll() is None:
            try:
                self._process.Kill()
            except Exception:  # it ended in between
                pass

    terminate = kill


def spawn(command, log_path, env=None):
    """Start ``command`` (a launcher command line) in the background.

    Parameters
    ----------
    command : list of str
        ``[python, "-c", code, *options]`` as built by
        :func:`compas_cloud.client.launcher.server_command`.
    log_path : str
        The file that receives the server's output (it exists already: the
        launcher created it privately).
    env : dict, optional
        The server's whole environment (see
        :func:`compas_cloud.client.launcher.server_environment`); by default
        the host's, without its Python settings.

    Returns
    -------
    DotNetProcess

    Raises
    ------
    OSError
        The interpreter could not be started (the message says why).
    """
    import clr  # noqa: F401
    from System.Diagnostics import Process, ProcessStartInfo

    parts = script_command(command, log_path)
    info = ProcessStartInfo()
    info.FileName = parts[0]
    info.Arguments = " ".join(quote(part) for part in parts[1:])
    info.UseShellExecute = False
    info.CreateNoWindow = True
    info.RedirectStandardInput = False
    info.RedirectStandardOutput = False
    info.RedirectStandardError = False
    info.WorkingDirectory = os.path.dirname(os.path.abspath(log_path))
    if env is None:
        from compas_cloud.client.launcher import server_environment

        env = server_environment()
    variables = info.EnvironmentVariables
    for name in list(variables.Keys):
        if name not in env:  # the host's Python settings must not leak into CPython
            variables.Remove(name)
    for name, value in env.items():
        variables[name] = value
    try:
        process = Process.Start(info)
    except Exception as error:
        raise OSError("cannot start {0}: {1}".format(parts[0], getattr(error, "Message", error)))
    if process is None:
        raise OSError("cannot start {0}".format(parts[0]))
    return DotNetProcess(process)
