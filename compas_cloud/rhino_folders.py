"""Where the installer writes: the per-user folders of one Rhino version (:class:`RhinoFolders`).

:mod:`compas_cloud.install` offers these names too. Python 2.7 and IronPython safe.
"""
from __future__ import absolute_import

import os
import sys

GRASSHOPPER_GUID = "b45a29b1-4343-4035-989e-044e8580d9cf"
DEFAULT_VERSION = "7.0"
VERSIONS = ("6.0", "7.0", "8.0")


class InstallError(Exception):
    """A step of the installation cannot be done; the message says which and why."""


def default_rhino_dir():
    """Return Rhino's per-user folder (the one holding ``<version>/scripts``) on Windows and macOS."""
    if os.name == "nt":
        return os.path.join(os.environ.get("APPDATA", ""), "McNeel", "Rhinoceros")
    if sys.platform == "darwin":
        return os.path.join(os.path.expanduser("~"), "Library", "Application Support", "McNeel", "Rhinoceros")
    raise InstallError(
        "no Rhino on this machine (Rhino runs on Windows and macOS), so nothing was installed. Run this on the "
        "machine with Rhino, or pass --rhino-dir (and --grasshopper-dir) to install into those folders"
    )


class RhinoFolders(object):
    """The folders of one Rhino version that the installer writes to.

    Parameters
    ----------
    version : str
        ``"6.0"``, ``"7.0"`` or ``"8.0"``.
    rhino_dir : str, optional
        Rhino's per-user folder (found for Windows and macOS by default).
    grasshopper_dir : str, optional
        Grasshopper's per-user folder, holding ``UserObjects``: ``%APPDATA%\\Grasshopper``
        on Windows, inside Rhino's ``Plug-ins`` folder on macOS (and by default
        when ``rhino_dir`` is given on another system).
    """

    def __init__(self, version=DEFAULT_VERSION, rhino_dir=None, grasshopper_dir=None):
        if version not in VERSIONS:
            raise InstallError("unknown Rhino version {0!r}: use one of {1}".format(version, ", ".join(VERSIONS)))
        self.version = version
        self.rhino_dir = os.path.abspath(rhino_dir or default_rhino_dir())
        if grasshopper_dir:
            self.grasshopper_dir = os.path.abspath(grasshopper_dir)
        elif os.name == "nt" and not rhino_dir:
            self.grasshopper_dir = os.path.join(os.environ.get("APPDATA", ""), "Grasshopper")
        else:
            self.grasshopper_dir = os.path.join(self.plugins, "Grasshopper ({0})".format(GRASSHOPPER_GUID))

    @property
    def scripts(self):
        """str: Rhino's IronPython scripts folder (on its ``sys.path``)."""
        return os.path.join(self.rhino_dir, self.version, "scripts")

    @property
    def plugins(self):
        return os.path.join(self.rhino_dir, self.version, "Plug-ins")

    @property
    def python_plugins(self):
        """str: Where RhinoPython plugins live."""
        return os.path.join(self.plugins, "PythonPlugins")

    @property
    def userobjects(self):
        """str: Grasshopper's user objects folder."""
        return os.path.join(self.grasshopper_dir, "UserObjects")

    def check(self):
        """Raise :class:`InstallError` if Rhino's folder for this version does not exist."""
        folder = os.path.join(self.rhino_dir, self.version)
        if not os.path.isdir(folder):
            raise InstallError(
                "no Rhino {0} folder at {1}: start Rhino {0} once, or pass --rhino-dir".format(self.version, folder)
            )
