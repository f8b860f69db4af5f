"""Run a compas_cloud server: ``python -m compas_cloud.server --help``.

An interpreter that cannot run the server (older than 3.9, or without the
server's dependencies) gets one line saying what to do, not a traceback.
"""
import sys

if sys.version_info < (3, 9):
    sys.stderr.write("compas_cloud server will not start: it needs Python >= 3.9, not Python {0}; run it with a "
                     "newer CPython\n".format(sys.version.split()[0]))
    sys.exit(2)

try:
    from compas_cloud.server.cli import main
except ImportError as error:
    if not error.name or error.name.split(".")[0] == "compas_cloud":
        raise
    sys.stderr.write(
        "compas_cloud server will not start: {0} lacks the server's dependencies ({1}); install them with: "
        "\"{0}\" -m pip install \"compas_cloud[server]\"\n".format(sys.executable, error)
    )
    sys.exit(2)

sys.exit(main())
