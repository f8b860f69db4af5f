"""Starting a local server when none answers: which Python, how, and what went wrong.

The interpreter is chosen in this order:

1. the ``python`` argument of :class:`~compas_cloud.Proxy`;
2. the environment variable ``COMPAS_CLOUD_PYTHON``;
3. ``PYTHON_DIRECTORY`` of the COMPAS bootstrapper (``compas_bootstrapper.py``,
   written into Rhino by ``python -m compas_rhino.install``);
4. the running interpreter, when it is CPython >= 3.9 with ``websockets``;
5. ``python3``, then ``python``, on ``PATH``.

The server runs the very compas_cloud package this client was imported
from, so both speak the same protocol; its output goes to a log file whose
last lines are shown if it fails to start.

A launched server requires a token. The launcher keeps it in a file that only
the user can read (``launched-<port>.token`` in the per-user folder of
:func:`compas_cloud.auth.config_dir`, mode 0600), created on the first launch
for that port, and starts the server with ``--token-file <that file>``: the
token never appears on a command line, and other clients of the same user
find it there (:func:`compas_cloud.auth.find_client_token`).
"""
from __future__ import absolute_import

import os
import socket
import subprocess
import sys
import tempfile
import time

from compas_cloud import auth
from compas_cloud._compat import CPYTHON, IPY
from compas_cloud.errors import ServerStartError
from compas_cloud.protocol import address

ENV_PYTHON = "COMPAS_CLOUD_PYTHON"


# Loads compas_cloud from an exact folder (not its siblings) and runs the server.
_BOOTSTRAP = """\
import sys
if sys.version_info < (3, 9):
    sys.exit("compas_cloud server needs Python >= 3.9; %s is Python %s" % (sys.executable, sys.version.split()[0]))
import importlib.util
spec = importlib.util.spec_from_file_location("compas_cloud", {init!r}, submodule_search_locations=[{package!r}])
module = importlib.util.module_from_spec(spec)
sys.modules["compas_cloud"] = module
spec.loader.exec_module(module)
try:
    import websockets
except ImportError as error:
    sys.exit("compas_cloud server cannot start with %s: %s. Install its dependencies there: %s -m pip install compas_cloud"
             % (sys.executable, error, sys.executable))
from compas_cloud.server.cli import main
sys.exit(main(sys.argv[1:]))
"""


def is_local(host):
    """Return True if ``host`` names this machine (a server may be launched for it).

    See :func:`compas_cloud.protocol.address.is_this_machine`.
    """
    return address.is_this_machine(host)


def _which(name):
    extensions = [""]
    if os.name == "nt":
        extensions = os.environ.get("PATHEXT", ".EXE").lower().split(os.pathsep)
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        for extension in extensions:
            candidate = os.path.join(folder.strip('"'), name + extension)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return None


def _python_in(directory):
    for relative in ("python.exe", os.path.join("bin", "python3"), os.path.join("bin", "python"), "python3", "python"):
        candidate = os.path.join(directory, relative)
        if os.path.isfile(candidate):
            return candidate
    return None


def _bootstrapper_python():
    try:
        import compas_bootstrapper
    except Exception:
        return None
    directory = getattr(compas_bootstrapper, "PYTHON_DIRECTORY", None)
    if directory:
        return _python_in(directory)
    return None


def _running_python_fits():
    if not CPYTHON or sys.version_info < (3, 9) or not sys.executable:
        return False
    import importlib.util

    return importlib.util.find_spec("websockets") is not None


def find_python(explicit=None):
    """Return ``(path, how_found)`` of the interpreter to run the server with.

    Parameters
    ----------
    explicit : str, optional
        An interpreter, or a folder holding one (a conda environment, say).

    Raises
    ------
    ServerStartError
        No candidate exists; the message lists what was tried.
    """
    tried = []
    if explicit:
        path = _python_in(explicit) if os.path.isdir(explicit) else explicit
        if path and (os.path.isfile(path) or _which(path)):
            return (path if os.path.isfile(path) else _which(path)), "the python argument"
        raise ServerStartError("the python argument {0!r} is not an interpreter".format(explicit))
    env = os.environ.get(ENV_PYTHON)
    if env:
        path = _python_in(env) if os.path.isdir(env) else env
        if path and os.path.isfile(path):
            return path, "the environment variable " + ENV_PYTHON
        tried.append("{0}={1!r} (not an interpreter)".format(ENV_PYTHON, env))
    path = _bootstrapper_python()
    if path:
        return path, "compas_bootstrapper.PYTHON_DIRECTORY"
    tried.append("compas_bootstrapper (not found)")
    if _running_python_fits():
        return sys.executable, "the running interpreter"
    for name in ("python3", "python"):
        path = _which(name)
        if path:
            return path, "PATH ({0})".format(name)
    tried.append("python3 and python on PATH (not found)")
    raise ServerStartError(
        "no CPython interpreter found to launch a compas_cloud server; tried: {0}. "
        "Pass Proxy(python=...) or set {1}".format("; ".join(tried), ENV_PYTHON)
    )


def default_log_path(port):
    """Return the log file of a server launched for ``port``."""
    folder = os.path.join(tempfile.gettempdir(), "compas_cloud-logs")  # not "compas_cloud": that would shadow the package for scripts run from the temp folder
    if not os.path.isdir(folder):
        os.makedirs(folder)
    return os.path.join(folder, "server-{0}.log".format(port))


def server_command(python, host, port, auto_stop=None, extra=None):
    """Return the command line that runs this compas_cloud package's server with ``python``."""
    package = os.path.dirname(os.path.abspath(__file__))
    package = os.path.dirname(package)  # compas_cloud/client -> compas_cloud
    code = _BOOTSTRAP.format(init=os.path.join(package, "__init__.py"), package=package)
    command = [python, "-c", code, "--host", host, "--port", str(port)]
    if auto_stop is not None:
        command += ["--auto-stop", str(auto_stop)]
    return command + list(extra or [])


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


class LaunchedServer(object):
    """A server process started by this client.

    Attributes
    ----------
    python : str
        The interpreter it runs on.
    how_found : str
        Why that interpreter was chosen.
    log_path : str
        Where its output goes.
    process : subprocess.Popen
    """

    #: The token the server requires (set by :func:`launch`).
    token = None

    def __init__(self, python, how_found, log_path, process):
        self.python = python
        self.how_found = how_found
        self.log_path = log_path
        self.process = process

    @property
    def pid(self):
        return self.process.pid

    def running(self):
        return self.process.poll() is None

    def wait(self, timeout):
        """Wait up to ``timeout`` seconds for the process to end; return True if it did."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                return True
            time.sleep(0.05)
        return self.process.poll() is not None

    def failure(self, why):
        return ServerStartError(
            "the compas_cloud server did not start with {0} (chosen from {1}): {2}.\n"
            "Last lines of its log {3}:\n{4}".format(self.python, self.how_found, why, self.log_path, tail(self.log_path) or "(empty)")
        )


def _spawn(command, log_path):
    log = open(log_path, "wb")
    try:
        kwargs = {"stdout": log, "stderr": subprocess.STDOUT, "close_fds": True}
        with open(os.devnull, "rb") as devnull:
            kwargs["stdin"] = devnull
            if os.name == "nt":
                # No console window, and not killed with the host's console.
                kwargs["creationflags"] = 0x08000000 | 0x00000200  # CREATE_NO_WINDOW | CREATE_NEW_PROCESS_GROUP
            elif sys.version_info[0] >= 3:
                kwargs["start_new_session"] = True
            else:
                kwargs["preexec_fn"] = os.setsid
            env = dict(os.environ)
            env["PYTHONUNBUFFERED"] = "1"
            env.pop("PYTHONHOME", None)  # a host's PYTHONHOME (IronPython, Rhino) must not leak into CPython
            kwargs["env"] = env
            return subprocess.Popen(command, **kwargs)
    finally:
        log.close()


def local_address(host):
    """Return the address to connect to for a server bound to ``host`` on this machine."""
    return address.connect_host(host)


def wait_until_closed(host, port, timeout=10.0):
    """Wait up to ``timeout`` seconds for nothing to listen at host:port; return True if nothing does."""
    deadline = time.time() + timeout
    while port_open(local_address(host), port):
        if time.time() > deadline:
            return False
        time.sleep(0.1)
    return True


def port_open(host, port, timeout=0.2):
    """Return True if something accepts TCP connections at host:port."""
    try:
        sock = socket.create_connection((host, port), timeout)
    except (socket.error, OSError):
        return False
    sock.close()
    return True


def prepare_token(port, token=None):
    """Return ``(token, path)``: the token a server launched on ``port`` will require, and its 0600 file.

    ``token`` (when given) is written to the file; else the file's token is
    reused, or a new one is created.
    """
    path = auth.launched_token_file(port)
    if token:
        if auth.read_token(path) != token:
            auth.write_token(path, token)
        return token, path
    token, _ = auth.load_or_create_token(path)
    return token, path


def launch(host, port, python=None, auto_stop=10.0, timeout=60.0, log_path=None, extra_args=None, token=None):
    """Start a server for ``host:port`` in the background and wait until it listens.

    Parameters
    ----------
    host : str
        A local address.
    port : int
        The port the server binds.
    python : str, optional
        The interpreter (see :func:`find_python` for the default choice).
    auto_stop : float, optional
        The server stops once no client has been connected for this many seconds.
    timeout : float, optional
        Seconds to wait for the server to listen.
    log_path : str, optional
        Where its output goes (a file in the temp folder by default).
    token : str, optional
        The token the server requires (see :func:`prepare_token`); the
        returned object's ``token`` holds the one used.

    Returns
    -------
    LaunchedServer

    Raises
    ------
    ServerStartError
        The process exited or did not listen in time; the message names the
        interpreter and shows the end of the log.
    """
    path, how_found = find_python(python)
    log_path = log_path or default_log_path(port)
    try:
        token, token_path = prepare_token(port, token)
    except (IOError, OSError) as error:
        raise ServerStartError("cannot write the token file for a server on port {0}: {1}".format(port, error))
    command = server_command(path, host, port, auto_stop, ["--token-file", token_path] + list(extra_args or []))
    try:
        if IPY:
            from compas_cloud.client import dotnet_process

            process = dotnet_process.spawn(command, log_path)
        else:
            process = _spawn(command, log_path)
    except (OSError, IOError) as error:
        raise ServerStartError("cannot run {0} (chosen from {1}): {2}".format(path, how_found, error))
    server = LaunchedServer(path, how_found, log_path, process)
    server.token = token
    connect_host = local_address(host)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if port_open(connect_host, port):
            return server
        if not server.running():
            if port_open(connect_host, port):  # another client launched one at the same moment
                return server
            raise server.failure("it exited with code {0}".format(server.process.poll()))
        time.sleep(0.05)
    raise server.failure("it did not listen at {0}:{1} within {2:g} s".format(host, port, timeout))
