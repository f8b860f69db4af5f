"""What the server reports about itself."""
import platform

from compas_cloud import __version__
from compas_cloud.protocol import PROTOCOL_VERSION

try:
    from importlib.metadata import PackageNotFoundError, version as _dist_version
except ImportError:  # pragma: no cover - Python < 3.8
    _dist_version = None


def _installed(name):
    # Read the installed version without importing the package (importing numpy
    # or compas would slow the server's start).
    if _dist_version is None:
        return None
    try:
        return _dist_version(name)
    except PackageNotFoundError:
        return None


def versions():
    """Return the versions of the server, its protocol, Python, compas, numpy and websockets."""
    return {
        "compas_cloud": __version__,
        "protocol": PROTOCOL_VERSION,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "compas": _installed("compas"),
        "numpy": _installed("numpy"),
        "websockets": _installed("websockets"),
    }
