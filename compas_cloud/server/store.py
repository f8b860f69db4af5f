"""The reference store: values a connection keeps on the server between calls."""
import secrets
import sys

from compas_cloud.errors import ReferenceNotFound
from compas_cloud.protocol import Reference, reference_id


class ReferenceStore:
    """Values stored for one connection, under random, unguessable ids.

    Ids are 128-bit random strings: they cannot be guessed by other
    connections, are never reused, and are valid until freed or until the
    connection that created them closes.
    """

    def __init__(self):
        self._values = {}
        self._sizes = {}
        #: The estimated memory of the stored values, in bytes (the sizes given to :meth:`add`).
        self.stored_bytes = 0

    def __len__(self):
        return len(self._values)

    def add(self, value, nbytes=0):
        """Store ``value`` (estimated at ``nbytes`` bytes) and return its :class:`Reference`."""
        key = secrets.token_urlsafe(16)
        while key in self._values:  # pragma: no cover - 2**-128
            key = secrets.token_urlsafe(16)
        self._values[key] = value
        self._sizes[key] = nbytes
        self.stored_bytes += nbytes
        return Reference(key)

    def get(self, ref):
        """Return the value behind ``ref`` (a Reference, ``{"cached": id}`` or an id)."""
        key = self._key(ref)
        try:
            return self._values[key]
        except KeyError:
            raise ReferenceNotFound(
                "no stored value with id {0!r} on this connection: it was freed, never existed, "
                "or belongs to a connection that has closed".format(key)
            ) from None

    def free(self, ref):
        """Remove the value behind ``ref``."""
        key = self._key(ref)
        if self._values.pop(key, _MISSING) is _MISSING:
            raise ReferenceNotFound("cannot free {0!r}: no stored value with that id on this connection".format(key))
        self.stored_bytes -= self._sizes.pop(key, 0)

    def clear(self):
        """Remove every value; return how many there were."""
        count = len(self._values)
        self._values.clear()
        self._sizes.clear()
        self.stored_bytes = 0
        return count

    def resolve(self, value):
        """Return ``value`` with every :class:`Reference` in it replaced by its stored value.

        Lists, tuples and dicts are walked to any depth; other values are returned as they are.
        """
        if isinstance(value, Reference):
            return self.get(value)
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, tuple):
            return tuple(self.resolve(item) for item in value)
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        return value

    def nbytes(self):
        """Return an estimate of the memory the stored values hold, in bytes."""
        return sum(_sizeof(value) for value in self._values.values())

    @staticmethod
    def _key(ref):
        try:
            return reference_id(ref)
        except TypeError as error:
            raise ReferenceNotFound(str(error)) from None


_MISSING = object()


def _sizeof(value, _depth=0):
    nbytes = getattr(value, "nbytes", None)
    if isinstance(nbytes, int):
        return nbytes + sys.getsizeof(value)
    size = sys.getsizeof(value)
    if _depth > 50:
        return size
    if isinstance(value, (list, tuple, set)):
        return size + sum(_sizeof(item, _depth + 1) for item in value)
    if isinstance(value, dict):
        return size + sum(_sizeof(k, _depth + 1) + _sizeof(v, _depth + 1) for k, v in value.items())
    if hasattr(value, "__dict__"):
        return size + _sizeof(vars(value), _depth + 1)
    return size
