"""Checks shared by the batch tests of both executors: a raw connection and the stream's rules."""
import os
import sys
import threading
import time

from compas_cloud.client.connection import Connection
from compas_cloud.client.transports import select_transport

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from batch_tasks import CHATTY_LINES, mixed_batch  # noqa: E402

ENDED = ("finished", "failed", "cancelled")


class Client(object):
    """A bare protocol connection that records the batch events it receives."""

    def __init__(self, server):
        transport = select_transport(None)()
        transport.connect(server.url, 5)
        self.events = []
        self.lock = threading.Lock()
        self.connection = Connection(transport, on_event=self._event)
        self.connection.request("hello", timeout=10, client={"name": "batch-tests"})

    def _event(self, name, message):
        if name == "batch":
            with self.lock:
                self.events.append(message)

    def request(self, op, _wait=60, **fields):
        return self.connection.wait(self.connection.send(op, **fields), _wait, op)

    def batch_events(self, batch_id):
        with self.lock:
            return [event for event in self.events if event["batch"] == batch_id]

    def wait_for_event(self, batch_id, test, timeout=60):
        """Return the first event of the batch for which ``test(event)`` holds (bounded in time)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for event in self.batch_events(batch_id):
                if test(event):
                    return event
            time.sleep(0.05)
        raise AssertionError("no such event within {0} s; got {1}".format(timeout, self.batch_events(batch_id)))

    def close(self):
        self.connection.close()


def check_stream(events, size):
    """Assert the rules of a batch's event stream; return {task: [states]}."""
    assert [event["seq"] for event in events] == list(range(1, len(events) + 1)), "events missing or out of order"
    assert events[-1]["kind"] == "done"
    assert sum(1 for event in events if event["kind"] == "done") == 1
    states = dict((index, []) for index in range(size))
    for event in events:
        counts = event["counts"]
        assert sum(counts.values()) == size
        if event["kind"] == "task":
            states[event["task"]].append(event["state"])
    for index, seen in states.items():
        assert seen in (["running", "finished"], ["running", "failed"], ["cancelled"]), (index, seen)
    final = events[-1]["counts"]
    assert final["waiting"] == 0 and final["running"] == 0
    return states


def check_mixed_outcome(client, batch_id, events):
    """The 20-task batch of tests.batch_tasks.mixed_batch ended as it should."""
    states = check_stream(events, 20)
    failed = sorted(index for index, seen in states.items() if seen[-1] == "failed")
    assert failed == [4, 13]
    assert events[-1]["counts"] == {"waiting": 0, "running": 0, "finished": 18, "failed": 2, "cancelled": 0}
    assert events[-1]["state"] == "finished"
    for event in events:
        if event["kind"] == "task" and event["state"] == "failed":
            assert event["error"]["type"] == "ValueError"
            assert "task {0} fails".format(event["task"]) in event["error"]["traceback"]

    results = client.request("batch_results", batch=batch_id)
    assert [entry["task"] for entry in results] == list(range(20))
    for entry in results:
        index = entry["task"]
        if index in (4, 13):
            assert entry["state"] == "failed" and "result" not in entry
            assert entry["error"]["message"] == "task {0} fails".format(index)
            assert "batch_tasks.py" in entry["error"]["traceback"]
        elif index == 7:
            assert entry["result"] == CHATTY_LINES
        else:
            assert entry["result"] == index * index

    logs = client.request("batch_logs", batch=batch_id)
    chatty = logs[7]["stdout"].splitlines()
    assert len(chatty) == CHATTY_LINES
    assert chatty[0] == "line 0 of {0}".format(CHATTY_LINES) and chatty[-1] == "line {0} of {1}".format(CHATTY_LINES - 1, CHATTY_LINES)
    assert logs[7]["stderr"] == "chatty done\n"
    assert all(entry["stdout"] == "" and entry["stderr"] == "" for entry in logs if entry["task"] != 7)


__all__ = ["Client", "check_stream", "check_mixed_outcome", "mixed_batch", "ENDED"]
