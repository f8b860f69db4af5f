"""Giving freed memory back to the operating system.

CPython and numpy free large values into the C allocator, and glibc keeps
much of it mapped (small and mid-sized blocks stay in the heap's arenas), so
a server's RSS stays high after a client frees thousands of stored results.
``malloc_trim(0)`` returns those pages. Only glibc on Linux has it; elsewhere
:func:`trim` does nothing.
"""
import ctypes
import ctypes.util
import sys

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


def trim():
    """Return freed heap memory to the operating system; True if anything was returned."""
    function = _load()
    if not function:
        return False
    return bool(function(0))
