"""Large frames are masked with numpy where numpy is; the bytes on the wire are the same."""
import os

import pytest

websocket = pytest.importorskip("websocket")
numpy = pytest.importorskip("numpy")

from compas_cloud.client.transports import wsclient  # noqa: E402


@pytest.mark.parametrize("size", [0, 1, 3, 4, 5, 7, 8, 1023, 65536, 65539, 1 << 20])
def test_numpy_masking_equals_websocket_clients(size):
    data = os.urandom(size)
    key = os.urandom(4)
    assert wsclient.mask_numpy(key, data) == websocket.ABNF.mask(key, data)
    assert wsclient.mask_numpy(key, wsclient.mask_numpy(key, data)) == data  # masking twice unmasks


def test_a_large_frame_formats_as_websocket_client_formats_it():
    payload = os.urandom(wsclient.NUMPY_MASK_FROM + 5)
    key = os.urandom(4)
    ours = wsclient._large_frame(payload, websocket.ABNF.OPCODE_BINARY)
    theirs = websocket.ABNF.create_frame(payload, websocket.ABNF.OPCODE_BINARY)
    ours.get_mask_key = theirs.get_mask_key = lambda n: key
    assert ours.format() == theirs.format()
    text = u"\u00e9" * (wsclient.NUMPY_MASK_FROM + 1)
    ours = wsclient._large_frame(text, websocket.ABNF.OPCODE_TEXT)
    theirs = websocket.ABNF.create_frame(text, websocket.ABNF.OPCODE_TEXT)
    ours.get_mask_key = theirs.get_mask_key = lambda n: key
    assert ours.format() == theirs.format()


def test_large_messages_both_ways_through_a_real_server(proxy):
    text = u"caf\u00e9 " * 40000  # about 200 KiB of text, a multi-byte character throughout
    assert proxy.call("builtins.str", [text]) == text
    values = [float(i) + 0.5 for i in range(50001)]  # a binary arrays1 message of about 400 KiB
    assert proxy.call("builtins.list", [values]) == values


class _Py2Str(bytes):
    """A byte string as Python 2.7's ``str`` behaves: indexing gives a one-character string, not an int."""

    def __getitem__(self, index):
        item = bytes.__getitem__(self, index)
        return item if isinstance(item, bytes) else bytes(bytearray([item]))


@pytest.mark.parametrize("size", [1, 3, 65539])
def test_numpy_masking_of_python2_byte_strings(size):
    # The tail after the last whole 4-byte word is masked byte by byte: on Python 2.7 (numpy 1.16) the
    # payload is a str, whose items are strings; the py27 stage has no numpy, so it is simulated here.
    data = os.urandom(size)
    key = os.urandom(4)
    assert wsclient.mask_numpy(key, _Py2Str(data)) == websocket.ABNF.mask(key, data)
