"""What a component remembers between solutions: its uploads and its last result.

Values stored on the server belong to one connection, so the memory is tied
to the connection it was filled on and forgets everything when the proxy
reconnects.
"""
from __future__ import absolute_import

import threading

from compas_cloud._compat import string_types
from compas_cloud.ghpython.fingerprint import describe
from compas_cloud.ghpython.host import component_key, sticky
from compas_cloud.protocol.reference import Reference

_KEY = "compas_cloud.ghpython.memory:{0}"

#: Values whose JSON text is shorter than this travel inline: a reference would not be smaller.
UPLOAD_MIN_CHARS = 64

_NOTHING = object()


class ComponentMemory(object):
    """The state one component keeps in ``scriptcontext.sticky``.

    Attributes
    ----------
    connection : object
        The connection the uploads and the result belong to.
    uploads : dict
        Input slot -> ``(fingerprint, Reference)`` of the value uploaded for it.
    result_key : str or None
        Fingerprint of the inputs that produced :attr:`result`.
    result : object
        The last result.
    job : compas_cloud.ghpython.worker.Job or None
        The background job running or finished for this component.
    lock : threading.Lock
        Held while uploads change (a background job and a solve may overlap).
    """

    def __init__(self):
        self.connection = None
        self.uploads = {}
        self.result_key = None
        self.result = None
        self.job = None
        self.lock = threading.RLock()

    def bind(self, connection):
        """Tie the memory to ``connection``; forget everything if it was tied to another."""
        if self.connection is not connection:
            self.connection = connection
            self.uploads = {}
            self.result_key = None
            self.result = None
            self.job = None

    def has_result(self, key):
        return self.result_key is not None and self.result_key == key

    def remember(self, key, result):
        self.result_key = key
        self.result = result

    def forget_result(self):
        self.result_key = None
        self.result = None

    def forget_uploads(self):
        self.uploads = {}


def component_memory(component):
    """Return the :class:`ComponentMemory` of ``component`` (created on first use)."""
    store = sticky()
    key = _KEY.format(component_key(component))
    memory = store.get(key)
    if memory is None:
        memory = ComponentMemory()
        store[key] = memory
    return memory


def is_inline(value):
    """Return True for values that always travel inline (scalars and references)."""
    return value is None or isinstance(value, (bool, int, float, Reference) + string_types)


def send_once(proxy, memory, slot, value):
    """Return what to send for ``value`` in input ``slot``: the value, or a reference to it on the server.

    Large lists and dicts are uploaded once (:meth:`Proxy.cache`); while
    their fingerprint does not change, the same reference is sent again
    instead of the data. The value uploaded before for the slot is freed.

    Parameters
    ----------
    proxy : compas_cloud.Proxy
    memory : ComponentMemory
        Bound to ``proxy``'s connection.
    slot : str
        Names the input the value came from (``"arg:0"``, ``"kw:axis"``, ...).
    value : object
        The value, already converted for the wire.
    """
    if is_inline(value):
        return value
    digest, size = describe(value)
    if size < UPLOAD_MIN_CHARS:
        return value
    with memory.lock:
        known = memory.uploads.get(slot)
        if known is not None and known[0] == digest:
            return known[1]
        reference = proxy.cache(value)
        memory.uploads[slot] = (digest, reference)
    if known is not None:
        _free_quietly(proxy, known[1])
    return reference


def _free_quietly(proxy, reference):
    from compas_cloud.errors import CloudError

    try:
        proxy.free(reference)
    except CloudError:
        pass  # already gone: nothing to free
