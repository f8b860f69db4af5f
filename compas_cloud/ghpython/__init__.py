"""The runtime shared by the Cloud_* Grasshopper components (IronPython 2.7 safe).

Each component's ``code.py`` forwards its inputs to one function of
:mod:`compas_cloud.ghpython.components`. Around those functions:

* :mod:`~compas_cloud.ghpython.proxies`: one proxy per Grasshopper document,
  kept in ``scriptcontext.sticky`` and reconnected when its server went away;
* :mod:`~compas_cloud.ghpython.memory`: what a component remembers between
  solutions: inputs it uploaded (fingerprint -> reference, so unchanged data is
  not resent) and its last result (so an identical re-solve does not re-run);
* :mod:`~compas_cloud.ghpython.worker`: background jobs that expire the
  component when the result arrives, so long calls do not freeze the canvas;
* :mod:`~compas_cloud.ghpython.conversions`: Rhino geometry to COMPAS objects
  (with ``compas_rhino``) or plain lists, and back;
* :mod:`~compas_cloud.ghpython.host`: sticky, runtime messages, scheduling.

Nothing here requires Rhino, Grasshopper, compas or numpy to import.

It may import :mod:`compas_cloud.client` and everything below it
(:mod:`compas_cloud.protocol`, :mod:`compas_cloud.errors`); never the server.
"""
from __future__ import absolute_import

from compas_cloud.ghpython.components import (
    run_cache,
    run_call,
    run_free,
    run_get,
    run_proxy,
    run_server,
)
from compas_cloud.ghpython.proxies import close_document_proxy, current_proxy, document_proxy

__all__ = [
    "run_proxy",
    "run_call",
    "run_cache",
    "run_get",
    "run_free",
    "run_server",
    "document_proxy",
    "current_proxy",
    "close_document_proxy",
]
