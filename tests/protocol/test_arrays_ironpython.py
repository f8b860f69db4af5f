"""Binary ``arrays1`` messages as IronPython 2.7 builds and reads them, simulated on CPython 3.

What is simulated (IronPython 2.7.7 behaviour, see shared/notes/platform-facts.md):

* ``struct.unpack`` accepts a byte string held as text (characters 0-255) and refuses ``bytes``;
* ``array.fromstring`` reads such text, ``array.tostring`` returns it, and arrays have no
  ``frombytes``/``tobytes``;
* there is no numpy;
* the .NET transport hands over a received binary message as ``bytes``, and sends any
  non-text message (a ``bytearray`` here) as a binary frame.

The bytes on the wire must be exactly those CPython writes, and what comes back the same values.
"""
from __future__ import absolute_import

import array as real_array
import struct as real_struct
import sys

import pytest

from compas_cloud.protocol import arrays, arrays_pack, codec

PY3 = sys.version_info[0] >= 3
pytestmark = pytest.mark.skipif(not PY3, reason="the simulation replaces Python 3's bytes behaviour")


class IronStruct(object):
    """``struct`` as IronPython 2.7 has it: unpacking wants text, not bytes."""

    Struct = real_struct.Struct
    pack = staticmethod(real_struct.pack)

    @staticmethod
    def unpack(fmt, data):
        if isinstance(data, (bytes, bytearray)):
            raise TypeError("expected str, got bytes")
        return real_struct.unpack(fmt, data.encode("latin-1"))


class IronArray(real_array.array):
    """``array.array`` with IronPython 2.7's string methods only."""

    def __getattribute__(self, name):
        if name in ("frombytes", "tobytes"):
            raise AttributeError(name)
        return real_array.array.__getattribute__(self, name)

    def fromstring(self, text):
        if isinstance(text, (bytes, bytearray)):
            raise TypeError("expected str, got bytes")
        real_array.array.frombytes(self, text.encode("latin-1"))

    def tostring(self):
        return real_array.array.tobytes(self).decode("latin-1")


#: (module, name): what the simulation replaces (the packer builds its arrays in arrays_pack).
_PATCHED = [(arrays, "TEXT_BYTES"), (arrays, "struct"), (arrays, "array"), (arrays, "Rebuilder"), (arrays_pack, "array")]
_REAL = dict(((module, name), getattr(module, name)) for module, name in _PATCHED)


def as_cpython(func, *args):
    """Run ``func`` with the real modules (what a CPython peer sends)."""
    saved = dict((key, getattr(*key)) for key in _REAL)
    for (module, name), value in _REAL.items():
        setattr(module, name, value)
    try:
        return func(*args)
    finally:
        for (module, name), value in saved.items():
            setattr(module, name, value)


@pytest.fixture
def ironpython(monkeypatch):
    monkeypatch.setattr(arrays, "TEXT_BYTES", True)
    monkeypatch.setattr(arrays, "struct", IronStruct)
    monkeypatch.setattr(arrays, "array", IronArray)
    monkeypatch.setattr(arrays_pack, "array", IronArray)

    class Rebuilder(arrays.Rebuilder):
        def _np(self):
            return False  # no numpy on IronPython

    monkeypatch.setattr(arrays, "Rebuilder", Rebuilder)


def points(count):
    return [[i * 0.5, -i * 0.25, 1.0 / (i + 1)] for i in range(count)]


MESSAGE = {
    "v": 1, "id": 3, "op": "call", "function": "compas.geometry.transform_points",
    "args": [points(700), [[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 2.0], [0.0, 0.0, 1.0, 3.0], [0.0, 0.0, 0.0, 1.0]]],
    "kwargs": {"labels": list(range(-200, 300)), "name": u"caf\u00e9 \u2603"}, "cache": False,
}


def test_the_simulated_struct_refuses_bytes_as_ironpython_does(ironpython):
    with pytest.raises(TypeError):
        arrays.struct.unpack("<I", b"\x01\x00\x00\x00")
    with pytest.raises(AttributeError):
        arrays.array("d").tobytes()


def test_ironpython_sends_the_same_bytes_as_cpython_in_a_bytearray(ironpython):
    sent = codec.dumps_arrays(MESSAGE)
    assert isinstance(sent, bytearray)  # not text: the transport sends a binary frame
    expected = as_cpython(codec.dumps_arrays, MESSAGE)
    assert isinstance(expected, bytes) and bytes(sent) == expected


@pytest.mark.parametrize("kind", [bytes, bytearray])
def test_ironpython_reads_a_binary_message(ironpython, kind):
    message = dict(MESSAGE, extra=[True, False] * 200, big=[2 ** 40] * 300, short=[1.5, 2.5])
    data = as_cpython(codec.dumps_arrays, message)
    received = kind(data)
    assert arrays.is_binary(received)
    assert codec.loads(received) == message


def test_ironpython_reads_what_numpy_sent_as_lists(ironpython):
    numpy = pytest.importorskip("numpy")
    data = as_cpython(codec.dumps_arrays, {
        "f8": numpy.arange(64.0).reshape(16, 4), "i8": numpy.arange(-40, 40, dtype=numpy.int64),
        "b1": numpy.array([True, False] * 20), "u2": numpy.arange(30, dtype=numpy.uint16),
    })
    back = codec.loads(bytes(data), numpy_arrays=True)
    assert back["f8"] == numpy.arange(64.0).reshape(16, 4).tolist()
    assert back["i8"] == list(range(-40, 40))
    assert back["b1"] == [True, False] * 20
    assert back["u2"] == list(range(30))


def test_ironpython_roundtrip_of_its_own_messages(ironpython):
    sent = codec.dumps_arrays(MESSAGE)
    assert codec.loads(bytes(sent)) == MESSAGE
    assert codec.loads(sent) == MESSAGE


def test_a_truncated_message_is_a_value_error_on_ironpython_too(ironpython):
    sent = bytes(codec.dumps_arrays(MESSAGE))
    with pytest.raises(ValueError):
        codec.loads(sent[:6])
    with pytest.raises(ValueError):
        codec.loads(sent[:40])


def test_an_ironpython_client_talks_binary_to_a_real_server(ironpython, server):
    from compas_cloud import Proxy

    proxy = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False)
    try:
        assert proxy.connection.binary  # arrays1 is on for IronPython 2.7 now
        pts = points(5000)
        matrix = [[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 2.0], [0.0, 0.0, 1.0, 3.0], [0.0, 0.0, 0.0, 1.0]]
        moved = proxy.call("compas.geometry.transform_points_numpy", [pts, matrix])
        assert len(moved) == 5000 and all(type(row) is list for row in moved[:10])
        for (x, y, z), (a, b, c) in zip(pts[:50], moved[:50]):
            assert abs(a - x - 1.0) < 1e-12 and abs(b - y - 2.0) < 1e-12 and abs(c - z - 3.0) < 1e-12
        assert proxy.call("builtins.sum", [list(range(1000))]) == sum(range(1000))
    finally:
        proxy.close()
