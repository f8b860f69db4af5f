"""The binary ``arrays1`` encoding: every fast path round-trips exactly, the rest falls back to JSON.

Python 2.7 syntax: these tests also run on CPython 2.7 (without numpy there).
"""
from __future__ import absolute_import

import math
import struct

import pytest

from compas_cloud.protocol import arrays, codec
from compas_cloud.protocol.reference import Reference

try:
    import numpy
except ImportError:  # CPython 2.7 stage: the pure-Python paths only
    numpy = None

needs_numpy = pytest.mark.skipif(numpy is None, reason="numpy is not installed here")


def roundtrip(value, numpy_arrays=False):
    data = codec.dumps_arrays(value)
    return data, codec.loads(data, numpy_arrays=numpy_arrays)


def points(count):
    return [[i * 0.5, -i * 0.25, 1.0 / (i + 1)] for i in range(count)]


# -- lists ----------------------------------------------------------------------------------


def test_points_as_lists_become_one_binary_buffer_and_come_back_equal():
    value = {"v": 1, "id": 7, "op": "call", "function": "f", "args": [points(1000)], "kwargs": {}, "cache": False}
    data, back = roundtrip(value)
    assert arrays.is_binary(data)
    assert data[:4] == arrays.MAGIC
    assert back == value
    assert type(back["args"][0]) is list and type(back["args"][0][0]) is list


def test_flat_lists_of_floats_and_of_ints_keep_their_types():
    floats = [i / 3.0 for i in range(500)]
    ints = list(range(-250, 250))
    data, back = roundtrip({"floats": floats, "ints": ints})
    assert arrays.is_binary(data)
    assert back == {"floats": floats, "ints": ints}
    assert all(type(x) is float for x in back["floats"])
    assert all(isinstance(x, int) and not isinstance(x, bool) for x in back["ints"])


def test_special_floats_survive():
    values = [float("inf"), float("-inf"), -0.0, 1e-310, 1.7976931348623157e308] * 100
    data, back = roundtrip(values)
    assert arrays.is_binary(data)
    assert back == values
    assert math.copysign(1.0, back[2]) == -1.0
    nans = [float("nan")] * 300
    data, back = roundtrip(nans)
    assert all(math.isnan(x) for x in back)


def test_tuples_of_numbers_come_back_as_lists_like_json():
    rows = tuple((float(i), 2.0, 3.0) for i in range(400))
    data, back = roundtrip([rows])
    assert arrays.is_binary(data)
    assert back == [[list(row) for row in rows]]


@pytest.mark.parametrize(
    "value",
    [
        [1, 2.0] * 300,  # mixed ints and floats: the ints would turn into floats
        [[1.0, 2.0, 3.0]] * 200 + [[1.0, 2.0]],  # ragged
        [True, False] * 300,  # booleans are not ints here
        [2 ** 40] * 300,  # ints beyond int32
        [[1.0, "a", 3.0]] * 300,  # text among numbers
        [[1.0, None, 3.0]] * 300,
        [[]] * 300,
        [1.0] * 10,  # short: not worth it
    ],
)
def test_lists_that_do_not_pack_stay_json(value):
    data = codec.dumps_arrays({"args": [value]})
    assert not arrays.is_binary(data)
    assert data == codec.dumps({"args": [value]})
    assert codec.loads(data) == {"args": [value]}


def test_a_packed_list_next_to_json_values_and_references():
    value = {"args": [points(300), "text", {"n": 1, "ref": Reference("abc")}, [1, 2.5, None]], "kwargs": {"k": [True]}}
    data = codec.dumps_arrays(value)
    assert arrays.is_binary(data)
    decoded = codec.loads(data, track=True)
    assert decoded.references == 1
    assert decoded.value == value
    assert isinstance(decoded.value["args"][2]["ref"], Reference)


def test_non_ascii_text_in_the_header():
    value = {"name": u"\u00e9t\u00e9 \u2013 \u6f22\u5b57", "args": [points(300)]}
    data, back = roundtrip(value)
    assert arrays.is_binary(data)
    assert back == value


def test_a_dict_that_looks_like_a_placeholder_sends_everything_as_json():
    value = {"args": [points(300), {"$array": ["<f8", [1], 0, "list"]}]}
    data = codec.dumps_arrays(value)
    assert not arrays.is_binary(data)
    assert codec.loads(data) == value


def test_buffers_are_8_byte_aligned():
    value = {"a": list(range(301)), "b": points(300)}
    data = codec.dumps_arrays(value)
    header, _, start = arrays.split(data)
    assert start % 8 == 0
    for key in ("a", "b"):
        spec = codec.loads(header)[key]["$array"]
        assert spec[2] % 8 == 0
    assert codec.loads(data) == value


def test_layout_is_readable_without_this_library():
    """What a JavaScript or .NET client does: prefix, JSON header, little-endian doubles."""
    value = [float(i) for i in range(300)]
    data = codec.dumps_arrays({"result": value})
    magic, length = struct.unpack("<4sI", data[:8])
    assert magic == b"CCA1"
    import json

    header = json.loads(data[8:8 + length].decode("utf-8"))
    dtype, shape, offset, kind = header["result"]["$array"]
    assert (dtype, shape, kind) == ("<f8", [300], "list")
    start = 8 + length + (-(8 + length)) % 8
    raw = data[start + offset:start + offset + 8 * 300]
    assert list(struct.unpack("<300d", raw)) == value


# -- decoding without numpy (IronPython, CPython 2.7) -----------------------------------------


@pytest.mark.parametrize("shape", [(0,), (5,), (2, 3), (2, 0), (0, 3), (2, 3, 4), (1, 1, 1, 2)])
@pytest.mark.parametrize("dtype", ["<f8", "<f4", "<i8", "<i4", "<i2", "|i1", "<u8", "<u4", "<u2", "|u1", "|b1"])
def test_every_dtype_and_shape_decodes_without_numpy(dtype, shape):
    count = 1
    for n in shape:
        count *= n
    codes = {"<f8": "d", "<f4": "f", "<i8": "q", "<i4": "i", "<i2": "h", "|i1": "b", "<u8": "Q", "<u4": "I",
             "<u2": "H", "|u1": "B", "|b1": "?"}
    if dtype == "|b1":
        flat = [i % 3 == 0 for i in range(count)]
    elif dtype in ("<f8", "<f4"):
        flat = [i * 0.5 - 3.0 for i in range(count)]
    elif dtype.startswith("<u") or dtype == "|u1":
        flat = [(i * 7) % 200 for i in range(count)]
    else:
        flat = [(i * 7) % 200 - 100 for i in range(count)]
    raw = struct.pack("<{0}{1}".format(count, codes[dtype]), *flat)
    rebuild = arrays.Rebuilder(raw, 0)
    rebuild._numpy = False  # as on IronPython
    value = rebuild([dtype, list(shape), 0, "array"])
    assert value == nest(flat, shape)


def nest(flat, shape):
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0] if shape[0] else 0
    if shape[0] == 0:
        return []
    return [nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def test_lists_decode_the_same_with_and_without_numpy():
    value = {"p": points(500), "i": list(range(400))}
    data = codec.dumps_arrays(value)
    header, buffers, start = arrays.split(data)
    plain = arrays.Rebuilder(buffers, start)
    plain._numpy = False
    import json

    def hook(obj):
        if len(obj) == 1 and "$array" in obj:
            return plain(obj["$array"])
        return obj

    assert json.loads(header, object_hook=hook) == value == codec.loads(data)


@pytest.mark.parametrize(
    "spec",
    [
        ["<f8", [10], 0, "list"],  # runs past the end
        ["<f8", [-1], 0, "list"],
        ["<c16", [1], 0, "list"],
        ["<f8", "x", 0, "list"],
        ["<f8", [1]],
    ],
)
def test_bad_placeholders_are_value_errors(spec):
    head = codec.dumps({"r": {"$array": spec}}).encode("utf-8")
    data = struct.pack("<4sI", b"CCA1", len(head)) + head + b"\0" * ((-(8 + len(head))) % 8) + b"\0" * 8
    with pytest.raises(ValueError):
        codec.loads(data)


def test_truncated_messages_are_value_errors():
    data = codec.dumps_arrays(points(300))
    with pytest.raises(ValueError):
        codec.loads(data[:6])
    with pytest.raises(ValueError):
        codec.loads(data[:20])
    with pytest.raises(ValueError):
        codec.loads(data[:-16])


def test_json_text_is_never_taken_for_binary():
    assert not arrays.is_binary(u'{"v": 1}')
    assert not arrays.is_binary(b'{"v": 1}')
    assert not arrays.is_binary(b"CC")
    assert codec.loads(b'[1, 2]') == [1, 2]


# -- numpy arrays -------------------------------------------------------------------------------


NUMPY_DTYPES = ["<f8", ">f8", "<f4", ">f4", "<i8", ">i8", "<i4", ">i4", "<i2", "i1", "<u8", ">u4", "<u2", "u1", "bool"]


@needs_numpy
@pytest.mark.parametrize("dtype", NUMPY_DTYPES)
@pytest.mark.parametrize("shape", [(64,), (16, 3), (4, 4, 4), (2, 2, 2, 8)])
def test_numpy_arrays_of_every_dtype_and_shape_roundtrip(dtype, shape):
    size = int(numpy.prod(shape))
    source = (numpy.arange(size) % 97 - (0 if dtype.lstrip("<>").startswith(("u", "b")) else 40)).reshape(shape)
    array = source.astype(dtype)
    data, back = roundtrip({"a": array}, numpy_arrays=True)
    assert arrays.is_binary(data)
    assert isinstance(back["a"], numpy.ndarray)
    assert back["a"].shape == array.shape
    assert back["a"].dtype == array.dtype.newbyteorder("=") or back["a"].dtype.str == array.dtype.newbyteorder("<").str
    assert numpy.array_equal(back["a"], array)
    back["a"][...] = 0  # writable: a function may change its argument in place
    _, as_lists = roundtrip({"a": array})
    assert as_lists == {"a": array.tolist()}


@needs_numpy
def test_non_contiguous_and_fortran_arrays():
    base = numpy.arange(600, dtype=float).reshape(20, 30)
    for array in (base[::2, ::3], base.T, numpy.asfortranarray(base), base[:, 5]):
        data, back = roundtrip([array], numpy_arrays=True)
        assert arrays.is_binary(data)
        assert numpy.array_equal(back[0], array)
        assert codec.loads(data) == [array.tolist()]


@needs_numpy
def test_empty_small_zero_d_and_unsupported_arrays_stay_json():
    for array in (numpy.zeros((0, 3)), numpy.arange(5.0), numpy.float64(2.5), numpy.array(3.0),
                  numpy.array(["a"] * 100)):
        data = codec.dumps_arrays({"a": array})
        assert not arrays.is_binary(data)
        assert codec.loads(data) == {"a": array.tolist()}
    complex_array = numpy.array([1 + 2j] * 100)
    with pytest.raises(TypeError):
        codec.dumps_arrays({"a": complex_array})  # as with plain JSON


@needs_numpy
def test_float16_stays_json():
    array = numpy.arange(100, dtype=numpy.float16)
    data = codec.dumps_arrays(array)
    assert not arrays.is_binary(data)
    assert codec.loads(data) == array.tolist()


@needs_numpy
def test_arrays_nested_in_lists_and_dicts_and_mixed_with_lists():
    value = {"meshes": [{"v": numpy.ones((50, 3)), "f": numpy.arange(90, dtype=numpy.int32).reshape(30, 3)}],
             "points": points(300), "scale": 2.0}
    data, back = roundtrip(value, numpy_arrays=True)
    assert arrays.is_binary(data)
    assert numpy.array_equal(back["meshes"][0]["v"], value["meshes"][0]["v"])
    assert back["meshes"][0]["f"].dtype == numpy.int32
    assert back["points"] == value["points"] and type(back["points"]) is list
    assert back["scale"] == 2.0


def test_worth_packing_is_false_only_when_nothing_could_be_packed():
    assert not arrays.worth_packing({"function": "f", "args": [1, 2.5, "x", None], "kwargs": {"a": True}, "cache": False})
    assert not arrays.worth_packing({"result": 3})
    assert arrays.worth_packing({"args": [[1.0, 2.0, 3.0]]})  # nested: the walk decides
    assert arrays.worth_packing({"args": [0.5] * arrays.MIN_ITEMS})
    assert arrays.worth_packing({"kwargs": {"points": [[0.0, 0.0, 0.0]]}})
    if numpy is not None:
        assert arrays.worth_packing({"result": numpy.arange(3.0)})
