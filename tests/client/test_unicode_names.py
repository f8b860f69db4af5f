# -*- coding: utf-8 -*-
"""Issue 13: a non-ASCII function name is a typed CloudError on every client runtime, never UnicodeEncodeError.

On CPython 2.7 (the py27 stage) byte-string templates formatted with a unicode
name used to raise UnicodeEncodeError in the client; on Python 3 the same
checks hold trivially.
"""
from __future__ import absolute_import, print_function

import pytest

from compas_cloud._compat import PY2, text_type
from compas_cloud.client.callbacks import TextProgress
from compas_cloud.errors import CloudError, FunctionNotFound

NAMES = [u"math.h\u00e9llo", u"m\u00f6dule.f", u"\u4e2d.\u6587"]


@pytest.mark.parametrize("name", NAMES)
def test_non_ascii_names_raise_function_not_found(proxy, name):
    for attempt in (
        lambda: proxy.call(name, [1]),
        lambda: proxy.call(name, [1], cache=True),
        lambda: proxy.function(name)(1),
        lambda: proxy.function(name, progress=True)(1),
        lambda: proxy.function(name).submit(1).result(60),
    ):
        with pytest.raises(CloudError) as info:
            attempt()
        assert isinstance(info.value, FunctionNotFound)
        assert "FunctionNotFound" in str(info.value)  # never UnicodeEncodeError on CPython 2


@pytest.mark.parametrize("name", NAMES)
def test_reprs_of_non_ascii_names(proxy, name):
    assert "remote function" in repr(proxy.function(name))
    future = proxy.function(name).submit(1)
    assert "CallFuture" in repr(future)
    with pytest.raises(FunctionNotFound):
        future.result(60)


def test_progress_lines_with_non_ascii_names_and_messages():
    class Console(object):
        """A stream like a CPython 2 console: non-ASCII unicode cannot be written (Python 3: any text)."""

        def __init__(self):
            self.lines = []

        def write(self, text):
            if PY2 and isinstance(text, text_type):
                text.encode("ascii")  # raises UnicodeEncodeError for non-ASCII text, as such a console does
            self.lines.append(text)

        def flush(self):
            pass

    stream = Console()
    printer = TextProgress(u"math.h\u00e9llo", stream=stream)
    printer(1, 2, u"\u00e9tape 1")
    assert len(stream.lines) == 1 and "1/2" in stream.lines[0]


def test_a_server_error_with_a_non_ascii_message_converts_to_text(proxy):
    """The called function's own message (here builtins.int()'s, quoting the argument) survives str() and unicode()."""
    with pytest.raises(CloudError) as info:
        proxy.call("builtins.int", [u"caf\u00e9"])
    error = info.value
    assert "ValueError" in str(error)  # CPython 2: escaped, never UnicodeEncodeError
    assert u"caf\u00e9" in (unicode(error) if PY2 else str(error))  # noqa: F821 (Python 2's unicode)
    assert u"caf\u00e9" in error.message


def test_client_side_errors_with_non_ascii_messages_convert_to_text():
    from compas_cloud.errors import ConnectionFailed

    error = ConnectionFailed(u"nothing listens at h\u00f4te:9009")
    assert "nothing listens" in str(error)
    assert u"h\u00f4te" in (unicode(error) if PY2 else str(error))  # noqa: F821 (Python 2's unicode)
