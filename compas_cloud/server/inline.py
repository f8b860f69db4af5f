"""Which calls run directly on the event loop instead of in the worker pool.

A call handed to the worker pool costs two cross-thread wake-ups (the
loop submits it to a pool thread, the pool thread wakes the loop again
with the result). For a function that returns in a few microseconds those
wake-ups are most of the server's work. So a function that has *proven*
fast runs inline, on the event loop itself:

* every call of a function is timed (resolving it, running it and encoding
  its result), in the pool or inline;
* after :data:`FAST_RUNS` runs in a row each under :data:`FAST_SECONDS`, the
  function is promoted: its next calls run inline;
* one inline run over :data:`FAST_SECONDS` demotes it back to the pool, where
  it has to prove itself again; after :data:`MAX_DEMOTIONS` demotions it stays
  in the pool for the life of the server.

Only calls that cannot wait on the client or on the loop run inline: a plain
or envelope ``call`` with ``cache=False``, without remote callbacks, without
output capture, without the result cache, not sent to the executor, in a
message of at most :data:`MAX_MESSAGE` bytes. Progress events that such a call
reports are buffered and sent, in order, just before its reply.

Limits: an inline call cannot be cancelled (it has finished before the
server reads the next message), and while it runs the loop serves nobody
else; the bound on that is the promotion rule above (a function that was
fast three times and is suddenly slow blocks the loop once, then goes back
to the pool). ``compas_cloud.server --no-inline`` turns the whole path off.
"""
import time

#: A run of at most this many seconds counts as fast.
FAST_SECONDS = 0.0005

#: Fast runs in a row that promote a function to run inline.
FAST_RUNS = 3

#: After this many demotions a function always runs in the pool.
MAX_DEMOTIONS = 3

#: Largest request (bytes or characters of the message) that may run inline.
MAX_MESSAGE = 16 * 1024

clock = time.perf_counter


class _Record:
    __slots__ = ("fast", "inline", "demotions")

    def __init__(self):
        self.fast = 0  # fast runs in a row
        self.inline = False
        self.demotions = 0


class InlinePolicy:
    """The promotion record of every function name called on one server.

    Parameters
    ----------
    enabled : bool
        False: every call runs in the pool (``--no-inline``).
    """

    def __init__(self, enabled=True):
        self.enabled = enabled
        self._records = {}
        self.inline_calls = 0  # counters, for tests and the status page
        self.demoted = 0

    def admits(self, request, size):
        """Return True if the call ``request`` (a message of ``size``) should run inline now."""
        if not self.enabled or size > MAX_MESSAGE:
            return False
        fields = request.fields
        record = self._records.get(fields.get("function"))
        if record is None or not record.inline:
            return False
        if fields.get("cache") or fields.get("callbacks") or fields.get("output"):
            return False
        if fields.get("executor") or fields.get("cache_result"):
            return False
        return True

    def record(self, name, seconds, inline):
        """Account one finished run of ``name`` that took ``seconds``; ``inline`` says where it ran."""
        if not self.enabled:
            return
        record = self._records.get(name)
        if record is None:
            if len(self._records) > 100000:  # names are client-chosen: keep the table bounded
                self._records.clear()
            record = self._records[name] = _Record()
        if seconds <= FAST_SECONDS:
            if inline:
                self.inline_calls += 1
            elif record.demotions < MAX_DEMOTIONS:
                record.fast += 1
                if record.fast >= FAST_RUNS:
                    record.inline = True
            return
        record.fast = 0
        if record.inline:
            record.inline = False
            record.demotions += 1
            self.demoted += 1

    def is_inline(self, name):
        """Return True if calls of ``name`` currently run inline."""
        record = self._records.get(name)
        return bool(record is not None and record.inline)

    def describe(self):
        """The policy's state, for ``status()``: on or off, inline calls, demotions, functions inline now."""
        return {
            "enabled": self.enabled,
            "calls": self.inline_calls,
            "demoted": self.demoted,
            "functions": sorted(name for name, record in self._records.items() if record.inline),
        }
