"""The compas_cloud server (CPython >= 3.9): ``python -m compas_cloud.server``.

A ``websockets`` asyncio server. Each connection is a
:class:`~compas_cloud.server.session.Session` with its own reference store;
called functions run in a worker pool, off the event loop, so a long call
never delays another client or the keepalive pings.

What lives here, from the outside in:

- ``cli``, ``app`` (the server: connections, worker pool, shutdown), ``views``
  (``status()``, the figures of ``/metrics``, the dashboard's state), ``http``,
  ``metrics``: the process and its endpoints;
- ``session`` (one connection: reading and answering, driving the sans-I/O
  :mod:`compas_cloud.protocol.conversation_server`), ``ops`` (the operation
  table: one handler per operation), ``calls`` (the ``call`` operation, here
  or offloaded), ``extra_ops``, ``batch/``: the operations;
- ``context`` (the running call), ``callbacks``, ``progress``, ``output``:
  what a called function sees;
- ``gate``, ``functions``, ``security``, ``risky``: which names may be called;
- ``store``, ``shared``, ``result_cache``, ``memory``: what is kept;
- ``executors/``: worker processes (local or Dask).

The server may import :mod:`compas_cloud.protocol`, :mod:`compas_cloud.errors`
and :mod:`compas_cloud.auth`, never the client. Its names load lazily, so a
worker process that imports ``compas_cloud.server.executors.worker`` does not
load websockets.
"""

__all__ = ["Server", "ServerConfig", "format_address"]


def __getattr__(name):
    if name in ("Server", "format_address"):
        from compas_cloud.server import app

        return getattr(app, name)
    if name == "ServerConfig":
        from compas_cloud.server.config import ServerConfig

        return ServerConfig
    raise AttributeError("module {0!r} has no attribute {1!r}".format(__name__, name))
