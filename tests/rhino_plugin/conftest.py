"""Fixtures of the RhinoPython plugin tests (Python 2.7 safe)."""
from __future__ import absolute_import

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rhino_harness import RhinoHost  # noqa: E402


@pytest.fixture
def rhino():
    with RhinoHost() as host:
        yield host
