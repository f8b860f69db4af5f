"""The client: everything a Rhino, Grasshopper, Revit or plain Python script imports.

Python 2.7 and IronPython safe; needs neither Rhino, compas nor numpy.

What lives here: ``proxy`` (:class:`Proxy`, the calling API, with its parts
``calling`` (the calls) and ``handshake`` (connecting, ``hello``)), ``local_server``
(connect-or-launch, the token, the lifecycle of a server launched here),
``launcher`` (starting a server), ``interpreter`` (finding its CPython), ``connection`` (the
threads that drive :mod:`compas_cloud.protocol.conversation`), ``transports/``
(websocket-client, .NET), ``callbacks``, ``future``, ``batch``, ``servers``
(a pool of servers).

It may import :mod:`compas_cloud.protocol`, :mod:`compas_cloud.errors`,
:mod:`compas_cloud.auth` and :mod:`compas_cloud._compat`; never the server
or :mod:`compas_cloud.ghpython` (which builds on it).
"""
from __future__ import absolute_import

from compas_cloud.client.proxy import Proxy, RemoteFunction

__all__ = ["Proxy", "RemoteFunction"]
