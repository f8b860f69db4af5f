"""Client-side callables in remote calls, and the events a call receives while it runs.

Any callable found in a call's arguments (positional, keyword, or nested in
lists, tuples and dicts) is replaced by a marker ``{"callback": id}`` and
listed in the call's ``"callbacks"`` field. The server hands the function a
stand-in; each time the function calls it, the server sends a ``callback``
event and (unless the callback was wrapped in ``Callback(func, wait=False)``)
waits for the client's ``callback_reply`` with the return value or the error.

:class:`CallEvents` receives a call's events (``callback``, ``progress``,
``output``) and runs them: the client's functions, the progress display and
the output printer.
"""
from __future__ import absolute_import

import sys
import time
import traceback
from itertools import chain

from compas_cloud._compat import integer_types, native_str, string_types, text_type
from compas_cloud.protocol.walk import walk

__all__ = ["Callback", "encode_callbacks", "CallEvents", "TextProgress", "format_progress", "default_progress"]


class Callback(object):
    """A client-side function passed to a remote call, with how the server calls it.

    Plain functions need no wrapping: they are awaited callbacks. Wrap one to
    make it fire-and-forget, which saves a round trip per invocation::

        solve(mesh, callback=Callback(redraw, wait=False))

    Parameters
    ----------
    func : callable
        The function to run on the client.
    wait : bool, optional
        If True (the default), the server waits for the function to finish and
        gets its return value (or its exception). If False, the server sends
        the invocation and goes on at once; the call returns None there.
    """

    def __init__(self, func, wait=True):
        if not callable(func):
            raise TypeError("Callback needs a callable, got {0!r}".format(func))
        self.func = func
        self.wait = bool(wait)

    def __call__(self, *args, **kwargs):
        return self.func(*args, **kwargs)

    def __repr__(self):
        return "Callback({0!r}, wait={1!r})".format(self.func, self.wait)


# Types that are never callbacks: lists of them are passed over without a walk item by item.
_DATA = frozenset([float, bool, type(None)] + list(integer_types) + list(string_types))
_ROWS = frozenset([list, tuple])


def _only_data(container):
    """Return True for lists of numbers and text, and rows of them (points, matrices): nothing to replace."""
    if type(container) is dict:
        return False
    types = set(map(type, container))
    if types <= _DATA:
        return True
    return types <= _ROWS and set(map(type, chain.from_iterable(container))) <= _DATA


def _is_callback(value):
    if isinstance(value, Callback):
        return True
    if isinstance(value, type) or not callable(value):
        return False
    # Values with a wire form of their own are data, not callbacks.
    return not (hasattr(value, "__jsondump__") or hasattr(value, "tolist") or isinstance(value, dict))


def encode_callbacks(args, kwargs):
    """Replace the callables in ``args`` and ``kwargs`` by markers.

    Returns
    -------
    tuple
        ``(args, kwargs, callbacks)``: a new list and dict when callables were
        found (the originals otherwise), and a dict ``id -> Callback``.
    """
    if not kwargs and set(map(type, args)) <= _DATA:
        return list(args), {}, {}  # only numbers and text (the common small call): nothing to walk
    callbacks = {}

    def visit(value):
        if not _is_callback(value):
            return value
        callback = value if isinstance(value, Callback) else Callback(value)
        cid = len(callbacks) + 1
        callbacks[cid] = callback
        marker = {"callback": cid}
        if not callback.wait:
            marker["wait"] = False
        return marker

    new_args = walk(list(args), visit, skip=_only_data)
    new_kwargs = walk(dict(kwargs or {}), visit, skip=_only_data)
    return new_args, new_kwargs, callbacks


def format_progress(done, total=None, message=None):
    """Return a progress report as one short line: ``"37/100 (37%) residual 1e-3"``."""
    if total:
        text = "{0}/{1} ({2:.0f}%)".format(_number(done), _number(total), 100.0 * float(done) / float(total))
    else:
        text = "{0}".format(_number(done))
    if message:
        text += " " + message
    return text


def _number(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class TextProgress(object):
    """Progress as text lines (for Rhino's command line, logs, Python 2.7).

    With a known total, one line per tenth of it; without, at most one line a second.

    Parameters
    ----------
    name : str
        What runs (shown at the start of each line).
    stream : file, optional
        Where the lines go (``sys.stdout`` by default, looked up at each line).
    """

    def __init__(self, name, stream=None):
        self.name = name
        self.stream = stream
        self._last = None

    def __call__(self, done, total=None, message=None):
        if total:
            key = int(10 * float(done) / float(total))
            if key == self._last:
                return
        else:
            key = time.time()
            if self._last is not None and key - self._last < 1.0:
                return
        self._last = key
        stream = self.stream or sys.stdout
        line = u"{0}: {1}\n".format(self.name, format_progress(done, total, message))
        try:
            stream.write(line)
        except (UnicodeError, TypeError):  # a CPython 2 stream that takes ASCII (or bytes) only
            stream.write(native_str(line))
        stream.flush()

    def close(self):
        pass


class _TqdmProgress(object):
    def __init__(self, tqdm, name):
        self._bar = tqdm(desc=name, leave=True)
        self._done = 0

    def __call__(self, done, total=None, message=None):
        if total is not None and self._bar.total != total:
            self._bar.total = total
        self._bar.update(done - self._done)
        self._done = done
        if message:
            self._bar.set_postfix_str(message, refresh=False)

    def close(self):
        self._bar.close()


def default_progress(name):
    """Return the default progress display: a tqdm bar in a terminal when tqdm is installed, else text lines."""
    try:
        isatty = sys.stderr.isatty()
    except Exception:
        isatty = False
    if isatty:
        try:
            from tqdm import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            return _TqdmProgress(tqdm, name)
    return TextProgress(name)


def print_output(stream, text):
    """Print a call's server-side output on this side's matching stream."""
    target = sys.stderr if stream == "stderr" else sys.stdout
    target.write(text)
    target.flush()


class CallEvents(object):
    """The events of one call: runs its callbacks and shows its progress and output.

    Parameters
    ----------
    connection : compas_cloud.client.connection.Connection
        Where callback replies are sent.
    name : str
        The function's name (for the progress display).
    callbacks : dict
        ``id -> Callback``, from :func:`encode_callbacks`.
    progress : callable or bool or None
        ``f(done, total, message)``, True for :func:`default_progress` (made at the first report), or None/False.
    output : callable or bool or None
        ``f(stream, text)``, True for printing, or None/False.

    Attributes
    ----------
    last_progress : tuple or None
        The latest ``(done, total, message)``: a Grasshopper component can poll it.
    errors : list
        Exceptions raised by the progress or output handlers (they never stop the call).
    """

    def __init__(self, connection, name, callbacks, progress=None, output=None):
        self.connection = connection
        self.name = name
        self.callbacks = callbacks
        #: The progress display: built at the call's first report when it is the default (``True``), so that a
        #: call that reports nothing costs no display (nor the terminal check it makes).
        self.progress = progress or None
        self.output = print_output if output is True else (output or None)
        self.last_progress = None
        self.errors = []
        self.finished = False

    def __call__(self, message):
        """Handle one event message (None: the call has ended)."""
        if message is None:
            self.finish()
            return
        name = message.get("event")
        if name == "callback":
            self._callback(message)
        elif name == "progress":
            self._progress(message)
        elif name == "output":
            if self.output is not None:
                self._guard(self.output, message.get("stream"), message.get("text", ""))

    def finish(self):
        if self.finished:
            return
        self.finished = True
        close = getattr(self.progress, "close", None)
        if close is not None:
            self._guard(close)

    def _guard(self, func, *args):
        try:
            func(*args)
        except Exception as error:
            self.errors.append(error)

    def _progress(self, message):
        report = (message.get("done"), message.get("total"), message.get("message"))
        self.last_progress = report
        if self.progress is True:
            try:
                self.progress = default_progress(self.name)
            except Exception as error:  # a display that cannot be made must not stop the call
                self.errors.append(error)
                self.progress = None
        if self.progress is not None:
            self._guard(self.progress, *report)

    def _callback(self, message):
        callback = self.callbacks.get(message.get("callback"))
        invocation = message.get("invocation")
        wait = message.get("wait", True) and invocation is not None
        try:
            if callback is None:
                raise LookupError("this call has no callback {0!r}".format(message.get("callback")))
            kwargs = dict((str(key), value) for key, value in (message.get("kwargs") or {}).items())
            result = callback.func(*(message.get("args") or []), **kwargs)
        except Exception as error:
            if wait:
                self._reply(invocation, False, error=_error_data(error))
            else:
                self.errors.append(error)
            return
        if wait:
            try:
                self._reply(invocation, True, result=result)
            except (TypeError, ValueError) as error:
                self._reply(
                    invocation,
                    False,
                    error={
                        "type": "EncodingError",
                        "message": "the callback's return value cannot be sent as JSON: {0}".format(error),
                        "traceback": "",
                    },
                )

    def _reply(self, invocation, ok, **fields):
        self.connection.notify("callback_reply", invocation=invocation, ok=ok, **fields)


def _error_data(error):
    text = traceback.format_exc()
    message = error.args[0] if len(error.args) == 1 else (str(error) if error.args else "")
    if not isinstance(message, (str, text_type)):
        message = str(message)
    return {"type": type(error).__name__, "message": message, "traceback": text}
