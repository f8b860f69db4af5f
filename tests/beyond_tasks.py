"""Functions the describe, result cache and shared-value tests call on the server (``tests.beyond_tasks.NAME``).

They run only on the server (CPython 3) but keep Python 2.7 syntax like the
rest of the test folder (annotations are set through ``__annotations__``).
"""
import os
import threading
import time

_runs = {"count": 0}
_lock = threading.Lock()

__all__ = ["scaled_sum", "runs", "grow", "add_vertex", "vertex_count", "uses_callback", "opaque", "count_and_name",
           "total", "pid_after", "sum_and_count"]


def scaled_sum(values, scale=1.0, label="sum"):
    """Add up values and scale the total.

    Counts its runs, so a test can tell a cached answer from a computed one.

    Parameters
    ----------
    values : list of float
        The numbers to add.
    scale : float, optional
        Multiplies the total.
    label : str, optional
        Returned next to the total.

    Returns
    -------
    list
        ``[label, total]``.
    """
    with _lock:
        _runs["count"] += 1
    return [label, scale * sum(values)]


scaled_sum.__annotations__ = {"values": "list[float]", "scale": "float", "return": "list"}


def runs():
    """Return how many times :func:`scaled_sum` and :func:`grow` ran in this server."""
    return _runs["count"]


def grow(values):
    """Append 1 to ``values`` in place and return the list (the cache must keep its own copy)."""
    with _lock:
        _runs["count"] += 1
    values.append(1)
    return values


def add_vertex(model, x, y, z):
    """Add a vertex to a COMPAS mesh in place; return its key."""
    return model.add_vertex(x=x, y=y, z=z)


def vertex_count(model):
    """Return the number of vertices of a COMPAS mesh."""
    return model.number_of_vertices()


def uses_callback(callback, value):
    """Call ``callback(value)`` and return what it returns, counting the run."""
    with _lock:
        _runs["count"] += 1
    return callback(value)


class Opaque(object):
    """A value with no canonical form (not data): calls that take it are never cached."""


def opaque():
    """Return a new :class:`Opaque` (keep it on the server with ``cache=True``)."""
    return Opaque()


def count_and_name(value):
    """Return the name of ``value``'s type, counting the run."""
    with _lock:
        _runs["count"] += 1
    return type(value).__name__


def total(scale=1.0, *values, **options):
    """Scale the sum of any number of values.

    Parameters
    ----------
    scale : float, optional
        Multiplies the sum (passed by position: it comes before ``*values``).
    *values : float
        The numbers to add.

    Returns
    -------
    list
        ``[scale * sum(values), sorted names of the keyword options]``.
    """
    return [scale * sum(values), sorted(options)]


def pid_after(seconds):
    """Wait ``seconds``, then return the server's process id (which server answered)."""
    time.sleep(seconds)
    return os.getpid()


def sum_and_count(values):
    """Add up values and count them.

    Parameters
    ----------
    values : list of float
        The numbers.

    Returns
    -------
    total : float
        Their sum.
    count : int
        How many there are.
    """
    return sum(values), len(values)


def _private():
    return None
