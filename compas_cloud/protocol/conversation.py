"""The rules of a conversation with a server, with no sockets and no threads (sans-I/O).

A :class:`ClientConversation` is fed decoded messages and asked for the
messages to send; it answers with plain values saying what happened. It does
no I/O, takes no locks and starts no threads: the client's
:class:`~compas_cloud.client.connection.Connection` drives it with threads (one
lock around every call into it), and another client (asyncio, .NET, a test
script) can drive it in its own way. Runs on IronPython 2.7 and every later
Python. It is the reference for other clients (see ``docs/protocol.md``).

The rules it keeps:

- every request gets a fresh id (1, 2, ...); its reply carries the same id;
- replies may come in any order; a reply to an id nobody waits for, or a
  second reply to the same id, is ignored (and reported, not raised);
- an event that names a call (``"call": id``) goes to that call's handler; an
  event that names no waiting call goes to whoever listens to the connection;
- a call's reply is released only after the events that came before it have
  run (``Call.settled``): a callback or progress report is never lost behind
  its call's result;
- ``cancel`` is an ordinary request naming the call (``target``); whichever
  of the two replies comes first, each is matched to its own request;
- a callback's answer (``callback_reply``) is a request whose reply nobody
  waits for (:meth:`ClientConversation.notification`);
- a connection lost mid-call fails every call still waiting with the same error.

The server half (:mod:`compas_cloud.protocol.conversation_server`, driven by
``server/session.py``) keeps the mirror rules: it reads requests, answers each
id exactly once, sends a call's events before its reply, matches
``callback_reply`` requests to the invocations it sent (``"invocation"`` ids)
and fails those invocations when the connection is lost.
"""
from __future__ import absolute_import

from compas_cloud.errors import error_from_data
from compas_cloud.protocol import messages

__all__ = ["Call", "ClientConversation", "WAKE", "DISPATCH", "EVENT", "IGNORED"]

#: What happened: a waiting thread should look at its call again (``(WAKE, call)``).
WAKE = "wake"
#: What happened: run ``handler(message)`` of a call nobody waits for, in order (``(DISPATCH, call, message)``);
#: ``message`` None means the reply is in: call :meth:`ClientConversation.finish` after the earlier ones ran.
DISPATCH = "dispatch"
#: What happened: an event no waiting call takes (``(EVENT, name, message)``): for the connection's listener.
EVENT = "event"
#: What happened: a reply to an id nobody waits for, or a duplicate reply (``(IGNORED, id, message)``).
IGNORED = "ignored"


class Call(object):
    """One request waiting for its reply.

    Attributes
    ----------
    id : int
        The request's id.
    handler : callable or None
        Takes the call's events (and None once it ended, for a dispatched call).
    inline : bool
        True: the waiting thread runs the events (:meth:`ClientConversation.take_events`).
        False: they are dispatched, in order, by whoever drives the conversation.
    replied : bool
        The reply is in.
    done : bool
        The call has ended: its reply is in and its earlier dispatched events ran, or it failed.
    ok, value : bool, object
        The reply: its result, or its error data.
    error : Exception or None
        Why the call failed without a reply (the connection was lost).
    events : list
        Inline events not yet taken.
    """

    __slots__ = ("id", "ok", "value", "done", "replied", "error", "handler", "inline", "events")

    def __init__(self, rid, handler=None, inline=True):
        self.id = rid
        self.ok = None
        self.value = None
        self.done = False
        self.replied = False
        self.error = None
        self.handler = handler
        self.inline = inline
        self.events = []

    @property
    def settled(self):
        """bool: The call has ended and every event it received has been taken."""
        return self.done and not self.events

    def __repr__(self):
        return "Call({0!r}, replied={1!r}, done={2!r})".format(self.id, self.replied, self.done)


class ClientConversation(object):
    """The client's half of the conversation: ids, the pending table, event routing.

    Every method returns at once; none sends or reads anything. Whoever
    drives it sends the messages it returns and acts on the happenings
    :meth:`receive` reports.
    """

    def __init__(self):
        self._last_id = 0
        self._calls = {}
        self.closed = None  #: Exception or None: why the conversation ended.

    # -- sending -------------------------------------------------------------------

    def next_id(self):
        """Return a fresh request id."""
        self._last_id += 1
        return self._last_id

    def request(self, op, handler=None, inline=True, **fields):
        """Register a call and return ``(call, message)``: the message is the request to send.

        Raises
        ------
        Exception
            The error the conversation ended with, if it has.
        """
        if self.closed is not None:
            raise self.closed
        call = Call(self.next_id(), handler, inline)
        message = messages.request(op, call.id, **fields)
        self._calls[call.id] = call
        return call, message

    def notification(self, op, **fields):
        """Return a request whose reply nobody waits for (a callback's answer, say)."""
        if self.closed is not None:
            raise self.closed
        return messages.request(op, self.next_id(), **fields)

    def cancel(self, target, **fields):
        """Return ``(call, message)`` asking the server to cancel call ``target``.

        The cancel is a call of its own: its reply says whether ``target`` was
        still running. ``target``'s own reply comes separately, before or after.
        """
        return self.request("cancel", target=target, **fields)

    def call(self, rid):
        """Return the waiting call ``rid``, or None."""
        return self._calls.get(rid)

    def forget(self, rid):
        """Stop waiting for ``rid`` (its request could not be sent, or nobody waits any more)."""
        return self._calls.pop(rid, None)

    @property
    def pending(self):
        """list: The ids of the calls waiting, in order."""
        return sorted(self._calls)

    # -- receiving -----------------------------------------------------------------

    def receive(self, message):
        """Take one decoded message from the server; return the list of happenings.

        Raises
        ------
        ProtocolError
            If the message is neither a reply nor an event.
        """
        kind, key, ok, value = messages.parse_reply(message)
        if kind == "event":
            return self._route(key, ok)
        call = self._calls.get(key)
        if call is None or call.replied or call.done:
            return [(IGNORED, key, message)]
        call.ok = ok
        call.value = value
        call.replied = True
        if call.handler is not None and not call.inline:
            return [(DISPATCH, call, None)]  # done once the events before it have run
        call.done = True
        return [(WAKE, call)]

    def _route(self, name, message):
        rid = message.get("call")
        call = None
        if rid is not None and not isinstance(rid, (list, dict)):
            call = self._calls.get(rid)
        if call is None or call.handler is None or call.done:
            return [(EVENT, name, message)]
        if call.inline:
            call.events.append(message)
            return [(WAKE, call)]
        return [(DISPATCH, call, message)]

    def take_events(self, call):
        """Return the inline events ``call`` received since last asked, oldest first."""
        events, call.events = call.events, []
        return events

    def finish(self, call):
        """Mark a dispatched call done: its reply's turn came after its earlier events."""
        call.done = True
        return [(WAKE, call)]

    def lost(self, error):
        """The connection ended with ``error``: every call still waiting for its reply fails with it.

        A dispatched call whose reply is in keeps it: it ends with :meth:`finish`
        once its earlier events have run, as it would have.

        Returns the happenings (a wake for each call that failed). Only the
        first loss counts.
        """
        if self.closed is None:
            self.closed = error
        woken = []
        for rid in sorted(self._calls):
            call = self._calls[rid]
            if not call.done and not call.replied:
                call.error = self.closed
                call.done = True
                woken.append((WAKE, call))
        return woken

    def outcome(self, call):
        """Return the result of an ended call, or raise its error.

        Raises
        ------
        ServerSideError
            (or a subclass) when the server answered with an error.
        Exception
            The connection's error when the call failed without a reply.
        """
        if call.error is not None:
            raise call.error
        if call.ok:
            return call.value
        raise error_from_data(call.value)

