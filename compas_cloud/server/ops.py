"""The operation table: one handler per operation of the protocol.

Every operation a client may request is declared, with its fields, in
:data:`compas_cloud.protocol.messages.OPERATIONS` (the message shapes, shared
with every client); :data:`OPS` gives each one its handler here. The session
(:mod:`compas_cloud.server.session`) looks the request's operation up and
awaits ``handler(session, request, decoded)``:

- an :class:`Operation` with ``encoded=False`` returns the result, which the
  session encodes as the reply;
- one with ``encoded=True`` returns the reply already encoded (calls, ``get``
  and batch results encode large values in a worker thread, off the event loop).

A test checks that the table and the protocol's declarations list the same
operations. Add an operation in both places.
"""
import asyncio
import logging

from compas_cloud.protocol import arrays
from compas_cloud.protocol.messages import OPERATIONS
from compas_cloud.server import calls, extra_ops
from compas_cloud.server.batch import BatchService

log = logging.getLogger("compas_cloud.server")

__all__ = ["OPS", "Operation", "operation"]


class Operation(object):
    """A handler of one operation.

    Attributes
    ----------
    name : str
        The operation (a key of :data:`~compas_cloud.protocol.messages.OPERATIONS`).
    handler : coroutine function
        ``handler(session, request, decoded)``.
    encoded : bool
        The handler returns the encoded reply (True) or the result (False).
    """

    __slots__ = ("name", "handler", "encoded")

    def __init__(self, name, handler, encoded=False):
        self.name = name
        self.handler = handler
        self.encoded = encoded

    @property
    def fields(self):
        """dict: The operation's fields, as the protocol declares them: name -> (kind, required)."""
        return OPERATIONS[self.name]

    def __repr__(self):
        return "Operation({0!r})".format(self.name)


#: Operation name -> :class:`Operation`.
OPS = {}


def operation(name, encoded=False):
    """Decorator: register the coroutine function as the handler of ``name``."""

    def register(handler):
        if name not in OPERATIONS:
            raise ValueError("{0!r} is not an operation of the protocol (compas_cloud.protocol.messages)".format(name))
        OPS[name] = Operation(name, handler, encoded)
        return handler

    return register


# -- calls --------------------------------------------------------------------------------

operation("call", encoded=True)(calls.call)


@operation("cancel")
async def _cancel(session, request, decoded):
    """``cancel``: cancel the call ``target`` of this connection; True if it was still running."""
    return session.cancel(request.fields["target"])


@operation("callback_reply")
async def _callback_reply(session, request, decoded):
    """``callback_reply``: the client's answer to a callback invocation; True if a callback waited for it."""
    fields = request.fields
    value = fields.get("result") if fields["ok"] else fields.get("error")
    if fields["ok"] and decoded.references:
        value = session.store.resolve(value)
    return session.callback_answers.deliver(fields["invocation"], fields["ok"], value)


# -- references -----------------------------------------------------------------------------


@operation("cache")
async def _cache(session, request, decoded):
    """``cache``: store ``data``; return its reference."""
    data = request.fields["data"]
    if decoded.references:
        data = session.store.resolve(data)
    return await session.keep(data)


@operation("get", encoded=True)
async def _get(session, request, decoded):
    """``get``: the value behind ``ref``."""
    value = session.store.get(request.fields["ref"])
    return await session.server.run_protocol(session.encode_result, request, value, "the stored value")


@operation("free")
async def _free(session, request, decoded):
    """``free``: forget the values behind ``refs``; return how many."""
    refs = request.fields["refs"]
    store = session.store
    before = store.stored_bytes
    try:
        for ref in refs:
            store.free(ref)
    finally:
        session.server.stored_bytes -= before - store.stored_bytes
    await session.trim(before - store.stored_bytes)
    return len(refs)


@operation("clear")
async def _clear(session, request, decoded):
    """``clear``: forget every value of this connection; return how many there were."""
    freed_bytes = session.store.stored_bytes
    session.server.stored_bytes -= freed_bytes
    result = session.store.clear()
    await session.trim(freed_bytes)
    return result


# -- the connection and the server ------------------------------------------------------------


@operation("ping")
async def _ping(session, request, decoded):
    """``ping``: ``"pong"``."""
    return "pong"


@operation("hello")
async def _hello(session, request, decoded):
    """``hello``: note the ``client`` (and whether it reads binary arrays); the server's versions."""
    session.client = request.fields.get("client") or {}
    encodings = session.client.get("encodings")
    session.arrays = isinstance(encodings, list) and arrays.ENCODING in encodings
    return dict(session.server.hello(), encodings=["json", arrays.ENCODING])


@operation("version")
async def _version(session, request, decoded):
    """``version``: the versions of the server's packages."""
    return session.server.versions()


@operation("status")
async def _status(session, request, decoded):
    """``status``: the server's and this connection's figures."""
    return await session.server.status(session)


@operation("shutdown")
async def _shutdown(session, request, decoded):
    """``shutdown``: stop the server (running calls may finish within the grace period)."""
    log.info("shutdown requested by %s", session.peer)
    asyncio.get_running_loop().call_soon(session.server.request_stop, "shutdown requested by a client")
    return True


# -- describe, shared values, the result cache (compas_cloud.server.extra_ops) ---------------------


def _extra(handler):
    async def run(session, request, decoded):
        return await handler(session, request.fields, decoded)

    run.__doc__ = handler.__doc__
    return run


for _name, _handler in extra_ops.HANDLERS.items():
    operation(_name)(_extra(_handler))


# -- batches (compas_cloud.server.batch) ------------------------------------------------------------


def _batch(name):
    method = getattr(BatchService, "op_" + name)

    async def run(session, request, decoded):
        return await method(session.server.batches, session, request, decoded)

    run.__doc__ = method.__doc__
    return run


for _name in ("batch", "batch_status", "batch_wait", "batch_cancel", "batch_free", "batch_logs"):
    operation(_name)(_batch(_name))
operation("batch_results", encoded=True)(_batch("batch_results"))
