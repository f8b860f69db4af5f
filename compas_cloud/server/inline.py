"""Which calls run directly on the event loop instead of in the worker pool.

A call handed to the worker pool costs two cross-thread wake-ups (the
loop submits it to a pool thread, the pool thread wakes the loop again
with the result). For a function that returns in a few microseconds those
wake-ups are most of the server's work. So a function that has *proven*
fast runs inline, on the event loop itself:

* every call of a function is timed (resolving it, running it and encoding
  its result), in the pool or inline: wall-clock time, and the CPU time of the
  thread that ran it;
* after :data:`FAST_RUNS` pool runs in a row each under :data:`FAST_SECONDS`
  (wall clock), the function is promoted: its next calls run inline;
* an inline run that used more than :data:`FAST_SECONDS` of CPU, or took more
  than :data:`BLOCKED_SECONDS` on the wall clock (it waited for something),
  demotes it back to the pool. An inline run that was only slow because the
  machine preempted the server (slow on the wall clock, not in CPU) does not:
  on a busy machine that would demote every fast function now and then;
* a demoted function must prove itself again, with four times as many fast
  runs after each demotion (3, 12, 48, ... up to :data:`MAX_PROOF`).

Only calls that cannot wait on the client or on the loop run inline: a plain
or envelope ``call`` with ``cache=False``, without remote callbacks, without
output capture, without the result cache, not sent to the executor, in a
message of at most :data:`MAX_MESSAGE` bytes. Progress events that such a call
reports are buffered and sent, in order, just before its reply.

Limits: an inline call cannot be cancelled (it has finished before the
server reads the next message), and while it runs the loop serves nobody
else; the bound on that is the promotion rule above (a function that was
fast three times and is suddenly slow blocks the loop once, then goes back
to the pool; one that waits, say on a lock or a file, blocks it at most
:data:`BLOCKED_SECONDS` before it does). ``compas_cloud.server --no-inline`` turns the whole path off.
"""
import time

#: A run of at most this many seconds counts as fast.
FAST_SECONDS = 0.0005

#: An inline run longer than this on the wall clock demotes its function whatever its CPU time.
BLOCKED_SECONDS = 0.005

#: Fast runs in a row that promote a function to run inline (times 4 per earlier demotion).
FAST_RUNS = 3

#: The most fast runs a function ever needs to be promoted again.
MAX_PROOF = 3 * 4 ** 5

#: Largest request (bytes or characters of the message) that may run inline.
MAX_MESSAGE = 16 * 1024

clock = time.perf_counter
cpu_clock = time.thread_time


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

    def record(self, name, seconds, inline, cpu_seconds=None):
        """Account one finished run of ``name``: ``seconds`` on the wall clock, ``cpu_seconds`` of its thread.

        ``inline`` says where it ran.
        """
        if not self.enabled:
            return
        record = self._records.get(name)
        if record is None:
            if len(self._records) > 100000:  # names are client-chosen: keep the table bounded
                self._records.clear()
            record = self._records[name] = _Record()
        if inline:
            self.inline_calls += 1
            cpu = seconds if cpu_seconds is None else cpu_seconds
            if cpu > FAST_SECONDS or seconds > BLOCKED_SECONDS:
                record.inline = False
                record.fast = 0
                record.demotions += 1
                self.demoted += 1
            return
        if seconds <= FAST_SECONDS:
            record.fast += 1
            if record.fast >= min(MAX_PROOF, FAST_RUNS * 4 ** record.demotions):
                record.inline = True
        else:
            record.fast = 0

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
