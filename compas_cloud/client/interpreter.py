"""Which CPython a launched server runs on: the search :mod:`compas_cloud.client.launcher` describes.

:func:`find_python` tries, in order, the ``python`` argument, ``COMPAS_CLOUD_PYTHON``, the COMPAS
bootstrapper, the running interpreter, ``PATH`` (never the Microsoft Store stubs) and, on Windows, the
usual install folders.
"""
from __future__ import absolute_import

import glob
import os
import sys

from compas_cloud._compat import CPYTHON
from compas_cloud.errors import ServerStartError

ENV_PYTHON = "COMPAS_CLOUD_PYTHON"


def is_store_stub(path):
    """Return True for the Microsoft Store ``python``/``python3`` stubs (a ``WindowsApps`` folder): they exit 9009."""
    parts = path.replace("\\", "/").lower().split("/")
    return "windowsapps" in parts


def which(name, path=None, windows=None):
    """Return the first executable ``name`` on ``path`` (default ``$PATH``), or None.

    On Windows (``windows``, default: this system) ``PATHEXT`` extensions are
    tried and ``WindowsApps`` folders are skipped (see :func:`is_store_stub`).
    """
    windows = (os.name == "nt") if windows is None else windows
    path = os.environ.get("PATH", "") if path is None else path
    extensions = [""]
    if windows:
        extensions = os.environ.get("PATHEXT", ".COM;.EXE;.BAT;.CMD").lower().split(";")
    separator = ";" if windows else os.pathsep
    for folder in path.split(separator):
        folder = folder.strip().strip('"')
        if not folder or (windows and is_store_stub(folder)):
            continue
        for extension in extensions:
            candidate = os.path.join(folder, name + extension)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return None


_which = which


def _version_key(folder):
    digits = "".join(char if char.isdigit() else " " for char in os.path.basename(folder)).split()
    return [int(part) for part in digits]


def windows_install_candidates(environ=None):
    """Return the ``python.exe`` of the usual Windows install folders, newest version first."""
    environ = os.environ if environ is None else environ
    roots = []
    if environ.get("LOCALAPPDATA"):
        roots.append(os.path.join(environ["LOCALAPPDATA"], "Programs", "Python"))
    for name in ("ProgramFiles", "ProgramW6432"):
        if environ.get(name):
            roots.append(environ[name])
    found = []
    for root in roots:
        folders = sorted(glob.glob(os.path.join(root, "Python3*")), key=_version_key, reverse=True)
        for folder in folders:
            candidate = os.path.join(folder, "python.exe")
            if os.path.isfile(candidate) and candidate not in found:
                found.append(candidate)
    return found


def _python_in(directory):
    # A conda environment or an install folder (python.exe), a venv on Windows (Scripts), elsewhere (bin).
    for relative in ("python.exe", os.path.join("Scripts", "python.exe"), os.path.join("bin", "python3"),
                     os.path.join("bin", "python"), "python3", "python"):
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


def find_python(explicit=None, path=None, windows=None):
    """Return ``(path, how_found)`` of the interpreter to run the server with.

    Parameters
    ----------
    explicit : str, optional
        An interpreter, or a folder holding one (a conda environment, say).
    path : str, optional
        The search path (default ``$PATH``).
    windows : bool, optional
        Search as on Windows (default: when this is Windows).

    Raises
    ------
    ServerStartError
        No candidate exists; the message lists what was tried.
    """
    tried = []
    windows = (os.name == "nt") if windows is None else windows
    if explicit:
        found = _python_in(explicit) if os.path.isdir(explicit) else explicit
        if found and (os.path.isfile(found) or which(found, path, windows)):
            return (found if os.path.isfile(found) else which(found, path, windows)), "the python argument"
        raise ServerStartError(
            "the python argument {0!r} is not an interpreter: pass the path of a CPython >= 3.9 (its python.exe or "
            "bin/python3) or the folder of its environment".format(explicit)
        )
    env = os.environ.get(ENV_PYTHON)
    if env:
        found = _python_in(env) if os.path.isdir(env) else env
        if found and os.path.isfile(found):
            return found, "the environment variable " + ENV_PYTHON
        tried.append("{0}={1!r} (not an interpreter)".format(ENV_PYTHON, env))
    found = _bootstrapper_python()
    if found:
        return found, "compas_bootstrapper.PYTHON_DIRECTORY"
    tried.append("compas_bootstrapper (not found)")
    if _running_python_fits():
        return sys.executable, "the running interpreter"
    for name in ("python3", "python"):
        found = which(name, path, windows)
        if found:
            return found, "PATH ({0})".format(name)
    tried.append("python3 and python on PATH (not found{0})".format(", Microsoft Store stubs skipped" if windows else ""))
    if windows:
        candidates = windows_install_candidates()
        if candidates:
            return candidates[0], "the Windows install folders"
        tried.append("the Windows install folders (none)")
    raise ServerStartError(
        "no CPython interpreter found to launch a compas_cloud server; tried: {0}. "
        "Pass Proxy(python=...) or set {1}".format("; ".join(tried), ENV_PYTHON)
    )
