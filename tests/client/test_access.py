# -*- coding: utf-8 -*-
"""Tokens from the client side (every runtime): refused without, served with."""
from __future__ import absolute_import

import pytest

from compas_cloud import Proxy
from compas_cloud.errors import AccessDenied

from helpers import ServerProcess

TOKEN = "client-suite-token-0123456789"


@pytest.fixture(scope="module")
def token_server():
    server = ServerProcess("--token", TOKEN)
    yield server
    server.stop()


def test_a_missing_token_is_access_denied(token_server, monkeypatch):
    monkeypatch.delenv("COMPAS_CLOUD_TOKEN", raising=False)
    with pytest.raises(AccessDenied) as info:
        Proxy(port=token_server.port, autolaunch=False, verbose=False, token=None)
    assert info.value.status == 401
    assert "token" in str(info.value)


def test_a_wrong_token_is_access_denied(token_server):
    with pytest.raises(AccessDenied) as info:
        Proxy(port=token_server.port, autolaunch=False, verbose=False, token="wrong")
    assert info.value.status == 401


def test_the_right_token_is_served(token_server):
    with Proxy(port=token_server.port, autolaunch=False, verbose=False, token=TOKEN) as proxy:
        assert proxy.function("numpy.linalg.norm")([3, 4]) == 5.0


def test_the_token_from_the_environment(token_server, monkeypatch):
    monkeypatch.setenv("COMPAS_CLOUD_TOKEN", TOKEN)
    with Proxy(port=token_server.port, autolaunch=False, verbose=False) as proxy:
        assert proxy.check()
