"""The server's orjson encoder writes what the standard library writes, NaN included."""
import json
import math

import pytest
from hypothesis import given, settings, strategies as st

from compas_cloud.protocol import codec
from compas_cloud.protocol.reference import Reference
from compas_cloud.server import fastjson

needs_orjson = pytest.mark.skipif(not fastjson.AVAILABLE, reason="orjson is not installed")


def same_value(a, b):
    """Equality that counts NaN equal to NaN (json.loads gives float('nan') for NaN)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_value(a[k], b[k]) for k in a)
    return a == b


@needs_orjson
def test_orjson_is_what_the_server_uses_when_installed():
    assert fastjson.dumps is not codec.dumps
    assert fastjson.dumps({"v": 1, "id": 3, "ok": True, "result": [1.5, "é"]}) == '{"v":1,"id":3,"ok":true,"result":[1.5,"é"]}'


@pytest.mark.parametrize("value, text", [
    (float("nan"), "NaN"),
    ([1.0, float("inf"), float("-inf")], "[1.0,Infinity,-Infinity]"),
    ({"a": None, "b": [None, 2]}, '{"a":null,"b":[null,2]}'),
    ({"result": float("nan")}, '{"result":NaN}'),
    (2 ** 70, str(2 ** 70)),  # beyond orjson's 64 bits
    ({1: "a", 2.5: "b", None: "c"}, '{"1":"a","2.5":"b","null":"c"}'),  # keys that are not text
    ("\ud800", '"\ud800"'),  # a lone surrogate (the session escapes it before sending)
    ({"s": "null"}, '{"s":"null"}'),
])
def test_the_values_orjson_spells_differently_come_out_as_json_writes_them(value, text):
    assert fastjson.dumps(value) == text == codec.dumps(value)


def test_numpy_values_and_references_go_through_the_same_conversions():
    numpy = pytest.importorskip("numpy")
    value = {
        "f32": numpy.array([0.1, 0.2], dtype=numpy.float32),
        "i64": numpy.int64(7),
        "f64": numpy.float64(0.1),
        "nan": numpy.array([numpy.nan, 1.0]),
        "ref": Reference("abc"),
        "set": {3},
        "tuple": (1, 2),
    }
    assert fastjson.dumps(value) == codec.dumps(value)


def test_objects_json_cannot_encode_fail_the_same_way():
    with pytest.raises(TypeError):
        codec.dumps({"x": object()})
    with pytest.raises(TypeError):
        fastjson.dumps({"x": object()})


def test_binary_arrays_messages_are_identical():
    numpy = pytest.importorskip("numpy")
    from compas_cloud.protocol import dumps_arrays

    message = {"v": 1, "id": 1, "ok": True, "result": [numpy.arange(300.0), [[1.0, 2.0, 3.0]] * 100, float("nan")]}
    assert fastjson.dumps_arrays(message) == dumps_arrays(message)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2 ** 80), max_value=2 ** 80)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=5), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_value_decodes_to_the_same_as_the_standard_encoding(value):
    fast, slow = fastjson.dumps(value), codec.dumps(value)
    assert same_value(json.loads(fast), json.loads(slow))
    if "NaN" in slow or "Infinity" in slow:
        assert fast == slow
