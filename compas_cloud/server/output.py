"""Streaming what a called function prints to its client.

:func:`install` replaces ``sys.stdout`` and ``sys.stderr`` once by streams
that look at the calling thread: in a worker thread running a call that asked
for its output, text goes to that call's :class:`OutputSink` (sent to the
client as ``output`` events, line by line); everywhere else it goes to the
original stream. Concurrent calls in the worker pool each keep their own
output.

What is not captured: output of threads the function starts itself, and
output written by C code straight to the file descriptors.
"""
import sys
import threading

_local = threading.local()
_installed = []
_lock = threading.Lock()

#: Text kept before an event is sent even without a newline.
_CHUNK = 8192


class _ThreadStream:
    """A text stream that writes to the current call's sink, or to the original stream."""

    def __init__(self, original, name):
        self._original = original
        self._name = name

    def write(self, text):
        sink = getattr(_local, self._name, None)
        if sink is None:
            return self._original.write(text)
        sink.write(text)
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        sink = getattr(_local, self._name, None)
        if sink is None:
            return self._original.flush()
        return None

    def __getattr__(self, name):
        return getattr(self._original, name)


def install():
    """Route ``sys.stdout`` and ``sys.stderr`` through per-thread sinks (once; idempotent)."""
    with _lock:
        if _installed:
            return
        sys.stdout = _ThreadStream(sys.stdout, "stdout")
        sys.stderr = _ThreadStream(sys.stderr, "stderr")
        _installed.append(True)


class OutputSink:
    """Collects one stream's text of one call and sends it as ``output`` events.

    Parameters
    ----------
    context : compas_cloud.server.context.CallContext
        The call.
    stream : str
        ``"stdout"`` or ``"stderr"``.
    """

    def __init__(self, context, stream):
        self.context = context
        self.stream = stream
        self._buffer = []
        self._size = 0

    def write(self, text):
        if not isinstance(text, str):
            text = str(text)
        self._buffer.append(text)
        self._size += len(text)
        if "\n" in text or self._size >= _CHUNK:
            self._send(complete_lines_only=self._size < _CHUNK)

    def flush(self):
        self._send(complete_lines_only=False)

    def _send(self, complete_lines_only):
        text = "".join(self._buffer)
        rest = ""
        if complete_lines_only:
            cut = text.rfind("\n") + 1
            text, rest = text[:cut], text[cut:]
        self._buffer = [rest] if rest else []
        self._size = len(rest)
        if text:
            self.context.emit("output", stream=self.stream, text=text)


class capture:
    """Context manager: send what this thread prints to the call's client while it is active."""

    def __init__(self, context):
        self.context = context
        self.sinks = {}

    def __enter__(self):
        install()
        for name in ("stdout", "stderr"):
            sink = OutputSink(self.context, name)
            self.sinks[name] = sink
            setattr(_local, name, sink)
        return self

    def __exit__(self, *exc):
        for name, sink in self.sinks.items():
            setattr(_local, name, None)
            try:
                sink.flush()
            except Exception:  # the call's result matters more than its last lines
                pass
        return False
