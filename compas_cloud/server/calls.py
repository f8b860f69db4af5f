"""The call a worker thread is running: its events to the client, and whether it was cancelled.

A :class:`CallContext` lives for one envelope ``call``. The session creates
it, the worker thread makes it current while the function runs, and
:mod:`compas_cloud.server.progress`, the remote callbacks
(:mod:`compas_cloud.server.callbacks`) and the output capture
(:mod:`compas_cloud.server.output`) find it with :func:`current`.

Events are written from the worker thread through the session's event loop,
and the worker waits until each one is handed to the connection: so the
client receives a call's events in the order they were made, and all of
them before the call's reply.
"""
import asyncio
import concurrent.futures
import threading

from compas_cloud.errors import CallCancelled, EncodingError
from compas_cloud.protocol import dumps, event

#: Seconds a worker waits for one event to be handed to a slow connection.
EVENT_TIMEOUT = 60.0

_local = threading.local()


def current():
    """Return the :class:`CallContext` of the call running in this thread, or None."""
    return getattr(_local, "context", None)


class CallContext:
    """One call in progress, as seen from the worker thread that runs it.

    Parameters
    ----------
    session : compas_cloud.server.session.Session
        The connection the call came from.
    call_id : int or str
        The call's request id (events carry it as ``"call"``).
    loop : asyncio.AbstractEventLoop
        The server's event loop.
    progress : bool
        The client asked for progress events.
    output : bool
        The client asked for what the function prints.

    Attributes
    ----------
    cancelled : bool
        The client cancelled the call.
    finished : bool
        The call has returned (or failed): its callbacks and events are dead.
    """

    def __init__(self, session, call_id, loop, progress=False, output=False):
        self.session = session
        self.id = call_id
        self.loop = loop
        self.progress = progress
        self.output = output
        self.cancelled = False
        self.finished = False
        self.gone = False

    # -- the worker's side ------------------------------------------------------------

    def enter(self):
        """Make this the current call of the calling (worker) thread."""
        _local.context = self

    def leave(self):
        """End the call: no more events; callbacks called later fail."""
        self.finished = True
        if getattr(_local, "context", None) is self:
            _local.context = None

    def check(self):
        """Raise :class:`CallCancelled` if the client cancelled the call."""
        if self.cancelled:
            raise CallCancelled("the call was cancelled by the client")

    def emit(self, name, **fields):
        """Send the event ``name`` for this call and wait until it is handed to the connection.

        Returns
        -------
        bool
            False when the event could not be sent (the call has ended or the client left).

        Raises
        ------
        EncodingError
            A field cannot be sent as JSON.
        """
        if self.finished or self.gone:
            return False
        try:
            text = dumps(event(name, call=self.id, **fields))
        except (TypeError, ValueError, OverflowError) as error:
            raise EncodingError("the {0} event cannot be sent as JSON: {1}".format(name, error)) from None
        try:
            future = asyncio.run_coroutine_threadsafe(self.session._send(text), self.loop)
        except RuntimeError:  # the event loop has stopped
            self.gone = True
            return False
        try:
            future.result(EVENT_TIMEOUT)
        except concurrent.futures.TimeoutError:
            future.cancel()
            self.gone = True
            return False
        except Exception:
            self.gone = True
            return False
        return True

    # -- the event loop's side ----------------------------------------------------------

    def cancel(self):
        """Mark the call cancelled (called on the event loop); return False if it already ended."""
        if self.finished or self.cancelled:
            return False
        self.cancelled = True
        return True


def prepare(session, request, args, kwargs):
    """Set up the call ``request`` of ``session``: its context, and its callbacks in the arguments.

    Returns
    -------
    tuple
        ``(context, args, kwargs)``; the context is None for plain (tutorial) calls,
        which get no events.
    """
    from compas_cloud.server.callbacks import RemoteCallback, check_declared, replace_markers

    if request.plain:
        return None, args, kwargs
    fields = request.fields
    context = CallContext(
        session, request.id, asyncio.get_running_loop(), progress=fields.get("progress", False), output=fields.get("output", False)
    )
    declared = check_declared(fields.get("callbacks") or [])
    if declared:
        answers = session.callback_answers

        def make(callback_id, wait):
            return RemoteCallback(context, callback_id, wait, answers, timeout=session.server.config.callback_timeout)

        args = replace_markers(args, declared, make)
        kwargs = replace_markers(kwargs, declared, make)
    session.call_contexts[request.id] = context
    return context, args, kwargs


class running:
    """Context manager for the worker thread: the call is current, its output captured if asked."""

    def __init__(self, context):
        self.context = context
        self.capture = None

    def __enter__(self):
        context = self.context
        if context is not None:
            context.enter()
            if context.output:
                from compas_cloud.server.output import capture

                self.capture = capture(context)
                self.capture.__enter__()
        return context

    def __exit__(self, *exc):
        context = self.context
        if context is None:
            return False
        try:
            if self.capture is not None:
                self.capture.__exit__(*exc)
        finally:
            context.leave()
            contexts = context.session.call_contexts
            if contexts.get(context.id) is context:
                contexts.pop(context.id, None)
        return False
