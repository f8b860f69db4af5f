"""The reference store: values a connection keeps on the server between calls, and :func:`sizeof`."""
import secrets
import sys

from compas_cloud.errors import ReferenceNotFound
from compas_cloud.protocol import Reference, reference_id
from compas_cloud.protocol.walk import walk


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

        Lists, tuples and dicts are walked to any depth, without recursion (a value nested
        thousands deep resolves as well as a flat one); other values are returned as they are.
        Containers holding no reference are returned as they are, not copied.
        """
        return walk(value, self._replace, max_depth=None)

    def _replace(self, item):
        return self.get(item) if isinstance(item, Reference) else item

    def values(self):
        """Return the stored values (a list)."""
        return list(self._values.values())

    def size_of(self, ref):
        """Return the size ``ref``'s value was stored with, in bytes (0 for an unknown reference)."""
        return self._sizes.get(self._key(ref), 0)

    def nbytes(self):
        """Return an estimate of the memory the stored values hold, in bytes."""
        return sum(sizeof(value) for value in self._values.values())

    @staticmethod
    def _key(ref):
        try:
            return reference_id(ref)
        except TypeError as error:
            raise ReferenceNotFound(str(error)) from None


_MISSING = object()


def sizeof(value):
    """Estimate the memory ``value`` holds, in bytes.

    Iterative, to any depth, each object counted once (a visited set by ``id``, so shared and
    cyclic object graphs end). Objects with an integer ``nbytes`` (numpy arrays) count
    ``sys.getsizeof`` alone when it already includes their buffer, else that plus ``nbytes``.
    """
    total = 0
    seen = set()
    stack = [value]
    while stack:
        item = stack.pop()
        key = id(item)
        if key in seen:
            continue
        seen.add(key)
        size = sys.getsizeof(item, 0)
        nbytes = getattr(item, "nbytes", None)
        if isinstance(nbytes, int) and not isinstance(nbytes, bool):
            base = getattr(item, "base", None)
            # An array that owns its data reports it in getsizeof already; a view does not.
            total += size if (base is None and size >= nbytes) else size + nbytes
            continue
        total += size
        if isinstance(item, (str, bytes, int, float, bool, type(None))):
            continue
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        else:
            attributes = getattr(item, "__dict__", None)
            if isinstance(attributes, dict):
                stack.append(attributes)
    return total


__all__ = ["ReferenceStore", "sizeof"]
