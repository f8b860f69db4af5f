# -*- coding: utf-8 -*-
"""The Proxy API against a real server (the same tests run on every client runtime)."""
from __future__ import absolute_import

import threading

import pytest

from compas_cloud import CloudTimeout, Proxy, Reference, ServerSideError
from compas_cloud.errors import EncodingError, FunctionNotFound, NotCallable, ReferenceNotFound

POINTS = [[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 0]]
UP = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 1.0]]


def test_call_numpy_and_compas_functions(proxy):
    assert proxy.function("numpy.linalg.norm")([3, 4]) == 5.0
    moved = proxy.function("compas.geometry.transform_points_numpy")(POINTS, UP)
    assert moved == [[0.0, 0.0, 1.0], [1.0, 0.0, 1.0], [2.0, 0.0, 1.0], [3.0, 0.0, 1.0]]


def test_numpy_results_arrive_as_lists_and_numbers(proxy):
    assert proxy.function("numpy.arange")(3) == [0, 1, 2]
    value = proxy.function("numpy.float32")(1.5)
    assert value == 1.5 and isinstance(value, float)


def test_keyword_arguments_and_class_attributes(proxy):
    assert proxy.function("numpy.linspace")(0, 1, num=3) == [0.0, 0.5, 1.0]
    assert proxy.function("builtins.str.upper")("abc") == "ABC"
    assert proxy.function("numpy.linalg.norm")(x=[6, 8]) == 10.0


def test_compas_objects_come_back_as_compas_objects_or_data(proxy):
    result = proxy.function("compas.geometry.Vector.Zaxis")()
    try:
        from compas.geometry import Vector
    except ImportError:  # no compas in this client: the data arrives in COMPAS's JSON form
        assert result["dtype"] == "compas.geometry/Vector" and result["data"] == [0.0, 0.0, 1.0]
    else:
        assert isinstance(result, Vector) and list(result) == [0.0, 0.0, 1.0]


def test_cached_loop_keeps_data_on_the_server(proxy):
    transform = proxy.function("compas.geometry.transform_points_numpy", cache=True)
    matrix = proxy.cache(UP)
    assert isinstance(matrix, Reference) and set(matrix) == set(["cached"])
    points = POINTS
    for _ in range(5):
        points = transform(points, matrix)
    assert isinstance(points, Reference)
    assert proxy.get(points) == [[0.0, 0.0, 5.0], [1.0, 0.0, 5.0], [2.0, 0.0, 5.0], [3.0, 0.0, 5.0]]
    assert proxy.get(points["cached"]) == proxy.get(points)  # a bare id works too


def test_references_nested_in_lists_and_dicts_are_resolved(proxy):
    a = proxy.cache([1, 2])
    b = proxy.cache([3])
    assert proxy.function("builtins.sum")([proxy.get(a)[0], 5]) == 6
    assert proxy.function("numpy.concatenate")([a, b]) == [1, 2, 3]
    assert proxy.function("builtins.dict")({"x": a, "y": [b]}) == {"x": [1, 2], "y": [[3]]}


def test_reference_ids_are_unguessable_and_unique(proxy):
    ids = [proxy.cache(i).id for i in range(20)]
    assert len(set(ids)) == 20
    assert all(len(i) >= 16 for i in ids)


def test_free_and_clear(proxy):
    ref = proxy.cache({"a": 1})
    assert proxy.free(ref) == 1
    with pytest.raises(ReferenceNotFound) as info:
        proxy.get(ref)
    assert ref.id in str(info.value)
    with pytest.raises(ReferenceNotFound):
        proxy.free(ref)
    proxy.cache(1)
    proxy.cache(2)
    assert proxy.clear() >= 2
    assert proxy.status()["connection"]["references"] == 0


def test_references_belong_to_their_connection(server, proxy):
    ref = proxy.cache([1, 2, 3])
    other = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False)
    try:
        with pytest.raises(ReferenceNotFound):
            other.get(ref)
    finally:
        other.close()
    assert proxy.get(ref) == [1, 2, 3]


def test_server_side_exception_carries_type_message_and_traceback(proxy):
    with pytest.raises(ServerSideError) as info:
        proxy.function("operator.truediv")(1, 0)
    error = info.value
    assert error.remote_type == "ZeroDivisionError"
    assert "division" in error.message
    assert "Traceback" in error.traceback


def test_wrong_arguments_name_the_problem(proxy):
    with pytest.raises(ServerSideError) as info:
        proxy.function("compas.geometry.transform_points")([[0, 0, 0]])
    assert info.value.remote_type == "TypeError"
    assert "missing" in info.value.message


def test_unknown_functions(proxy):
    with pytest.raises(FunctionNotFound) as info:
        proxy.function("no_such_package.thing")()
    assert "no_such_package" in str(info.value)
    with pytest.raises(FunctionNotFound) as info:
        proxy.function("numpy.no_such_function")()
    assert "no_such_function" in str(info.value)
    with pytest.raises(FunctionNotFound):
        proxy.function("not a name!")()
    with pytest.raises(NotCallable):
        proxy.function("math.pi")()


def test_result_that_cannot_be_encoded_is_a_clear_error_and_can_be_cached(proxy):
    with pytest.raises(EncodingError) as info:
        proxy.function("threading.Lock")()
    assert "cache=True" in str(info.value) and "the result of 'threading.Lock'" in str(info.value)
    ref = proxy.function("threading.Lock", cache=True)()
    assert isinstance(ref, Reference)
    with pytest.raises(EncodingError) as info:
        proxy.get(ref)  # the error names what could not be sent: the stored value
    assert "EncodingError: the stored value (a " in str(info.value)


def test_a_result_that_looks_like_a_control_message_is_just_data(proxy):
    tricky = {"error": "not really", "callback": 1, "ok": False, "id": 99}
    assert proxy.function("builtins.dict")(tricky) == tricky
    typed = {"dtype": "float32", "data": [1.5, 2.5]}  # a "dtype" that is not COMPAS's "package/Class"
    assert proxy.function("builtins.dict")(typed) == typed


def test_check_version_status(proxy):
    assert proxy.check() is True
    version = proxy.version()
    for key in ("compas_cloud", "protocol", "python", "compas", "numpy", "websockets"):
        assert key in version
    status = proxy.status()
    assert status["clients"] >= 1 and "reference_bytes" in status


def test_call_timeout(proxy):
    with pytest.raises(CloudTimeout) as info:
        proxy.call("time.sleep", [3], timeout=0.5)
    assert "0.5" in str(info.value)
    assert proxy.check()  # the connection stays usable


def test_one_proxy_from_many_threads(proxy):
    results = {}
    errors = []

    def work(n):
        try:
            results[n] = proxy.function("builtins.sum")([n, n])
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert results == dict((n, 2 * n) for n in range(16))


def test_context_manager_closes(server):
    with Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False) as proxy:
        assert proxy.check()
    assert not proxy.check()


def test_prints_what_it_connected_to(server, capsys):
    proxy = Proxy(host=server.host, port=server.port, autolaunch=False)
    proxy.close()
    out = capsys.readouterr().out
    assert "connected to cloud using" in out
    assert "Reconnected to an existing server at {0}:{1}".format(server.host, server.port) in out
