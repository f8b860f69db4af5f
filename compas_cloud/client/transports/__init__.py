"""Client transports, and the choice between them.

==================  ====================================================
transport           used when
==================  ====================================================
``dotnet``          IronPython (Rhino 6/7/8, pyRevit, Dynamo), and CPython
                    with pythonnet but without websocket-client (Rhino 8)
``websocket-client`` CPython 2.7 and 3 with the websocket-client package
==================  ====================================================

``Proxy(transport=...)`` or the environment variable ``COMPAS_CLOUD_TRANSPORT``
picks one explicitly.
"""
from __future__ import absolute_import

import os

from compas_cloud._compat import IPY
from compas_cloud.errors import TransportUnavailable


def _websocket_client():
    from compas_cloud.client.transports.wsclient import WebSocketClientTransport

    return WebSocketClientTransport


def _dotnet():
    from compas_cloud.client.transports.dotnet import DotNetTransport

    return DotNetTransport


_TRANSPORTS = {"websocket-client": _websocket_client, "dotnet": _dotnet}


def transport_names():
    """Return the names of all transports, in order of preference for this interpreter."""
    if IPY:
        return ["dotnet", "websocket-client"]
    return ["websocket-client", "dotnet"]


def _load(name):
    try:
        factory = _TRANSPORTS[name]
    except KeyError:
        raise TransportUnavailable(
            "unknown transport {0!r}; choose one of: {1}".format(name, ", ".join(sorted(_TRANSPORTS)))
        )
    try:
        return factory()
    except ImportError as error:  # pragma: no cover - the module itself is always importable
        raise TransportUnavailable("transport {0!r} cannot be loaded: {1}".format(name, error))


def select_transport(name=None):
    """Return the transport class to use.

    Parameters
    ----------
    name : str, optional
        ``"dotnet"`` or ``"websocket-client"``; by default the environment
        variable ``COMPAS_CLOUD_TRANSPORT``, then the best one available.

    Raises
    ------
    TransportUnavailable
        The named transport cannot be used here, or none can; the message
        says what to install.
    """
    name = name or os.environ.get("COMPAS_CLOUD_TRANSPORT") or None
    if name:
        cls = _load(name)
        missing = cls.available()
        if missing:
            raise TransportUnavailable("transport {0!r} cannot be used here: {1}".format(name, missing))
        return cls
    needs = []
    for candidate in transport_names():
        try:
            cls = _load(candidate)
        except TransportUnavailable as error:
            needs.append(str(error))
            continue
        missing = cls.available()
        if not missing:
            return cls
        needs.append("{0} ({1})".format(candidate, missing))
    raise TransportUnavailable("no websocket transport can be used in this Python; install one of: " + "; ".join(needs))
