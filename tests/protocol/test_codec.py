# -*- coding: utf-8 -*-
"""Values on the wire (runs on CPython 2.7 and 3)."""
from __future__ import absolute_import

import pytest

from compas_cloud.errors import DecodingError, ServerSideError, error_from_data, FunctionNotFound
from compas_cloud.protocol import Reference, dumps, dumps_plain, is_reference, loads, reference_id


def test_references_decode_as_reference_objects_anywhere():
    value = loads('{"a": [{"cached": "x1"}, [{"cached": "x2"}]], "b": {"cached": "x3"}}')
    assert isinstance(value["a"][0], Reference) and value["a"][0].id == "x1"
    assert isinstance(value["a"][1][0], Reference)
    assert value["b"] == {"cached": "x3"}


def test_reference_counting():
    decoded = loads('[{"cached": "a"}, {"x": {"cached": "b"}}, {"cached": 1, "other": 2}]', track=True)
    assert decoded.references == 2
    assert not isinstance(decoded.value[2], Reference)


def test_reference_is_a_plain_dict_on_the_wire():
    ref = Reference("abc")
    assert ref == {"cached": "abc"}
    assert loads(dumps(ref)) == ref
    assert is_reference(ref) and reference_id(ref) == "abc" and reference_id("abc") == "abc"
    with pytest.raises(TypeError):
        reference_id([1])


def test_non_ascii_text_round_trips_as_utf8():
    text = u"Grüße, 東京, ∑ 🏗"
    encoded = dumps({"t": text})
    assert u"東京" in encoded  # written as UTF-8, not \\u escapes
    assert loads(encoded.encode("utf-8"))["t"] == text
    assert loads(encoded)["t"] == text


def test_plain_spacing_matches_python_defaults():
    assert dumps_plain([[0.0, 0.0, 1.0]]) == "[[0.0, 0.0, 1.0]]"
    assert dumps([[0.0, 0.0, 1.0]]) == "[[0.0,0.0,1.0]]"


def test_duck_typed_values_encode():
    class Array(object):
        def tolist(self):
            return [1, 2]

    class Data(object):
        def __jsondump__(self):
            return {"dtype": "nowhere/Nothing", "data": {}}

    assert loads(dumps({"a": Array(), "s": set([3]), "t": (1, 2), "g": iter([4])})) == {"a": [1, 2], "s": [3], "t": [1, 2], "g": [4]}
    assert loads(dumps(Data())) == {"dtype": "nowhere/Nothing", "data": {}}


def test_unencodable_values_raise_type_error():
    with pytest.raises(TypeError):
        dumps(object())


def test_unknown_compas_dtype_stays_a_dict_unless_strict():
    text = '{"dtype": "nowhere.at.all/Nothing", "data": {"x": 1}}'
    assert loads(text) == {"dtype": "nowhere.at.all/Nothing", "data": {"x": 1}}
    try:
        import compas  # noqa: F401
    except ImportError:
        pytest.skip("compas is not installed in this Python: the strict check needs its decoder")
    with pytest.raises(DecodingError):
        loads(text, strict=True)


def test_error_data_maps_back_to_typed_errors():
    error = error_from_data({"type": "FunctionNotFound", "message": "no module named 'x'", "traceback": ""})
    assert isinstance(error, FunctionNotFound) and "no module named" in str(error)
    remote = error_from_data({"type": "ZeroDivisionError", "message": "division by zero", "traceback": "Traceback..."})
    assert type(remote) is ServerSideError and remote.remote_type == "ZeroDivisionError"
    assert "Traceback..." in str(remote)


def test_data_with_a_dtype_key_that_is_not_compas_stays_data():
    text = '{"dtype": "float32", "data": [1, 2]}'
    assert loads(text, strict=True) == {"dtype": "float32", "data": [1, 2]}
    assert loads('{"dtype": 5, "data": null}', strict=True) == {"dtype": 5, "data": None}
