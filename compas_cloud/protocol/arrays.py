"""Large numeric arrays as raw bytes: the ``arrays1`` encoding of binary websocket messages.

JSON text is slow for large numeric arrays on every side: CPython spends
seconds on ``json.dumps``/``json.loads`` of a million points, and
IronPython's pure-Python ``json`` far longer. A client that lists
``"arrays1"`` in the ``encodings`` of its ``hello`` may therefore send, and
receives, binary messages laid out as::

    b"CCA1"                      4 bytes, the magic
    header length H              uint32, little-endian
    header                       H bytes of UTF-8 JSON: the message itself, with
                                 each large array replaced by a placeholder
    padding                      zero bytes up to a multiple of 8
    buffers                      the arrays' raw bytes, each starting at a multiple of 8

A placeholder is ``{"$array": [dtype, shape, offset, kind]}``:

* ``dtype``: ``"<f8"``, ``"<f4"``, ``"<i8"``, ``"<i4"``, ``"<i2"``, ``"|i1"``, ``"<u8"``,
  ``"<u4"``, ``"<u2"``, ``"|u1"`` or ``"|b1"``: always little-endian, C order;
* ``shape``: a list of ints; the element count is their product;
* ``offset``: where the array's bytes start, counted from the start of the buffers;
* ``kind``: ``"list"`` when the sender had (nested) lists, ``"array"`` when it had
  a numpy array. Lists are rebuilt as lists, so a function sees the same types as
  with JSON; arrays are rebuilt as numpy arrays where the receiver has numpy and
  asked for them (the server always does), as nested lists otherwise.

Any client can read this with what it has: ``numpy.frombuffer`` in CPython,
``array('d').fromstring`` in Python 2.7 and IronPython, ``Buffer.BlockCopy`` in
.NET, ``Float64Array`` on an 8-aligned ``ArrayBuffer`` slice in JavaScript.
Lists are packed only when every item has the same type: all floats (float64)
or all ints within int32 (int32); mixed, ragged, boolean and short lists stay
JSON inside the header. Plain JSON remains the default: nothing here is used
unless both sides agreed in ``hello``.

This module runs on IronPython 2.7 and CPython 2.7 as well as CPython 3; numpy
is optional (imported only when a numpy array is met or asked for).

On IronPython 2.7 ``str`` is unicode and byte strings are ``str`` objects holding
characters 0-255 (what ``struct.pack``, ``array.tostring`` and ``.encode`` give
there), while ``bytes`` is a separate type that ``struct.unpack`` refuses. There
(:data:`TEXT_BYTES`) a received message is turned into such a string once
(``.decode("latin-1")``), and a message to send is built as one and handed over
as a ``bytearray``, so that the transport sends it as a binary frame.

The fixed parts of the layout live in :mod:`compas_cloud.protocol.arrays_format`,
the packing walk in :mod:`compas_cloud.protocol.arrays_pack`; this module offers
their names too.
"""
from __future__ import absolute_import

import struct
from array import array

from compas_cloud._compat import PY2, binary_type, integer_types, string_types, text_type
from compas_cloud.protocol.arrays_format import (  # noqa: F401
    _CODES, _HEAD, _LITTLE, _SIZES, _STRUCT, ARRAY_KEY, ENCODING, MAGIC, MIN_ARRAY_ITEMS, MIN_ITEMS, TEXT_BYTES,
)
from compas_cloud.protocol.arrays_pack import (  # noqa: F401
    _FLOAT, _INT32_MAX, _INT32_MIN, _INTS, _Packer, _Unsafe, _is_ndarray, _tobytes,
)

__all__ = [
    "ENCODING",
    "MAGIC",
    "ARRAY_KEY",
    "MIN_ITEMS",
    "is_binary",
    "dumps",
    "split",
    "Rebuilder",
]

_SCALARS = frozenset([float, bool, type(None)] + list(integer_types) + list(string_types))


def worth_packing(fields):
    """Return False when no value of the dict ``fields`` could hold a packable array (a quick check).

    True means "maybe": :func:`dumps` walks the message to find out.
    """
    for value in fields.values():
        kind = type(value)
        if kind in _SCALARS:
            continue
        if kind is list or kind is tuple:
            if len(value) < MIN_ITEMS and set(map(type, value)) <= _SCALARS:
                continue
        elif kind is dict:
            if len(value) < MIN_ITEMS and set(map(type, value.values())) <= _SCALARS:
                continue
        return True
    return False


def is_binary(data):
    """Return True if ``data`` (a received message) is a binary ``arrays1`` message."""
    if isinstance(data, text_type) and not (PY2 and isinstance(data, binary_type)):
        return False
    try:
        if TEXT_BYTES:
            return _byte_text(data[:4]) == _byte_text(MAGIC)
        return bytes(data[:4]) == MAGIC
    except TypeError:
        return False


# -- encoding -------------------------------------------------------------------------------


def dumps(obj, encode):
    """Encode ``obj`` as a binary message if it holds large numeric arrays.

    Parameters
    ----------
    obj : object
        The message.
    encode : callable
        Encodes the header (and the whole message when nothing is packed)
        as JSON text: :func:`compas_cloud.protocol.codec.dumps`.

    Returns
    -------
    bytes or str
        The binary message, or the JSON text when nothing was worth packing.
    """
    packer = _Packer()
    try:
        header = packer.walk(obj)
    except _Unsafe:
        return encode(obj)
    if not packer.buffers:
        return encode(obj)
    text = encode(header)
    head = text.encode("utf-8") if isinstance(text, text_type) else text
    padding = b"\0" * ((-(_HEAD.size + len(head))) % 8)
    parts = [_HEAD.pack(MAGIC, len(head)), head, padding]
    parts.extend(packer.buffers)
    if TEXT_BYTES:
        return bytearray(u"".join(_byte_text(part) for part in parts), "latin-1")
    return b"".join(parts)


def _byte_text(data):
    """A byte string as IronPython 2.7 holds it: text of characters 0-255."""
    if isinstance(data, text_type) and not isinstance(data, bytearray):
        return data
    return data.decode("latin-1")


def _utf8(data):
    """Decode the UTF-8 bytes ``data`` (a byte string of either kind) to text."""
    if TEXT_BYTES and isinstance(data, text_type):
        if hasattr(data, "decode"):
            return data.decode("utf-8")  # IronPython: str.decode reads the characters as bytes
        return data.encode("latin-1").decode("utf-8")
    return bytes(data).decode("utf-8")


# -- decoding -------------------------------------------------------------------------------


def split(data):
    """Split a binary message into (header text, buffers, buffer start).

    Raises
    ------
    ValueError
        When the message is truncated or not an ``arrays1`` message.
    """
    if len(data) < _HEAD.size:
        raise ValueError("a binary message shorter than its {0}-byte prefix".format(_HEAD.size))
    if TEXT_BYTES:
        data = _byte_text(data)  # once: struct and array read text here, and refuse bytes
        if data[:4] != _byte_text(MAGIC):
            raise ValueError("a binary message must start with {0!r}".format(MAGIC))
        length = struct.unpack("<I", data[4:_HEAD.size])[0]
    else:
        magic, length = _HEAD.unpack(bytes(data[:_HEAD.size]))
        if magic != MAGIC:
            raise ValueError("a binary message must start with {0!r}".format(MAGIC))
    end = _HEAD.size + length
    if end > len(data):
        raise ValueError("the binary message's header runs past its end")
    header = _utf8(data[_HEAD.size:end])
    start = end + ((-end) % 8)
    return header, data, start


class Rebuilder(object):
    """Turns placeholders back into lists or numpy arrays.

    Parameters
    ----------
    data : bytes
        The whole binary message.
    start : int
        Where its buffers start.
    numpy_arrays : bool
        Rebuild ``kind == "array"`` values as numpy arrays (else as nested lists).
    """

    def __init__(self, data, start, numpy_arrays=False):
        self.data = data
        self.start = start
        self.numpy_arrays = numpy_arrays
        self._numpy = None
        #: Buffer bytes the placeholders may still claim: all of them together read each carried byte once.
        self.carried = max(0, len(data) - start)
        #: Lists the placeholders may still build beyond one per element (rows of zero width).
        self.empty_rows = EMPTY_ROWS

    def _np(self):
        if self._numpy is None:
            try:
                import numpy
            except ImportError:
                numpy = False
            self._numpy = numpy
        return self._numpy

    def __call__(self, spec):
        if not isinstance(spec, list) or len(spec) != 4:
            raise ValueError("a malformed array placeholder: {0!r}".format(spec))
        dtype, shape, offset, kind = spec
        if not isinstance(dtype, string_types) or dtype not in _SIZES:
            raise ValueError("an array of unknown dtype {0!r}".format(dtype))
        if not isinstance(shape, list) or not all(_is_count(n) for n in shape):
            raise ValueError("an array's shape must be a list of integers >= 0, got {0!r}".format(shape))
        if not _is_count(offset):
            raise ValueError("an array's offset must be an integer >= 0, got {0!r}".format(offset))
        count = 1
        rows = 0  # the lists nesting builds: one per prefix of the shape
        for n in shape[:-1]:
            count *= n
            rows += count
        for n in shape[-1:]:
            count *= n
        size = _SIZES[dtype]
        begin = self.start + offset
        end = begin + count * size
        if end > len(self.data):
            raise ValueError("an array's bytes run past the end of the message")
        if count * size > self.carried:
            raise ValueError(
                "the message's array placeholders claim more bytes than the message carries (placeholders "
                "that alias one buffer are refused)"
            )
        if rows > count and rows - count > self.empty_rows:
            raise ValueError(
                "an array of shape {0!r} would build {1} lists holding nothing; at most {2} empty rows are "
                "decoded per message".format(shape, rows, EMPTY_ROWS)
            )
        self.carried -= count * size
        if rows > count:
            self.empty_rows -= rows - count
        numpy = self._np()
        keep = numpy and kind == "array" and self.numpy_arrays
        if numpy:
            flat = numpy.frombuffer(self.data, dtype=dtype, count=count, offset=begin)
            if keep:
                return flat.reshape(shape).copy()
            return flat.reshape(shape).tolist()
        return _nest(_read(self.data, begin, end, dtype, count), shape)


#: How many lists beyond one per element a binary message may make its receiver build (rows of zero
#: width, such as shape ``[1000000000, 0]``). With this and the rule that placeholders together claim
#: each carried byte at most once, what a message decodes to is bounded by what it carries.
EMPTY_ROWS = 65536


def _is_count(value):
    return isinstance(value, integer_types) and not isinstance(value, bool) and value >= 0


def _read(data, begin, end, dtype, count):
    chunk = data[begin:end] if TEXT_BYTES else bytes(data[begin:end])
    if dtype in _STRUCT:
        code = _STRUCT[dtype][0]
        return list(struct.unpack("<{0}{1}".format(count, code), chunk))
    values = array(_CODES[dtype][0])
    if hasattr(values, "frombytes"):
        values.frombytes(chunk)
    else:
        values.fromstring(chunk)  # Python 2.7, IronPython 2.7
    if not _LITTLE:
        values.byteswap()
    return values.tolist()


def _nest(flat, shape):
    count = 1
    for n in shape:
        count *= n
    if count == 0:
        return _empty(shape)
    for width in reversed(shape[1:]):
        flat = [flat[i:i + width] for i in range(0, len(flat), width)]
    return flat


def _empty(shape):
    if len(shape) <= 1 or shape[0] == 0:
        return []
    return [_empty(shape[1:]) for _ in range(shape[0])]
