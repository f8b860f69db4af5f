"""Fixtures shared by every test folder (Python 2.7 safe)."""
from __future__ import absolute_import

import atexit
import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# The token files and logs of every server the suite launches go to a folder of the suite's own, not to
# this user's compas_cloud folder (~/.config/compas_cloud): a log or token an earlier run left there must
# not change what a test sees. Tests that need a folder of their own still set the variable themselves.
if not os.environ.get("COMPAS_CLOUD_CONFIG_DIR"):
    _CONFIG_DIR = tempfile.mkdtemp(prefix="compas_cloud-tests-config-")
    os.environ["COMPAS_CLOUD_CONFIG_DIR"] = _CONFIG_DIR
    atexit.register(shutil.rmtree, _CONFIG_DIR, True)

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
