"""Form-find a cable net on the server and watch it converge: a plain script (CPython 2.7/3, IronPython).

    python examples/formfinding/run_script.py [port] [size] [iterations] [every]

The solver (``cablenet.relax``, numpy) runs on the server; every ``every``
iterations it calls ``show`` here with the current shape. In Rhino, ``show``
redraws the net as lines; elsewhere it prints the sag. The server's
progress reports show as text lines (a tqdm bar in a terminal with tqdm).

The server must be able to import ``examples.formfinding.cablenet``: a
server this script launches gets the repository root on its PYTHONPATH; a
server you start yourself must be started from the repository root.
"""
from __future__ import print_function

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
os.environ["PYTHONPATH"] = ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")  # for a server launched here

from net import grid  # noqa: E402

from compas_cloud import Proxy  # noqa: E402

try:  # in Rhino: draw the net as it converges
    import rhinoscriptsyntax as rs
except ImportError:
    rs = None


class Viewer(object):
    """Shows the shapes the server sends: lines in Rhino, the sag in a terminal."""

    def __init__(self, edges):
        self.edges = edges
        self.shown = 0
        self.ids = []

    def show(self, k, vertices, residual):
        self.shown += 1
        if rs is not None:
            rs.EnableRedraw(False)
            rs.DeleteObjects(self.ids)
            self.ids = [rs.AddLine(vertices[i], vertices[j]) for i, j in self.edges]
            rs.EnableRedraw(True)
            rs.Redraw()
        else:
            lowest = min(point[2] for point in vertices)
            print("iteration {0:4d}: lowest node at z = {1:+.4f}, residual {2:.2e}".format(k, lowest, residual))


def main(port=9009, n=10, kmax=200, every=20):
    vertices, edges, fixed = grid(n)
    viewer = Viewer(edges)
    proxy = Proxy(port=port)
    relax = proxy.function("examples.formfinding.cablenet.relax")
    result = relax(vertices, edges, fixed, kmax=kmax, every=every, callback=viewer.show)
    print("done: {0} iterations, residual {1:.2e}, {2} shapes shown".format(
        result["iterations"], result["residual"], viewer.shown))
    proxy.close()
    return result, viewer


if __name__ == "__main__":
    arguments = [int(value) for value in sys.argv[1:5]]
    main(*arguments)
