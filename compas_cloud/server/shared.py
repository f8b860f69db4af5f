"""Shared values: stored values published under a name for other connections.

A server has one token (or none, on loopback), so every connection of a
server may see its shared names: a Grasshopper definition and a Rhino script
of one person or team work on one object this way. A shared value lives until
it is unshared or the server stops, and counts against ``--max-total-memory``.
"""
import threading

from compas_cloud.errors import MalformedMessage, ReferenceNotFound

#: Longest shared name.
MAX_NAME = 200


class SharedValues:
    """Named values of one server."""

    def __init__(self):
        self._values = {}  # name -> (value, nbytes)
        self._lock = threading.Lock()
        self.stored_bytes = 0

    def __len__(self):
        return len(self._values)

    @staticmethod
    def check_name(name):
        """Raise MalformedMessage unless ``name`` is a usable name (1 to 200 characters of text)."""
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise MalformedMessage(
                "a shared name must be non-empty text of at most {0} characters, not {1!r}".format(MAX_NAME, name)
            )

    def share(self, name, value, nbytes):
        """Publish ``value`` under ``name`` (replacing what had the name); return the bytes freed by the replacement."""
        self.check_name(name)
        with self._lock:
            old = self._values.get(name)
            self._values[name] = (value, nbytes)
            freed = old[1] if old is not None else 0
            self.stored_bytes += nbytes - freed
        return freed

    def get(self, name):
        """Return the value shared as ``name``."""
        self.check_name(name)
        entry = self._values.get(name)
        if entry is None:
            raise ReferenceNotFound(
                "nothing is shared under the name {0!r} on this server (shared names: {1})".format(
                    name, ", ".join(repr(key) for key in sorted(self._values)) or "none"
                )
            )
        return entry

    def size_of(self, name):
        """Return the bytes the value shared as ``name`` holds (0 if nothing is shared under it)."""
        entry = self._values.get(name)
        return entry[1] if entry is not None else 0

    def unshare(self, name):
        """Remove ``name``; return the bytes it held."""
        self.get(name)
        with self._lock:
            _, nbytes = self._values.pop(name)
            self.stored_bytes -= nbytes
        return nbytes

    def clear(self):
        """Remove every name; return the bytes they held."""
        with self._lock:
            freed = self.stored_bytes
            self._values.clear()
            self.stored_bytes = 0
        return freed

    def describe(self):
        """Return ``[{"name", "type", "bytes"}, ...]`` sorted by name (for ``status()``)."""
        with self._lock:
            items = sorted(self._values.items())
        return [{"name": name, "type": type(value).__name__, "bytes": nbytes} for name, (value, nbytes) in items]
