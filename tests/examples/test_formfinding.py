"""The form-finding example (examples/formfinding) end to end, against a real server (Python 2.7 safe)."""
from __future__ import absolute_import

import os
import subprocess
import sys

from helpers import ROOT, server_env

sys.path.insert(0, os.path.join(ROOT, "examples", "formfinding"))

from net import grid  # noqa: E402

RELAX = "examples.formfinding.cablenet.relax"


def test_relax_calls_back_every_n_iterations(proxy):
    vertices, edges, fixed = grid(6)
    shapes = []
    reports = []

    def show(k, shape, residual):
        shapes.append((k, shape, residual))

    relax = proxy.function(RELAX, progress=lambda done, total, message: reports.append(done))
    result = relax(vertices, edges, fixed, kmax=120, every=10, callback=show)
    assert result["iterations"] == 120
    assert [k for k, shape, residual in shapes] == list(range(10, 121, 10))
    assert result["callbacks"] == len(shapes) == 12
    assert reports == list(range(10, 121, 10))
    assert shapes[-1][1] == result["vertices"]
    # The free nodes sagged under the load; the supports did not move.
    middle = 3 * 6 + 3
    assert result["vertices"][middle][2] < -0.1
    for index in fixed:
        assert result["vertices"][index] == vertices[index]
    assert shapes[-1][2] < shapes[0][2]  # the residual went down


def test_run_script(server):
    command = [sys.executable, os.path.join("examples", "formfinding", "run_script.py"), str(server.port), "8", "100", "25"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT, env=server_env(), universal_newlines=True
    )
    out = process.communicate()[0]
    assert process.returncode == 0, out
    assert len([line for line in out.splitlines() if line.startswith("iteration ")]) == 4
    assert "done: 100 iterations" in out and "4 shapes shown" in out
