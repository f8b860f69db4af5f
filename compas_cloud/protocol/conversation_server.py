"""The server's half of the conversation, with no sockets, no event loop and no threads (sans-I/O).

A :class:`ServerConversation` is fed the decoded messages of one connection
and says what to do with each: serve it (and how), or answer it at once with
an error. It keeps the table of calls in flight and of the callback
invocations the server is waiting for. It does no I/O and takes no locks:
the server's :class:`~compas_cloud.server.session.Session` drives it from
its asyncio event loop (and takes a lock around the invocation table, which
worker threads share). Runs on IronPython 2.7 and every later Python, so a
server written for another runtime can reuse it.

The rules it keeps (the mirror of :mod:`compas_cloud.protocol.conversation`):

- a message that is not a request is answered with an error at once, with
  the id it carried when that can be read (None otherwise);
- plain (tutorial) messages carry no id: they are served one after the
  other, in the order they came (:attr:`Serve.in_order`);
- envelopes are served concurrently; a ``call`` whose id is already in
  flight, or beyond the connection's limit of calls in flight, is refused
  with an error reply, and the call in flight keeps running;
- every request is answered exactly once: :meth:`ServerConversation.reply`
  builds the reply and ends the call; a second reply to the same call is
  refused (None), and so is an event for a call that has been answered, so
  that a call's events always come before its reply;
- ``cancel`` names a call in flight (``target``): the call ends with a
  ``CallCancelled`` error naming who cancelled it (the client, an operator);
- a callback invocation gets a fresh id (``"invocation"``) that the
  client's ``callback_reply`` names; an answer nobody waits for is ignored;
- a connection lost ends every call in flight and every invocation.
"""
from __future__ import absolute_import

from compas_cloud.errors import CallCancelled, LimitExceeded, MalformedMessage, ProtocolMismatch, UnknownOperation
from compas_cloud.protocol import messages

__all__ = ["ServerConversation", "Serve", "Reply", "Invocation", "SERVE", "SEND"]

#: What to do with a message: serve the request (``(SERVE, Serve)``).
SERVE = "serve"
#: What to do with a message: send this reply at once (``(SEND, Reply)``).
SEND = "send"

#: Who cancelled a call, when the client did.
BY_CLIENT = "the client"


class Serve(object):
    """A request to serve.

    Attributes
    ----------
    request : compas_cloud.protocol.messages.Request
        The checked request.
    in_order : bool
        True for a plain message: serve it before reading the next message.
    tracked : bool
        True for a call: it is in the table of calls in flight until
        :meth:`ServerConversation.ended` (it can be cancelled, its id is taken).
    """

    __slots__ = ("request", "in_order", "tracked")

    def __init__(self, request, in_order, tracked):
        self.request = request
        self.in_order = in_order
        self.tracked = tracked


class Reply(object):
    """A reply to send: the driver encodes :meth:`message` (plain replies with the plain encoder).

    Attributes
    ----------
    id : int or str or None
        The request's id (None for plain messages, or when it could not be read).
    plain : bool
        Answer a plain (tutorial) message: the bare result, or ``{"error": ...}``.
    ok : bool
        A result (True) or an error (False).
    value : object
        The result, or the error data ``{"type", "message", "traceback"}``.
    """

    __slots__ = ("id", "plain", "ok", "value")

    def __init__(self, rid, plain, ok, value):
        self.id = rid
        self.plain = plain
        self.ok = ok
        self.value = value

    def message(self):
        """Return the value to send."""
        if self.plain:
            return self.value if self.ok else {"error": self.value}
        if self.ok:
            return messages.reply_ok(self.id, self.value)
        return messages.reply_error(self.id, self.value)

    def __repr__(self):
        return "Reply({0!r}, ok={1!r})".format(self.id, self.ok)


class Invocation(object):
    """A callback invocation waiting for the client's ``callback_reply``.

    Attributes
    ----------
    id : int
        The invocation id sent with the ``callback`` event.
    call : int or str
        The call that invoked the callback.
    answered : bool
        The answer is in (``ok``, ``value``), or the invocation was ended (``lost``).
    lost : Exception or None
        Why the invocation ended without an answer.
    """

    __slots__ = ("id", "call", "answered", "ok", "value", "lost")

    def __init__(self, invocation, call):
        self.id = invocation
        self.call = call
        self.answered = False
        self.ok = None
        self.value = None
        self.lost = None


class _Call(object):
    __slots__ = ("id", "cancelled_by", "replied")

    def __init__(self, rid):
        self.id = rid
        self.cancelled_by = None
        self.replied = False


class ServerConversation(object):
    """The server's half of one connection's conversation.

    Parameters
    ----------
    max_calls : int, optional
        How many calls may be in flight at once on the connection (None: no limit).
    """

    def __init__(self, max_calls=None):
        self.max_calls = max_calls
        self._calls = {}
        self._invocations = {}
        self._last_invocation = 0
        self.closed = None  #: Exception or None: why the connection ended.

    # -- requests -------------------------------------------------------------------

    def receive(self, value):
        """Take one decoded message; return ``(SERVE, Serve)`` or ``(SEND, Reply)``."""
        try:
            request = messages.parse_request(value)
        except (MalformedMessage, UnknownOperation, ProtocolMismatch) as error:
            plain = isinstance(value, dict) and "v" not in value
            return SEND, Reply(error.request_id, plain, False, error.to_data())
        if request.plain:
            return SERVE, Serve(request, True, False)
        if request.op != "call":
            return SERVE, Serve(request, False, False)
        rid = request.id
        if rid in self._calls:
            error = MalformedMessage(
                "request id {0!r} is already in flight on this connection: ids must be unique among "
                "requests awaiting replies".format(rid)
            )
            return SEND, Reply(rid, False, False, error.to_data())
        if self.max_calls is not None and len(self._calls) >= self.max_calls:
            error = LimitExceeded(
                "this connection already has {0} calls running or queued, the limit set by "
                "--max-calls-per-connection; wait for replies before sending more, or restart the "
                "server with a larger --max-calls-per-connection".format(len(self._calls))
            )
            return SEND, Reply(rid, False, False, error.to_data())
        self._calls[rid] = _Call(rid)
        return SERVE, Serve(request, False, True)

    def in_flight(self, rid):
        """Return True if the call ``rid`` is in flight (received, not yet ended)."""
        return rid in self._calls

    @property
    def calls(self):
        """list: The ids of the calls in flight."""
        return list(self._calls)

    def cancel(self, target, by=BY_CLIENT):
        """Cancel the call ``target`` (an id, or ``{"cached": id}``); return False if it is not in flight.

        ``by`` names who cancelled it, for the error the call ends with.
        """
        if isinstance(target, dict):
            target = target.get("cached")
        try:
            call = self._calls.get(target)
        except TypeError:  # an unhashable target names no call
            return False
        if call is None or call.replied:
            return False
        call.cancelled_by = by
        return True

    def cancelled_by(self, rid):
        """Return who cancelled the call ``rid`` (None if nobody did, or it is not in flight)."""
        call = self._calls.get(rid)
        return None if call is None else call.cancelled_by

    def reply(self, request, ok, value):
        """Build the reply to ``request``; return None if that call was answered already."""
        if not self.answering(request):
            return None
        return Reply(request.id, request.plain, ok, value)

    def answering(self, request):
        """Note that the reply to ``request`` is being sent; return False if it was answered already.

        For replies the driver encodes itself (in a worker thread, say) with :class:`Reply`.
        """
        call = self._calls.get(request.id) if not request.plain else None
        if call is not None:
            if call.replied:
                return False
            call.replied = True
        return True

    def cancelled_reply(self, request):
        """Build the ``CallCancelled`` error reply of a cancelled call; None if it was not cancelled."""
        who = self.cancelled_by(request.id)
        if who is None or request.plain:
            return None
        error = CallCancelled(
            "call {0!r} was cancelled by {1}; a function already running finishes in the "
            "background and its result is dropped".format(request.id, who)
        )
        return self.reply(request, False, error.to_data())

    def accepts_event(self, rid):
        """Return True if an event of call ``rid`` may be sent: the call is in flight and not yet answered."""
        call = self._calls.get(rid)
        return call is not None and not call.replied

    def ended(self, rid):
        """Forget the call ``rid`` (its handling is over, answered or not); return True if it was in flight."""
        return self._calls.pop(rid, None) is not None

    # -- callback invocations -----------------------------------------------------------

    def invoke(self, call):
        """Register a callback invocation of call ``call``; return the :class:`Invocation`."""
        if self.closed is not None:
            raise self.closed
        self._last_invocation += 1
        invocation = Invocation(self._last_invocation, call)
        self._invocations[invocation.id] = invocation
        return invocation

    def answer(self, invocation, ok, value):
        """Take the client's ``callback_reply``; return the :class:`Invocation` it answers, or None."""
        try:
            waiting = self._invocations.pop(invocation, None)
        except TypeError:
            return None
        if waiting is None:
            return None
        waiting.answered = True
        waiting.ok = ok
        waiting.value = value
        return waiting

    def forget(self, invocation):
        """Stop waiting for ``invocation`` (its callback gave up: timeout, cancel)."""
        self._invocations.pop(invocation, None)

    @property
    def invocations(self):
        """list: The ids of the invocations waiting for an answer, in order."""
        return sorted(self._invocations)

    # -- the end --------------------------------------------------------------------------

    def lost(self, error):
        """The connection ended with ``error``: return ``(calls, invocations)`` that were still open.

        Every call in flight ends (the driver cancels their work); every
        invocation ends with ``lost`` set. Only the first loss counts.
        """
        if self.closed is None:
            self.closed = error
        calls = [rid for rid in self._calls]
        self._calls.clear()
        invocations = [self._invocations[key] for key in sorted(self._invocations)]
        self._invocations.clear()
        for invocation in invocations:
            invocation.answered = True
            invocation.lost = self.closed
        return calls, invocations
