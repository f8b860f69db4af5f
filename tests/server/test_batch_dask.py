"""Batches on a real Dask cluster (distributed.LocalCluster, worker processes), through a real server."""
import os
import signal
import sys

import pytest
from batch_checks import Client, check_mixed_outcome, mixed_batch
from helpers import ROOT, ServerProcess

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    # Worker processes import tests.batch_tasks and compas_cloud: give them the repository root.
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    previous = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = ROOT + (os.pathsep + previous if previous else "")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", host="127.0.0.1",
        worker_dashboard_address=None,
    )
    try:
        yield cluster
    finally:
        cluster.close()
        if previous is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = previous


@pytest.fixture(scope="module")
def dask_server(cluster):
    process = ServerProcess("--executor", "dask", "--scheduler", cluster.scheduler_address)
    yield process
    process.stop()


@pytest.fixture
def client(dask_server):
    client = Client(dask_server)
    yield client
    client.close()


def _worker_pids(cluster):
    return set(cluster.scheduler.workers[address].pid for address in list(cluster.scheduler.workers))


def test_mixed_batch_on_the_cluster(client, cluster):
    info = client.request("batch", tasks=[list(task) for task in mixed_batch()])
    assert info["executor"] == "dask"
    status = client.request("batch_wait", 200, batch=info["batch"], timeout=180)
    assert status["state"] == "finished"
    check_mixed_outcome(client, info["batch"], client.batch_events(info["batch"]))
    workers = set(task["worker"] for task in status["tasks"])
    assert workers <= set(cluster.scheduler.workers), "tasks ran on the cluster's workers"
    assert all(task["pid"] in _worker_pids(cluster) for task in status["tasks"])
    executor = client.request("status")["executor"]
    assert executor["name"] == "dask" and executor["scheduler"] == cluster.scheduler_address


def test_shared_values_are_scattered_once(client):
    ref = client.request("cache", data=list(range(500)))
    info = client.request("batch", tasks=[["tests.batch_tasks.total", [ref], {"extra": index}] for index in range(8)])
    client.request("batch_wait", batch=info["batch"])
    results = client.request("batch_results", batch=info["batch"])
    assert [entry["result"] for entry in results] == [sum(range(500)) + index for index in range(8)]
    assert client.request("call", function="tests.batch_tasks.square", args=[9], executor=True) == 81


def test_a_worker_killed_mid_batch(client, cluster):
    tasks = [list(task) for task in mixed_batch()]
    tasks[0] = ["tests.batch_tasks.square", [0], {"delay": 8.0}]  # long enough to be killed while it runs
    info = client.request("batch", tasks=tasks)
    batch = info["batch"]
    started = client.wait_for_event(batch, lambda event: event["kind"] == "task" and event["task"] == 0
                                    and event["state"] == "running")
    victim = started["worker"]
    pid = cluster.scheduler.workers[victim].pid
    assert pid in _worker_pids(cluster)  # a process this test started (through its LocalCluster)
    os.kill(pid, signal.SIGKILL)

    status = client.request("batch_wait", 300, batch=batch, timeout=240)
    assert status["state"] == "finished"
    events = client.batch_events(batch)
    check_mixed_outcome(client, batch, events)
    lost = [event for event in events if event["kind"] == "worker_lost"]
    assert [event["worker"] for event in lost] == [victim]
    assert 0 in lost[0]["tasks"]
    restarts = [event for event in events if event["kind"] == "restart" and event["task"] == 0]
    assert restarts and restarts[0]["attempt"] == 2 and restarts[0]["previous_worker"] == victim
    assert status["tasks"][0]["attempt"] >= 2 and status["tasks"][0]["worker"] != victim
    assert status["tasks"][0]["state"] == "finished"
