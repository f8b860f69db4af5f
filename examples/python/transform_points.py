"""Move points on a compas_cloud server: one call, then a loop that keeps its data on the server.

Run with a server at 127.0.0.1:9009 (or none: the proxy launches one):

    python examples/python/transform_points.py [PORT]

Works unchanged in Rhino's IronPython, where numpy is not available locally.
"""
from __future__ import print_function

import sys

from compas_cloud import Proxy

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9009
proxy = Proxy(port=port)

# A 4x4 matrix that moves everything 0.5 up the z-axis.
lift = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.5], [0.0, 0.0, 0.0, 1.0]]
grid = [[x, y, 0.0] for x in range(3) for y in range(3)]

# One call: the points go to the server, numpy moves them, the result comes back.
transform = proxy.function("compas.geometry.transform_points_numpy")
print("moved once:", transform(grid, lift)[:2], "...")

# Many calls: store the matrix once, keep every intermediate result on the server.
transform_kept = proxy.function("compas.geometry.transform_points_numpy", cache=True)
lift_ref = proxy.cache(lift)
points = grid
for _ in range(10):
    points = transform_kept(points, lift_ref)
print("reference to the result:", points)
final = proxy.get(points)
print("moved ten times:", final[:2], "...")
assert all(abs(point[2] - 5.0) < 1e-9 for point in final)

proxy.free([lift_ref, points])
proxy.close()
