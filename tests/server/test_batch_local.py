"""Batches on the local process pool (spawn start method), through a real server."""
import time

import pytest
from batch_checks import ENDED, Client, check_mixed_outcome, check_stream, mixed_batch
from helpers import ServerProcess

from compas_cloud.errors import ServerSideError


@pytest.fixture(scope="module")
def pool_server():
    process = ServerProcess("--executor", "local", "--executor-workers", "2", "--start-method", "spawn",
                            "--offload", "tests.batch_tasks.where")
    yield process
    process.stop()


@pytest.fixture
def client(pool_server):
    client = Client(pool_server)
    yield client
    client.close()


def test_mixed_batch_stream_results_and_logs(client):
    info = client.request("batch", tasks=[list(task) for task in mixed_batch()])
    assert info["tasks"] == 20 and info["executor"] == "local"
    status = client.request("batch_wait", 150, batch=info["batch"], timeout=120)
    assert status["state"] == "finished"
    events = client.batch_events(info["batch"])
    assert events and events[-1]["kind"] == "done", "every event comes before the reply to batch_wait"
    check_mixed_outcome(client, info["batch"], events)
    assert [task["state"] for task in status["tasks"]].count("finished") == 18
    assert all(task["attempt"] == 1 for task in status["tasks"])


def test_tasks_run_in_spawned_processes(client, pool_server):
    info = client.request("batch", tasks=[["tests.batch_tasks.where", [], {"delay": 0.2}] for _ in range(4)])
    client.request("batch_wait", batch=info["batch"])
    results = [entry["result"] for entry in client.request("batch_results", batch=info["batch"])]
    for result in results:
        assert result["pid"] != pool_server.pid
        assert "spawn_main" in " ".join(result["argv"])
    # --offload sends every call of the function to the pool; "executor": true does it per call.
    offloaded = client.request("call", function="tests.batch_tasks.where")
    assert offloaded["pid"] != pool_server.pid and "spawn_main" in " ".join(offloaded["argv"])
    routed = client.request("call", function="tests.batch_tasks.square", args=[7], executor=True)
    assert routed == 49
    with pytest.raises(ServerSideError) as raised:
        client.request("call", function="tests.batch_tasks.fail", args=["offloaded"], executor=True)
    assert raised.value.remote_type == "ValueError" and "offloaded" in raised.value.traceback


def test_cancel_stops_the_waiting_tasks(client):
    tasks = [["tests.batch_tasks.square", [index], {"delay": 1.0}] for index in range(16)]
    info = client.request("batch", tasks=tasks)
    batch = info["batch"]
    client.wait_for_event(batch, lambda event: event["kind"] == "task" and event["state"] == "finished")
    status = client.request("batch_cancel", batch=batch)
    assert status["counts"]["cancelled"] >= 1
    final = client.request("batch_wait", batch=batch)
    assert final["state"] == "cancelled"
    events = client.batch_events(batch)
    states = check_stream(events, 16)
    cancelled = [index for index, seen in states.items() if seen == ["cancelled"]]
    ran = [index for index, seen in states.items() if seen == ["running", "finished"]]
    assert cancelled and ran and len(cancelled) + len(ran) == 16
    assert min(cancelled) > max(ran), "tasks start in order, so the cancelled ones are the last"
    assert events[-1]["state"] == "cancelled"
    results = client.request("batch_results", batch=batch)
    for entry in results:
        assert entry["state"] in ENDED
        if entry["state"] == "finished":
            assert entry["result"] == entry["task"] ** 2
        else:
            assert "result" not in entry


def test_shared_reference_results_by_reference_and_free(client):
    values = list(range(1000))
    ref = client.request("cache", data=values)
    info = client.request("batch", tasks=[["tests.batch_tasks.total", [ref], {"extra": index}] for index in range(6)])
    client.request("batch_wait", batch=info["batch"])
    refs = client.request("batch_results", batch=info["batch"], cache=True, tasks=[0, 5])
    assert [entry["task"] for entry in refs] == [0, 5]
    assert client.request("get", ref=refs[1]["result"]) == sum(values) + 5
    plain = client.request("batch_results", batch=info["batch"])
    assert [entry["result"] for entry in plain] == [sum(values) + index for index in range(6)]
    assert client.request("batch_free", batch=info["batch"]) is True
    with pytest.raises(ServerSideError) as raised:
        client.request("batch_status", batch=info["batch"])
    assert raised.value.remote_type == "BatchNotFound"


def test_bad_batches_are_refused(client):
    with pytest.raises(ServerSideError) as raised:
        client.request("batch", tasks=[])
    assert raised.value.remote_type == "MalformedMessage"
    with pytest.raises(ServerSideError) as raised:
        client.request("batch", tasks=[[42, [], {}]])
    assert "function name" in str(raised.value)
    info = client.request("batch", tasks=[["tests.batch_tasks.no_such_function", [], {}], ["tests.batch_tasks.square", [3]]])
    status = client.request("batch_wait", batch=info["batch"])
    assert [task["state"] for task in status["tasks"]] == ["failed", "finished"]
    assert status["tasks"][0]["error"]["type"] == "FunctionNotFound"
    with pytest.raises(ServerSideError) as raised:
        client.request("batch_results", batch=info["batch"], tasks=[2])
    assert "no task 2" in str(raised.value)


def test_a_closed_connection_cancels_its_batch(pool_server):
    first = Client(pool_server)
    info = first.request("batch", tasks=[["tests.batch_tasks.square", [index], {"delay": 1.0}] for index in range(60)])
    first.wait_for_event(info["batch"], lambda event: event["kind"] == "task" and event["state"] == "running")
    second = Client(pool_server)
    try:
        assert second.request("status")["executor"]["running_batches"] == 1
        first.close()
        # 60 tasks of 1 s on 2 processes would run for 30 s; the closed connection's batch ends at once.
        running = None
        for _ in range(100):
            running = second.request("status")["executor"]["running_batches"]
            if running == 0:
                break
            time.sleep(0.1)
        assert running == 0
        with pytest.raises(ServerSideError):
            second.request("batch_status", batch=info["batch"])
        quick = second.request("batch", tasks=[["tests.batch_tasks.square", [2]]])
        assert second.request("batch_wait", batch=quick["batch"])["state"] == "finished"
    finally:
        second.close()


def test_a_cancel_racing_the_end_of_its_batch_is_answered(client):
    # A cancel that arrives after the batch's last task ended, while its "done" event is being sent,
    # once waited for a runner that no longer read its queue: the reply never came. Cancels are sent
    # without waiting, over the whole life of batches of instant tasks, so that some land in that gap.
    for _ in range(15):
        batch = client.request("batch", tasks=[["tests.batch_tasks.square", [index]] for index in range(3)])["batch"]
        sent = []
        for _ in range(1000):
            sent.append(client.connection.send("batch_cancel", batch=batch))
            if any(event["kind"] == "done" for event in client.batch_events(batch)):
                break
            client.connection.poll()
        client.wait_for_event(batch, lambda event: event["kind"] == "done", timeout=30)
        # Three more after the end: these find the batch done and are answered at once.
        sent.extend(client.connection.send("batch_cancel", batch=batch) for _ in range(3))
        replies = [client.connection.wait(rid, 30, "batch_cancel") for rid in sent]
        assert all(reply["batch"] == batch for reply in replies)
        final = client.request("batch_wait", batch=batch, timeout=30)
        assert final["state"] in ("finished", "cancelled")
        assert replies[-1]["state"] == final["state"]
        assert sum(final["counts"][state] for state in ENDED) == 3
