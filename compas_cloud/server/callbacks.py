"""Client-side callables on the server: markers in the arguments become :class:`RemoteCallback`.

A client declares the callbacks of a call in its ``"callbacks"`` field (a
list of ids) and puts a marker ``{"callback": id}`` (or
``{"callback": id, "wait": false}``) wherever the callable was in the
arguments. Only declared markers are replaced, so data that happens to look
like a marker is left alone in calls that declare no callbacks.

Calling a :class:`RemoteCallback` sends a ``callback`` event to the client.
By default it then waits for the client's ``callback_reply`` and returns the
value the client's function returned, or raises :class:`CallbackError` with
the client's error; a callback declared with ``"wait": false`` returns None
at once (fire-and-forget).
"""
import threading

from compas_cloud.errors import CallbackError, MalformedMessage
from compas_cloud.protocol.conversation_server import ServerConversation
from compas_cloud.protocol.walk import walk
from compas_cloud.server.context import current

#: Seconds a waiting callback waits for the client's answer (the server's ``--callback-timeout``).
CALLBACK_TIMEOUT = 300.0

# How often (seconds) a waiting callback looks for cancellation.
_SLICE = 0.25

CALLBACK_KEY = "callback"


class _Answer:
    __slots__ = ("event", "invocation")

    def __init__(self, invocation):
        self.event = threading.Event()
        self.invocation = invocation  # the core's Invocation: ok, value, lost

    @property
    def ok(self):
        return self.invocation.ok

    @property
    def value(self):
        return self.invocation.value

    @property
    def lost(self):
        return self.invocation.lost


class CallbackAnswers:
    """The answers a session's waiting callbacks expect, by invocation id.

    A thread-safe driver of the invocation table of the session's
    :class:`~compas_cloud.protocol.conversation_server.ServerConversation`:
    worker threads wait on an event per invocation, the event loop delivers
    the client's ``callback_reply`` (or the loss of the connection).
    """

    def __init__(self, conversation=None):
        self.conversation = conversation if conversation is not None else ServerConversation()
        self._events = {}
        self._lock = threading.Lock()

    def expect(self, call=None):
        """Return a new ``(invocation id, answer)`` for a callback of call ``call``."""
        with self._lock:
            invocation = self.conversation.invoke(call)
            answer = _Answer(invocation)
            self._events[invocation.id] = answer
        return invocation.id, answer

    def forget(self, invocation):
        with self._lock:
            self.conversation.forget(invocation)
            self._events.pop(invocation, None)

    def deliver(self, invocation, ok, value):
        """Hand the client's answer to the waiting callback; return False if none waits for it."""
        with self._lock:
            answered = self.conversation.answer(invocation, ok, value)
            answer = self._events.pop(answered.id, None) if answered is not None else None
        if answer is None:
            return False
        answer.event.set()
        return True

    def close(self, error):
        """The connection is gone: wake every waiting callback (they fail with ``error``)."""
        with self._lock:
            _, invocations = self.conversation.lost(error)
            answers = [self._events.pop(invocation.id, None) for invocation in invocations]
        for answer in answers:
            if answer is not None:
                answer.event.set()


class RemoteCallback:
    """A function of the client, callable on the server during the call that passed it.

    Parameters
    ----------
    context : compas_cloud.server.context.CallContext
        The call that passed the callback.
    callback_id : int
        The callback's id within the call.
    wait : bool
        Wait for the client's answer (True) or return at once (False).
    answers : CallbackAnswers
        The session's waiting answers.
    timeout : float
        Seconds to wait for the answer.
    """

    def __init__(self, context, callback_id, wait, answers, timeout=CALLBACK_TIMEOUT):
        self.context = context
        self.id = callback_id
        self.wait = wait
        self.answers = answers
        self.timeout = timeout

    def __repr__(self):
        return "<client callback {0} of call {1!r}{2}>".format(self.id, self.context.id, "" if self.wait else " (no wait)")

    def __call__(self, *args, **kwargs):
        """Run the client's function with these arguments and return its result.

        Raises
        ------
        CallbackError
            The client's function raised (the message holds its type, message and
            traceback), the client did not answer in time, or the call has ended.
        CallCancelled
            The client cancelled the call.
        """
        context = self.context
        context.check()
        if context.finished:
            raise CallbackError("callback {0} was called after the call that passed it had ended".format(self.id))
        if not self.wait:
            self._emit(None, args, kwargs)
            return None
        invocation, answer = self.answers.expect(context.id)
        try:
            self._emit(invocation, args, kwargs)
            waited = 0.0
            while not answer.event.wait(_SLICE):
                waited += _SLICE
                context.check()
                if context.gone:
                    raise CallbackError("callback {0} got no answer: the client has left".format(self.id))
                if waited >= self.timeout:
                    raise CallbackError(
                        "callback {0} got no answer from the client within {1:g} s (the server's "
                        "--callback-timeout)".format(self.id, self.timeout)
                    )
        finally:
            self.answers.forget(invocation)
        if answer.lost is not None:
            raise CallbackError("callback {0} got no answer: the client has left".format(self.id))
        if answer.ok:
            return answer.value
        error = answer.value if isinstance(answer.value, dict) else {}
        raise CallbackError(
            "the client's callback raised {0}: {1}".format(error.get("type", "an error"), error.get("message", "")),
            client_type=error.get("type"),
            client_traceback=error.get("traceback", ""),
        )

    def _emit(self, invocation, args, kwargs):
        fields = {"callback": self.id, "wait": self.wait, "args": list(args), "kwargs": dict(kwargs)}
        if invocation is not None:
            fields["invocation"] = invocation
        if not self.context.emit("callback", **fields):
            if self.wait:
                raise CallbackError("callback {0} cannot reach the client: it has left".format(self.id))


def is_marker(value, declared):
    """Return True if ``value`` is a callback marker whose id was declared."""
    if not isinstance(value, dict) or CALLBACK_KEY not in value:
        return False
    if any(key not in (CALLBACK_KEY, "wait") for key in value):
        return False
    if not isinstance(value.get("wait", True), bool):
        return False
    cid = value[CALLBACK_KEY]
    return isinstance(cid, (int, str)) and not isinstance(cid, bool) and cid in declared


def replace_markers(value, declared, make):
    """Return ``value`` with each declared marker replaced by ``make(id, wait)``.

    Lists, tuples and dicts are walked to any depth (:func:`compas_cloud.protocol.walk.walk`);
    the rest is returned as it is, and so is a container holding no marker.
    """

    def enter(container):
        if is_marker(container, declared):
            return make(container[CALLBACK_KEY], container.get("wait", True))
        return container

    return walk(value, _keep, max_depth=None, enter=enter)


def _keep(item):
    return item


def check_declared(callbacks):
    """Return the declared callback ids as a set, or raise MalformedMessage."""
    for cid in callbacks:
        if isinstance(cid, bool) or not isinstance(cid, (int, str)):
            raise MalformedMessage("\"callbacks\" must list callback ids (integers or strings), got {0!r}".format(cid))
    return set(callbacks)


__all__ = ["RemoteCallback", "CallbackAnswers", "replace_markers", "check_declared", "current"]
