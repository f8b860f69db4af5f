"""Giving freed memory back to the operating system.

CPython and numpy free large values into the C allocator, and glibc keeps
much of it mapped (small and mid-sized blocks stay in the heap's arenas), so
a server's RSS stays high after a client frees thousands of stored results.
``malloc_trim(0)`` returns those pages. Only glibc on Linux has it; elsewhere
:func:`trim` does nothing.

glibc also gives threads that allocate at the same time heaps of their own
(up to eight per core); a worker thread's heap that once held a large result
can stay resident, whole, after everything in it was freed. :func:`limit_arenas`
(``mallopt(M_ARENA_MAX, 2)``, called once when the server starts) keeps the
worker threads to two shared arenas, which ``malloc_trim`` then empties.
A ``MALLOC_ARENA_MAX`` set in the environment is left to glibc.
"""
import ctypes
import ctypes.util
import os
import sys

#: ``mallopt``'s parameter number for the arena limit (glibc's malloc.h).
M_ARENA_MAX = -8

#: Arenas the server's threads share.
ARENAS = 2

#: Trim after freeing at least this many bytes of stored values.
TRIM_AFTER = 8 * 1024 * 1024

_TRIM = None


def _load():
    global _TRIM
    if _TRIM is None:
        _TRIM = False
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                _TRIM = libc.malloc_trim
                _TRIM.argtypes = [ctypes.c_size_t]
                _TRIM.restype = ctypes.c_int
            except (OSError, AttributeError):  # musl and other C libraries have no malloc_trim
                _TRIM = False
    return _TRIM


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def limit_arenas(count=ARENAS):
    """Limit glibc to ``count`` malloc arenas; return True if the limit was set (glibc only)."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    libc = _libc()
    mallopt = getattr(libc, "mallopt", None) if libc is not None else None
    if mallopt is None or getattr(libc, "gnu_get_libc_version", None) is None:  # not glibc (musl has a stub)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, count))


def trim():
    """Return freed heap memory to the operating system; True if anything was returned."""
    function = _load()
    if not function:
        return False
    return bool(function(0))
