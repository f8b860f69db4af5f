"""What the commands of the compas_cloud RhinoPython plugin do (IronPython 2.7 safe).

The plugin's ``*_cmd.py`` files only call these functions. Rhino keeps one
proxy in ``scriptcontext.sticky`` (its own: Grasshopper documents keep theirs,
see :mod:`compas_cloud.ghpython.proxies`); its address is
127.0.0.1:9009 unless :func:`configure` (or the environment variables
``COMPAS_CLOUD_HOST`` / ``COMPAS_CLOUD_PORT``) says otherwise. Every function
prints what it did to Rhino's command line and returns a Rhino command
result code: 0 (success) or 3 (failure).
"""
from __future__ import absolute_import

import os
import sys

from compas_cloud.errors import CloudError
from compas_cloud.protocol import address
from compas_cloud.ghpython.host import sticky
from compas_cloud.ghpython.proxies import ensure_open

SUCCESS = 0
FAILURE = 3

_PROXY = "compas_cloud.rhino.proxy"
_SETTINGS = "compas_cloud.rhino.settings"


def _say(text):
    sys.stdout.write(text + "\n")


def settings():
    """Return ``{"host", "port", "python"}`` the commands use."""
    found = {
        "host": os.environ.get("COMPAS_CLOUD_HOST", address.DEFAULT_HOST),
        "port": int(os.environ.get("COMPAS_CLOUD_PORT", address.DEFAULT_PORT)),
        "python": None,
    }
    found.update(sticky().get(_SETTINGS) or {})
    return found


def configure(host=None, port=None, python=None):
    """Set the server address (and interpreter) the commands use; closes a proxy for another address."""
    new = settings()
    for key, value in (("host", host), ("port", port), ("python", python)):
        if value is not None:
            new[key] = int(value) if key == "port" else value
    sticky()[_SETTINGS] = new
    proxy = sticky().get(_PROXY)
    if proxy is not None and (proxy.host, proxy.port) != (new["host"], new["port"]):
        proxy.close()
        del sticky()[_PROXY]
    return new


def _proxy(autolaunch):
    from compas_cloud.client.proxy import Proxy

    proxy = sticky().get(_PROXY)
    if proxy is not None:
        return ensure_open(proxy)
    found = settings()
    # A server started from Rhino stays up until CloudStop (no auto-stop).
    proxy = Proxy(
        host=found["host"], port=found["port"], python=found["python"], autolaunch=autolaunch, auto_stop=None, verbose=False
    )
    sticky()[_PROXY] = proxy
    return proxy


def _failed(what, error):
    _say("compas_cloud: {0} failed: {1}".format(what, error))
    return FAILURE


def start():
    """Connect to the server, launching one when none answers (CloudStart)."""
    try:
        proxy = _proxy(autolaunch=True)
    except CloudError as error:
        return _failed("starting the server", error)
    if proxy.launched is not None:
        _say("compas_cloud: started a server at {0} (log: {1})".format(proxy.address, proxy.launched.log_path))
    else:
        _say("compas_cloud: connected to the server at {0}".format(proxy.address))
    return SUCCESS


def stop():
    """Shut the server down (CloudStop)."""
    try:
        proxy = _proxy(autolaunch=False)
        address = proxy.address
        proxy.shutdown()
    except CloudError as error:
        sticky().pop(_PROXY, None)
        return _failed("stopping the server", error)
    sticky().pop(_PROXY, None)
    _say("compas_cloud: stopped the server at {0}".format(address))
    return SUCCESS


def restart():
    """Stop the server and start a new local one (CloudRestart); stored values are lost."""
    try:
        proxy = _proxy(autolaunch=True)
        proxy.restart()
    except CloudError as error:
        sticky().pop(_PROXY, None)
        return _failed("restarting the server", error)
    _say("compas_cloud: restarted the server at {0} (log: {1})".format(proxy.address, proxy.launched.log_path))
    return SUCCESS


def _megabytes(count):
    return "{0:.1f} MB".format(count / (1024.0 * 1024.0))


def status():
    """Print the server's address, version, clients and the memory of its stored values (CloudStatus)."""
    try:
        proxy = _proxy(autolaunch=False)
        found = proxy.status()
    except CloudError as error:
        sticky().pop(_PROXY, None)
        return _failed("asking the server for its status", error)
    _say("compas_cloud server at {0}".format(found.get("address", proxy.address)))
    _say("  dashboard: {0}".format(proxy.dashboard_url))
    _say("  version: {0}".format(found.get("version")))
    _say("  pid: {0}".format(found.get("pid")))
    _say("  connected clients: {0}".format(found.get("clients")))
    _say("  stored references: {0} ({1})".format(found.get("references"), _megabytes(found.get("reference_bytes") or 0)))
    _say("  calls: {0}, messages: {1}".format(found.get("calls"), found.get("messages")))
    return SUCCESS


def log_path():
    """Return the log file of the server: the one this Rhino launched, else the newest one for the port (or None)."""
    from compas_cloud.client import launcher

    proxy = sticky().get(_PROXY)
    if proxy is not None and proxy.launched is not None:
        return proxy.launched.log_path
    return launcher.default_log_path(settings()["port"])


def show_log(open_viewer=True):
    """Print the end of the server log and open it in the system's viewer (CloudLog)."""
    from compas_cloud.client import launcher

    path = log_path()
    if not path or not os.path.isfile(path):
        _say("compas_cloud: no server log {0}(the server was not started from this machine's Rhino)".format(
            "at {0} ".format(path) if path else "for port {0} in {1} ".format(settings()["port"], launcher.log_dir())))
        return FAILURE
    _say("compas_cloud server log: {0}".format(path))
    _say(launcher.tail(path, 20))
    if open_viewer:
        _open(path)
    return SUCCESS


def _open(path):
    try:
        import System

        # UseShellExecute: .NET Core (Rhino 8) does not open documents without it.
        info = System.Diagnostics.ProcessStartInfo(path)
        info.UseShellExecute = True
        System.Diagnostics.Process.Start(info)
        return
    except Exception:  # no .NET, or no program for .log files: try the platform's own way
        pass
    if hasattr(os, "startfile"):
        os.startfile(path)
        return
    import subprocess

    subprocess.Popen(["open" if sys.platform == "darwin" else "xdg-open", path])
