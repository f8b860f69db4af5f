"""The server's JSON encoder and plain decoder: orjson when it is installed, the standard library otherwise.

The text on the wire stays what :func:`compas_cloud.protocol.dumps` writes, value for value:

* orjson writes ``None``, NaN and the infinities all as ``null``, where the
  standard library writes ``null``, ``NaN``, ``Infinity`` and ``-Infinity``.
  Whenever orjson's text holds ``null`` at all, the value is encoded again by
  the standard library, so NaN stays ``NaN`` (and ``None`` costs one more,
  small, encoding);
* values orjson refuses (integers beyond 64 bits, dict keys that are not
  text, lone surrogates, nesting deeper than 254) fall back the same way;
* numpy values, COMPAS objects, sets and iterators go through the same
  :func:`compas_cloud.protocol.codec.to_jsonable` as before (orjson's own numpy
  support is not used: it writes float32 values in their short float32 form);
* floats are written in their shortest round-trip form by both; only the
  spelling of small exponents differs (orjson ``0.00001`` and ``1e-8`` for the
  standard library's ``1e-05`` and ``1e-08``), the same number in standard JSON.

Decoding (:func:`loads`) takes the texts :func:`compas_cloud.protocol.codec.loads` decodes
without its object hook (no reference, no COMPAS object, no ``\\u`` escape). orjson
refuses what the standard library accepts beyond standard JSON (NaN, the infinities)
and reports errors in its own words: whatever orjson refuses is decoded again by the
standard library, which gives the value, or the error message, it always gave. orjson
also turns integers beyond 64 bits into floats without a word: a text with 19 digits
in a row anywhere goes to the standard library straight away (18 digits always fit).

Only the server uses this: the client stays on the standard library (it runs on IronPython).
"""
import json
import re

from compas_cloud.protocol import arrays
from compas_cloud.protocol import codec

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is in the [server] extra, but optional
    orjson = None

#: True when orjson is importable and used.
AVAILABLE = orjson is not None

_to_jsonable = codec.to_jsonable
_slow = codec.dumps


def _fast(obj):
    try:
        data = orjson.dumps(obj, default=_to_jsonable)
    except (TypeError, ValueError, OverflowError):  # orjson.JSONEncodeError is a TypeError
        return _slow(obj)
    if b"null" in data:  # None, or NaN/Infinity that orjson wrote as null: let json spell it
        return _slow(obj)
    return data.decode("utf-8")


#: Encode a value as compact JSON text, exactly like :func:`compas_cloud.protocol.dumps`.
dumps = _fast if AVAILABLE else _slow


def dumps_arrays(obj):
    """Like :func:`compas_cloud.protocol.dumps_arrays`, with this module's :func:`dumps` for the JSON parts."""
    return arrays.dumps(obj, dumps)


#: 19 digits in a row: maybe an integer orjson would turn into a float.
_LONG_NUMBER = re.compile("[0-9]{19}")


def _fast_loads(text):
    if _LONG_NUMBER.search(text) is not None:
        return json.loads(text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # not standard JSON, or not JSON at all: json decides
        return json.loads(text)


#: Decode a JSON text exactly like ``json.loads`` (what :func:`compas_cloud.protocol.codec.loads` takes as ``parse``).
loads = _fast_loads if AVAILABLE else json.loads
