"""One walk over nested lists, tuples and dicts, sharing what did not change.

Every part of compas_cloud that replaces some values inside a nested argument
(callbacks by markers, references by values, ...) does it with :func:`walk`.
The walk is iterative (no recursion: IronPython does not enforce the recursion
limit, and a deep value must not kill Rhino) and stops at ``max_depth``.
Runs on IronPython 2.7 and every later Python.
"""
from __future__ import absolute_import

from compas_cloud.errors import CloudError

MAX_DEPTH = 1000
"""int: How deep :func:`walk` goes into nested containers before it refuses."""

_SCALARS = frozenset([type(None), bool, int, float, str, type(u"")])
try:  # Python 2: long
    _SCALARS = _SCALARS | frozenset([long])
except NameError:
    pass


class TooDeep(CloudError, ValueError):
    """A value nests containers deeper than the walk allows."""


def _leaf(value):
    return type(value) in _SCALARS


def walk(value, visit, max_depth=MAX_DEPTH, skip=None, enter=None):
    """Return ``value`` with ``visit`` applied to everything that is not a list, tuple or dict.

    Parameters
    ----------
    value : object
        Plain data: lists, tuples, dicts (exactly ``dict``) and anything else.
    visit : callable
        ``visit(item) -> item``, called for each item that is not a container
        (numbers, text and None are passed by without a call). Return the item
        itself to keep it.
    max_depth : int or None, optional
        Containers nested deeper than this raise :class:`TooDeep`; None: no limit
        (the walk never recurses, so only memory bounds it).
    skip : callable, optional
        ``skip(container) -> bool``: when True the container is kept as it is
        without looking inside (for example rows of numbers).
    enter : callable, optional
        ``enter(container) -> container or replacement``, called for each container
        before looking inside: return the container itself to walk into it, or
        anything else to put that in its place, unwalked (a marker dict becoming
        a callable, a list of numbers becoming a packed buffer).

    Returns
    -------
    object
        ``value`` itself when nothing changed; otherwise a copy in which only the
        containers on the way to a change are new (tuples stay tuples, dicts
        keep their keys).

    Raises
    ------
    TooDeep
        If containers nest deeper than ``max_depth``.
    """
    if _leaf(value):
        return value
    if not _is_container(value):
        return visit(value)
    if enter is not None:
        entered = enter(value)
        if entered is not value:
            return entered
    # Each frame: [container, keys, results, index, changed]
    root = [None]
    stack = [_frame(value)]
    while stack:
        frame = stack[-1]
        container, keys, results = frame[0], frame[1], frame[2]
        if frame[3] < len(keys):
            key = keys[frame[3]]
            item = container[key]
            frame[3] += 1
            if _leaf(item):
                results.append(item)
            elif _is_container(item) and not (skip is not None and skip(item)):
                entered = item if enter is None else enter(item)
                if entered is not item:
                    results.append(entered)
                    frame[4] = True
                    continue
                if max_depth is not None and len(stack) >= max_depth:
                    raise TooDeep("the value nests lists/dicts more than {0} levels deep".format(max_depth))
                stack.append(_frame(item))
            else:
                new = item if _is_container(item) else visit(item)
                results.append(new)
                if new is not item:
                    frame[4] = True
            continue
        stack.pop()
        done = _rebuild(frame)
        if stack:
            parent = stack[-1]
            parent[2].append(done)
            if done is not container:
                parent[4] = True
        else:
            root[0] = done
    return root[0]


def _is_container(value):
    return type(value) is dict or isinstance(value, (list, tuple))


def _frame(container):
    keys = list(container.keys()) if type(container) is dict else range(len(container))
    return [container, keys, [], 0, False]


def _rebuild(frame):
    container, keys, results, _, changed = frame
    if not changed:
        return container
    if type(container) is dict:
        return dict(zip(keys, results))
    if isinstance(container, tuple):
        return tuple(results)
    return results
