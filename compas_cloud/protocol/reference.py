"""References to values kept on the server."""
from __future__ import absolute_import

from compas_cloud._compat import string_types

#: The one key of a reference object on the wire: ``{"cached": id}``.
REFERENCE_KEY = "cached"


class Reference(dict):
    """A value kept on the server, known to the client by its id.

    A reference is a plain ``dict`` ``{"cached": id}``, so it prints, compares
    and serialises exactly as it travels. Pass it as an argument (anywhere in
    lists and dicts) to have the server use the stored value, or give it to
    :meth:`compas_cloud.Proxy.get` to fetch the value.

    Parameters
    ----------
    id : str
        The server-assigned id: random, unguessable, valid while the
        connection that created it lives.
    """

    __slots__ = ()

    def __init__(self, id):
        dict.__init__(self)
        self[REFERENCE_KEY] = id

    @property
    def id(self):
        """str: The id of the stored value."""
        return self[REFERENCE_KEY]

    def __reduce__(self):
        return (Reference, (self.id,))


def is_reference(obj):
    """Return True if ``obj`` is a reference object ``{"cached": id}``.

    Parameters
    ----------
    obj : object
        Any decoded JSON value.
    """
    return isinstance(obj, dict) and len(obj) == 1 and REFERENCE_KEY in obj


def reference_id(ref):
    """Return the id of a reference given as a :class:`Reference`, a dict or a bare id.

    Parameters
    ----------
    ref : Reference, dict, str or int
        ``Reference(id)``, ``{"cached": id}`` or the id itself.

    Returns
    -------
    str or int

    Raises
    ------
    TypeError
        When ``ref`` is none of these.
    """
    if is_reference(ref):
        ref = ref[REFERENCE_KEY]
    if isinstance(ref, string_types) or (isinstance(ref, int) and not isinstance(ref, bool)):
        return ref
    raise TypeError("not a reference: expected {{'cached': id}} or an id, got {0!r}".format(ref))
