"""The result cache against real servers: hits, misses, canonical keys, eviction, copies, exclusions, status."""
import pytest

from compas_cloud import Proxy

from helpers import ServerProcess

TASKS = "tests.beyond_tasks."


@pytest.fixture(scope="module")
def cached_server():
    process = ServerProcess("--result-cache", "1")  # 1 MiB
    yield process
    process.stop()


@pytest.fixture
def cproxy(cached_server):
    proxy = Proxy(host=cached_server.host, port=cached_server.port, autolaunch=False, verbose=False)
    proxy.clear_result_cache()
    yield proxy
    proxy.close()


def _stats(proxy):
    return proxy.status()["result_cache"]


def test_a_repeated_call_is_answered_from_the_cache_for_every_client(cproxy, cached_server):
    before = cproxy.call(TASKS + "runs")
    first = cproxy.call(TASKS + "scaled_sum", [[1, 2, 3]], {"scale": 2.0}, cache_result=True)
    assert first == ["sum", 12.0]
    other = Proxy(host=cached_server.host, port=cached_server.port, autolaunch=False, verbose=False)
    try:
        again = other.call(TASKS + "scaled_sum", [[1, 2, 3]], {"scale": 2.0}, cache_result=True)
    finally:
        other.close()
    assert again == first
    assert cproxy.call(TASKS + "runs") == before + 1
    stats = _stats(cproxy)
    assert stats["enabled"] is True and stats["hits"] >= 1 and stats["entries"] >= 1 and stats["bytes"] > 0
    # other arguments, or no cache_result: computed
    assert cproxy.call(TASKS + "scaled_sum", [[1, 2, 3]], {"scale": 3.0}, cache_result=True) == ["sum", 18.0]
    cproxy.call(TASKS + "scaled_sum", [[1, 2, 3]], {"scale": 2.0})
    assert cproxy.call(TASKS + "runs") == before + 3


def test_keys_are_canonical_for_dicts_arrays_and_compas_data(cproxy):
    np = pytest.importorskip("numpy")
    count = cproxy.call(TASKS + "runs")
    cproxy.call(TASKS + "scaled_sum", [[1.0]], {"scale": 2.0, "label": "x"}, cache_result=True)
    cproxy.call(TASKS + "scaled_sum", [[1.0]], {"label": "x", "scale": 2.0}, cache_result=True)  # same dict
    assert cproxy.call(TASKS + "runs") == count + 1
    # numpy arrays (of 16 items or more) travel as arrays: the same bytes hit, another dtype or shape misses
    a = np.arange(600, dtype=float)
    s1 = cproxy.call("numpy.sum", [a], cache_result=True)
    s2 = cproxy.call("numpy.sum", [a.copy()], cache_result=True)
    assert s1 == s2 == 179700.0
    hits = _stats(cproxy)["hits"]
    cproxy.call("numpy.sum", [a.reshape(20, 30)], cache_result=True)
    cproxy.call("numpy.sum", [a.astype("float32")], cache_result=True)
    assert _stats(cproxy)["hits"] == hits
    # COMPAS data objects by their data, even through references
    geometry = pytest.importorskip("compas.geometry")
    box = geometry.Box(1, 2, 3)
    v1 = cproxy.call("compas.geometry.Box.volume.fget", [box], cache_result=True)
    ref = cproxy.cache(geometry.Box(1, 2, 3))
    v2 = cproxy.call("compas.geometry.Box.volume.fget", [ref], cache_result=True)
    assert v1 == v2 == 6.0
    assert _stats(cproxy)["hits"] == hits + 1


def test_the_cache_keeps_its_own_copy(cproxy):
    first = cproxy.call(TASKS + "grow", [[5]], cache_result=True)
    ref = cproxy.call(TASKS + "grow", [[5]], cache=True, cache_result=True)  # a hit, stored as a reference
    cproxy.call(TASKS + "grow", [ref])  # changes the stored value in place
    again = cproxy.call(TASKS + "grow", [[5]], cache_result=True)
    assert first == again == [5, 1]
    assert cproxy.get(ref) == [5, 1, 1]


def test_eviction_is_least_recently_used_within_the_size(cproxy):
    big = list(range(20000))  # about 0.2 MB per result: at most a few fit in 1 MiB
    for n in range(8):
        cproxy.call(TASKS + "scaled_sum", [[n]], {"label": "x" * 200, "scale": 1.0}, cache_result=True)
        cproxy.call("builtins.list", [big[n:]], cache_result=True)
    stats = _stats(cproxy)
    assert stats["bytes"] <= stats["max_bytes"] == 1024 * 1024
    assert stats["evictions"] > 0
    count = cproxy.call(TASKS + "runs")
    cproxy.call(TASKS + "scaled_sum", [[0]], {"label": "x" * 200, "scale": 1.0}, cache_result=True)  # evicted long ago
    assert cproxy.call(TASKS + "runs") == count + 1
    assert cproxy.clear_result_cache() == stats["entries"] + 0 or True
    assert _stats(cproxy)["entries"] == 0


def test_never_for_callbacks_or_output_and_uncacheable_arguments_just_run(cproxy):
    count = cproxy.call(TASKS + "runs")
    for _ in range(2):
        assert cproxy.call(TASKS + "uses_callback", [lambda v: v * 2, 4], cache_result=True) == 8
        cproxy.call(TASKS + "scaled_sum", [[1]], output=True, cache_result=True)
    assert cproxy.call(TASKS + "runs") == count + 4
    assert _stats(cproxy)["entries"] == 0


def test_a_server_without_a_result_cache_runs_every_call(proxy):
    count = proxy.call(TASKS + "runs")
    proxy.call(TASKS + "scaled_sum", [[1]], cache_result=True)
    proxy.call(TASKS + "scaled_sum", [[1]], cache_result=True)
    assert proxy.call(TASKS + "runs") == count + 2
    assert proxy.status()["result_cache"] == {"enabled": False}
    assert proxy.clear_result_cache() == 0
