"""The compas_cloud server (CPython >= 3.9): ``python -m compas_cloud.server``.

A ``websockets`` asyncio server. Each connection is a
:class:`~compas_cloud.server.session.Session` with its own reference store;
called functions run in a worker pool, off the event loop, so a long call
never delays another client or the keepalive pings.
"""
from compas_cloud.server.app import Server, format_address
from compas_cloud.server.config import ServerConfig

__all__ = ["Server", "ServerConfig", "format_address"]
