"""The .NET side of the .NET transport: its names loaded once, waits on its tasks, their failures read.

Everything .NET is reached through ``import clr`` (IronPython has it, pythonnet provides it), on first
use. :mod:`compas_cloud.client.transports.dotnet` builds the transport on these and offers their names too.
"""
from __future__ import absolute_import

from compas_cloud._compat import IPY

# The longest single Task.Wait, so that waiting "for ever" stays interruptible.
_SLICE_MS = 500

_LATIN1 = 28591  # ISO-8859-1: byte n <-> character n


def _net():
    """Import the .NET names this transport uses (loads the runtime on first call under pythonnet)."""
    import clr  # noqa: F401  (IronPython has it built in; pythonnet provides it)

    import System
    from System import ArraySegment, Byte, Uri
    from System.IO import MemoryStream
    from System.Net.WebSockets import ClientWebSocket, WebSocketCloseStatus, WebSocketMessageType, WebSocketState
    from System.Text import Encoding
    from System.Threading import CancellationToken, CancellationTokenSource

    class Net(object):
        pass

    net = Net()
    net.System = System
    net.ArraySegment = ArraySegment[Byte]
    net.Byte = Byte
    net.Uri = Uri
    net.MemoryStream = MemoryStream
    net.ClientWebSocket = ClientWebSocket
    net.CloseStatus = WebSocketCloseStatus
    # The message kinds every send and receive compares with, looked up once (a few microseconds each time).
    net.TEXT = WebSocketMessageType.Text
    net.BINARY = WebSocketMessageType.Binary
    net.CLOSE = WebSocketMessageType.Close
    net.State = WebSocketState
    net.UTF8 = Encoding.UTF8
    net.Latin1 = Encoding.GetEncoding(_LATIN1)
    # ``CancellationToken.None`` is a SyntaxError on IronPython 3.4: build the empty token instead.
    net.no_token = CancellationToken(False)
    if IPY:
        net.string = _same  # str is System.String already
    else:
        # Without this pythonnet picks GetBytes(Char[]) and converts character by character.
        net.string = System.String
    net.CancellationTokenSource = CancellationTokenSource
    # Pick the overloads once: resolving them on every call is most of a small call's cost under pythonnet.
    net.utf8_bytes = _overload(net.UTF8.GetBytes, (System.String,), lambda text: net.UTF8.GetBytes(net.string(text)))
    net.latin1_bytes = _overload(net.Latin1.GetBytes, (System.String,), lambda text: net.Latin1.GetBytes(net.string(text)))
    net.utf8_text = _overload(net.UTF8.GetString, (System.Array[Byte], System.Int32, System.Int32), net.UTF8.GetString)
    net.latin1_text = _overload(net.Latin1.GetString, (System.Array[Byte], System.Int32, System.Int32), net.Latin1.GetString)
    return net


def _overload(method, types, fallback):
    """``method`` bound to the overload taking ``types`` (IronPython and pythonnet both index ``Overloads``)."""
    try:
        return method.Overloads[types]
    except Exception:  # a runtime without Overloads: let it resolve each call
        return fallback


def _same(value):
    return value


_NET = []


def _dotnet():
    if not _NET:
        _NET.append(_net())
    return _NET[0]


def _milliseconds(seconds):
    return int(max(0.0, seconds) * 1000)


def _wait(task, seconds):
    """Wait up to ``seconds`` (None: for ever) for ``task``; return True once it has finished in any way."""
    if task.IsCompleted:  # cheap, and loopback sends mostly complete at once
        return True
    if seconds is None:
        while True:
            if _wait(task, _SLICE_MS / 1000.0):
                return True
    handle = _wait_handle(task)
    try:
        if handle is None:
            return bool(task.Wait(_milliseconds(seconds)))
        # A kernel wait: Task.Wait spins first, which costs a core's worth of CPU on Mono while a reply comes.
        return bool(handle.WaitOne(_milliseconds(seconds))) or bool(task.IsCompleted)
    except Exception:  # AggregateException: the task failed or was cancelled; the caller looks at it
        return True


def _wait_handle(task):
    """The task's ``IAsyncResult.AsyncWaitHandle`` (an explicit interface member), or None."""
    try:
        return _dotnet().System.IAsyncResult(task).AsyncWaitHandle  # pythonnet: cast to the interface
    except Exception:
        pass
    try:
        return task.AsyncWaitHandle  # IronPython shows explicit interface members on the object
    except Exception:
        return None


def _failure(task):
    """Return the message of a failed or cancelled task, or None if it succeeded."""
    if task.IsCanceled:
        return "cancelled"
    if task.IsFaulted:
        error = task.Exception
        try:
            error = error.GetBaseException()
        except Exception:
            pass
        message = getattr(error, "Message", None) or str(error)
        inner = getattr(error, "InnerException", None)
        if inner is not None and getattr(inner, "Message", None):
            message += ": " + inner.Message
        return message
    return None


def _certificate_refused(task):
    """Return True if a failed ``ConnectAsync`` failed on the server's TLS certificate.

    The reason sits deep in the chain of inner exceptions (AggregateException,
    WebSocketException, AuthenticationException, then Mono's
    ``CERTIFICATE_VERIFY_FAILED`` or .NET's "remote certificate is invalid").
    """
    error = task.Exception
    for _ in range(10):
        if error is None:
            return False
        name = type(error).__name__
        text = (getattr(error, "Message", None) or "").lower()
        if "Authentication" in name or "certificate" in text:
            return True
        error = getattr(error, "InnerException", None)
    return False


def _close_code(status):
    """The integer close code of a ``Nullable<WebSocketCloseStatus>`` (None when absent)."""
    if status is None:
        return None
    try:
        return int(status)
    except (TypeError, ValueError):
        pass
    value = getattr(status, "value__", None)  # IronPython spelling of an enum's number
    if value is not None:
        return int(value)
    try:
        return int(status.Value)
    except Exception:
        return None
