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
    entries = _stats(cproxy)["entries"]
    assert entries > 0 and cproxy.clear_result_cache() == entries
    assert _stats(cproxy)["entries"] == 0 and _stats(cproxy)["bytes"] == 0


def test_never_for_callbacks_or_output_and_uncacheable_arguments_just_run(cproxy):
    count = cproxy.call(TASKS + "runs")
    for _ in range(2):
        assert cproxy.call(TASKS + "uses_callback", [lambda v: v * 2, 4], cache_result=True) == 8
        cproxy.call(TASKS + "scaled_sum", [[1]], output=True, cache_result=True)
    assert cproxy.call(TASKS + "runs") == count + 4
    assert _stats(cproxy)["entries"] == 0
    # an argument with no canonical form (a stored object that is not data): the call runs every time
    opaque = cproxy.call(TASKS + "opaque", cache=True)
    before = _stats(cproxy)
    for _ in range(2):
        assert cproxy.call(TASKS + "count_and_name", [opaque], cache_result=True) == "Opaque"
    after = _stats(cproxy)
    assert after["uncacheable"] == before["uncacheable"] + 2 and after["entries"] == 0
    assert (after["hits"], after["misses"]) == (before["hits"], before["misses"])
    assert cproxy.call(TASKS + "runs") == count + 6


def test_a_result_larger_than_the_cache_is_not_kept(cproxy):
    big = cproxy.call("builtins.list", [list(range(100000))], cache=True)  # about 3.6 MB (estimated): over 1 MiB
    count = _stats(cproxy)["misses"]
    cproxy.call("builtins.list", [big], cache=True, cache_result=True)
    cproxy.call("builtins.list", [big], cache=True, cache_result=True)
    stats = _stats(cproxy)
    assert stats["misses"] == count + 2 and stats["entries"] == 0 and stats["bytes"] == 0


def test_lru_order_and_size_accounting_of_the_cache_itself():
    """The eviction order of :class:`ResultCache` with sizes given exactly (the server estimates them)."""
    from compas_cloud.server.result_cache import ResultCache

    cache = ResultCache(100)
    for name in ("a", "b", "c"):
        assert cache.put(name, [name], 30)
    assert cache.get("a") == (True, ["a"])  # a is now the most recently used
    cache.put("d", ["d"], 30)  # 120 > 100: the least recently used (b) goes
    assert [cache.get(name)[0] for name in ("b", "a", "c", "d")] == [False, True, True, True]
    assert cache.stored_bytes == 90 and cache.evictions == 1 and len(cache) == 3
    cache.put("e", ["e"], 70)  # evicts in order of use (a, then c) until 160 is down to 100
    assert [name for name in "acde" if cache.get(name)[0]] == ["d", "e"]
    assert cache.stored_bytes == 100 and cache.evictions == 3
    assert cache.put("huge", ["x"], 101) is False and cache.get("e")[0] and cache.get("d")[0]
    cache.put("e", ["e2"], 10)  # replacing a key replaces its size
    assert cache.stored_bytes == 40 and cache.get("e") == (True, ["e2"])
    assert cache.describe()["hits"] == cache.hits and cache.clear() == 2 and cache.stored_bytes == 0


def test_canonical_keys_of_the_cache_itself():
    np = pytest.importorskip("numpy")
    from compas_cloud.server.result_cache import ResultCache

    cache = ResultCache(1000)
    key = cache.key
    assert key("f", [{"a": 1, "b": [1.0, "x"]}], {}) == key("f", [{"b": [1.0, "x"], "a": 1}], {})
    assert key("f", [1], {}) != key("g", [1], {})
    assert len(set([key("f", [v], {}) for v in (1, 1.0, True, "1", [1], (1,), None)])) == 7
    assert key("f", [], {"scale": 2}) != key("f", [2], {})
    a = np.arange(6, dtype=float)
    assert key("f", [a], {}) == key("f", [a.copy()], {})
    assert key("f", [a], {}) != key("f", [a.reshape(2, 3)], {}) != key("f", [a.astype("float32")], {})
    assert key("f", [np.float64(2.5)], {}) == key("f", [2.5], {})
    geometry = pytest.importorskip("compas.geometry")
    assert key("f", [geometry.Point(1, 2, 3)], {}) == key("f", [geometry.Point(1, 2, 3)], {})
    assert key("f", [geometry.Point(1, 2, 3)], {}) != key("f", [geometry.Vector(1, 2, 3)], {})  # the type counts
    assert key("f", [geometry.Point(1, 2, 3)], {}) != key("f", [geometry.Point(1, 2, 4)], {})
    assert cache.uncacheable == 0
    assert key("f", [object()], {}) is None and cache.uncacheable == 1


def test_a_server_without_a_result_cache_runs_every_call(proxy):
    count = proxy.call(TASKS + "runs")
    proxy.call(TASKS + "scaled_sum", [[1]], cache_result=True)
    proxy.call(TASKS + "scaled_sum", [[1]], cache_result=True)
    assert proxy.call(TASKS + "runs") == count + 2
    assert proxy.status()["result_cache"] == {"enabled": False}
    assert proxy.clear_result_cache() == 0


def test_offloaded_calls_use_the_result_cache_too():
    process = ServerProcess("--result-cache", "1", "--executor-workers", "1", "--offload", "tests.batch_tasks.where")
    try:
        proxy = Proxy(host=process.host, port=process.port, autolaunch=False, verbose=False)
        try:
            first = proxy.call("tests.batch_tasks.where", [0.0], cache_result=True)  # --offload: on the executor
            assert first["pid"] != process.pid
            assert proxy.call("tests.batch_tasks.where", [0.0], cache_result=True) == first
            assert proxy.offload("tests.batch_tasks.where", [0.0], cache_result=True) == first
            stats = _stats(proxy)
            assert (stats["hits"], stats["misses"], stats["entries"]) == (2, 1, 1)
            proxy.offload("tests.batch_tasks.where", [0.01], cache_result=True)  # other arguments: computed
            proxy.offload("tests.batch_tasks.where", [0.0])  # not asked for: computed, not counted
            stats = _stats(proxy)
            assert (stats["hits"], stats["misses"], stats["entries"]) == (2, 2, 2)
        finally:
            proxy.close()
    finally:
        process.stop()


def test_answers_from_the_cache_do_not_make_a_slow_function_look_fast(cproxy):
    """A hit takes microseconds: it must not promote the function to run on the event loop (server/inline.py)."""
    for _ in range(6):
        assert cproxy.call(TASKS + "pid_after", [0.05], cache_result=True) > 0  # one miss, five hits
    assert _stats(cproxy)["hits"] >= 5
    assert TASKS + "pid_after" not in cproxy.status()["inline"]["functions"]
    for _ in range(6):
        cproxy.call(TASKS + "runs")  # a fast function is still promoted
    assert TASKS + "runs" in cproxy.status()["inline"]["functions"]
