"""The server's orjson encoder writes what the standard library writes, NaN included."""
import json
import math

import pytest
from hypothesis import given, settings, strategies as st

from compas_cloud.protocol import codec
from compas_cloud.protocol.reference import Reference
from compas_cloud.server import fastjson
from compas_cloud.server.session import message_decoder

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


# -- decoding ------------------------------------------------------------------------------------

session_loads = message_decoder()  # what a server session decodes messages with


@needs_orjson
def test_sessions_decode_plain_texts_with_orjson():
    assert fastjson.loads is not json.loads and session_loads.keywords["parse"] is fastjson.loads


@pytest.mark.parametrize("text", [
    '{"v":1,"id":3,"op":"call","function":"math.sqrt","args":[4],"kwargs":{},"cache":false}',
    "[NaN, Infinity, -Infinity]",  # orjson refuses them; json reads them
    str(2 ** 70), "-9223372036854775809", "[18446744073709551616]",  # beyond 64 bits: orjson would give floats
    "1e400", "-0.0", "[1.0000000000000000001]", '{"a": 1, "a": 2}', '"caf\u00e9"',
])
def test_plain_texts_decode_to_what_json_gives(text):
    decoded = session_loads(text)
    assert same_value(decoded.value, json.loads(text)) and decoded.references == 0
    assert type(fastjson.loads(text)) is type(json.loads(text))


@pytest.mark.parametrize("text", ["[1,2,]", "", "{'a': 1}", '{"a": }', "[1] x"])
def test_invalid_json_fails_with_the_standard_librarys_message(text):
    with pytest.raises(ValueError) as fast:
        fastjson.loads(text)
    with pytest.raises(ValueError) as slow:
        json.loads(text)
    assert str(fast.value) == str(slow.value)


def test_references_spelled_with_escapes_are_still_references():
    # "\u0063ached" is "cached": a text with an escape always takes the object hook.
    decoded = session_loads('{"args": [{"\\u0063ached": "abc"}, {"cached": "def"}]}')
    assert decoded.value["args"] == [Reference("abc"), Reference("def")]
    assert all(type(item) is Reference for item in decoded.value["args"]) and decoded.references == 2


def test_compas_objects_and_plain_dtypes_take_the_hook():
    decoded = session_loads('{"x": {"dtype": "float32", "data": [1]}}')
    assert decoded.value == {"x": {"dtype": "float32", "data": [1]}}  # not COMPAS's form: stays data
    with pytest.raises(ValueError, match="refused compas.geometry/Nothing"):  # the policy's check ran: the hook did
        message_decoder(_refuse)('{"dtype": "compas.geometry/Nothing", "data": {}}')


def _refuse(dtype):
    raise ValueError("refused " + dtype)


def test_deep_nesting_is_refused_on_the_fast_path_too():
    text = "[" * (codec.MAX_DEPTH + 5) + "]" * (codec.MAX_DEPTH + 5)
    with pytest.raises(ValueError, match="deeper than"):
        session_loads(text)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_text_decodes_as_the_standard_library_decodes_it(value):
    text = codec.dumps(value)
    assert same_value(session_loads(text).value, codec.loads(text, strict=True))
