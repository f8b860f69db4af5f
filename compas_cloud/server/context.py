"""The call context: the call a worker thread is running, its events, whether it was cancelled.

A :class:`CallContext` lives for one envelope ``call``. :mod:`compas_cloud.server.calls`
creates it, the worker thread makes it current while the function runs, and
:mod:`compas_cloud.server.progress`, the remote callbacks
(:mod:`compas_cloud.server.callbacks`) and the output capture
(:mod:`compas_cloud.server.output`) find it with :func:`current`.

Events are written from the worker thread through the session's event loop,
and the worker waits until each one is handed to the connection: so the
client receives a call's events in the order they were made, and all of
them before the call's reply. A call that runs on the event loop itself
(:mod:`compas_cloud.server.inline`) cannot wait for the loop: its events are
kept in :attr:`CallContext.buffer` and sent, in order, before its reply.
"""
import asyncio
import concurrent.futures
import threading
import time

from compas_cloud.errors import CallCancelled, EncodingError
from compas_cloud.protocol import event
from compas_cloud.server.fastjson import dumps
from compas_cloud.server.output import capture

#: Progress reports a call may send at once, before the rate below applies (the rest are held back).
PROGRESS_BURST = 32

#: Progress reports a second a call sends once its burst is spent; the last report is always sent.
PROGRESS_RATE = 5.0

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
        The call was cancelled (by the client, or from the dashboard).
    cancelled_by : str or None
        Who cancelled it, as the :class:`CallCancelled` error says.
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
        self.cancelled_by = None
        self.finished = False
        self.gone = False
        self.buffer = None  # a list while the call runs on the event loop: its events wait there
        self._progress_tokens = float(PROGRESS_BURST)
        self._progress_time = None
        self._progress_pending = None

    # -- the worker's side ------------------------------------------------------------

    def enter(self):
        """Make this the current call of the calling (worker) thread."""
        _local.context = self

    def report_progress(self, **fields):
        """Send a progress event, throttled: a burst of :data:`PROGRESS_BURST`, then :data:`PROGRESS_RATE` a second.

        A report that comes too soon is kept and sent with the next one let through, or when
        the call ends (before its reply): the last report always arrives. Returns False once the
        client has left.
        """
        now = time.monotonic()
        if self._progress_time is not None:
            elapsed = now - self._progress_time
            self._progress_tokens = min(float(PROGRESS_BURST), self._progress_tokens + elapsed * PROGRESS_RATE)
        self._progress_time = now
        if self._progress_tokens < 1.0:
            self._progress_pending = fields
            return not (self.finished or self.gone)
        self._progress_tokens -= 1.0
        self._progress_pending = None
        return self.emit("progress", **fields)

    def leave(self):
        """End the call: the last held-back progress report is sent; then no more events, callbacks fail."""
        pending, self._progress_pending = self._progress_pending, None
        if pending is not None and not (self.finished or self.gone):
            try:
                self.emit("progress", **pending)
            except Exception:  # the call's own outcome matters more than its last report
                pass
        self.finished = True
        if getattr(_local, "context", None) is self:
            _local.context = None

    def check(self):
        """Raise :class:`CallCancelled` if the client cancelled the call."""
        if self.cancelled:
            raise CallCancelled("the call was cancelled by {0}".format(self.cancelled_by or "the client"))

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
        if self.buffer is not None:
            self.buffer.append(text)
            return True
        try:
            future = asyncio.run_coroutine_threadsafe(self.session.send_event(self.id, text), self.loop)
        except RuntimeError:  # the event loop has stopped
            self.gone = True
            return False
        try:
            sent = future.result(EVENT_TIMEOUT)
        except concurrent.futures.TimeoutError:
            future.cancel()
            self.gone = True
            return False
        except Exception:
            self.gone = True
            return False
        return sent  # False: the call was answered already (the conversation refuses its late events)

    # -- the event loop's side ----------------------------------------------------------

    def cancel(self, by="the client"):
        """Mark the call cancelled by ``by`` (called on the event loop); return False if it already ended."""
        if self.finished or self.cancelled:
            return False
        self.cancelled = True
        self.cancelled_by = by
        return True


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


__all__ = ["CallContext", "EVENT_TIMEOUT", "current", "running"]
