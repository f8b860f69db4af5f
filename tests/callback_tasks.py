"""Functions the callback, progress, async and output tests call on the server (``tests.callback_tasks.NAME``).

The test servers run with the repository root on ``PYTHONPATH``. These run
only on the server (CPython 3), but stay Python 2.7 syntax like the rest of
the test folder.
"""
from __future__ import print_function

import sys
import threading
import time


def apply(func, *args, **kwargs):
    """Return ``func(*args, **kwargs)``: the callback is positional."""
    return func(*args, **kwargs)


def apply_keyword(value, callback=None):
    """Return ``callback(value)``: the callback is a keyword argument."""
    return callback(value)


def apply_nested(spec, value):
    """Return ``[f(value) for f in spec["funcs"]]`` and ``spec["more"][0]["f"](value)``: nested callbacks."""
    first = [func(value) for func in spec["funcs"]]
    deep = spec["more"][0]["f"](value)
    return {"first": first, "deep": deep}


def two_callbacks(on_a, on_b, n):
    """Call ``on_a(i)`` and ``on_b(-i)`` in turn ``n`` times; return what they returned."""
    got = []
    for i in range(n):
        got.append([on_a(i), on_b(-i)])
    return got


def catch_callback_error(callback):
    """Call ``callback()`` and return what the server saw when it raised."""
    from compas_cloud.errors import CallbackError

    try:
        callback()
    except CallbackError as error:
        return {"type": type(error).__name__, "message": error.message}
    return None


def call_and_continue(callback, value):
    """Call ``callback(value)`` and return ``value + 1`` (the callback's error propagates)."""
    callback(value)
    return value + 1


def fire_and_forget(callback, n):
    """Call a no-wait callback ``n`` times; return what the calls returned (None each time)."""
    return [callback(i) for i in range(n)]


def counted(n, message="step"):
    """Report progress ``1..n`` of ``n`` and return ``n``."""
    from compas_cloud.server.progress import report

    for i in range(n):
        report(i + 1, n, "{0} {1}".format(message, i + 1))
    return n


def echo(value, delay=0.0):
    """Return ``value`` after ``delay`` seconds."""
    if delay:
        time.sleep(delay)
    return value


_started = threading.Event()
_state = {"stopped_by_cancel": 0}


def until_cancelled(limit=60.0):
    """Report progress until the call is cancelled (at most ``limit`` seconds); record the cancellation."""
    from compas_cloud.errors import CallCancelled
    from compas_cloud.server.progress import report

    deadline = time.time() + limit
    i = 0
    try:
        while time.time() < deadline:
            i += 1
            report(i, None, "working")
            time.sleep(0.02)
    except CallCancelled:
        _state["stopped_by_cancel"] += 1
        raise
    return i


def cancellations():
    """Return how many :func:`until_cancelled` calls stopped because they were cancelled."""
    return _state["stopped_by_cancel"]


def chatty(lines, stderr_lines=0, prefix=None):
    """Print ``lines`` numbered lines to stdout (and ``stderr_lines`` to stderr); return ``lines``."""
    for i in range(lines):
        print("line {0}".format(i) if prefix is None else "{0} line {1}".format(prefix, i))
        if prefix is not None:
            time.sleep(0.001)  # let concurrent calls interleave
    for i in range(stderr_lines):
        print("problem {0}".format(i), file=sys.stderr)
    sys.stdout.write("no newline at the end")
    return lines
