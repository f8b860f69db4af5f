"""Fixtures of the Grasshopper component tests (Python 2.7 safe)."""
from __future__ import absolute_import

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gh_harness import GrasshopperHost  # noqa: E402


@pytest.fixture
def gh():
    """A Grasshopper host with its own sticky dictionary; closes the components' proxies afterwards."""
    with GrasshopperHost() as host:
        yield host


@pytest.fixture
def connected(gh, server):
    """A Cloud_Proxy component connected to the shared test server, and its proxy."""
    component = gh.load("Cloud_Proxy")
    outputs = component.solve(host=server.host, port=server.port, autolaunch=False)
    assert outputs["proxy"] is not None, component.messages()
    return component, outputs["proxy"]
