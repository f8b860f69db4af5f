# -*- coding: utf-8 -*-
"""Keepalive pings never end a connection that is busy with a long call, or idle between calls."""
from __future__ import absolute_import

import time

import pytest

from compas_cloud import Proxy

from helpers import ServerProcess


@pytest.fixture
def eager_pinger():
    # Pings every 0.5 s, and a pong must come within 1.5 s.
    server = ServerProcess("--ping-interval", "0.5", "--ping-timeout", "1.5")
    yield server
    server.stop()


def test_a_call_longer_than_the_ping_timeout_survives(eager_pinger):
    proxy = Proxy(host=eager_pinger.host, port=eager_pinger.port, autolaunch=False, verbose=False)
    try:
        ref = proxy.cache([1, 2, 3])
        proxy.call("time.sleep", [4])
        assert proxy.get(ref) == [1, 2, 3]  # same connection: the reference is still there
    finally:
        proxy.close()


def test_an_idle_connection_survives(eager_pinger):
    proxy = Proxy(host=eager_pinger.host, port=eager_pinger.port, autolaunch=False, verbose=False)
    try:
        ref = proxy.cache([4, 5])
        time.sleep(4)  # nobody calls: the idle reader answers the pings
        assert proxy.get(ref) == [4, 5]
    finally:
        proxy.close()
