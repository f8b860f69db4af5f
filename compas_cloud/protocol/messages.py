"""Messages: building and checking requests, replies and events.

Two shapes of message share the server:

*Plain messages* (what the tutorial's JavaScript sends) have no ``"v"`` key::

    {"package": "compas.geometry.transform_points", "args": [...], "kwargs": {...}, "cache": false}
    {"cache": data}
    {"get": id}

and are answered with the bare result (or ``{"cached": id}``), in order.

*Envelopes* (what full clients send) carry the protocol version and an id::

    {"v": 1, "id": 7, "op": "call", "function": "...", "args": [], "kwargs": {}, "cache": false}

and are answered with ``{"v": 1, "id": 7, "ok": true, "result": ...}`` or
``{"v": 1, "id": 7, "ok": false, "error": {"type", "message", "traceback"}}``.
Unsolicited messages from the server are events: ``{"v": 1, "event": name, ...}``.
"""
from __future__ import absolute_import

from compas_cloud._compat import integer_types, string_types
from compas_cloud.errors import MalformedMessage, ProtocolMismatch, ProtocolError, UnknownOperation
from compas_cloud.protocol.reference import is_reference

#: The version of the envelope protocol this code speaks.
PROTOCOL_VERSION = 1

_ANY = object()
_ID = object()

#: Operations a client may request, with their fields: name -> (kind, required).
OPERATIONS = {
    "hello": {"client": (dict, False)},
    "call": {"function": (string_types, True), "args": (list, False), "kwargs": (dict, False), "cache": (bool, False), "executor": (bool, False)},
    "cache": {"data": (_ANY, True)},
    "get": {"ref": (_ID, True)},
    "free": {"refs": (list, True)},
    "clear": {},
    "ping": {},
    "version": {},
    "status": {},
    "shutdown": {},
    # Batches (compas_cloud.server.batch).
    "batch": {"tasks": (list, True)},
    "batch_status": {"batch": (string_types, True)},
    "batch_wait": {"batch": (string_types, True), "timeout": ((float,) + integer_types, False)},
    "batch_results": {"batch": (string_types, True), "tasks": (list, False), "cache": (bool, False)},
    "batch_logs": {"batch": (string_types, True), "tasks": (list, False)},
    "batch_cancel": {"batch": (string_types, True)},
    "batch_free": {"batch": (string_types, True)},
    "cancel": {"target": (_ID, True)},
}

# Callbacks, progress and output of a call (docs/protocol.md, "Callbacks, progress, output").
OPERATIONS["call"].update({"callbacks": (list, False), "progress": (bool, False), "output": (bool, False)})
# Descriptions, shared values and the result cache (docs/protocol.md, "Describe, share, result cache").
OPERATIONS["call"]["cache_result"] = (bool, False)
OPERATIONS["describe"] = {"function": (string_types, True)}
OPERATIONS["functions"] = {"module": (string_types, True)}
OPERATIONS["share"] = {"ref": (_ID, True), "name": (string_types, True)}
OPERATIONS["shared"] = {"name": (string_types, True)}
OPERATIONS["unshare"] = {"name": (string_types, True)}
OPERATIONS["clear_result_cache"] = {}
OPERATIONS["load"] = {}  # how busy the server is, cheaply (several servers: compas_cloud.client.servers)
OPERATIONS["callback_reply"] = {
    "invocation": (integer_types, True),
    "ok": (bool, True),
    "result": (_ANY, False),
    "error": (dict, False),
}

_ENVELOPE_KEYS = ("v", "id", "op")


class Request(object):
    """A checked request.

    Attributes
    ----------
    op : str
        The operation, one of :data:`OPERATIONS`.
    id : int or str or None
        The request id to echo (None for plain messages).
    fields : dict
        The operation's fields, with defaults filled in.
    plain : bool
        True for a plain (id-less, tutorial-style) message.
    """

    __slots__ = ("op", "id", "fields", "plain")

    def __init__(self, op, id, fields, plain=False):
        self.op = op
        self.id = id
        self.fields = fields
        self.plain = plain

    def __repr__(self):
        return "Request(op={0!r}, id={1!r}, plain={2!r})".format(self.op, self.id, self.plain)


def request(op, id, **fields):
    """Build an envelope request.

    Parameters
    ----------
    op : str
        One of :data:`OPERATIONS`.
    id : int
        An id unique among the client's requests in flight.
    **fields
        The operation's fields.

    Returns
    -------
    dict
    """
    message = {"v": PROTOCOL_VERSION, "id": id, "op": op}
    message.update(fields)
    return message


def reply_ok(id, result):
    """Build a successful reply to request ``id``."""
    return {"v": PROTOCOL_VERSION, "id": id, "ok": True, "result": result}


def reply_error(id, error):
    """Build an error reply to request ``id``.

    Parameters
    ----------
    id : int or str or None
        The request's id, or None when it could not be read.
    error : dict
        ``{"type", "message", "traceback"}``.
    """
    return {"v": PROTOCOL_VERSION, "id": id, "ok": False, "error": error}


def event(name, **fields):
    """Build an unsolicited event message (a shutdown notice, say)."""
    message = {"v": PROTOCOL_VERSION, "event": name}
    message.update(fields)
    return message


def _check_kind(name, value, kind):
    if kind is _ANY:
        return
    if kind is _ID:
        if is_reference(value):
            value = value["cached"]
        if isinstance(value, string_types) or (isinstance(value, integer_types) and not isinstance(value, bool)):
            return
        raise MalformedMessage("field {0!r} must be a reference {{'cached': id}} or an id, got {1!r}".format(name, value))
    if kind is bool and not isinstance(value, bool):
        raise MalformedMessage("field {0!r} must be true or false, got {1!r}".format(name, value))
    if not isinstance(value, kind):
        expected = {list: "an array", dict: "an object"}.get(kind, "a string")
        raise MalformedMessage("field {0!r} must be {1}, got {2}".format(name, expected, type(value).__name__))


def _fields(op, message, ignore):
    spec = OPERATIONS[op]
    fields = {}
    for name, (kind, required) in spec.items():
        if name in message:
            value = message[name]
            if type(value) is not kind:  # a list where a list is due (and so on) needs no further look
                _check_kind(name, value, kind)
            fields[name] = value
        elif required:
            raise MalformedMessage("operation {0!r} needs the field {1!r}".format(op, name))
    unknown = sorted(key for key in message if key not in spec and key not in ignore)
    if unknown:
        raise MalformedMessage("operation {0!r} has unknown fields: {1}".format(op, ", ".join(unknown)))
    fields.setdefault("args", [])
    fields.setdefault("kwargs", {})
    fields.setdefault("cache", False)
    return fields


def _parse_plain(message):
    if "package" in message:
        renamed = dict(message)
        renamed["function"] = renamed.pop("package")
        return Request("call", None, _fields("call", renamed, ()), plain=True)
    if "get" in message and len(message) == 1:
        return Request("get", None, _fields("get", {"ref": message["get"]}, ()), plain=True)
    if "cache" in message and len(message) == 1:
        return Request("cache", None, {"data": message["cache"]}, plain=True)
    raise MalformedMessage(
        "unknown message: expected {\"package\": name, \"args\": [...], \"kwargs\": {...}}, "
        "{\"cache\": data}, {\"get\": id} or an envelope with \"v\", \"id\" and \"op\"; got keys: "
        + ", ".join(sorted(str(key) for key in message))
    )


def parse_request(message):
    """Check a decoded message and return it as a :class:`Request`.

    Parameters
    ----------
    message : object
        A decoded JSON value received by the server.

    Returns
    -------
    Request

    Raises
    ------
    MalformedMessage, UnknownOperation, ProtocolMismatch
        With an attribute ``request_id`` holding the id to echo (or None).
    """
    rid = None
    try:
        if not isinstance(message, dict):
            raise MalformedMessage("a message must be a JSON object, got {0}".format(type(message).__name__))
        if "v" not in message:
            return _parse_plain(message)
        rid = message.get("id")
        if rid is not None and (isinstance(rid, bool) or not isinstance(rid, integer_types + string_types)):
            rid = None
            raise MalformedMessage("the request id must be an integer or a string")
        version = message["v"]
        # Compare only integers: a decoded object (a COMPAS Point, say) may raise in its __eq__.
        if isinstance(version, bool) or not isinstance(version, integer_types) or version != PROTOCOL_VERSION:
            raise ProtocolMismatch(
                "the client speaks protocol version {0!r}, this server speaks version {1}: "
                "install the same compas_cloud version on both sides".format(message["v"], PROTOCOL_VERSION)
            )
        if rid is None:
            raise MalformedMessage("an envelope needs an \"id\" (an integer or a string)")
        op = message.get("op")
        if not isinstance(op, string_types):
            raise MalformedMessage("an envelope needs an \"op\" string")
        if op not in OPERATIONS:
            raise UnknownOperation(
                "unknown operation {0!r}; this server offers: {1}".format(op, ", ".join(sorted(OPERATIONS)))
            )
        return Request(op, rid, _fields(op, message, _ENVELOPE_KEYS))
    except (MalformedMessage, UnknownOperation, ProtocolMismatch) as error:
        error.request_id = rid
        raise


def parse_reply(message):
    """Check a decoded message received by a client.

    Returns
    -------
    tuple
        ``("reply", id, ok, result_or_error)`` for a reply, or
        ``("event", name, message, None)`` for an event.

    Raises
    ------
    ProtocolError
        When the message is neither.
    """
    if not isinstance(message, dict) or "v" not in message:
        raise ProtocolError("expected a reply envelope from the server, got {0!r}".format(_clip(message)))
    if message["v"] != PROTOCOL_VERSION:
        raise ProtocolError(
            "the server answered in protocol version {0!r}, this client speaks {1}".format(message["v"], PROTOCOL_VERSION)
        )
    if "event" in message:
        return ("event", message["event"], message, None)
    if "id" not in message or "ok" not in message:
        raise ProtocolError("reply without \"id\" or \"ok\": {0!r}".format(_clip(message)))
    if message["ok"]:
        return ("reply", message["id"], True, message.get("result"))
    return ("reply", message["id"], False, message.get("error"))


def _clip(value, limit=200):
    text = repr(value)
    if len(text) > limit:
        text = text[:limit] + "..."
    return text
