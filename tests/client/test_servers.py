"""Proxy(servers=[...]) against two real servers: spreading, fail-over, references bound, status per server."""
from __future__ import absolute_import

import os
import threading
import time

import pytest

from compas_cloud import Proxy
from compas_cloud.client.servers import ServerPool, servers_from_env
from compas_cloud.errors import ConnectionFailed, ReferenceNotFound

from helpers import ServerProcess


@pytest.fixture
def two_servers():
    a = ServerProcess()
    b = ServerProcess()
    yield a, b
    a.stop()
    b.stop()


def _address(process):
    return "{0}:{1}".format(process.host, process.port)


def _calls(pool):
    return [entry["status"]["calls"] if entry["alive"] else None for entry in pool.status()["servers"]]


def test_stateless_calls_spread_and_fail_over(two_servers):
    a, b = two_servers
    pool = Proxy(servers=["ws://" + _address(a), _address(b)], verbose=False)
    try:
        assert isinstance(pool, ServerPool)
        for _ in range(6):
            assert pool.call("math.hypot", [3, 4]) == 5.0
        counts = _calls(pool)
        assert counts[0] > 0 and counts[1] > 0 and sum(counts) == 6  # idle servers take turns
        b.stop()
        for _ in range(4):
            assert pool.call("math.hypot", [6, 8]) == 10.0  # the pool goes on with the one left
        status = pool.status()["servers"]
        assert [entry["alive"] for entry in status] == [True, False]
        assert status[1]["error"]
        a.stop()
        with pytest.raises(ConnectionFailed) as error:
            pool.call("math.hypot", [1, 1])
        assert _address(a) in str(error.value) and _address(b) in str(error.value)
    finally:
        pool.close()


def test_references_and_shared_names_stay_on_their_server(two_servers):
    a, b = two_servers
    pool = Proxy(servers=[_address(a), _address(b)], verbose=False)
    other = Proxy(servers=[_address(a), _address(b)], verbose=False)
    try:
        refs = [pool.cache([n, n + 1]) for n in range(4)]
        holders = set()
        for n, ref in enumerate(refs):
            # each call must go to the server holding its reference (another would not find it)
            assert pool.call("builtins.sum", [ref]) == 2 * n + 1
            assert pool.get(ref) == [n, n + 1]
            holders.add(pool._owners[ref["cached"]].url)
        assert len(holders) == 2  # spread over both
        result = pool.call("builtins.list", [refs[0]], cache=True)  # a result kept where its argument was
        assert pool._owners[result["cached"]] is pool._owners[refs[0]["cached"]]
        with pytest.raises(ReferenceNotFound) as error:
            pool.call("builtins.max", [[refs[0], refs[1]]] if pool._owners[refs[0]["cached"]] is not pool._owners[refs[1]["cached"]] else [[refs[0], refs[2]]])
        assert "different servers" in str(error.value)
        pool.share(refs[1], "pair")
        mine = other.shared("pair")  # another client finds which server shares the name
        assert other.get(mine) == [1, 2]
        assert other.unshare("pair") is True
        with pytest.raises(ReferenceNotFound):
            other.shared("pair")
        assert pool.free(refs) == 4
        with pytest.raises(ReferenceNotFound):
            pool.call("builtins.sum", [{"cached": "not-from-this-pool"}])
    finally:
        pool.close()
        other.close()


def test_servers_from_the_environment(two_servers, monkeypatch):
    a, b = two_servers
    monkeypatch.setenv("COMPAS_CLOUD_SERVERS", "{0}, ws://{1}".format(_address(a), _address(b)))
    assert servers_from_env() == [_address(a), "ws://" + _address(b)]
    pool = Proxy(verbose=False)
    try:
        assert isinstance(pool, ServerPool)
        assert pool.describe("math.hypot")["name"] == "math.hypot"
        assert len(pool.status()["servers"]) == 2
    finally:
        pool.close()
    single = Proxy(host=a.host, port=a.port, autolaunch=False, verbose=False)  # an address given: one server
    try:
        assert not isinstance(single, ServerPool)
    finally:
        single.close()
    assert os.environ.get("COMPAS_CLOUD_SERVERS")


def _direct(process):
    return Proxy(host=process.host, port=process.port, autolaunch=False, verbose=False)


def test_calls_go_to_the_least_busy_server(two_servers, tmp_path):
    a, b = two_servers
    flag = str(tmp_path / "release")
    busy = _direct(a)
    held = busy.submit("tests.dashboard_tasks.held_at", [1, 1, flag])  # keeps one call running on a
    pool = Proxy(servers=[_address(a), _address(b)], verbose=False)
    try:
        deadline = time.time() + 60
        while busy.load()["running_calls"] != 1 and time.time() < deadline:
            time.sleep(0.05)
        assert busy.load() == {"running_calls": 1, "connections": 1, "stopping": False}
        before = [_direct_calls(a), _direct_calls(b)]
        for _ in range(4):
            assert pool.call("math.hypot", [3, 4]) == 5.0
        assert [_direct_calls(a) - before[0], _direct_calls(b) - before[1]] == [0, 4]  # all to the idle server
        open(flag, "w").close()
        assert held.result(60) == 1
        time.sleep(1.1)  # the pool trusts a load it read for a second
        for _ in range(4):
            pool.call("math.hypot", [3, 4])
        assert _direct_calls(a) - before[0] > 0  # idle again: a takes its turns
    finally:
        open(flag, "w").close()
        pool.close()
        busy.close()


def _direct_calls(process):
    with _direct(process) as proxy:
        return proxy.status()["calls"]


def test_a_call_in_flight_fails_over_when_its_server_dies(two_servers):
    a, b = two_servers
    pool = Proxy(servers=[_address(a), _address(b)], verbose=False)
    watchers = [_direct(a), _direct(b)]
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(pool.call("tests.beyond_tasks.pid_after", [3])))
    try:
        worker.start()
        running = None
        deadline = time.time() + 60
        while running is None and time.time() < deadline:
            for index, watcher in enumerate(watchers):
                if watcher.status()["running_calls"]:
                    running = index
            time.sleep(0.02)
        assert running is not None, "the call never started on either server"
        dying, surviving = (a, b) if running == 0 else (b, a)
        dying.kill()  # SIGKILL while the call runs there: the connection drops without a reply
        worker.join(120)
        assert outcome == [surviving.pid]  # answered by the other server
        alive = [entry["alive"] for entry in pool.status()["servers"]]
        assert alive == ([False, True] if running == 0 else [True, False])
    finally:
        worker.join(120)
        for watcher in watchers:
            watcher.close()
        pool.close()


def test_offload_and_batch_through_a_pool(two_servers):
    a, b = two_servers
    pool = Proxy(servers=[_address(a), _address(b)], verbose=False)
    try:
        where = pool.offload("tests.batch_tasks.where")
        assert where["pid"] not in (a.pid, b.pid)  # an executor worker process of one of them
        batch = pool.batch([("math.hypot", [3, 4], {}), ("math.hypot", [6, 8], {})])
        batch.wait(120)
        assert batch.results() == [5.0, 10.0]
        ref = pool.cache([1, 2])
        with pytest.raises(ReferenceNotFound):
            pool.batch([("builtins.sum", [ref], {})])
        assert pool.offload("builtins.sum", [ref]) == 3  # on the server holding the reference
    finally:
        pool.close()


def test_a_server_that_never_finishes_the_handshake_is_passed_over(two_servers):
    # A member that accepts connections and never answers (a hung server, a host behind a filter that
    # swallows the traffic) ends in CloudTimeout, not ConnectionFailed: the pool goes on without it.
    import socket

    a, _ = two_servers
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    try:
        pool = Proxy(servers=["127.0.0.1:{0}".format(silent.getsockname()[1]), _address(a)], verbose=False,
                     connect_timeout=1)
        try:
            for _ in range(2):
                assert pool.call("math.hypot", [3, 4]) == 5.0
            status = pool.status()["servers"]
            assert [entry["alive"] for entry in status] == [False, True]
            assert "handshake" in status[0]["error"]
        finally:
            pool.close()
    finally:
        silent.close()


def test_a_deeply_nested_argument_is_refused_before_anything_is_sent():
    # Finding the references in the arguments must not recurse: IronPython does not enforce the recursion
    # limit, and a deep value would take Rhino down. Refused with TooDeep, as a single proxy refuses it.
    from compas_cloud.protocol.walk import TooDeep

    from helpers import free_port

    deep = []
    for _ in range(5000):
        deep = [deep]
    pool = ServerPool(["127.0.0.1:{0}".format(free_port())], verbose=False)
    with pytest.raises(TooDeep):
        pool.call("builtins.len", [deep])
    with pytest.raises(TooDeep):
        pool.submit("builtins.len", [deep])
