"""The client's batch API (Proxy.batch, Proxy.offload) against a real server (Python 2.7 safe)."""
from __future__ import absolute_import

import threading
import time

import pytest
from batch_tasks import CHATTY_LINES, mixed_batch

from compas_cloud.errors import CloudTimeout, ServerSideError


def test_submit_and_follow_a_batch(proxy):
    seen = []
    lock = threading.Lock()

    def on_event(event):
        with lock:
            seen.append(event)

    batch = proxy.batch(mixed_batch(), on_event=on_event)
    assert len(batch) == 20 and batch.id
    status = batch.wait(timeout=180)
    assert batch.done and status["state"] == "finished"
    events = batch.events
    assert [event["seq"] for event in events] == list(range(1, len(events) + 1))
    assert events == seen
    assert events[-1]["kind"] == "done"
    assert batch.counts == {"waiting": 0, "running": 0, "finished": 18, "failed": 2, "cancelled": 0}
    for index in range(20):
        states = [event["state"] for event in events if event["kind"] == "task" and event["task"] == index]
        assert states == ["running", "failed" if index in (4, 13) else "finished"]

    results = batch.results()
    assert results[7] == CHATTY_LINES
    assert results[4] is None and results[13] is None
    assert [results[i] for i in (0, 1, 2, 19)] == [0, 1, 4, 361]
    errors = batch.errors()
    assert sorted(errors) == [4, 13]
    assert errors[4].remote_type == "ValueError" and "task 4 fails" in errors[4].traceback
    with pytest.raises(ServerSideError) as raised:
        batch.result(13)
    assert "task 13 fails" in str(raised.value)
    assert batch.result(3) == 9
    logs = batch.logs(7)
    assert len(logs["stdout"].splitlines()) == CHATTY_LINES and logs["stderr"] == "chatty done\n"
    assert batch.logs(0)["stdout"] == ""
    assert batch.free() is True


def test_tasks_may_name_remote_functions_and_share_references(proxy):
    total = proxy.function("tests.batch_tasks.total")
    ref = proxy.cache([1, 2, 3])
    batch = proxy.batch([(total, [ref], {"extra": 10}), ("tests.batch_tasks.square", (5,)), "tests.batch_tasks.where"])
    batch.wait(timeout=120)
    results = batch.results()
    assert results[:2] == [16, 25] and results[2]["pid"] > 0
    refs = batch.results(tasks=[1], cache=True)
    assert proxy.get(refs[0]) == 25


def test_cancel_a_batch(proxy):
    batch = proxy.batch([("tests.batch_tasks.square", [index], {"delay": 1.0}) for index in range(16)])
    for _ in range(600):
        if batch.counts.get("finished"):
            break
        batch.status()  # reading replies also reads the events that came before them
        time.sleep(0.05)
    batch.cancel()
    status = batch.wait(timeout=120)
    assert status["state"] == "cancelled"
    assert status["counts"]["cancelled"] >= 1
    assert status["counts"]["cancelled"] + status["counts"]["finished"] == 16
    for task in status["tasks"]:
        if task["state"] == "cancelled":
            assert not [e for e in batch.events if e["kind"] == "task" and e["task"] == task["task"] and e["state"] == "running"]


def test_wait_with_a_timeout_and_bad_tasks(proxy):
    batch = proxy.batch([("tests.batch_tasks.square", [1], {"delay": 3.0})])
    with pytest.raises(CloudTimeout):
        batch.wait(timeout=0.2)
    assert batch.wait(timeout=120)["state"] == "finished"
    with pytest.raises(TypeError):
        proxy.batch([(42, [1])])
    with pytest.raises(ValueError):
        proxy.batch([])


def test_offload_one_call(proxy):
    assert proxy.offload("tests.batch_tasks.square", [12]) == 144
    where = proxy.offload("tests.batch_tasks.where")
    assert where["pid"] != proxy.status()["pid"]
