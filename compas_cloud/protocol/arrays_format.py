"""The fixed parts of the ``arrays1`` binary message (see :mod:`compas_cloud.protocol.arrays`): names, sizes, dtypes.

Shared by the packer (:mod:`compas_cloud.protocol.arrays_pack`) and the rest of
:mod:`compas_cloud.protocol.arrays`, which offers these names too. Python 2.7 and IronPython safe.
"""
from __future__ import absolute_import

import struct
import sys

from compas_cloud._compat import IPY, PY2

#: The name clients list in ``hello`` to ask for this encoding.
ENCODING = "arrays1"
#: The first bytes of a binary message (never the start of a JSON text).
MAGIC = b"CCA1"
#: The key of a placeholder.
ARRAY_KEY = "$array"
#: Lists with fewer numbers than this stay JSON (the header costs more than it saves).
MIN_ITEMS = 256
#: numpy arrays with fewer elements than this stay JSON.
MIN_ARRAY_ITEMS = 16

_LITTLE = sys.byteorder == "little"

#: Byte strings are text here (IronPython 2.7): see the module's docstring.
TEXT_BYTES = IPY and PY2
_HEAD = struct.Struct("<4sI")

# dtype -> (array typecode usable everywhere, item size)
_CODES = {
    "<f8": ("d", 8),
    "<f4": ("f", 4),
    "<i4": ("i", 4),
    "<i2": ("h", 2),
    "|i1": ("b", 1),
    "<u4": ("I", 4),
    "<u2": ("H", 2),
    "|u1": ("B", 1),
}
# dtypes that ``array`` cannot hold on Python 2.7/IronPython: read with struct instead.
_STRUCT = {"<i8": ("q", 8), "<u8": ("Q", 8), "|b1": ("?", 1)}
_SIZES = dict((key, size) for key, (_, size) in list(_CODES.items()) + list(_STRUCT.items()))
