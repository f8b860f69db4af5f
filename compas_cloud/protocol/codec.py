"""Values on the wire: JSON, plus references, COMPAS data objects and numpy values.

Encoding
    * references (:class:`Reference`) travel as ``{"cached": id}``;
    * COMPAS ``Data`` objects (anything with ``__jsondump__``) travel in
      COMPAS's own JSON form ``{"dtype": "compas.geometry/Translation", "data": {...}}``;
      compas itself is not imported for this;
    * numpy arrays and numpy scalars (anything with ``tolist``) travel as
      lists and numbers; numpy is not imported for this;
    * tuples, sets and iterators travel as lists.

Decoding
    * ``{"cached": id}`` becomes a :class:`Reference`;
    * ``{"dtype": "package.module/Class", "data": ...}`` becomes the COMPAS
      object when compas is importable (it is imported on first need), and
      stays a dict otherwise; a ``dtype`` without the ``/`` of COMPAS's form
      marks plain data, which stays a dict.

Non-ASCII text is written as UTF-8 (``ensure_ascii=False``): IronPython 2.7's
``json.dumps`` fails on non-ASCII text with the default ``ensure_ascii=True``.
"""
from __future__ import absolute_import

import json

from compas_cloud._compat import string_types, IPY, binary_type, text_type, to_text
from compas_cloud.errors import DecodingError
from compas_cloud.protocol import arrays
from compas_cloud.protocol.reference import REFERENCE_KEY, Reference

__all__ = ["dumps", "dumps_plain", "dumps_arrays", "loads", "Decoded", "to_jsonable", "MAX_DEPTH", "depth"]

#: The deepest nesting of arrays and objects a message may have (the server's limit; decoding
#: refuses deeper messages with ValueError before Python's own recursion limit is near).
MAX_DEPTH = 200


def to_jsonable(obj):
    """Return a JSON-ready stand-in for ``obj`` (the conversions listed above), or raise TypeError."""
    jsondump = getattr(obj, "__jsondump__", None)
    if jsondump is not None:
        return jsondump()
    tolist = getattr(obj, "tolist", None)
    if tolist is not None:
        return tolist()
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    if hasattr(obj, "__next__") or (hasattr(obj, "next") and hasattr(obj, "__iter__")):
        return list(obj)
    if IPY:
        converted = _from_dotnet(obj)
        if converted is not _UNCHANGED:
            return converted
    raise TypeError("Object of type {0} is not JSON serializable".format(type(obj).__name__))


_UNCHANGED = object()


def _from_dotnet(obj):
    """Convert the .NET values an IronPython script commonly holds."""
    name = type(obj).__name__
    if name in ("Decimal", "Single", "Double"):
        return float(obj)
    if name in ("Int16", "UInt16", "UInt32", "Int64", "UInt64", "Byte", "SByte"):
        return int(obj)
    if hasattr(obj, "GetEnumerator"):
        return list(obj)
    return _UNCHANGED


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=to_jsonable)
_PLAIN = json.JSONEncoder(ensure_ascii=False, default=to_jsonable)


def _text(encoded):
    # Python 2 returns ``str`` when every string in the value was ``str``.
    if isinstance(encoded, binary_type) and not isinstance(encoded, text_type):
        return encoded.decode("utf-8")
    return encoded


def dumps(obj):
    """Encode a value as compact JSON text (``unicode`` on Python 2).

    Raises
    ------
    TypeError, ValueError
        When the value holds something that cannot be encoded.
    """
    return _text(_COMPACT.encode(obj))


def dumps_arrays(obj):
    """Encode a value as a binary ``arrays1`` message when it holds large numeric arrays.

    Returns bytes (see :mod:`compas_cloud.protocol.arrays`), or compact JSON
    text like :func:`dumps` when nothing was worth packing. Only for a peer
    that listed ``"arrays1"`` in its ``hello``.
    """
    return arrays.dumps(obj, dumps)


def dumps_plain(obj):
    """Encode a value as JSON text with Python's default spacing (``[1.0, 2.0]``).

    Used for replies to plain messages, so that they read as the tutorial shows.
    """
    return _text(_PLAIN.encode(obj))


class _CompasDecoder(object):
    """Rebuild COMPAS objects, importing compas on first need."""

    def __init__(self):
        self._hook = None
        self._loaded = False
        self._errors = ()

    def decode(self, obj, strict):
        if not self._loaded:
            self._loaded = True
            try:
                from compas.data import DataDecoder
                from compas.data.encoders import DecoderError

                self._hook = DataDecoder().object_hook
                self._errors = (DecoderError, ImportError, AttributeError, ValueError, TypeError, KeyError)
            except Exception:  # compas missing or broken here: keep the data as it is
                self._hook = None
        if self._hook is None:
            return obj
        try:
            return self._hook(obj)
        except self._errors as error:
            if strict:
                raise DecodingError("cannot rebuild the COMPAS object of dtype {0!r}: {1}".format(obj.get("dtype"), error))
            return obj


_COMPAS = _CompasDecoder()


def _is_compas_dtype(dtype):
    # COMPAS writes "package.module/Class"; other data with a "dtype" key ({"dtype": "float32", ...}) is just data.
    return isinstance(dtype, string_types) and "/" in dtype


class Decoded(object):
    """The result of :func:`loads` with ``track=True``.

    Attributes
    ----------
    value : object
        The decoded value.
    references : int
        How many references ``{"cached": id}`` the value holds.
    """

    __slots__ = ("value", "references")

    def __init__(self, value, references):
        self.value = value
        self.references = references


def depth(value, limit=None):
    """Return how deeply ``value`` nests lists, tuples and dicts (0 for a scalar), without recursion.

    With ``limit``, stop counting once it is passed and return ``limit + 1``.
    """
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, (list, tuple)):
            continue
        deepest = max(deepest, level)
        if limit is not None and deepest > limit:
            return limit + 1
        for child in item:
            if isinstance(child, (list, tuple, dict)):
                stack.append((child, level + 1))
    return deepest


def _brackets(text):
    if isinstance(text, text_type):
        return text.count(u"[") + text.count(u"{")
    return text.count(b"[") + text.count(b"{")


#: Substrings a JSON text holds whenever the object hook of :func:`loads` could change anything in it: the
#: keys of a reference and of a COMPAS object, and ``\u``, with which an escape could spell either key.
#: (The binary format's array placeholders only occur in binary messages, which always take the hook.)
_HOOK_MARKERS = (u"cached", u"dtype", u"\\u")


def _needs_hook(text):
    for marker in _HOOK_MARKERS:
        if marker in text:
            return True
    return False


def loads(data, strict=False, track=False, numpy_arrays=False, check_dtype=None, max_depth=None, parse=None):
    """Decode JSON text or UTF-8 bytes, or a binary ``arrays1`` message.

    Parameters
    ----------
    data : str or bytes
        The message.
    strict : bool, optional
        If True, a COMPAS object that cannot be rebuilt raises
        :class:`DecodingError` (the server's choice); otherwise it stays a dict.
    track : bool, optional
        If True, return a :class:`Decoded` that also counts the references found.
    numpy_arrays : bool, optional
        In a binary message (:mod:`compas_cloud.protocol.arrays`), rebuild the
        sender's numpy arrays as numpy arrays rather than as nested lists.
    check_dtype : callable, optional
        Called with the ``dtype`` of every COMPAS object before its module is
        imported; it raises to refuse it (the server applies its --allow and
        --deny lists this way).
    max_depth : int, optional
        Refuse values nested deeper than this (the server passes :data:`MAX_DEPTH`).
    parse : callable, optional
        Decodes a JSON text that holds nothing for the object hook (no
        reference, no COMPAS object: most small messages), instead of
        ``json.loads``; it must return what ``json.loads`` returns and raise
        ``ValueError`` where it does (the server passes orjson's, which falls
        back to ``json.loads``).

    Raises
    ------
    ValueError
        When the text is not JSON, nests deeper than ``max_depth`` or than the
        interpreter can decode, or holds a malformed array placeholder.
    """
    counter = [0]
    rebuild = None
    if not isinstance(data, text_type) and arrays.is_binary(data):
        data, buffers, start = arrays.split(data)
        rebuild = arrays.Rebuilder(buffers, start, numpy_arrays)

    def hook(obj):
        if len(obj) == 1 and REFERENCE_KEY in obj:
            counter[0] += 1
            return Reference(obj[REFERENCE_KEY])
        if rebuild is not None and len(obj) == 1 and arrays.ARRAY_KEY in obj:
            return rebuild(obj[arrays.ARRAY_KEY])
        if "dtype" in obj and "data" in obj and _is_compas_dtype(obj["dtype"]):
            if check_dtype is not None:
                check_dtype(obj["dtype"])
            return _COMPAS.decode(obj, strict)
        return obj

    text = to_text(data)
    try:
        if rebuild is None and not _needs_hook(text):
            value = (parse or json.loads)(text)  # without a hook: no decoder object is built per message
        else:
            value = json.loads(text, object_hook=hook)
    except RuntimeError:  # RecursionError on Python 3: nested too deep for the interpreter
        raise ValueError("the message nests arrays and objects too deeply (the limit is {0})".format(max_depth or MAX_DEPTH))
    except (OverflowError, TypeError) as error:
        raise ValueError("a malformed value: {0}".format(error))
    # A text shorter than the limit cannot nest deeper than it: only longer ones are counted.
    if max_depth is not None and len(text) > max_depth and _brackets(text) > max_depth and depth(value, max_depth) > max_depth:
        raise ValueError("the message nests arrays and objects deeper than {0} levels, the limit".format(max_depth))
    if track:
        return Decoded(value, counter[0])
    return value
