"""Runtime checks and text helpers, kept in one place.

Everything a Rhino, Revit or Dynamo script imports must run on IronPython 2.7
and 3.4, CPython 2.7 and CPython 3. Code elsewhere in the client asks this
module instead of testing ``sys`` itself.
"""
from __future__ import absolute_import

import platform
import sys

PY2 = sys.version_info[0] == 2
#: True on IronPython (2.7 or 3.4), where .NET is importable through ``clr``.
IPY = sys.platform == "cli" or platform.python_implementation() == "IronPython"
#: True on the C implementation of Python.
CPYTHON = platform.python_implementation() == "CPython"

if PY2:
    text_type = unicode
    binary_type = str
    string_types = (str, unicode)
    integer_types = (int, long)
else:
    text_type = str
    binary_type = bytes
    string_types = (str,)
    integer_types = (int,)

if IPY:
    # On IronPython ``str`` is ``unicode`` and ``bytes`` is a separate type.
    binary_type = bytes


def to_text(data):
    """Return ``data`` as text, decoding UTF-8 bytes.

    Parameters
    ----------
    data : str | bytes | bytearray
        Text, or UTF-8 encoded bytes (websocket-client 0.59 on Python 2.7
        returns text frames as UTF-8 ``str``).

    Returns
    -------
    str
        Text (``unicode`` on Python 2).
    """
    if isinstance(data, text_type):
        return data
    if isinstance(data, bytearray):
        data = bytes(data)
    return data.decode("utf-8")


def native_str(text):
    """Return ``text`` as the native ``str``, for ``__repr__`` and streams that take only ASCII on CPython 2.

    On CPython 2 unicode text becomes ASCII with backslash escapes (``u"h\xe9"`` -> ``"h\\xe9"``), so
    that formatting a non-ASCII name never raises ``UnicodeEncodeError``; elsewhere it is returned as it is.
    """
    if PY2 and not IPY and isinstance(text, text_type):
        return text.encode("ascii", "backslashreplace")
    return text


def to_utf8(text):
    """Return ``text`` encoded as UTF-8 bytes (bytes are returned unchanged)."""
    if isinstance(text, text_type):
        return text.encode("utf-8")
    return text


def describe_runtime():
    """Return a short description of the running interpreter, e.g. ``CPython 3.11.7``."""
    return "{0} {1}".format(platform.python_implementation(), platform.python_version())
