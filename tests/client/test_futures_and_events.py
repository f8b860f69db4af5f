"""Issue 13: futures dropped unread free their results; one call's event handlers never hold up another's.

Python 2.7 safe: the py27 stage runs it with websocket-client 0.59.
"""
from __future__ import absolute_import, print_function

import gc
import time

TASKS = "tests.callback_tasks."


def test_futures_dropped_unread_free_their_entries_and_results(proxy):
    kept = proxy.function(TASKS + "echo").submit("kept")
    for i in range(200):
        proxy.function(TASKS + "echo").submit("x" * 10000)  # never read: the future is dropped at once
    connection = proxy.connection
    deadline = time.time() + 30
    while True:
        gc.collect()
        assert proxy.call("math.hypot", [3, 4]) == 5.0  # sends (which drops what was collected) and reads
        left = [rid for rid in connection._core.pending if rid != kept.id]
        if not left or time.time() > deadline:
            break
        time.sleep(0.1)
    assert left == []
    assert kept.result(60) == "kept"  # a future still held keeps its result


def test_a_progress_handler_may_wait_for_another_call(proxy):
    other = {}

    def first_progress(done, total, message):
        if "value" not in other:
            other["value"] = other["future"].result(20)  # the second call's reply must still get through

    def second_progress(done, total, message):
        pass

    # The second call has a handler, so its reply goes through the event dispatch too; it ends after
    # the first call's handler has started waiting for it.
    other["future"] = proxy.function(TASKS + "echo", progress=second_progress).submit("second", delay=1.0)
    first = proxy.function(TASKS + "counted", progress=first_progress).submit(2, "first")
    assert first.result(60) == 2
    assert other.get("value") == "second"


def test_a_reply_that_came_in_survives_the_connection_closing_while_its_events_run(server):
    # The reply of a submitted call with a handler waits for the call's earlier events to run; a
    # connection that ends meanwhile (closed by the script, the server stopping) must not turn the
    # result that did arrive into ConnectionClosed.
    import threading

    from compas_cloud import Proxy

    proxy = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False)
    started = threading.Event()
    release = threading.Event()

    def slow_progress(done, total, message):
        started.set()
        release.wait(30)

    try:
        future = proxy.function(TASKS + "counted", progress=slow_progress).submit(3, "slow")
        assert started.wait(30)
        connection = proxy.connection
        deadline = time.time() + 30
        while not connection._core.call(future.id).replied:  # read by the idle reader meanwhile
            assert time.time() < deadline
            time.sleep(0.05)
    finally:
        proxy.close()
        release.set()
    assert future.result(30) == 3
