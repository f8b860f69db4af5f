"""The examples run as their comments say, against a real server."""
import os
import subprocess
import sys

import pytest

from helpers import ROOT, server_env

NODE_MODULES = os.path.join(ROOT, "tests", "js", "node_modules")


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT, **kwargs)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_python_transform_points(server):
    out = run([sys.executable, "examples/python/transform_points.py", str(server.port)], env=server_env())
    assert "moved ten times: [[0.0, 0.0, 5.0], [0.0, 1.0, 5.0]] ..." in out


@pytest.mark.parametrize("script, expected", [
    ("rpc_client.js", ["lifted: [[0,0,2],[1,0,2],[1,1,2],[0,1,2]]", "as expected: FunctionNotFound"]),
    ("plain_client.js", ["norm: 5", "centroid: [1,1,0]"]),
])
def test_javascript_clients(server, script, expected):
    out = run(["node", os.path.join("examples", "js", script), str(server.port)], env=dict(os.environ, NODE_PATH=NODE_MODULES))
    for line in expected:
        assert line in out
