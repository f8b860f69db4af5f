"""Freeing stored values as a loop goes: one stored value at a time, not one per step.

A function made with ``cache=True`` leaves every result on the server until it
is freed or the connection closes. In a loop whose each step replaces the last
(``points = step(points, matrix)``), every intermediate result stays stored:
in a Grasshopper document that keeps its proxy for hours, that memory is never
given back. :func:`replace` frees the value a new result replaces::

    points = proxy.replace(points, step(points, matrix))

Python 2.7 and IronPython safe.
"""
from __future__ import absolute_import

from compas_cloud.errors import ReferenceNotFound
from compas_cloud.protocol.reference import is_reference, reference_id


def replace(proxy, old, new):
    """Free ``old`` on ``proxy``'s server (when it is a reference other than ``new``); return ``new``.

    ``new`` is computed before this runs (``step(old, ...)`` is evaluated
    first), so the server has finished with ``old`` when it is freed. A
    reference already freed (or gone with an earlier connection) is not an
    error: it is not stored, which is what was asked.

    Parameters
    ----------
    proxy : Proxy or ServerPool
        Where ``old`` is stored.
    old : object
        The value ``new`` replaces: a reference to free, or any other value (left alone).
    new : object
        What replaces it.

    Returns
    -------
    object
        ``new``.
    """
    if is_reference(old) and not (is_reference(new) and reference_id(new) == reference_id(old)):
        try:
            proxy.free(old)
        except ReferenceNotFound:
            pass
    return new
