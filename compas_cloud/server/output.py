"""The one output capture: what a called function or a task prints, kept apart per thread.

:func:`install` replaces ``sys.stdout`` and ``sys.stderr`` once by streams
that look at the calling thread: while :class:`redirect` is active in a
thread, its text goes to that thread's sinks; everywhere else it goes to the
original stream. Concurrent calls in the worker pool each keep their own
output. Two kinds of sink use it:

- :class:`OutputSink` (through :class:`capture`): a call that asked for its
  output sends it to the client as ``output`` events, line by line;
- :class:`TextSink`: a batch task in a worker process keeps what it prints, up
  to a limit, for ``batch_logs`` (:mod:`compas_cloud.server.executors.worker`).

Standard library only: worker processes import it without the server.

What is not captured: output of threads the function starts itself, and
output written by C code straight to the file descriptors.
"""
import sys
import threading

_local = threading.local()
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
            if self._original is None:  # no console (pythonw, a detached worker process)
                return len(text)
            return self._original.write(text)
        sink.write(text)
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        sink = getattr(_local, self._name, None)
        if sink is None:
            return self._original.flush() if self._original is not None else None
        return None

    def __getattr__(self, name):
        return getattr(self._original, name)


def install():
    """Route ``sys.stdout`` and ``sys.stderr`` through per-thread sinks (idempotent).

    Installs again when something replaced a stream since (a test runner, a library).
    """
    with _lock:
        if not isinstance(sys.stdout, _ThreadStream):
            sys.stdout = _ThreadStream(sys.stdout, "stdout")
        if not isinstance(sys.stderr, _ThreadStream):
            sys.stderr = _ThreadStream(sys.stderr, "stderr")


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


class TextSink:
    """Keeps one stream's text, up to ``limit`` characters; a note at the end says when the rest was dropped."""

    def __init__(self, limit):
        self.limit = limit
        self._parts = []
        self._size = 0
        self.truncated = False

    def write(self, text):
        if not isinstance(text, str):
            text = str(text)
        if self._size < self.limit:
            kept = text[: self.limit - self._size]
            self._parts.append(kept)
            self._size += len(kept)
            if len(kept) < len(text):
                self.truncated = True
        elif text:
            self.truncated = True

    def flush(self):
        pass

    def text(self):
        """Return what was kept (with the note, when some was dropped)."""
        text = "".join(self._parts)
        if self.truncated:
            text += "\n[compas_cloud: output truncated after {0} characters]\n".format(self.limit)
        return text


class redirect:
    """Context manager: what this thread prints goes to ``stdout`` and ``stderr`` (sinks) while it is active."""

    def __init__(self, stdout, stderr):
        self.sinks = {"stdout": stdout, "stderr": stderr}
        self._previous = {}

    def __enter__(self):
        install()
        for name, sink in self.sinks.items():
            self._previous[name] = getattr(_local, name, None)
            setattr(_local, name, sink)
        return self

    def __exit__(self, *exc):
        for name in self.sinks:
            setattr(_local, name, self._previous.pop(name, None))
        return False


class capture:
    """Context manager: send what this thread prints to the call's client while it is active."""

    def __init__(self, context):
        self.context = context
        self.sinks = {}
        self._redirect = None

    def __enter__(self):
        self.sinks = {name: OutputSink(self.context, name) for name in ("stdout", "stderr")}
        self._redirect = redirect(self.sinks["stdout"], self.sinks["stderr"])
        self._redirect.__enter__()
        return self

    def __exit__(self, *exc):
        self._redirect.__exit__(*exc)
        for sink in self.sinks.values():
            try:
                sink.flush()
            except Exception:  # the call's result matters more than its last lines
                pass
        return False
