"""The server's result cache: results of calls, keyed by the function and its arguments.

A call asks for it with ``cache_result=True``; the server has one when it is
started with ``--result-cache SIZE``. Keys are the function's name and a
SHA-256 hash of a canonical form of the arguments (after references are
resolved): COMPAS ``Data`` objects count by their type and data, numpy arrays
by their dtype, shape and bytes, dicts whatever the order of their keys.
Entries are evicted least recently used first once the estimated size goes
over the limit. Values are copied in and out, so a function that changes its
arguments or result in place cannot change what is cached.
"""
import collections
import copy
import hashlib
import struct
import threading


class Uncacheable(Exception):
    """An argument has no canonical form (an open file, a function, ...): the call is not cached."""


class ResultCache:
    """Results of calls, at most ``max_bytes`` of them (estimated).

    Parameters
    ----------
    max_bytes : int
        The size limit.
    """

    def __init__(self, max_bytes):
        self.max_bytes = int(max_bytes)
        self._entries = collections.OrderedDict()  # key -> (value, nbytes)
        self._lock = threading.Lock()
        self.stored_bytes = 0
        self.hits = 0
        self.misses = 0
        self.evictions = 0
        self.uncacheable = 0

    def __len__(self):
        return len(self._entries)

    def key(self, name, args, kwargs):
        """Return the key of a call, or None (counted as uncacheable) if its arguments have no canonical form."""
        digest = hashlib.sha256()
        try:
            _feed(digest, [name, list(args), dict(kwargs)])
        except Uncacheable:
            with self._lock:
                self.uncacheable += 1
            return None
        return digest.hexdigest()

    def get(self, key):
        """Return ``(True, a copy of the value)`` for a cached key, else ``(False, None)``; count the hit or miss."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return False, None
            self._entries.move_to_end(key)
            self.hits += 1
        return True, copy.deepcopy(entry[0])

    def put(self, key, value, nbytes):
        """Keep a copy of ``value`` (``nbytes`` estimated) under ``key``, evicting old entries to fit.

        A value larger than the whole cache is not kept.
        """
        if nbytes > self.max_bytes:
            return False
        value = copy.deepcopy(value)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.stored_bytes -= old[1]
            self._entries[key] = (value, nbytes)
            self.stored_bytes += nbytes
            while self.stored_bytes > self.max_bytes and self._entries:
                _, (_, size) = self._entries.popitem(last=False)
                self.stored_bytes -= size
                self.evictions += 1
        return True

    def run(self, name, func, args, kwargs, sizeof):
        """Return the cached result of ``func(*args, **kwargs)``, or call it and cache what it returns.

        The key is taken before the call (a function may change its arguments in place).
        """
        key = self.key(name, args, kwargs)
        if key is not None:
            found, value = self.get(key)
            if found:
                return value
        result = func(*args, **kwargs)
        if key is not None:
            self.put(key, result, sizeof(result))
        return result

    def clear(self):
        """Drop every entry; return how many there were."""
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            self.stored_bytes = 0
        return count

    def describe(self):
        """Return the figures ``status()`` reports (docs/protocol.md, "Result cache")."""
        with self._lock:
            return {
                "enabled": True,
                "max_bytes": self.max_bytes,
                "bytes": self.stored_bytes,
                "entries": len(self._entries),
                "hits": self.hits,
                "misses": self.misses,
                "evictions": self.evictions,
                "uncacheable": self.uncacheable,
            }


def _feed(digest, value, depth=0):
    """Write a canonical, type-tagged form of ``value`` into ``digest``."""
    if depth > 100:
        raise Uncacheable("nested too deeply")
    update = digest.update
    if value is None or isinstance(value, bool):
        update(b"N" if value is None else (b"T" if value else b"F"))
    elif isinstance(value, int):
        text = str(value).encode("ascii")
        update(b"i" + struct.pack("<I", len(text)) + text)
    elif isinstance(value, float):
        update(b"f" + struct.pack("<d", value))
    elif isinstance(value, str):
        text = value.encode("utf-8", "surrogatepass")
        update(b"s" + struct.pack("<Q", len(text)) + text)
    elif isinstance(value, bytes):
        update(b"b" + struct.pack("<Q", len(value)) + value)
    elif isinstance(value, (list, tuple)):
        update((b"l" if isinstance(value, list) else b"t") + struct.pack("<Q", len(value)))
        for item in value:
            _feed(digest, item, depth + 1)
    elif isinstance(value, dict):
        items = []
        for key, item in value.items():
            sub = hashlib.sha256()
            _feed(sub, key, depth + 1)
            items.append((sub.digest(), item))
        items.sort(key=lambda pair: pair[0])
        update(b"d" + struct.pack("<Q", len(items)))
        for key_digest, item in items:
            update(key_digest)
            _feed(digest, item, depth + 1)
    elif _is_ndarray(value):
        if value.dtype.hasobject:
            update(b"o" + repr(value.shape).encode("ascii"))
            for item in value.ravel().tolist():
                _feed(digest, item, depth + 1)
        else:
            header = "{0}|{1}".format(value.dtype.str, value.shape).encode("ascii")
            update(b"a" + struct.pack("<I", len(header)) + header)
            update(value.tobytes(order="C"))
    elif _is_numpy_scalar(value):
        _feed(digest, value.item(), depth + 1)
    elif hasattr(type(value), "__data__") and hasattr(value, "__data__"):  # a COMPAS Data object
        cls = type(value)
        update(b"D" + "{0}.{1}".format(cls.__module__, cls.__name__).encode("utf-8") + b"\0")
        _feed(digest, value.__data__, depth + 1)
    else:
        raise Uncacheable("{0} has no canonical form".format(type(value).__name__))


def _is_ndarray(value):
    cls = type(value)
    return cls.__module__ == "numpy" and cls.__name__ == "ndarray" or (
        hasattr(value, "dtype") and hasattr(value, "shape") and hasattr(value, "tobytes") and hasattr(value, "ravel")
    )


def _is_numpy_scalar(value):
    return type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(value, "shape", None) == ()

