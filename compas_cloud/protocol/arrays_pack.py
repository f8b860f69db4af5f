"""Packing for the ``arrays1`` encoding: the walk that moves large numeric arrays into byte buffers.

:func:`compas_cloud.protocol.arrays.dumps` lays out what :class:`_Packer` gathers. numpy is
imported only when a numpy array is met. Python 2.7 and IronPython safe.
"""
from __future__ import absolute_import

from array import array
from itertools import chain

from compas_cloud._compat import integer_types
from compas_cloud.protocol.arrays_format import _LITTLE, _SIZES, ARRAY_KEY, MIN_ARRAY_ITEMS, MIN_ITEMS
from compas_cloud.protocol.walk import walk

_FLOAT = frozenset([float])
_INTS = frozenset(integer_types)  # bool is not among them: True stays true
_INT32_MIN = -(2 ** 31)
_INT32_MAX = 2 ** 31 - 1


class _Packer(object):
    """Walks a value, moving large numeric arrays into byte buffers."""

    def __init__(self):
        self.buffers = []
        self.size = 0

    def _add(self, data, dtype, shape, kind):
        offset = self.size
        self.buffers.append(data)
        self.size += len(data)
        padding = (-self.size) % 8
        if padding:
            self.buffers.append(b"\0" * padding)
            self.size += padding
        return {ARRAY_KEY: [dtype, list(shape), offset, kind]}

    def walk(self, value):
        """Return ``value`` with its large numeric arrays packed (the same object when none is)."""
        return walk(value, self._visit, max_depth=None, enter=self._enter)

    def _enter(self, container):
        kind = type(container)
        if kind is dict:
            if ARRAY_KEY in container and len(container) == 1:
                raise _Unsafe()
            return container
        if (kind is list or kind is tuple) and (
            len(container) >= MIN_ITEMS
            or (container and type(container[0]) in (list, tuple) and len(container) * len(container[0]) >= MIN_ITEMS)
        ):
            packed = self._pack_list(container)
            if packed is not None:
                return packed
        return container

    def _visit(self, item):
        if _is_ndarray(item):
            return self._pack_ndarray(item)
        return item

    def _pack_list(self, value):
        first = value[0]
        if type(first) in (list, tuple):
            width = len(first)
            if width == 0:
                return None
            for row in value:
                if type(row) not in (list, tuple) or len(row) != width:
                    return None
            flat = chain.from_iterable
            shape = (len(value), width)
        else:
            flat = iter
            shape = (len(value),)
        types = set(map(type, flat(value)))
        if types == _FLOAT:
            dtype, code = "<f8", "d"
        elif types and types <= _INTS:
            if min(flat(value)) < _INT32_MIN or max(flat(value)) > _INT32_MAX:
                return None
            dtype, code = "<i4", "i"
        else:
            return None
        packed = array(code, flat(value))
        if not _LITTLE:
            packed.byteswap()
        return self._add(_tobytes(packed), dtype, shape, "list")

    def _pack_ndarray(self, value):
        dtype = value.dtype
        if value.ndim == 0 or value.size < MIN_ARRAY_ITEMS:
            return value  # the JSON encoder writes it with tolist
        if dtype.kind not in "fiub" or dtype.itemsize > 8 or (dtype.kind == "f" and dtype.itemsize < 4):
            return value
        little = dtype.newbyteorder("<")
        name = little.str
        if name not in _SIZES:
            return value
        import numpy

        data = numpy.ascontiguousarray(value, dtype=little)
        return self._add(data.tobytes(), name, value.shape, "array")


class _Unsafe(Exception):
    """The value holds a dict that looks like a placeholder: send it all as JSON."""


def _is_ndarray(value):
    return hasattr(value, "__array_interface__") and hasattr(value, "dtype") and hasattr(value, "tobytes") and hasattr(value, "ndim")


def _tobytes(packed):
    if hasattr(packed, "tobytes"):
        return packed.tobytes()
    return packed.tostring()  # Python 2.7, IronPython 2.7
