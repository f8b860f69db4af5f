"""One connection to a server: requests out, replies matched to them by id.

Any thread may send a request and wait for its reply. Whichever waiting
thread finds the socket free reads it for everyone (leader/follower), so a
single-threaded script pays no thread hand-off, and several threads share
one connection safely. While nobody waits, a small daemon thread reads now
and then, so the server's keepalive pings are answered and a dropped
connection is noticed between calls.

Events of a call (callbacks, progress, output: ``{"v": 1, "event": ...,
"call": id}``) go to the handler given to :meth:`Connection.send_with`: for
a call that a thread waits for (``inline``), that thread runs them inside
:meth:`Connection.wait` (so a callback runs in the caller's thread, the UI
thread in Rhino); otherwise one dispatcher thread per connection runs them,
and the call's reply is released only after its earlier events have run.

The rules (ids, the pending table, event routing, the order of events and
replies, a lost connection) live in the sans-I/O
:class:`~compas_cloud.protocol.conversation.ClientConversation`; this module
only adds the threads: who reads the socket, who runs the events, who waits.
"""
from __future__ import absolute_import

import collections
import threading
import time
import weakref

try:
    import queue
except ImportError:  # Python 2.7, IronPython 2.7
    import Queue as queue

from compas_cloud.errors import CloudTimeout, ConnectionClosed, LimitExceeded, ProtocolError
from compas_cloud.protocol import arrays, codec
from compas_cloud.protocol.conversation import DISPATCH, EVENT, WAKE, ClientConversation

#: How often (seconds) the idle reader looks at the socket.
IDLE_POLL = 1.0

_STOP = object()  # tells a call's dispatcher thread that the connection has ended

# The longest single wait on the socket; waits are repeated until their deadline.
_SLICE = 0.5


class Connection(object):
    """Requests and replies over one :class:`~compas_cloud.client.transports.base.Transport`.

    Parameters
    ----------
    transport : Transport
        An open transport.
    on_event : callable, optional
        Called with ``(name, message)`` for every event the server sends.
    """

    #: The largest message the server accepts, in bytes (None: unknown); larger requests are refused here.
    max_message_size = None
    #: Send large numeric arrays as binary ``arrays1`` messages (the server offered them in ``hello``).
    binary = False
    #: Rebuild the numpy arrays of binary replies as numpy arrays (else as nested lists).
    numpy_arrays = False

    def __init__(self, transport, on_event=None):
        self.transport = transport
        self.on_event = on_event
        self._core = ClientConversation()  # guarded by _lock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._leader = False  # a thread is reading the socket for everyone (guarded by _lock)
        self._sending = threading.Lock()
        self._closed = None
        self._dispatchers = {}  # call -> the queue of its dispatcher thread (guarded by _lock)
        self._orphans = collections.deque()  # ids of submitted calls whose future was garbage-collected
        self._owners = {}  # id -> weak reference to the future of a submitted call
        self._idle = threading.Thread(target=self._idle_reader, name="compas_cloud-idle-reader")
        self._idle.daemon = True
        self._idle.start()

    @property
    def closed(self):
        """ConnectionClosed or None: why the connection ended, if it has."""
        return self._closed

    def request(self, op, timeout=None, **fields):
        """Send a request and return the result of its reply.

        Parameters
        ----------
        op : str
            The operation.
        timeout : float, optional
            Seconds to wait for the reply; None waits for ever.
        **fields
            The operation's fields.

        Raises
        ------
        ServerSideError
            (or a subclass) when the server answered with an error.
        CloudTimeout
            No reply within ``timeout``.
        ConnectionClosed
            The connection ended before the reply came.
        """
        return self.wait(self.send(op, **fields), timeout, op)

    def send(self, op, **fields):
        """Send a request without waiting; return its id for :meth:`wait`."""
        return self.send_with(None, True, op, **fields)

    def owned_by(self, owner, rid):
        """Forget request ``rid`` (and its result) once ``owner``, its future, is garbage-collected unread.

        The weak reference's callback may run in any thread, at any moment: it only queues the
        id, and the connection drops the request later (:meth:`_drop_orphans`), once it has ended.
        """
        orphans = self._orphans
        reference = weakref.ref(owner, lambda _ref, rid=rid: orphans.append(rid))
        with self._lock:
            self._owners[rid] = reference

    def _drop_orphans(self):
        if not self._orphans:
            return
        running = []
        with self._lock:
            while self._orphans:
                rid = self._orphans.popleft()
                call = self._core.call(rid)
                if call is None or call.done:
                    self._core.forget(rid)
                    self._owners.pop(rid, None)
                else:  # its reply (or a callback it waits on) is still to come: drop it later
                    running.append(rid)
        self._orphans.extend(running)

    def send_with(self, handler, inline, op, **fields):
        """Send a request whose events go to ``handler``; return its id for :meth:`wait`.

        Parameters
        ----------
        handler : callable or None
            Called with each event message of the request; with None once the
            request ended, when not ``inline``.
        inline : bool
            True: the thread in :meth:`wait` runs the events. False: the
            connection's dispatcher thread does (for calls nobody waits for).
        """
        self._drop_orphans()
        with self._lock:
            call, message = self._core.request(op, handler, inline, **fields)
        try:
            # Small calls (numbers and text) skip the search for arrays.
            encode = codec.dumps_arrays if self.binary and arrays.worth_packing(fields) else codec.dumps
            text = encode(message)
            limit = self.max_message_size
            if limit and len(text) > limit:  # characters <= UTF-8 bytes: never refuses a message that fits
                raise LimitExceeded(
                    "this {0} request is {1:.1f} MiB, over the server's limit of {2:.1f} MiB (--max-message-size); "
                    "send the data in parts (proxy.cache), or restart the server with a larger "
                    "--max-message-size".format(op, len(text) / 1048576.0, limit / 1048576.0)
                )
            with self._sending:
                self.transport.send(text)
        except Exception as error:
            with self._lock:
                self._core.forget(call.id)
            if isinstance(error, ConnectionClosed):
                self._fail(error)
            raise
        return call.id

    def notify(self, op, **fields):
        """Send a request whose reply nobody waits for (a callback's answer, say)."""
        with self._lock:
            message = self._core.notification(op, **fields)
        text = codec.dumps(message)
        try:
            with self._sending:
                self.transport.send(text)
        except ConnectionClosed as error:
            self._fail(error)
            raise

    def done(self, rid):
        """Return True if request ``rid`` has its reply (reading what has arrived, without blocking)."""
        self.poll()
        with self._lock:
            call = self._core.call(rid)
        return call is None or call.done

    def poll(self):
        """Read the messages that have arrived, if no other thread is reading; never blocks."""
        if self._closed is not None or not self._lead():
            return
        try:
            while self._closed is None and self._read_one(0):
                pass
        finally:
            self._step_down()

    def wait(self, rid, timeout=None, what="the request", keep=False):
        """Wait for the reply to request ``rid`` and return its result (or raise its error).

        With ``keep``, a timeout leaves the request waiting, so that it can be waited for again.
        """
        deadline = None if timeout is None else time.time() + timeout
        with self._lock:
            pending = self._core.call(rid)
        if pending is None:
            raise ProtocolError("no request {0!r} is waiting for a reply".format(rid))
        try:
            while not pending.done or pending.events:
                if pending.events:
                    self._run_events(pending)
                    continue
                remaining = None if deadline is None else deadline - time.time()
                if remaining is not None and remaining <= 0:
                    raise CloudTimeout(
                        "no reply to {0} within {1:g} s; the server may still be working on it "
                        "(raise the timeout for long calls)".format(what, timeout)
                    )
                wait = _SLICE if remaining is None else min(remaining, _SLICE)
                if not pending.replied and self._lead():
                    try:
                        self._read_until(pending, deadline)
                    finally:
                        self._step_down()
                else:
                    # Another thread reads, or our reply is in and its events are being run: wait to be
                    # told. The check and the wait hold the lock that _step_down and _read_one notify
                    # under, so no wake-up is missed.
                    with self._changed:
                        if not pending.done and not pending.events and (self._leader or pending.replied):
                            self._changed.wait(wait)
        finally:
            if pending.done or not keep:
                with self._lock:
                    self._core.forget(rid)
        return self._core.outcome(pending)

    def close(self):
        """Close the connection; requests still waiting fail with ConnectionClosed."""
        self.transport.close()
        self._fail(ConnectionClosed("the connection was closed by this client"))

    # -- reading -----------------------------------------------------------------------

    def _run_events(self, pending):
        with self._lock:
            events = self._core.take_events(pending)
        for message in events:
            pending.handler(message)

    def _lead(self):
        """Become the thread that reads for everyone; return False if another thread is reading."""
        with self._lock:
            if self._leader:
                return False
            self._leader = True
            return True

    def _step_down(self):
        with self._changed:
            self._leader = False
            self._changed.notify_all()

    def _read_until(self, pending, deadline):
        while not pending.done and not pending.replied and not pending.events:
            remaining = None if deadline is None else deadline - time.time()
            if remaining is not None and remaining <= 0:
                return
            wait = _SLICE if remaining is None else min(remaining, _SLICE)
            self._read_one(wait)

    def _read_one(self, wait):
        try:
            data = self.transport.recv(wait)
        except ConnectionClosed as error:
            self._fail(error)
            return False
        if data is None:
            return False
        try:
            message = codec.loads(data, numpy_arrays=self.numpy_arrays)
            with self._changed:
                happenings = self._core.receive(message)
                self._act(happenings)
        except (ValueError, ProtocolError) as error:
            self._fail(ProtocolError("the server sent a message this client cannot read: {0}".format(error)))
            self.transport.close()
            return True
        if self.on_event is not None:
            for happening in happenings:
                if happening[0] == EVENT:
                    self.on_event(happening[1], happening[2])
        return True

    def _act(self, happenings):
        # Called with the lock held: wake the waiting threads, hand events to the dispatcher.
        for happening in happenings:
            if happening[0] == WAKE:
                self._changed.notify_all()
            elif happening[0] == DISPATCH:
                self._dispatch(happening[1], happening[2])

    def _dispatch(self, pending, message):
        # Called with the lock held. Each call has its own dispatcher thread (its events in order), so that
        # a handler of one call that waits on another call never holds that other call's events up.
        jobs = self._dispatchers.get(pending)
        if jobs is None:
            jobs = self._dispatchers[pending] = queue.Queue()
            thread = threading.Thread(target=self._dispatch_loop, args=(pending, jobs), name="compas_cloud-events")
            thread.daemon = True
            thread.start()
        jobs.put(message)
        if message is None:  # the reply: the call's last job
            del self._dispatchers[pending]

    def _dispatch_loop(self, pending, jobs):
        while True:
            message = jobs.get()
            if message is _STOP:
                return
            try:
                pending.handler(message)
            except Exception:  # a handler's failure must not stop the events of other calls
                pass
            if message is None:
                with self._changed:
                    self._act(self._core.finish(pending))
                return

    def _fail(self, error):
        with self._changed:
            if self._closed is None:
                self._closed = error
                for jobs in self._dispatchers.values():
                    jobs.put(_STOP)
                self._dispatchers.clear()
            self._act(self._core.lost(self._closed))
            self._changed.notify_all()

    def _idle_reader(self):
        while self._closed is None:
            time.sleep(IDLE_POLL)
            if self._closed is not None:
                break
            self._drop_orphans()
            if not self._lead():
                continue
            try:
                while self._closed is None and self._read_one(0):
                    pass
            except Exception as error:  # never let the thread die silently with the connection open
                self._fail(ConnectionClosed("reading from the server failed: {0}".format(error)))
            finally:
                self._step_down()
