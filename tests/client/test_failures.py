# -*- coding: utf-8 -*-
"""Timeouts, a server that dies mid-call, closing and reconnecting (every client runtime; Python 2.7 safe)."""
from __future__ import absolute_import

import socket
import time

import pytest

from compas_cloud import CloudTimeout, Proxy
from compas_cloud.client.transports import select_transport
from compas_cloud.errors import ConnectionClosed, ConnectionFailed

from helpers import free_port


@pytest.fixture
def silent_listener():
    """A real TCP socket that accepts connections and never answers: a hung server."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


def test_connect_timeout_against_a_server_that_never_answers(silent_listener):
    with pytest.raises(CloudTimeout) as info:
        Proxy(port=silent_listener, autolaunch=False, connect_timeout=1.0, verbose=False)
    assert "1 s" in str(info.value)


def test_transport_connect_timeout_and_refusal(silent_listener):
    transport = select_transport()()
    with pytest.raises(CloudTimeout):
        transport.connect("ws://127.0.0.1:{0}".format(silent_listener), 1.0)
    transport.close()  # closing what never opened is harmless
    with pytest.raises(ConnectionFailed):
        select_transport()().connect("ws://127.0.0.1:{0}".format(free_port()), 5.0)


def test_a_late_reply_after_a_timeout_is_dropped_and_the_next_call_gets_its_own(proxy):
    with pytest.raises(CloudTimeout):
        proxy.call("time.sleep", [1.5], timeout=0.2)
    # The reply to the timed-out call arrives while this call waits: it must not be taken for this one.
    assert proxy.call("operator.add", [2, 3], timeout=30) == 5
    assert proxy.call("time.sleep", [0.1], timeout=30) is None
    assert proxy.call("builtins.len", [u"\u20ac" * 10], timeout=30) == 10


def test_recv_timeout_returns_none_and_keeps_the_stream_whole(server):
    # recv(timeout) that times out must leave the next message intact (no half-read frame).
    from compas_cloud.protocol import codec, messages

    transport = select_transport()()
    transport.connect(server.url, 5.0)
    try:
        assert transport.recv(0) is None
        assert transport.recv(0.05) is None
        transport.send(codec.dumps(messages.request("call", 1, function="operator.mul", args=[u"\u00e9", 300000])))
        text = None
        for _ in range(600):  # up to 60 s, in 0.1 s waits
            text = transport.recv(0.1)
            if text is not None:
                break
        reply = codec.loads(text)
        assert reply["id"] == 1 and reply["result"] == u"\u00e9" * 300000
    finally:
        transport.close()
        transport.close()  # twice is harmless


def test_binary_messages_are_sent_whole(server):
    # The server reads a binary message as UTF-8 JSON, so a binary request gets a normal reply.
    from compas_cloud.protocol import codec, messages

    transport = select_transport()()
    transport.connect(server.url, 5.0)
    try:
        data = codec.dumps(messages.request("call", 7, function="builtins.len", args=[u"\u20ac" * 1000])).encode("utf-8")
        transport.send(bytearray(data))
        text = None
        for _ in range(300):
            text = transport.recv(0.1)
            if text is not None:
                break
        assert codec.loads(text)["result"] == 1000
    finally:
        transport.close()


def test_server_killed_mid_call_gives_a_clear_connection_closed(own_server):
    proxy = Proxy(host=own_server.host, port=own_server.port, autolaunch=False, verbose=False)
    try:
        connection = proxy.connection
        rid = connection.send("call", function="time.sleep", args=[60], kwargs={}, cache=False)
        # Requests are read in order: once the ping is answered, the sleep is running on the server.
        assert connection.request("ping", timeout=30) == "pong"
        own_server.kill()
        with pytest.raises(ConnectionClosed) as info:
            connection.wait(rid, timeout=60)
        assert info.value.code == 1006
        assert "connection dropped" in str(info.value)
        # Every later use fails at once with the same clear error, not a hang.
        with pytest.raises(ConnectionClosed) as again:
            proxy.call("operator.add", [1, 2], timeout=60)
        assert "connection dropped" in str(again.value)
        assert not proxy.check(timeout=5)
    finally:
        proxy.close()


def test_server_shutdown_is_a_clean_close_with_its_code(own_server):
    proxy = Proxy(host=own_server.host, port=own_server.port, autolaunch=False, verbose=False)
    other = Proxy(host=own_server.host, port=own_server.port, autolaunch=False, verbose=False)
    try:
        assert other.check()
        proxy.shutdown()  # the server closes the other client's connection with a close frame
        assert own_server.wait(30) is not None
        for _ in range(200):  # the idle reader notices within about a second
            if other.connection.closed is not None:
                break
            time.sleep(0.1)
        closed = other.connection.closed
        assert isinstance(closed, ConnectionClosed)
        assert closed.code in (1000, 1001)
        with pytest.raises(ConnectionClosed):
            other.call("operator.add", [1, 2])
    finally:
        proxy.close()
        other.close()


def test_close_then_reconnect(server):
    proxy = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False)
    try:
        reference = proxy.cache([1, 2, 3])
        proxy.close()
        proxy.close()  # twice is harmless
        with pytest.raises(ConnectionFailed):
            proxy.call("operator.add", [1, 2])
        assert not proxy.check()
        proxy.reconnect()
        assert proxy.call("operator.add", [1, 2]) == 3
        with pytest.raises(Exception) as info:
            proxy.get(reference)  # references belonged to the old connection
        assert "ReferenceNotFound" in type(info.value).__name__ + str(info.value)
        for _ in range(3):
            proxy.reconnect()
        assert proxy.check()
    finally:
        proxy.close()
