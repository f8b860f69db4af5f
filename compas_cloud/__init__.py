"""compas_cloud: call CPython functions (numpy, scipy, COMPAS) from IronPython and everywhere else.

A websocket server runs in CPython 3; :class:`Proxy` connects to it (or
launches one) from IronPython 2.7/3.4, CPython 2.7 or CPython 3.

>>> from compas_cloud import Proxy                                # doctest: +SKIP
>>> proxy = Proxy()                                               # doctest: +SKIP
>>> transform = proxy.function("compas.geometry.transform_points_numpy")   # doctest: +SKIP
"""
from __future__ import absolute_import

__version__ = "0.5.0"

#: Modules compas's plugin system loads: the Rhino install hooks (``python -m compas_rhino.install``).
__all_plugins__ = ["compas_cloud.install"]

from compas_cloud.errors import (  # noqa: E402
    CloudError,
    CloudTimeout,
    ConnectionClosed,
    ConnectionFailed,
    ProtocolError,
    ServerSideError,
    ServerStartError,
    TransportUnavailable,
)
from compas_cloud.protocol.reference import Reference  # noqa: E402
from compas_cloud.client.proxy import Proxy, RemoteFunction  # noqa: E402

__all__ = [
    "Proxy",
    "RemoteFunction",
    "Reference",
    "CloudError",
    "CloudTimeout",
    "ConnectionClosed",
    "ConnectionFailed",
    "ProtocolError",
    "ServerSideError",
    "ServerStartError",
    "TransportUnavailable",
]
