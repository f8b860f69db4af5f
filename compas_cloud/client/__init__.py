"""The client: everything a Rhino, Grasshopper, Revit or plain Python script imports.

Python 2.7 and IronPython safe; needs neither Rhino, compas nor numpy.
"""
from __future__ import absolute_import

from compas_cloud.client.proxy import Proxy, RemoteFunction

__all__ = ["Proxy", "RemoteFunction"]
