"""The wire protocol, with no knowledge of sockets.

Both halves of compas_cloud speak through this package: the client's
transports and the server build, parse and encode messages with it, and do
their own I/O around it. It runs on IronPython 2.7 and every later Python.

What lives here: ``messages`` (request, reply and event shapes, and the
operations with their fields), ``codec`` and ``arrays`` (JSON and binary
encodings; ``arrays_format`` and ``arrays_pack`` are parts of ``arrays``), ``reference``, ``address`` (URLs, defaults, the one definition of
loopback), ``walk`` (the one walk over nested values), and the two halves of
the conversation, sans-I/O: ``conversation`` (the client's) and
``conversation_server`` (the server's).

It may import only the standard library, :mod:`compas_cloud._compat` and
:mod:`compas_cloud.errors`: never the client, the server, Rhino, compas or numpy
(numpy only where present, inside functions).

See ``docs/protocol.md`` for the protocol written out for other languages.
"""
from __future__ import absolute_import

from compas_cloud.protocol.reference import Reference, is_reference, reference_id
from compas_cloud.protocol.messages import (
    PROTOCOL_VERSION,
    OPERATIONS,
    Request,
    request,
    reply_ok,
    reply_error,
    event,
    parse_request,
    parse_reply,
)
from compas_cloud.protocol.codec import dumps, loads, dumps_plain, dumps_arrays

__all__ = [
    "PROTOCOL_VERSION",
    "OPERATIONS",
    "Reference",
    "is_reference",
    "reference_id",
    "Request",
    "request",
    "reply_ok",
    "reply_error",
    "event",
    "parse_request",
    "parse_reply",
    "dumps",
    "dumps_plain",
    "dumps_arrays",
    "loads",
]
