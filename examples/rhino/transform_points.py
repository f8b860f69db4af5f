"""Rhino (IronPython 2.7 in Rhino 6/7, or Rhino 8's Python editor): copy Rhino points upwards with numpy on CPython.

Run with EditPythonScript (or ScriptEditor in Rhino 8) after
``python -m compas_rhino.install -p compas_cloud``, which also tells the
client which CPython to launch the server with.
"""
from __future__ import print_function

import rhinoscriptsyntax as rs

from compas_cloud import Proxy

proxy = Proxy()  # connects to 127.0.0.1:9009, or launches a server there

transform = proxy.function("compas.geometry.transform_points_numpy")
norm = proxy.function("numpy.linalg.norm")

ids = rs.GetObjects("Points to copy 1 unit up", rs.filter.point) or []
points = [list(rs.PointCoordinates(guid)) for guid in ids]
matrix = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 1.0]]

if points:
    moved = transform(points, matrix)
    rs.AddPoints(moved)
    print("moved {0} points; length of the first: {1:.3f}".format(len(moved), norm(moved[0])))
