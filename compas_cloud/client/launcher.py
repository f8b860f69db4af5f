"""Starting a local server when none answers: which Python, how, and what went wrong.

The interpreter is chosen in this order:

1. the ``python`` argument of :class:`~compas_cloud.Proxy`;
2. the environment variable ``COMPAS_CLOUD_PYTHON``;
3. ``PYTHON_DIRECTORY`` of the COMPAS bootstrapper (``compas_bootstrapper.py``,
   written into Rhino by ``python -m compas_rhino.install``);
4. the running interpreter, when it is CPython >= 3.9 with ``websockets``;
5. ``python3``, then ``python``, on ``PATH`` (on Windows never the Microsoft
   Store stubs in a ``WindowsApps`` folder, which only open the Store), then
   on Windows the usual install folders (``%LOCALAPPDATA%\\Programs\\Python``,
   ``%ProgramFiles%``), newest first.

The server runs the very compas_cloud package this client was imported
from, so both speak the same protocol. It does not inherit the host's
``PYTHONPATH``, ``PYTHONHOME`` or user site (Rhino and pyRevit set these for
their own Python). Its output goes to a log file of its own in the per-user
folder ``logs`` (0700; files 0600, created without following symlinks, one
per launch so two clients launching at once never share one); the last lines
are shown if it fails to start.

A launched server requires a token. It reaches the server through the
child's environment (``COMPAS_CLOUD_TOKEN``): never on a command line, and
private whatever the client runtime (IronPython on Mono cannot set file
modes with ``os.open``). Other clients of the same user find it in
``launched-<port>.token`` (per-user folder, 0600,
:func:`compas_cloud.auth.find_client_token`), written when the file can be
made private.
"""
from __future__ import absolute_import

import os
import socket
import subprocess
import sys
import time

from compas_cloud import auth
from compas_cloud._compat import IPY, PY2, text_type
from compas_cloud.errors import ServerStartError
from compas_cloud.protocol import address
from compas_cloud.client.server_logs import KEEP_LOGS, create_log, default_log_path, last_reason, log_dir, tail  # noqa: F401

from compas_cloud.client.interpreter import (  # noqa: F401
    ENV_PYTHON, _bootstrapper_python, _python_in, _running_python_fits, find_python, is_store_stub, which,
    windows_install_candidates,
)


# Loads compas_cloud from an exact folder (not its siblings) and runs the server.
_BOOTSTRAP = """\
import sys
if sys.version_info < (3, 9):
    sys.stderr.write("compas_cloud server needs Python >= 3.9, not Python %s\\n" % sys.version.split()[0])
    sys.exit({wrong})
import importlib.util
spec = importlib.util.spec_from_file_location("compas_cloud", {init!r}, submodule_search_locations=[{package!r}])
module = importlib.util.module_from_spec(spec)
sys.modules["compas_cloud"] = module
spec.loader.exec_module(module)
try:
    import websockets
except ImportError as error:
    sys.stderr.write("compas_cloud server cannot start with %s: %s\\n" % (sys.executable, error))
    sys.exit({missing})
from compas_cloud.server.cli import main
sys.exit(main(sys.argv[1:]))
"""


def is_local(host):
    """Return True if ``host`` names this machine (a server may be launched for it).

    See :func:`compas_cloud.protocol.address.is_this_machine`.
    """
    return address.is_this_machine(host)


#: Exit code of the bootstrap when the interpreter lacks the server's dependencies.
MISSING_DEPENDENCIES = 3

#: Exit code of the bootstrap when the interpreter is older than Python 3.9.
WRONG_PYTHON = 4


def server_command(python, host, port, auto_stop=None, extra=None):
    """Return the command line that runs this compas_cloud package's server with ``python``."""
    package = os.path.dirname(os.path.abspath(__file__))
    package = os.path.dirname(package)  # compas_cloud/client -> compas_cloud
    code = _BOOTSTRAP.format(
        init=os.path.join(package, "__init__.py"), package=package, missing=MISSING_DEPENDENCIES, wrong=WRONG_PYTHON
    )
    command = [python, "-c", code, "--host", host, "--port", str(port)]
    if auto_stop is not None:
        command += ["--auto-stop", str(auto_stop)]
    return command + list(extra or [])


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
    #: The file sharing it with this user's other clients (None if it could not be written privately).
    token_file = None
    #: How it was launched (:class:`LaunchOptions`, set by :func:`launch`).
    options = None

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
            "the compas_cloud server did not start with {0} (chosen from {1}): {2}; its log {3} says why (last "
            "lines below)\n{4}".format(self.python, self.how_found, why, self.log_path, tail(self.log_path) or "(empty)")
        )


#: Variables a host sets for its own Python, which must not reach the server's CPython.
HOST_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONEXECUTABLE", "IRONPYTHONPATH", "IRONPYTHONSTARTUP")


def server_environment(environ=None, token=None):
    """Return the environment of a launched server: ``environ`` (default ``os.environ``) without the host's Python settings.

    ``PYTHONPATH``, ``PYTHONHOME`` (and IronPython's variables) are removed,
    the user site is switched off (``PYTHONNOUSERSITE=1``), output is
    unbuffered, and ``token`` (when given) is ``COMPAS_CLOUD_TOKEN``.
    """
    env = dict(os.environ if environ is None else environ)
    for name in HOST_VARIABLES:
        env.pop(name, None)
    env["PYTHONNOUSERSITE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    if token:
        # Native str: CPython 2.7 on Windows refuses a unicode value in a child's environment (TypeError).
        env[auth.TOKEN_ENV] = token.encode("utf-8") if PY2 and not IPY and isinstance(token, text_type) else token
    else:
        env.pop(auth.TOKEN_ENV, None)
    return env


def close_fds_allowed(windows=None, version=None):
    """Return True if ``subprocess.Popen`` may close the inherited handles of a child whose output is redirected.

    On Windows before Python 3.7 (CPython 2.7 included) ``close_fds=True`` with redirected
    standard streams raises ValueError.
    """
    windows = (os.name == "nt") if windows is None else windows
    version = tuple(sys.version_info[:2] if version is None else version[:2])
    return not windows or version >= (3, 7)


def _spawn(command, log_fd, env):
    log = os.fdopen(log_fd, "wb")
    try:
        kwargs = {"stdout": log, "stderr": subprocess.STDOUT, "close_fds": close_fds_allowed(), "env": env}
        with open(os.devnull, "rb") as devnull:
            kwargs["stdin"] = devnull
            if os.name == "nt":
                # No console window, and not killed with the host's console.
                kwargs["creationflags"] = 0x08000000 | 0x00000200  # CREATE_NO_WINDOW | CREATE_NEW_PROCESS_GROUP
            elif sys.version_info[0] >= 3:
                kwargs["start_new_session"] = True
            else:
                kwargs["preexec_fn"] = os.setsid
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
    """Return ``(token, path)``: the token a server launched on ``port`` will require, and the file sharing it.

    ``token`` (when given) is written to the file; else the file's token is
    reused, or a new one is created. ``path`` is None when the file cannot be
    written privately: the token is then known to this client only.
    """
    path = auth.launched_token_file(port)
    try:
        if token:
            if auth.read_token(path) != token:
                auth.write_token(path, token)
            return token, path
        token, _ = auth.load_or_create_token(path)
        return token, path
    except (IOError, OSError):
        try:
            if os.path.lexists(path):
                os.remove(path)  # never leave a token others could read
        except OSError:
            pass
        return token or auth.new_token(), None


class LaunchOptions(object):
    """How a server was launched, so that it can be launched again the same way.

    Parameters
    ----------
    host : str
    port : int
    python : str, optional
    auto_stop : float, optional
    timeout : float, optional
    log_path : str, optional
    extra_args : list of str, optional
        More server options (``--allow``, ``--deny``, ``--workers``, ...).
    token : str, optional
    """

    def __init__(self, host, port, python=None, auto_stop=10.0, timeout=60.0, log_path=None, extra_args=None, token=None):
        self.host = host
        self.port = int(port)
        self.python = python
        self.auto_stop = auto_stop
        self.timeout = timeout
        self.log_path = log_path
        self.extra_args = list(extra_args or [])
        self.token = token

    def launch(self):
        """Launch a server with these options (see :func:`launch`)."""
        return launch(self.host, self.port, python=self.python, auto_stop=self.auto_stop, timeout=self.timeout,
                      log_path=self.log_path, extra_args=self.extra_args, token=self.token)

    def __repr__(self):
        return "LaunchOptions(host={0!r}, port={1}, python={2!r}, auto_stop={3!r}, extra_args={4!r})".format(
            self.host, self.port, self.python, self.auto_stop, self.extra_args)


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
        Where its output goes (a new file in :func:`log_dir` by default).
    extra_args : list of str, optional
        More server options (``--allow``, ``--deny``, ``--workers``, ...).
    token : str, optional
        The token the server requires (see :func:`prepare_token`); the
        returned object's ``token`` holds the one used.

    Returns
    -------
    LaunchedServer
        Its ``options`` (:class:`LaunchOptions`) launch it again the same way.

    Raises
    ------
    ServerStartError
        The interpreter lacks the server's dependencies (the message names it
        and the command that installs them), the process exited or did not
        listen in time (the message names the interpreter and shows the end of
        the log), or the log could not be created.
    """
    path, how_found = find_python(python)
    token, token_path = prepare_token(port, token)
    log_path, log_fd = create_log(port, log_path)
    command = server_command(path, host, port, auto_stop, list(extra_args or []))
    env = server_environment(token=token)
    try:
        if IPY:
            os.close(log_fd)
            from compas_cloud.client import dotnet_process

            process = dotnet_process.spawn(command, log_path, env)
        else:
            process = _spawn(command, log_fd, env)
    except (OSError, IOError, ValueError) as error:
        raise ServerStartError("cannot run {0} (chosen from {1}): {2}".format(path, how_found, error))
    server = LaunchedServer(path, how_found, log_path, process)
    server.token = token
    server.token_file = token_path
    server.options = LaunchOptions(host, port, python=python or path, auto_stop=auto_stop, timeout=timeout,
                                   extra_args=extra_args, token=token)
    connect_host = local_address(host)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if port_open(connect_host, port):
            return server
        if not server.running():
            if port_open(connect_host, port):  # another client launched one at the same moment
                return server
            code = server.process.poll()
            if code == MISSING_DEPENDENCIES:
                raise ServerStartError(
                    "the compas_cloud server cannot run on {0} (chosen from {1}): it lacks the server's dependencies "
                    "({2}); install them there with: \"{0}\" -m pip install \"compas_cloud[server]\" (or pick another "
                    "interpreter: Proxy(python=...) or {3})".format(
                        path, how_found, last_reason(log_path, "websockets is missing").rpartition(": ")[2], ENV_PYTHON))
            if code == WRONG_PYTHON:
                raise ServerStartError(
                    "the compas_cloud server cannot run on {0} (chosen from {1}): it {2}; pass a CPython >= 3.9 with "
                    "Proxy(python=...) or the environment variable {3}".format(
                        path, how_found, last_reason(log_path, "needs Python >= 3.9"), ENV_PYTHON))
            raise server.failure("it exited with code {0}".format(code))
        time.sleep(0.05)
    raise server.failure("it did not listen at {0}:{1} within {2:g} s".format(host, port, timeout))


def local_server(host, port, **options):
    """Return the :class:`~compas_cloud.client.local_server.LocalServer` for ``host:port`` (nothing is started yet).

    ``options`` are those of :class:`~compas_cloud.client.local_server.LocalServer`
    (``python``, ``autolaunch``, ``auto_stop``, ``launch_timeout``, ``token``,
    ``server_options``, ``scheme``); its ``connect_or_launch`` launches a server
    with :func:`launch` when none answers.
    """
    from compas_cloud.client.local_server import LocalServer

    return LocalServer(host, port, **options)
