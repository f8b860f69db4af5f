"""Finding Grasshopper's ``GH_IO.dll`` in a Rhino installation, and loading it into .NET.

Used by :mod:`compas_cloud.userobjects` to build the ``.ghuser`` files; every reason it cannot is a
:class:`~compas_cloud.userobject_layout.UserObjectBuildError`. .NET is imported only by :func:`load_gh_io`.
"""
from __future__ import absolute_import

import os
import sys

from compas_cloud.userobject_layout import UserObjectBuildError

GH_IO_NAME = "GH_IO.dll"


def _major(version):
    return str(version).split(".")[0]


def rhino_installations(version, environ=None, platform=None):
    """Return ``[(installation folder, where its GH_IO.dll usually is)]`` for Rhino ``version`` on this system.

    Windows: ``%ProgramFiles%\\Rhino 7`` (``Plug-ins\\Grasshopper\\GH_IO.dll``); macOS: ``/Applications/Rhino 7.app``
    and ``~/Applications/Rhino 7.app`` (inside ``GrasshopperPlugin.rhp``). None of them need exist.
    """
    environ = os.environ if environ is None else environ
    platform = platform or sys.platform
    major = _major(version)
    found = []
    if platform.startswith("win"):
        for variable in ("ProgramW6432", "ProgramFiles"):
            root = environ.get(variable)
            if root:
                folder = os.path.join(root, "Rhino " + major)
                entry = (folder, os.path.join(folder, "Plug-ins", "Grasshopper", GH_IO_NAME))
                if entry not in found:
                    found.append(entry)
    elif platform == "darwin":
        for applications in ("/Applications", os.path.join(os.path.expanduser("~"), "Applications")):
            folder = os.path.join(applications, "Rhino {0}.app".format(major))
            found.append((folder, os.path.join(folder, "Contents", "Frameworks", "RhCore.framework", "Versions", "A",
                                               "Resources", "ManagedPlugIns", "GrasshopperPlugin.rhp", GH_IO_NAME)))
    return found


def gh_io_candidates(version, environ=None, platform=None):
    """Return where the Rhino ``version`` installation keeps ``GH_IO.dll`` on this system (paths, may not exist)."""
    return [path for _, path in rhino_installations(version, environ, platform)]


def _search(folder):
    # A Rhino installation (or any folder) given by the user: the shallowest GH_IO.dll under it.
    found = []
    for directory, subfolders, names in os.walk(folder):
        subfolders.sort()
        for name in names:
            if name.lower() == GH_IO_NAME.lower():
                found.append(os.path.join(directory, name))
    found.sort(key=lambda path: (path.count(os.sep), path))
    return found[0] if found else None


def find_gh_io(version, gh_io=None, environ=None, platform=None):
    """Return the path of ``GH_IO.dll`` to build with, or raise UserObjectBuildError naming where it looked.

    Parameters
    ----------
    version : str
        The Rhino version (``"7.0"``): its installation is searched.
    gh_io : str, optional
        ``GH_IO.dll`` itself, or a folder to search (a Rhino installation such as
        ``C:\\Program Files\\Rhino 7`` or ``/Applications/Rhino 7.app``). Default:
        ``$COMPAS_CLOUD_GH_IO``, else the standard installation folders.
    """
    environ = os.environ if environ is None else environ
    given = gh_io or environ.get("COMPAS_CLOUD_GH_IO")
    if given:
        if os.path.isfile(given):
            return os.path.abspath(given)
        if os.path.isdir(given):
            found = _search(given)
            if found:
                return found
        raise UserObjectBuildError("no {0} at {1}: give the file itself or the Rhino installation holding it".format(
            GH_IO_NAME, given))
    installations = rhino_installations(version, environ, platform)
    candidates = [path for _, path in installations]
    for path in candidates:
        if os.path.isfile(path):
            return path
    for folder, _ in installations:  # an installation laid out otherwise (another Rhino release): search it
        if os.path.isdir(folder):
            found = _search(folder)
            if found:
                return found
    where = ", ".join(candidates) if candidates else "nowhere on this system (Rhino runs on Windows and macOS)"
    raise UserObjectBuildError("no Rhino {0} installation with {1} found (looked in {2}); pass --gh-io with the "
                               "Rhino installation folder or the file".format(_major(version), GH_IO_NAME, where))


def load_gh_io(path):
    """Load ``GH_IO.dll`` into .NET and return its ``GH_LooseChunk`` class."""
    if sys.platform != "win32" and "PYTHONNET_RUNTIME" not in os.environ:
        os.environ["PYTHONNET_RUNTIME"] = "mono"  # the .NET Framework assemblies of Rhino load on Mono
    try:
        import clr
    except ImportError as error:
        raise UserObjectBuildError(
            "building user objects needs pythonnet in {0} ({1}): {0} -m pip install \"compas_cloud[dotnet]\"".format(
                sys.executable, error))
    except Exception as error:  # pythonnet present, but no .NET runtime it can start
        raise UserObjectBuildError("pythonnet could not start a .NET runtime ({0}: {1}){2}".format(
            type(error).__name__, error, "" if sys.platform == "win32" else ": install Mono"))
    try:
        clr.AddReference(os.path.abspath(path))
        from GH_IO.Serialization import GH_LooseChunk
    except Exception as error:
        raise UserObjectBuildError("{0} could not be loaded as Grasshopper's GH_IO assembly ({1}: {2})".format(
            path, type(error).__name__, str(error).splitlines()[0] if str(error) else ""))
    return GH_LooseChunk
