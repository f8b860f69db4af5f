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
    scalars = _SCALARS
    if type(value) in scalars:
        return value
    if not _is_container(value):
        return visit(value)
    if enter is not None:
        entered = enter(value)
        if entered is not value:
            return entered
    # Each frame: [container, its (key, item) iterator, changes (None until one), key in the parent].
    # The for loop resumes the frame's iterator where it stopped when it went down into an item.
    stack = [[value, _items(value), None, None]]
    result = value
    while stack:
        frame = stack[-1]
        for key, item in frame[1]:
            kind = type(item)
            if kind in scalars:
                continue
            if kind is dict or isinstance(item, (list, tuple)):
                if skip is not None and skip(item):
                    continue
                if enter is not None:
                    entered = enter(item)
                    if entered is not item:
                        if frame[2] is None:
                            frame[2] = {}
                        frame[2][key] = entered
                        continue
                if max_depth is not None and len(stack) >= max_depth:
                    raise TooDeep("the value nests lists/dicts more than {0} levels deep".format(max_depth))
                stack.append([item, _items(item), None, key])
                break
            new = visit(item)
            if new is not item:
                if frame[2] is None:
                    frame[2] = {}
                frame[2][key] = new
        else:
            stack.pop()
            done = _rebuild(frame[0], frame[2])
            if not stack:
                result = done
            elif done is not frame[0]:
                parent = stack[-1]
                if parent[2] is None:
                    parent[2] = {}
                parent[2][frame[3]] = done
    return result


def _is_container(value):
    return type(value) is dict or isinstance(value, (list, tuple))


def _items(container):
    return iter(container.items()) if type(container) is dict else enumerate(container)


def _rebuild(container, changes):
    if changes is None:
        return container
    if type(container) is dict:
        copy = dict(container)
        copy.update(changes)
        return copy
    items = list(container)
    for index, item in changes.items():
        items[index] = item
    return tuple(items) if isinstance(container, tuple) else items
