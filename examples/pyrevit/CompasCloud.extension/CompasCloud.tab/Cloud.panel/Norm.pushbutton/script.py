# -*- coding: utf-8 -*-
"""pyRevit pushbutton: a numpy computation on CPython from Revit's IronPython.

Install: add examples/pyrevit to pyRevit's custom extension folders
(pyRevit settings -> Custom Extension Directories) and reload; the button
"Norm" appears in the tab "CompasCloud". compas_cloud must be importable by
pyRevit's IronPython (put its folder on pyRevit's search paths), and a CPython
with compas_cloud's server dependencies must exist: set COMPAS_CLOUD_PYTHON or
pass python=... below. Nothing here imports Rhino.
"""
__title__ = "Norm"
__doc__ = "Computes the lengths of the selected walls' direction vectors with numpy on CPython."

from pyrevit import forms, revit  # noqa: E402

from compas_cloud import Proxy  # noqa: E402

proxy = Proxy()
norm = proxy.function("numpy.linalg.norm")

vectors = []
for element in revit.get_selection():
    curve = getattr(getattr(element, "Location", None), "Curve", None)
    if curve is not None:
        start, end = curve.GetEndPoint(0), curve.GetEndPoint(1)
        vectors.append([end.X - start.X, end.Y - start.Y, end.Z - start.Z])

if not vectors:
    forms.alert("Select some walls (or other line-based elements) first.")
else:
    lengths = norm(vectors, axis=1)
    forms.alert("Lengths (feet): " + ", ".join("{0:.2f}".format(value) for value in lengths))
