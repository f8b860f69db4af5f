"""Check the installer's own user-object builder with a real GH_IO.dll: ``python tools/check_userobjects.py --gh-io DIR``.

Builds both component sets with :mod:`compas_cloud.userobjects` (what ``python -m
compas_cloud.install`` does on a machine whose package has no built ``.ghuser`` files),
reads every file back through GH_IO and compares it with the layout it was written from.
GH_IO.dll comes from a Rhino installation or NuGet's Grasshopper package, so this runs in
the ghuser workflow on Windows (and on any machine with Rhino); it needs pythonnet.
Exits 1, saying why, when anything is missing or differs.
"""
import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from compas_cloud import host_files, userobjects  # noqa: E402

SETS = (("ironpython", "7.0"), ("cpython", "8.0"))


def check(gh_io, out):
    """Build and read back both sets into ``out``; return the lines to print."""
    lines = []
    for kind, version in SETS:
        written = userobjects.build_userobjects(host_files.components_dir(kind), os.path.join(out, kind), kind, version,
                                                gh_io=gh_io)
        lines.append("{0}: {1} user objects built and read back: {2}".format(
            kind, len(written), ", ".join(os.path.basename(path) for path in written)))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python tools/check_userobjects.py", description=__doc__.split("\n")[0])
    parser.add_argument("--gh-io", required=True, help="GH_IO.dll, or a folder holding it (a Rhino installation, a NuGet folder)")
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "userobjects-check"), help="folder to build into")
    args = parser.parse_args(argv)
    try:
        lines = check(args.gh_io, args.out)
    except userobjects.UserObjectBuildError as error:
        print("check_userobjects: FAILED: {0}".format(error))
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
