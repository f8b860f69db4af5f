"""What the server counts: calls by outcome, their durations, bytes, recent calls.

The session feeds a :class:`Monitor` with a few hook lines (a call started,
a call ended, a message in, a message out); ``/metrics`` writes it in the
Prometheus text format (:func:`prometheus_text`) and the dashboard reads its
running and recent calls. Everything here runs on the server's event loop,
except :meth:`Monitor.progress`, which worker threads call (one attribute
assignment, safe under the GIL).
"""
import bisect
import collections
import time

#: Upper bounds (seconds) of the call duration histogram's buckets.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)

#: How many ended calls the dashboard can show.
RECENT_CALLS = 50

OUTCOMES = ("ok", "error", "cancelled")

#: What the dashboard's recent calls show of each.
_RECENT_KEYS = ("connection", "call", "function", "outcome", "duration", "ended", "error")


class RunningCall(object):
    """A call in flight, as the dashboard shows it."""

    __slots__ = ("session", "id", "function", "started", "done", "total", "message", "outcome", "error")

    def __init__(self, session, call_id, function):
        self.session = session
        self.id = call_id
        self.function = function
        self.started = time.time()
        self.done = None
        self.total = None
        self.message = None
        self.outcome = "error"  # until the session says otherwise
        self.error = None  # what went wrong, for the dashboard's recent calls (see :func:`describe_error`)

    def describe(self, now):
        return {
            "connection": getattr(self.session, "dashboard_id", None),
            "call": self.id,
            "function": self.function,
            "started": self.started,
            "elapsed": now - self.started,
            "progress": None if self.done is None else {"done": self.done, "total": self.total, "message": self.message},
        }


class Monitor(object):
    """Counters, a duration histogram and the calls in flight of one server."""

    def __init__(self):
        self.outcomes = dict((outcome, 0) for outcome in OUTCOMES)
        self.buckets = [0] * len(DURATION_BUCKETS)
        self.duration_sum = 0.0
        self.duration_count = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self.connections_total = 0
        self.running = {}  # (session, call id) -> RunningCall
        #: The last ended calls, oldest first, as tuples (:meth:`recent_calls` writes them out for the dashboard).
        self.recent = collections.deque(maxlen=RECENT_CALLS)

    # -- hooks ---------------------------------------------------------------------------

    def received(self, message):
        self.bytes_in += len(message)

    def sent(self, message):
        self.bytes_out += len(message)

    def call_started(self, session, request):
        """Return the :class:`RunningCall` of ``request``; the session sets its ``outcome``."""
        call_id = request.id if not request.plain else None
        call = RunningCall(session, call_id, request.fields.get("function"))
        self.running[(session, call_id if call_id is not None else id(call))] = call
        return call

    def call_ended(self, call):
        key = (call.session, call.id if call.id is not None else id(call))
        if self.running.get(key) is call:
            del self.running[key]
        outcome = call.outcome
        ended = time.time()
        duration = ended - call.started
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        self.duration_sum += duration
        self.duration_count += 1
        index = bisect.bisect_left(DURATION_BUCKETS, duration)  # the first bucket whose bound is >= duration
        if index < len(DURATION_BUCKETS):
            self.buckets[index] += 1
        self.recent.append((  # not the call itself: that would keep its session alive
            getattr(call.session, "dashboard_id", None), call.id, call.function, outcome, duration, ended, call.error
        ))

    def recent_calls(self):
        """The last ended calls, newest first, as the dashboard shows them."""
        return [dict(zip(_RECENT_KEYS, ended)) for ended in reversed(self.recent)]

    def progress(self, session, call_id, done, total, message):
        """Record a call's last ``progress.report`` (called from its worker thread)."""
        call = self.running.get((session, call_id))
        if call is not None:
            call.done, call.total, call.message = done, total, message

    def running_calls(self):
        now = time.time()
        return [call.describe(now) for call in sorted(self.running.values(), key=lambda call: call.started)]


#: The longest error text the dashboard's recent calls keep.
ERROR_TEXT = 300


def describe_error(error):
    """Return ``"Type: message"`` of a failed call, shortened to :data:`ERROR_TEXT` characters."""
    kind = getattr(error, "remote_type", None) or type(error).__name__
    message = getattr(error, "message", None)
    if not isinstance(message, str):
        message = str(error)
    text = "{0}: {1}".format(kind, message) if message else kind
    return text if len(text) <= ERROR_TEXT else text[:ERROR_TEXT - 1] + "\u2026"


def _escape(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value):
    if isinstance(value, float):
        return repr(value)
    return str(int(value))


class _Writer(object):
    def __init__(self):
        self.lines = []

    def metric(self, name, kind, help_text, samples):
        """Write one metric family: ``samples`` is a list of (suffix, labels dict, value)."""
        self.lines.append("# HELP {0} {1}".format(name, help_text))
        self.lines.append("# TYPE {0} {1}".format(name, kind))
        for suffix, labels, value in samples:
            label_text = ""
            if labels:
                label_text = "{" + ",".join('{0}="{1}"'.format(k, _escape(v)) for k, v in labels.items()) + "}"
            self.lines.append("{0}{1}{2} {3}".format(name, suffix, label_text, _number(value)))

    def text(self):
        return "\n".join(self.lines) + "\n"


def prometheus_text(snapshot):
    """Return the Prometheus text exposition (format 0.0.4) of a server :meth:`~Server.snapshot`."""
    monitor = snapshot["monitor"]
    out = _Writer()
    out.metric("compas_cloud_up", "gauge", "1 while the server serves, 0 while it shuts down.",
               [("", None, 0 if snapshot["stopping"] else 1)])
    out.metric("compas_cloud_uptime_seconds", "gauge", "Seconds since the server started.",
               [("", None, float(snapshot["uptime"]))])
    out.metric("compas_cloud_calls_total", "counter", "Calls answered, by outcome.",
               [("", {"outcome": outcome}, count) for outcome, count in sorted(monitor.outcomes.items())])
    out.metric("compas_cloud_calls_running", "gauge", "Calls in flight (running or queued).",
               [("", None, len(monitor.running))])
    samples = []
    cumulative = 0
    for bound, count in zip(DURATION_BUCKETS, monitor.buckets):
        cumulative += count
        samples.append(("_bucket", {"le": repr(float(bound))}, cumulative))
    samples.append(("_bucket", {"le": "+Inf"}, monitor.duration_count))
    samples.append(("_sum", None, float(monitor.duration_sum)))
    samples.append(("_count", None, monitor.duration_count))
    out.metric("compas_cloud_call_duration_seconds", "histogram", "How long calls took, from request to reply.", samples)
    out.metric("compas_cloud_received_bytes_total", "counter", "Bytes of messages received.", [("", None, monitor.bytes_in)])
    out.metric("compas_cloud_sent_bytes_total", "counter", "Bytes of messages sent.", [("", None, monitor.bytes_out)])
    out.metric("compas_cloud_messages_total", "counter", "Messages received.", [("", None, snapshot["messages"])])
    out.metric("compas_cloud_connections", "gauge", "Connections open.", [("", None, snapshot["connections"])])
    out.metric("compas_cloud_connections_total", "counter", "Connections accepted since the start.",
               [("", None, monitor.connections_total)])
    out.metric("compas_cloud_refused_handshakes_total", "counter", "Websocket handshakes and HTTP requests refused (origin, host, token).",
               [("", None, snapshot["refused_handshakes"])])
    out.metric("compas_cloud_references", "gauge", "Values stored for clients (references).",
               [("", None, snapshot["references"])])
    out.metric("compas_cloud_reference_bytes", "gauge", "Estimated memory of the stored references.",
               [("", None, snapshot["stored_bytes"])])
    limits = []
    if snapshot["max_total_memory"] is not None:
        limits.append(("", {"limit": "total"}, snapshot["max_total_memory"]))
    if snapshot["max_connection_memory"] is not None:
        limits.append(("", {"limit": "connection"}, snapshot["max_connection_memory"]))
    out.metric("compas_cloud_reference_bytes_limit", "gauge", "Memory limits of stored references.", limits)
    out.metric("compas_cloud_batches_running", "gauge", "Batches in flight.", [("", None, snapshot["batches_running"])])
    out.metric("compas_cloud_batch_tasks", "gauge", "Tasks of the batches in flight, by state.",
               [("", {"state": state}, count) for state, count in sorted(snapshot["batch_tasks"].items())])
    cache = snapshot.get("result_cache") or {}
    if cache.get("enabled"):  # a server started with --result-cache
        for key, help_text in (("hits", "Calls answered from the result cache."),
                               ("misses", "Cacheable calls the result cache could not answer."),
                               ("evictions", "Results evicted from the result cache (least recently used)."),
                               ("uncacheable", "Calls whose arguments have no canonical form (not cached).")):
            out.metric("compas_cloud_result_cache_{0}_total".format(key), "counter", help_text, [("", None, cache[key])])
        out.metric("compas_cloud_result_cache_entries", "gauge", "Results in the result cache.",
                   [("", None, cache["entries"])])
        out.metric("compas_cloud_result_cache_bytes", "gauge", "Estimated memory of the result cache.",
                   [("", None, cache["bytes"])])
        out.metric("compas_cloud_result_cache_bytes_limit", "gauge", "Size limit of the result cache (--result-cache).",
                   [("", None, cache["max_bytes"])])
    shared = snapshot.get("shared")
    if shared is not None:
        out.metric("compas_cloud_shared_values", "gauge", "Values shared under a name (share/shared/unshare).",
                   [("", None, len(shared["names"]))])
        out.metric("compas_cloud_shared_bytes", "gauge", "Estimated memory of the shared values.",
                   [("", None, shared["bytes"])])
    return out.text()
