# -*- coding: utf-8 -*-
"""Text in both directions and big messages, on every client runtime (Python 2.7 safe).

The same functions run on CPython 3 and 2.7 with websocket-client and on
CPython 3 with the .NET transport (``COMPAS_CLOUD_TRANSPORT=dotnet``).
"""
from __future__ import absolute_import, print_function

import sys
import time

from compas_cloud._compat import text_type

# Two-, three- and four-byte UTF-8 characters (é, €, 😀) and a CJK one (中, three bytes).
MIXED = u"\u00e9\u20ac\U0001F600\u4e2d"


def _server_len(text):
    """The number of code points the server (CPython 3) counts: astral characters are one."""
    return sum(1 for char in text if not (u"\udc00" <= char <= u"\udfff"))


def test_non_ascii_text_goes_out_and_comes_back(proxy):
    text = u"caf\u00e9 \u20ac \U0001F600 \u4e2d\u6587 \u0645\u0631\u062d\u0628\u0627"
    assert proxy.call("builtins.len", [text]) == _server_len(text)
    back = proxy.call("copy.copy", [text])
    assert isinstance(back, text_type) and back == text
    assert proxy.call("builtins.str.upper", [u"stra\u00dfe"]) == u"STRASSE"


def test_keys_and_nested_values_keep_their_characters(proxy):
    value = {u"cl\u00e9": [u"\u20ac", {u"\u4e2d": u"\U0001F600"}]}
    assert proxy.call("copy.deepcopy", [value]) == value


def test_python2_byte_strings_are_utf8_text():
    # A Python 2 script's "café" (a UTF-8 byte str in a file with a coding line) is text on the wire.
    from compas_cloud.protocol import codec

    literal = "caf\u00e9" if sys.version_info[0] >= 3 else u"caf\u00e9".encode("utf-8")
    assert codec.loads(codec.dumps({"name": literal})) == {u"name": u"caf\u00e9"}


def test_python2_byte_strings_reach_the_server_as_text(proxy):
    literal = u"caf\u00e9"
    if sys.version_info[0] == 2:
        literal = literal.encode("utf-8")
    assert proxy.call("builtins.len", [literal]) == 4
    assert proxy.call("copy.copy", [literal]) == u"caf\u00e9"


def test_multibyte_characters_on_piece_boundaries_survive_both_ways(proxy):
    # Several hundred KiB of 2/3/4-byte characters: a message this size arrives in many pieces
    # on every transport, and shifting it by 0..3 bytes puts every kind of character split
    # on the piece boundaries.
    body = MIXED * 60000  # 13 bytes per repetition: about 780 KB
    for shift in range(4):
        text = u"x" * shift + body
        back = proxy.call("copy.copy", [text])
        assert len(back) == len(text) and back == text
        assert proxy.call("builtins.len", [text]) == _server_len(text)


def test_multibyte_characters_made_on_the_server_arrive_whole(proxy):
    # The server builds the text, so only the receiving side is tested here.
    repeated = proxy.call("operator.mul", [MIXED, 50000], cache=True)
    try:
        for shift in range(4):
            text = proxy.call("operator.add", [u"y" * shift, repeated])
            assert text == u"y" * shift + MIXED * 50000
    finally:
        proxy.free(repeated)


def test_a_50_mb_message_each_way(proxy):
    size = 50 * 1024 * 1024
    text = u"a" * (size - 64) + MIXED * 4  # mostly ASCII, with multi-byte characters at the very end
    start = time.time()
    assert proxy.call("builtins.len", [text], timeout=300) == _server_len(text)
    up = time.time() - start
    start = time.time()
    back = proxy.call("operator.mul", [u"b", size], timeout=300)
    down = time.time() - start
    assert len(back) == size and back[:3] == u"bbb" and back[-3:] == u"bbb"
    # Printed for the report, not asserted: the machine is shared and noisy.
    print("\n50 MB with {0}: up {1:.2f} s, down {2:.2f} s".format(proxy.connection.transport.name, up, down))
