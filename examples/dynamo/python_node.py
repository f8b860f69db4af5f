"""Dynamo Python Script node (IronPython 2.7 in Dynamo 2.x, or CPython 3): numpy on CPython.

Paste into a Python Script node with one input: IN[0] = a list of points
(Autodesk.DesignScript.Geometry.Point). compas_cloud must be on the node's
search path (the sys.path line below). The output is the centroid of the
points and the distance of each point from it, computed with numpy.
"""
import sys

sys.path.append(r"C:\path\to\compas_cloud")  # the folder that holds the compas_cloud package

from compas_cloud import Proxy  # noqa: E402

proxy = Proxy(verbose=False)
mean = proxy.function("numpy.mean")
norm = proxy.function("numpy.linalg.norm")

points = [[p.X, p.Y, p.Z] for p in IN[0]]  # noqa: F821  (Dynamo provides IN)
centroid = mean(points, axis=0)
distances = norm([[x - centroid[0], y - centroid[1], z - centroid[2]] for x, y, z in points], axis=1)

OUT = [centroid, distances]
