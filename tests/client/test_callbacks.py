"""Callbacks, progress, non-blocking calls and streamed output, against a real server (Python 2.7 safe)."""
from __future__ import absolute_import

import threading
import time

import pytest

from compas_cloud.client.callbacks import Callback, TextProgress
from compas_cloud.errors import CallbackError, CallCancelled, CloudTimeout

TASKS = "tests.callback_tasks."


def test_positional_callback(proxy):
    seen = []

    def double(x):
        seen.append(x)
        return 2 * x

    assert proxy.function(TASKS + "apply")(double, 21) == 42
    assert seen == [21]


def test_keyword_callback(proxy):
    assert proxy.function(TASKS + "apply_keyword")(5, callback=lambda value: value + 1) == 6


def test_nested_callbacks_in_lists_and_dicts(proxy):
    spec = {"funcs": [lambda v: v, lambda v: -v], "more": [{"f": lambda v: v * 10}]}
    assert proxy.function(TASKS + "apply_nested")(spec, 3) == {"first": [3, -3], "deep": 30}


def test_two_callbacks_reach_their_own_functions(proxy):
    a, b = [], []

    def on_a(value):
        a.append(value)
        return "a"

    def on_b(value):
        b.append(value)
        return "b"

    result = proxy.function(TASKS + "two_callbacks")(on_a, on_b, 4)
    assert result == [["a", "b"]] * 4
    assert a == [0, 1, 2, 3]
    assert b == [0, -1, -2, -3]


def test_callback_error_is_seen_by_the_server_function(proxy):
    def broken():
        raise ValueError("boom in the client")

    seen = proxy.function(TASKS + "catch_callback_error")(broken)
    assert seen["type"] == "CallbackError"
    assert "ValueError" in seen["message"] and "boom in the client" in seen["message"]


def test_uncaught_callback_error_fails_the_call(proxy):
    def broken(value):
        raise KeyError("missing %d" % value)

    with pytest.raises(CallbackError) as info:
        proxy.function(TASKS + "call_and_continue")(broken, 7)
    assert "KeyError" in str(info.value) and "missing 7" in str(info.value)
    assert "call_and_continue" in info.value.traceback  # where the server called it
    assert proxy.function(TASKS + "echo")("still fine") == "still fine"


def test_fire_and_forget_callbacks_all_run_before_the_result(proxy):
    seen = []
    result = proxy.function(TASKS + "fire_and_forget")(Callback(seen.append, wait=False), 20)
    assert result == [None] * 20
    assert seen == list(range(20))


def test_callback_may_call_the_server_itself(proxy):
    echo = proxy.function(TASKS + "echo")
    assert proxy.function(TASKS + "apply")(lambda v: echo(v * 3), 5) == 15


def test_progress_arrives_in_order_before_the_result(proxy):
    events = []
    counted = proxy.function(TASKS + "counted", progress=lambda done, total, message: events.append((done, total, message)))
    result = counted(25, "step")
    events.append("result")
    assert result == 25
    assert events == [(i, 25, "step %d" % i) for i in range(1, 26)] + ["result"]


def test_default_progress_display_prints_text_lines(proxy, capsys):
    proxy.function(TASKS + "counted", progress=True)(20)
    lines = [line for line in capsys.readouterr().out.splitlines() if "counted" in line]
    assert lines[0].endswith("1/20 (5%) step 1")
    assert lines[-1].endswith("20/20 (100%) step 20")
    assert len(lines) <= 11  # one line per tenth


def test_the_default_display_is_made_at_the_first_report_only(proxy, monkeypatch):
    from compas_cloud.client import callbacks

    made = []
    real = callbacks.default_progress

    def counting(name):
        made.append(name)
        return real(name)

    monkeypatch.setattr(callbacks, "default_progress", counting)
    echo = proxy.function(TASKS + "echo", progress=True)
    assert [echo(i) for i in range(3)] == [0, 1, 2]
    assert made == []  # calls that report nothing cost no display (nor its terminal check)
    proxy.function(TASKS + "counted", progress=True)(3)
    assert made == [TASKS + "counted"]  # one display for the call that reported, made once


def test_text_progress_without_total():
    class Sink(object):
        def __init__(self):
            self.text = []

        def write(self, text):
            self.text.append(text)

        def flush(self):
            pass

    sink = Sink()
    show = TextProgress("solve", stream=sink)
    show(3, None, "residual 1e-3")
    assert sink.text == ["solve: 3 residual 1e-3\n"]


def test_progress_off_sends_nothing(proxy):
    assert proxy.function(TASKS + "counted", progress=False)(5) == 5


def test_fifty_async_calls_in_flight_resolve_to_their_own_results(proxy):
    echo = proxy.function(TASKS + "echo")
    # Later calls sleep less, so replies come back out of order.
    futures = [echo.submit({"n": i}, delay=0.002 * (50 - i)) for i in range(50)]
    assert len(set(future.id for future in futures)) == 50
    results = [future.result(timeout=60) for future in reversed(futures)]
    assert results == [{"n": i} for i in reversed(range(50))]
    assert all(future.done() for future in futures)
    assert futures[0].result() == {"n": 0}  # asking again returns the same result


def test_async_call_with_callbacks_and_progress(proxy):
    events = []
    lock = threading.Lock()

    def record(value):
        with lock:
            events.append(("callback", value))
        return value

    def progress(done, total, message):
        with lock:
            events.append(("progress", done))

    future = proxy.function(TASKS + "two_callbacks").submit(record, record, 2)
    assert future.result(timeout=60) == [[0, 0], [1, -1]]
    assert events == [("callback", 0), ("callback", 0), ("callback", 1), ("callback", -1)]
    future = proxy.function(TASKS + "counted", progress=progress).submit(5)
    assert future.result(timeout=60) == 5
    assert events[-5:] == [("progress", i) for i in range(1, 6)]  # all shown before result() returned
    assert future.progress == (5, 5, "step 5")


def test_result_timeout_leaves_the_call_running(proxy):
    future = proxy.function(TASKS + "echo").submit("late", delay=1.0)
    with pytest.raises(CloudTimeout):
        future.result(timeout=0.01)
    assert future.result(timeout=60) == "late"


def _wait_for(condition, limit=30.0):
    deadline = time.time() + limit
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_cancel_a_running_call(proxy):
    cancellations = proxy.function(TASKS + "cancellations")
    before = cancellations()
    future = proxy.function(TASKS + "until_cancelled", progress=lambda *report: None).submit()
    assert _wait_for(lambda: future.progress is not None), "the call never reported progress"
    assert not future.done()
    assert future.cancel() is True
    with pytest.raises(CallCancelled):
        future.result(timeout=60)
    assert future.cancelled()
    assert future.cancel() is False  # already ended
    # The function itself stopped at its next progress report.
    assert _wait_for(lambda: cancellations() == before + 1)


def test_printed_output_is_streamed(proxy):
    received = []
    chatty = proxy.function(TASKS + "chatty", output=lambda stream, text: received.append((stream, text)))
    assert chatty(3, stderr_lines=1) == 3
    stdout = "".join(text for stream, text in received if stream == "stdout")
    stderr = "".join(text for stream, text in received if stream == "stderr")
    assert stdout == "line 0\nline 1\nline 2\nno newline at the end"
    assert stderr == "problem 0\n"


def test_output_is_printed_here_when_asked(proxy, capsys):
    proxy.function(TASKS + "chatty", output=True)(2)
    assert "line 0\nline 1\nno newline at the end" in capsys.readouterr().out


def test_output_is_not_sent_unless_asked(proxy, capsys):
    assert proxy.function(TASKS + "chatty")(2) == 2
    assert "line 0" not in capsys.readouterr().out


def test_concurrent_calls_keep_their_own_output(proxy):
    received = {}
    lock = threading.Lock()

    def collector(key):
        def collect(stream, text):
            with lock:
                received.setdefault(key, []).append(text)
        return collect

    futures = [
        proxy.function(TASKS + "chatty", output=collector(i)).submit(40, prefix="call%d" % i) for i in range(4)
    ]
    for future in futures:
        assert future.result(timeout=60) == 40
    for i in range(4):
        lines = "".join(received[i]).splitlines()
        assert lines[:40] == ["call%d line %d" % (i, n) for n in range(40)]
