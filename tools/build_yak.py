"""Build the Rhino package (Yak) of compas_cloud: ``python tools/build_yak.py --dist DIR``.

Writes ``DIR/compas_cloud-<version>-any-any.yak``: the name ``yak build``
gives a package without .rhp/.gha files. A Yak package is a zip archive with a
``manifest.yml`` at the top; this script assembles it directly, so it runs on
Linux too (the ``yak`` tool itself is Windows/macOS only). It holds:

- ``manifest.yml``: name, version (the package's ``__version__``), authors,
  description, url, keywords, icon;
- ``icon.png``;
- the Grasshopper user objects for Rhino 8's CPython script component
  (``ghpython/ghuser/cpython/*.ghuser``, built by .github/workflows/ghuser.yml),
  and the GhPython ones for Rhino 7 definitions opened in Rhino 8
  (``ghpython/ghuser/ironpython``) under ``ironpython/``;
- the component sources (``components_cpython/``: code.py, metadata.json,
  icon.png), for building or pasting them by hand;
- the RhinoPython plugin folder (``plugin/compas_cloud {GUID}/``).

Without built ``.ghuser`` files it says so and builds the package without
them; ``--require-ghuser`` makes that an error (for releases).
"""
import argparse
import ast
import glob
import io
import os
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

NAME = "compas_cloud"
AUTHORS = ["compas_cloud contributors"]
DESCRIPTION = (
    "Call CPython functions (numpy, scipy, COMPAS) from Rhino, Grasshopper and Revit: Grasshopper components "
    "(Proxy, Call, Cache, Get, Free, Server) and Rhino commands for a compas_cloud server."
)
URL = "https://github.com/compas-dev/compas_cloud"
KEYWORDS = ["compas", "cloud", "numpy", "scipy", "grasshopper", "python", "remote", "server"]
DISTRIBUTION = "any-any"
PLUGIN = "compas_cloud {aff4b598-2925-4145-9a72-232984d129ca}"


def package_version(root=ROOT):
    """Return ``__version__`` of ``compas_cloud/__init__.py`` (read, not imported)."""
    with io.open(os.path.join(root, "compas_cloud", "__init__.py"), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == "__version__" for target in node.targets):
            return node.value.value
    raise SystemExit("no __version__ in compas_cloud/__init__.py")


def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def manifest(version):
    """Return the text of ``manifest.yml``."""
    lines = ["name: " + NAME, "version: " + _quote(version), "authors:"]
    lines += ["  - " + _quote(author) for author in AUTHORS]
    lines += ["description: " + _quote(DESCRIPTION), "url: " + _quote(URL), "keywords:"]
    lines += ["  - " + keyword for keyword in KEYWORDS]
    lines += ["icon: icon.png"]
    return "\n".join(lines) + "\n"


def check_headers(version, root=ROOT):
    """Raise SystemExit if a Rhino 8 component's ``# r:`` line does not pin ``version``."""
    expected = "# r: {0}=={1}".format(NAME, version)
    for path in sorted(glob.glob(os.path.join(root, "ghpython", "components_cpython", "*", "code.py"))):
        with io.open(path, encoding="utf-8") as handle:
            first = handle.readline().rstrip("\n")
        if first != expected:
            raise SystemExit("{0} starts with {1!r}, expected {2!r}".format(path, first, expected))


def files(root=ROOT):
    """Return ``[(archive name, path)]`` of everything in the package but the manifest; and the missing .ghuser sets."""
    entries = [("icon.png", os.path.join(root, "ghpython", "components_cpython", "Cloud_Proxy", "icon.png"))]
    missing = []
    for kind, prefix in (("cpython", ""), ("ironpython", "ironpython/")):
        built = sorted(glob.glob(os.path.join(root, "ghpython", "ghuser", kind, "Cloud_*.ghuser")))
        if not built:
            missing.append(kind)
        entries += [(prefix + os.path.basename(path), path) for path in built]
    for folder in ("components_cpython", os.path.join("..", "rhino_plugin", PLUGIN)):
        base = os.path.normpath(os.path.join(root, "ghpython", folder))
        name = "components_cpython" if folder == "components_cpython" else "plugin/" + PLUGIN
        for directory, subfolders, names in os.walk(base):
            subfolders[:] = sorted(sub for sub in subfolders if sub != "__pycache__")
            for filename in sorted(names):
                if filename.endswith((".pyc", ".pyo")):
                    continue
                path = os.path.join(directory, filename)
                relative = os.path.relpath(path, base).replace(os.sep, "/")
                entries.append((name + "/" + relative, path))
    return entries, missing


def build(dist, require_ghuser=False, root=ROOT):
    """Write the package into ``dist``; return its path."""
    version = package_version(root)
    check_headers(version, root)
    entries, missing = files(root)
    if missing:
        message = "no built .ghuser files for: {0} (run .github/workflows/ghuser.yml, or build them with the COMPAS " \
                  "componentizer into ghpython/ghuser/<kind>)".format(", ".join(missing))
        if require_ghuser:
            raise SystemExit("build_yak: " + message)
        sys.stderr.write("build_yak: WARNING: " + message + "\n")
    if not os.path.isdir(dist):
        os.makedirs(dist)
    path = os.path.join(dist, "{0}-{1}-{2}.yak".format(NAME, version, DISTRIBUTION))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.yml", manifest(version))
        for name, source in entries:
            archive.write(source, name)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python tools/build_yak.py", description=__doc__.split("\n")[0])
    parser.add_argument("--dist", required=True, help="folder to write the .yak file into")
    parser.add_argument("--require-ghuser", action="store_true", help="fail when built .ghuser files are missing")
    args = parser.parse_args(argv)
    print(build(args.dist, args.require_ghuser))
    return 0


if __name__ == "__main__":
    sys.exit(main())
