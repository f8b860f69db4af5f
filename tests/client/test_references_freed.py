"""Freeing as a loop goes (Proxy.replace), and when stored values go by themselves (every runtime)."""
from __future__ import absolute_import

import time

import pytest

from compas_cloud import Proxy
from compas_cloud.errors import ReferenceNotFound
from compas_cloud.protocol import Reference

MOVE = "compas.geometry.transform_points_numpy"
MATRIX = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]]


def stored(proxy):
    return proxy.status()["connection"]["references"]


def test_a_loop_without_freeing_keeps_every_step(proxy):
    move = proxy.function(MOVE, cache=True)
    matrix = proxy.cache(MATRIX)
    points = [[0, 0, 0], [1, 0, 0]]
    for _ in range(20):
        points = move(points, matrix)
    assert stored(proxy) == 21  # the matrix and all 20 steps: what the pattern below avoids
    proxy.clear()


def test_replace_keeps_one_step_at_a_time(proxy):
    move = proxy.function(MOVE, cache=True)
    matrix = proxy.cache(MATRIX)
    points = [[0, 0, 0], [1, 0, 0]]
    for step in range(20):
        points = proxy.replace(points, move(points, matrix))
        assert stored(proxy) == 2  # the matrix and the latest step, from the first step on
    assert isinstance(points, Reference)
    assert [list(map(float, p)) for p in proxy.get(points)] == [[0.0, 0.0, 20.0], [1.0, 0.0, 20.0]]
    proxy.free([matrix, points])
    assert stored(proxy) == 0


def test_replace_leaves_alone_what_is_not_a_stored_value(proxy):
    kept = proxy.cache([1, 2, 3])
    assert proxy.replace([1, 2], kept) is kept  # a local value: nothing to free
    assert proxy.replace(kept, kept) is kept  # the same reference: not freed
    assert proxy.replace(None, 5) == 5
    assert proxy.get(kept) == [1, 2, 3]
    proxy.free(kept)
    assert proxy.replace(kept, 7) == 7  # already freed: not an error
    with pytest.raises(ReferenceNotFound):
        proxy.get(kept)


def _total_becomes(proxy, count):
    deadline = time.time() + 15
    while proxy.status()["references"] != count and time.time() < deadline:
        time.sleep(0.05)
    return proxy.status()["references"] == count


def test_references_go_with_their_connection(own_server):
    watcher = Proxy(host=own_server.host, port=own_server.port, autolaunch=False, verbose=False)
    first = Proxy(host=own_server.host, port=own_server.port, autolaunch=False, verbose=False)
    try:
        ref = first.cache([1, 2, 3])
        first.cache([4, 5, 6])
        assert watcher.status()["references"] == 2
        first.reconnect()  # the old connection closes: the server frees what it stored
        assert _total_becomes(watcher, 0)
        with pytest.raises(ReferenceNotFound):
            first.get(ref)
        first.cache([7])
        first.close()  # closing frees too
        assert _total_becomes(watcher, 0)
    finally:
        first.close()
        watcher.close()
