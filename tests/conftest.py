"""Fixtures shared by every test folder (Python 2.7 safe)."""
from __future__ import absolute_import

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from helpers import ServerProcess  # noqa: E402


@pytest.fixture(scope="session")
def server():
    """A real server process shared by the tests of a session."""
    process = ServerProcess()
    yield process
    process.stop()


@pytest.fixture
def own_server():
    """A real server process for one test (for tests that stop or kill it)."""
    process = ServerProcess()
    yield process
    process.stop()


@pytest.fixture
def proxy(server):
    """A proxy connected to the shared server, with the transport under test."""
    from compas_cloud import Proxy

    proxy = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False)
    yield proxy
    proxy.close()
