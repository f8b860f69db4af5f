"""The batch state machine on its own: what the executor reports in, event messages out (no loop, no workers)."""
from compas_cloud.server.batch.state import CANCELLED, FAILED, FINISHED, RUNNING, WAITING, BatchState


def ok(worker="w1", value=1):
    return {"ok": True, "value": value, "stdout": "", "stderr": "", "worker": worker, "pid": 10}


def failed(kind="ValueError", worker="w1"):
    return {"ok": False, "error": {"type": kind, "message": "m", "traceback": ""}, "stdout": "", "stderr": "",
            "worker": worker, "pid": 10}


def batch(n=2):
    return BatchState("b1", [("math.sqrt", [i], {}) for i in range(n)])


def summary(events):
    return [(e["kind"], e.get("task"), e.get("state"), e["seq"]) for e in events]


def test_a_task_runs_then_finishes_and_every_event_counts_and_numbers_itself():
    state = batch()
    key = state.tasks[0].key
    started = state.started(key, {"worker": "w1", "pid": 10})
    assert summary(started) == [("task", 0, RUNNING, 1)]
    assert started[0]["counts"] == {WAITING: 1, RUNNING: 1, FINISHED: 0, FAILED: 0, CANCELLED: 0}
    assert started[0]["batch"] == "b1" and started[0]["event"] == "batch" and started[0]["attempt"] == 1
    ended = state.ended(key, ok())
    assert summary(ended) == [("task", 0, FINISHED, 2)]
    assert ended[0]["counts"][FINISHED] == 1 and not state.all_ended
    assert state.ended(key, ok()) == []  # a second end of the same task is no news


def test_an_end_that_overtakes_its_start_report_still_says_running_first():
    state = batch(1)
    key = state.tasks[0].key
    events = state.ended(key, failed())
    assert summary(events) == [("task", 0, RUNNING, 1), ("task", 0, FAILED, 2)]
    assert events[1]["error"]["type"] == "ValueError"
    assert state.started(key, {"worker": "w1", "pid": 10}) == []  # the late start report changes nothing
    assert state.all_ended and summary([state.done()]) == [("done", None, FINISHED, 3)]


def test_a_restart_elsewhere_raises_the_attempt_and_a_lost_worker_names_its_tasks():
    state = batch()
    key = state.tasks[1].key
    state.started(key, {"worker": "w1", "pid": 10})
    assert state.worker_lost("w1")[0]["tasks"] == [1]
    restart = state.started(key, {"worker": "w2", "pid": 20})
    assert restart[0]["kind"] == "restart" and restart[0]["attempt"] == 2 and restart[0]["previous_worker"] == "w1"
    assert state.started(key, {"worker": "w2", "pid": 20}) == []  # the same start again is no news
    assert state.worker_lost("w1")[0]["tasks"] == [1]  # it ran there once: the client hears it was affected
    assert state.worker_lost("w9")[0]["tasks"] == []


def test_cancel_ends_the_waiting_tasks_and_cancelled_running_ones_count_as_cancelled():
    state = batch(3)
    running = state.tasks[0]
    running.handle = "h0"
    state.started(running.key, {"worker": "w1", "pid": 10})
    events = state.cancel(state.tasks[1:])
    assert summary(events) == [("task", 1, CANCELLED, 2), ("task", 2, CANCELLED, 3)]
    assert state.open_handles() == ["h0"]
    state.ended(running.key, failed("CancelledError"))
    assert running.state == CANCELLED and state.all_ended
    done = state.done()
    assert done["state"] == CANCELLED and done["counts"][CANCELLED] == 3


def test_a_cancelled_error_without_a_cancel_is_a_failure():
    state = batch(1)
    state.ended(state.tasks[0].key, failed("CancelledError"))
    assert state.tasks[0].state == FAILED


def test_reports_about_unknown_tasks_are_ignored():
    state = batch(1)
    assert state.started("nope", {"worker": "w1"}) == [] and state.ended("nope", ok()) == []
    assert state.seq == 0
