"""Install compas_cloud into Rhino: the package, the Grasshopper user objects, the plugin, the interpreter.

Run it with the CPython that should run the server (it has ``websockets``)::

    python -m compas_cloud.install                 # Rhino 7, folders found for Windows/macOS
    python -m compas_cloud.install -v 6.0
    python -m compas_cloud.install --rhino-dir DIR --grasshopper-dir DIR   # explicit folders
    python -m compas_cloud.install --gh-io "C:\\Program Files\\Rhino 7"   # build the user objects with this Rhino
    python -m compas_cloud.install --uninstall

It

1. links the ``compas_cloud`` package into Rhino's IronPython ``scripts`` folder;
2. records this interpreter's folder as ``PYTHON_DIRECTORY`` in
   ``compas_bootstrapper.py`` there, which is where a Rhino-side proxy looks for
   the CPython to launch a server with;
3. copies the RhinoPython plugin (``compas_cloud {GUID}``) into ``PythonPlugins``;
4. copies the built Grasshopper user objects (``Cloud_*.ghuser``: the
   GhPython set for Rhino 6/7, the CPython set for Rhino 8) into
   Grasshopper's ``UserObjects`` folder. When the package has none, it builds
   them first with the ``GH_IO.dll`` of that Rhino installation
   (:mod:`compas_cloud.userobjects`; needs pythonnet, the ``[dotnet]`` extra,
   and on macOS Mono), found in Rhino's installation folder or given with
   ``--gh-io``.

A step it cannot do is reported as FAILED and the command exits with 1: it
never reports a skipped step as done.

``python -m compas_rhino.install -p compas_cloud`` does steps 1-2 itself and
then calls :func:`after_rhino_install` (registered with compas's plugin
system through ``compas_cloud.__all_plugins__``) for steps 3-4;
``python -m compas_rhino.uninstall -p compas_cloud`` calls
:func:`after_rhino_uninstall`.

Folders (``--rhino-dir`` is the folder holding ``<version>/scripts``):

* Windows: ``%APPDATA%\\McNeel\\Rhinoceros`` and ``%APPDATA%\\Grasshopper``;
* macOS: ``~/Library/Application Support/McNeel/Rhinoceros``, Grasshopper inside
  ``<version>/Plug-ins/Grasshopper (b45a29b1-...)``.
"""
from __future__ import absolute_import, print_function

import glob
import os
import shutil
import subprocess
import sys
import tempfile

from compas_cloud import host_files
from compas_cloud import userobjects
from compas_cloud.rhino_folders import (  # noqa: F401
    DEFAULT_VERSION, GRASSHOPPER_GUID, VERSIONS, InstallError, RhinoFolders, default_rhino_dir,
)

PACKAGE = "compas_cloud"
PLUGIN_GUID = "{aff4b598-2925-4145-9a72-232984d129ca}"
PLUGIN_FOLDER = host_files.PLUGIN_FOLDER
USEROBJECT_PATTERN = "Cloud_*.ghuser"

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(PACKAGE_DIR)


# -- the source files ---------------------------------------------------------------------------


def plugin_source():
    """Return the plugin folder to install (from the installed package or this checkout), or None."""
    return host_files.rhino_plugin_dir()


def userobject_kind(version):
    """Return which component set Rhino ``version`` runs: ``"cpython"`` for Rhino 8, else ``"ironpython"``."""
    return "cpython" if version == "8.0" else "ironpython"


def ghuser_sources(ghuser_dir=None, kind="ironpython"):
    """Return the built ``Cloud_*.ghuser`` files.

    From ``ghuser_dir``, else ``$COMPAS_CLOUD_GHUSER_DIR``, else the ones
    shipped in the package (or built in the checkout) for the component set
    ``kind`` (see :func:`compas_cloud.host_files.ghuser_dir`).
    """
    ghuser_dir = ghuser_dir or os.environ.get("COMPAS_CLOUD_GHUSER_DIR") or host_files.ghuser_dir(kind)
    if not ghuser_dir:
        return []
    return sorted(glob.glob(os.path.join(ghuser_dir, USEROBJECT_PATTERN)))


def python_directory(python=None):
    """Return the folder to record as ``PYTHON_DIRECTORY``: of ``python``, or the running environment."""
    if python:
        python = os.path.abspath(python)
        return python if os.path.isdir(python) else os.path.dirname(python)
    return os.environ.get("CONDA_PREFIX") or os.path.dirname(os.path.abspath(sys.executable))


# -- the steps -----------------------------------------------------------------------------------


def _remove(path):
    if os.path.islink(path):
        os.remove(path)
    elif os.path.isdir(path):
        if os.name == "nt" and _is_junction(path):
            os.rmdir(path)
        else:
            shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


def _is_junction(path):
    try:
        return bool(os.readlink(path))
    except (OSError, AttributeError, ValueError):
        return False


def link_package(folders):
    """Link this ``compas_cloud`` package into Rhino's scripts folder; return the link."""
    if not os.path.isdir(folders.scripts):
        os.makedirs(folders.scripts)
    link = os.path.join(folders.scripts, PACKAGE)
    if os.path.islink(link) or _is_junction(link):
        _remove(link)
    elif os.path.exists(link):
        raise InstallError("{0} exists and is not a link: remove it, then install again".format(link))
    try:
        os.symlink(PACKAGE_DIR, link)
    except (OSError, AttributeError, NotImplementedError):
        if os.name != "nt":
            raise
        # Without the symlink privilege Windows still allows directory junctions.
        subprocess.check_call(["cmd", "/c", "mklink", "/J", link, PACKAGE_DIR])
    return link


def read_bootstrapper(path):
    """Return the names defined in a ``compas_bootstrapper.py`` (empty if there is none)."""
    values = {}
    if os.path.isfile(path):
        with open(path) as handle:
            exec(compile(handle.read(), path, "exec"), values)
    return dict((key, value) for key, value in values.items() if key.isupper())


def write_bootstrapper(folders, python=None, add=(PACKAGE,), remove=()):
    """Record the interpreter and the installed packages in ``compas_bootstrapper.py``; return its path.

    The file keeps compas's format (``ENVIRONMENT_NAME``, ``PYTHON_DIRECTORY``,
    ``CONDA_EXE``, ``INSTALLED_PACKAGES``), so compas and compas_cloud share it.
    """
    path = os.path.join(folders.scripts, "compas_bootstrapper.py")
    values = read_bootstrapper(path)
    packages = [name for name in values.get("INSTALLED_PACKAGES", []) if name not in remove]
    packages += [name for name in add if name not in packages]
    if add:
        values["PYTHON_DIRECTORY"] = python_directory(python)
        values["ENVIRONMENT_NAME"] = os.environ.get("CONDA_DEFAULT_ENV", "")
        values["CONDA_EXE"] = os.environ.get("CONDA_EXE", "")
    lines = [
        'ENVIRONMENT_NAME = r"{0}"'.format(values.get("ENVIRONMENT_NAME", "")),
        'PYTHON_DIRECTORY = r"{0}"'.format(values.get("PYTHON_DIRECTORY", "")),
        'CONDA_EXE = r"{0}"'.format(values.get("CONDA_EXE", "")),
        "INSTALLED_PACKAGES = {0!r}".format(sorted(str(name) for name in packages)),
    ]
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def install_plugin(folders):
    """Copy the RhinoPython plugin into ``PythonPlugins``; return its folder, or None without a source."""
    source = plugin_source()
    if source is None:
        return None
    target = os.path.join(folders.python_plugins, PLUGIN_FOLDER)
    if os.path.lexists(target):
        _remove(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))
    return target


def install_userobjects(folders, ghuser_dir=None):
    """Copy the built user objects into Grasshopper's ``UserObjects``; return the copied files."""
    sources = ghuser_sources(ghuser_dir, userobject_kind(folders.version))
    if not sources:
        return []
    if not os.path.isdir(folders.userobjects):
        os.makedirs(folders.userobjects)
    copied = []
    for source in sources:
        target = os.path.join(folders.userobjects, os.path.basename(source))
        if os.path.lexists(target):
            _remove(target)
        shutil.copy2(source, target)
        copied.append(target)
    return copied


def uninstall_userobjects(folders):
    removed = []
    for path in sorted(glob.glob(os.path.join(folders.userobjects, USEROBJECT_PATTERN))):
        _remove(path)
        removed.append(path)
    return removed


def uninstall_plugin(folders):
    target = os.path.join(folders.python_plugins, PLUGIN_FOLDER)
    if os.path.lexists(target):
        _remove(target)
        return target
    return None


def unlink_package(folders):
    link = os.path.join(folders.scripts, PACKAGE)
    if os.path.islink(link) or _is_junction(link):
        _remove(link)
        return link
    return None


# -- the whole thing -----------------------------------------------------------------------------


def install(folders, python=None, ghuser_dir=None, link=True, gh_io=None):
    """Install into ``folders``; return a list of ``(step, message, ok)``.

    Without built user objects (``ghuser_dir``, ``$COMPAS_CLOUD_GHUSER_DIR``, or in the package) it builds
    them with the ``GH_IO.dll`` of the Rhino installation (``gh_io``: the file or a folder holding it;
    default ``$COMPAS_CLOUD_GH_IO``, else Rhino's standard installation folder).
    """
    folders.check()
    results = []
    if link:
        results.append(("package", "linked {0}".format(link_package(folders)), True))
        results.append(("interpreter", "PYTHON_DIRECTORY = {0} in {1}".format(
            python_directory(python), write_bootstrapper(folders, python)), True))
    plugin = install_plugin(folders)
    if plugin:
        results.append(("plugin", "copied to {0}".format(plugin), True))
    else:
        results.append(("plugin", "NOT installed: the RhinoPython plugin folder ({0}) is neither in the installed "
                        "package nor in a checkout. Reinstall compas_cloud from a wheel or a clone".format(PLUGIN_FOLDER),
                        False))
    copied = install_userobjects(folders, ghuser_dir)
    if copied:
        results.append(("user objects", "copied {0} to {1}".format(len(copied), folders.userobjects), True))
        return results
    kind = userobject_kind(folders.version)
    try:
        gh_io, copied = build_and_install_userobjects(folders, gh_io)
    except userobjects.UserObjectBuildError as error:
        results.append(("user objects", "NOT installed: this compas_cloud has no built Cloud_*.ghuser files for the "
                        "{0} components, and building them here failed: {1}. Instead: install compas_cloud from the "
                        "Rhino Package Manager (package compas_cloud), or use a wheel built by the project's CI, or pass "
                        "--ghuser-dir with built files; or open the component sources in {2} (see docs/grasshopper.md)".format(
                            kind, error, host_files.components_dir(kind) or "ghpython/"), False))
    else:
        results.append(("user objects", "built {0} with {1} and copied them to {2}".format(
            len(copied), gh_io, folders.userobjects), True))
    return results


def build_and_install_userobjects(folders, gh_io=None):
    """Build the user objects of ``folders.version`` with its Rhino's GH_IO and copy them in; return (GH_IO path, files).

    Raises :class:`compas_cloud.userobjects.UserObjectBuildError` when they cannot be built.
    """
    kind = userobject_kind(folders.version)
    gh_io = userobjects.find_gh_io(folders.version, gh_io)
    workdir = tempfile.mkdtemp(prefix="compas_cloud-ghuser-")
    try:
        userobjects.build_userobjects(host_files.components_dir(kind), workdir, kind, folders.version, gh_io)
        return gh_io, install_userobjects(folders, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def uninstall(folders, unlink=True):
    """Remove what :func:`install` put into ``folders``; return a list of ``(step, message, ok)``."""
    results = []
    if unlink:
        results.append(("package", "removed {0}".format(unlink_package(folders)), True))
        if os.path.isfile(os.path.join(folders.scripts, "compas_bootstrapper.py")):
            write_bootstrapper(folders, add=(), remove=(PACKAGE,))
            results.append(("interpreter", "compas_cloud removed from compas_bootstrapper", True))
    results.append(("plugin", "removed {0}".format(uninstall_plugin(folders)), True))
    results.append(("user objects", "removed {0}".format(len(uninstall_userobjects(folders))), True))
    return results


# -- compas's install hooks ----------------------------------------------------------------------


def _plugin(function):
    try:
        import compas.plugins
    except ImportError:
        return function
    return compas.plugins.plugin(category="install")(function)


def _compas_folders():
    import compas_rhino

    arguments = getattr(compas_rhino, "INSTALLATION_ARGUMENTS", None)
    version = compas_rhino._check_rhino_version(getattr(arguments, "version", None) or DEFAULT_VERSION)
    rhino_dir = compas_rhino._get_rhino_appdata_folder()
    try:
        import compas_ghpython  # its public path functions, where compas has them

        grasshopper_dir = os.path.dirname(compas_ghpython.get_grasshopper_userobjects_path(version))
    except Exception:  # no compas_ghpython, or no Grasshopper folder on this system
        grasshopper_dir = None
    return RhinoFolders(version, rhino_dir, grasshopper_dir)


def _as_compas_results(results):
    return [("{0} ({1})".format(PACKAGE, step), message, ok) for step, message, ok in results]


@_plugin
def installable_rhino_packages():
    """compas hook: ``compas_rhino.install`` links compas_cloud into Rhino too."""
    return [PACKAGE]


@_plugin
def after_rhino_install(installed_packages):
    """compas hook: after compas linked the package and wrote the bootstrapper, add the plugin and user objects."""
    if PACKAGE not in installed_packages:
        return []
    try:
        return _as_compas_results(install(_compas_folders(), link=False))
    except Exception as error:
        return [(PACKAGE, "installing the plugin and user objects failed: {0}".format(error), False)]


@_plugin
def after_rhino_uninstall(uninstalled_packages):
    """compas hook: remove the plugin and the user objects."""
    if PACKAGE not in uninstalled_packages:
        return []
    try:
        return _as_compas_results(uninstall(_compas_folders(), unlink=False))
    except Exception as error:
        return [(PACKAGE, "removing the plugin and user objects failed: {0}".format(error), False)]


# -- command line --------------------------------------------------------------------------------


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(prog="python -m compas_cloud.install", description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--version", default=DEFAULT_VERSION, choices=VERSIONS, help="Rhino version (default: %(default)s)")
    parser.add_argument("--rhino-dir", help="Rhino's per-user folder, holding <version>/scripts")
    parser.add_argument("--grasshopper-dir", help="Grasshopper's per-user folder, holding UserObjects")
    parser.add_argument("--ghuser-dir", help="folder of the built Cloud_*.ghuser files")
    parser.add_argument("--gh-io", help="GH_IO.dll, or the Rhino installation holding it, to build the user objects with "
                        "when none are built (default: Rhino's installation folder)")
    parser.add_argument("--python", help="interpreter (or environment folder) to launch servers with (default: this one)")
    parser.add_argument("--uninstall", action="store_true", help="remove what the installer put into Rhino")
    args = parser.parse_args(argv)
    try:
        folders = RhinoFolders(args.version, args.rhino_dir, args.grasshopper_dir)
        if args.uninstall:
            results = uninstall(folders)
        else:
            results = install(folders, python=args.python, ghuser_dir=args.ghuser_dir, gh_io=args.gh_io)
    except (InstallError, OSError, IOError, subprocess.CalledProcessError) as error:
        print("compas_cloud install failed: {0}".format(error))
        return 1
    print("{0} compas_cloud for Rhino {1} ({2}):".format("Uninstalled" if args.uninstall else "Installed", folders.version, folders.rhino_dir))
    for step, message, ok in results:
        print("  {0:<14} {1} {2}".format(step, "OK    " if ok else "FAILED", message))
    if not all(ok for _, _, ok in results):
        print("compas_cloud install is incomplete: see the FAILED steps above")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
