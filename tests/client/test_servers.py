"""Proxy(servers=[...]) against two real servers: spreading, fail-over, references bound, status per server."""
from __future__ import absolute_import

import os

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
