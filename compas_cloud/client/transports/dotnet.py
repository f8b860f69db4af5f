"""The transport on .NET's ``System.Net.WebSockets.ClientWebSocket``.

Used under IronPython 2.7 and 3.4 (Rhino, Grasshopper, pyRevit, Dynamo), where
websocket-client does not work, and under CPython with pythonnet (Rhino 8).
Everything .NET is reached through ``import clr``; nothing here needs Rhino.

How it moves messages
    * a received message arrives in pieces; the bytes of all pieces are
      collected (only ``result.Count`` bytes of each) and decoded once, so a
      multi-byte character split between two pieces survives;
    * a message is sent whole, in one ``SendAsync`` (small fragments cost
      about 40 ms each on loopback);
    * every wait has a timeout. ``recv`` that times out leaves its
      ``ReceiveAsync`` running and picks it up on the next call: cancelling a
      .NET receive aborts the whole websocket;
    * text is converted by .NET itself (``Encoding.UTF8``), and binary data
      through Latin-1, which maps bytes 0-255 to the same characters: no
      Python-level loop over the bytes on any runtime.

What a call costs from Python (measured under pythonnet on Mono): resolving
the overloads of ``GetBytes``/``GetString`` on every call (about 240 and 70 us)
is done once instead (about 18 and 7 us); the receive buffer's
``ArraySegment`` is made once per connection; a send's segment is built with
the three-argument constructor (no overload to choose); and a task that has
already completed is not waited for (``Task.Wait`` costs about 45 us even then).

Loading the .NET names, waiting on tasks and reading their failures live in
:mod:`compas_cloud.client.transports.dotnet_interop`.
"""
from __future__ import absolute_import

from compas_cloud._compat import IPY, text_type
from compas_cloud.client.transports.base import Transport, close_message, probe_handshake, refusal
from compas_cloud.client.transports.dotnet_interop import (  # noqa: F401
    _LATIN1, _NET, _SLICE_MS, _certificate_refused, _close_code, _dotnet, _failure, _milliseconds, _net, _overload, _same,
    _wait, _wait_handle,
)
from compas_cloud.errors import CloudTimeout, ConnectionClosed, ConnectionFailed

#: Once a message has started to arrive, each further piece may take this long.
READ_TIMEOUT = 120.0

#: Seconds a send may take when the caller gives no timeout.
SEND_TIMEOUT = 120.0

#: Bytes read per ``ReceiveAsync``.
CHUNK_SIZE = 256 * 1024

#: Seconds the closing handshake may take.
CLOSE_TIMEOUT = 1.0


class DotNetTransport(Transport):
    """Whole messages over ``System.Net.WebSockets.ClientWebSocket``."""

    name = "dotnet"
    label = ".NET client"

    def __init__(self):
        self._ws = None
        self._chunk = None
        self._segment = None
        self._receiving = None  # the ReceiveAsync task still waiting for the start of a message
        self._closed = None

    @classmethod
    def available(cls):
        try:
            import clr  # noqa: F401
        except ImportError:
            if IPY:
                return "the clr module of IronPython (this IronPython cannot reach .NET)"
            return "pip install pythonnet (with Mono or .NET installed outside Windows)"
        except Exception as error:  # pythonnet found no .NET runtime to load
            return "a .NET runtime for pythonnet ({0})".format(error)
        try:
            _dotnet()
        except Exception as error:
            return "System.Net.WebSockets.ClientWebSocket ({0})".format(error)
        return None

    # -- connecting ------------------------------------------------------------------

    def connect(self, url, timeout, headers=None, tls=None):
        tls = tls or {}
        if tls.get("cafile") or tls.get("verify") is False:
            # ClientWebSocket checks certificates against the platform's trust store (Windows, macOS
            # keychain, Mono's store); .NET Framework has no per-socket override.
            raise ConnectionFailed(
                "the .NET transport checks wss:// certificates against the system's trust store only: install "
                "the certificate authority there (Windows: certmgr, 'Trusted Root Certification Authorities') "
                "instead of passing cafile= or verify=False"
            )
        net = _dotnet()
        ws = net.ClientWebSocket()
        for key, value in (headers or {}).items():
            ws.Options.SetRequestHeader(key, value)
        source = net.CancellationTokenSource()
        try:
            task = ws.ConnectAsync(net.Uri(url), source.Token)
        except Exception as error:
            ws.Dispose()
            raise ConnectionFailed("cannot connect to {0}: {1}".format(url, error))
        if not _wait(task, timeout):
            source.Cancel()
            _wait(task, CLOSE_TIMEOUT)
            ws.Abort()
            ws.Dispose()
            raise CloudTimeout("connecting to {0} took longer than {1:g} s".format(url, timeout))
        problem = _failure(task)
        if problem is not None or ws.State != net.State.Open:
            ws.Abort()
            ws.Dispose()
            # .NET Framework names the HTTP status only in its message, Mono not at all: ask once more
            # over a plain socket, which also brings the server's explanation.
            answer = None if url.startswith("wss:") else probe_handshake(url, headers, timeout)
            if answer is not None and answer[0] in (401, 403):
                raise refusal(url, answer[0], answer[1])
            if url.startswith("wss:") and task.IsFaulted and _certificate_refused(task):
                raise ConnectionFailed(
                    "cannot connect to {0}: the server's TLS certificate was not accepted ({1}). The .NET transport "
                    "checks certificates against the system's trust store only: install the certificate authority "
                    "there (Windows: certmgr, 'Trusted Root Certification Authorities'; macOS: Keychain; Mono: "
                    "cert-sync --user ca.pem), and connect by a host name the certificate names (Mono does not "
                    "match IP addresses)".format(url, problem)
                )
            raise ConnectionFailed("cannot connect to {0}: {1}".format(url, problem or "the handshake failed"))
        self._ws = ws
        self._chunk = net.System.Array.CreateInstance(net.Byte, CHUNK_SIZE)
        self._segment = net.ArraySegment(self._chunk, 0, CHUNK_SIZE)  # one for every receive
        self._closed = None

    # -- sending ---------------------------------------------------------------------

    def send(self, data, timeout=None):
        net = _dotnet()
        ws = self._check_open()
        if isinstance(data, text_type):
            payload = net.utf8_bytes(data)
            kind = net.TEXT
        else:
            text = data.decode("latin-1") if isinstance(data, bytearray) else bytes(data).decode("latin-1")
            payload = net.latin1_bytes(text)
            kind = net.BINARY
        seconds = SEND_TIMEOUT if timeout is None else timeout
        try:
            task = ws.SendAsync(net.ArraySegment(payload, 0, len(payload)), kind, True, net.no_token)
        except Exception as error:
            raise self._lost(error)
        if not _wait(task, seconds):
            # A half-sent message cannot be taken back: the connection is unusable.
            message = "sending a message took longer than {0:g} s".format(seconds)
            self._lost(message)
            raise CloudTimeout(message)
        problem = _failure(task)
        if problem is not None:
            raise self._lost(problem)

    # -- receiving -------------------------------------------------------------------

    def recv(self, timeout):
        net = _dotnet()
        ws = self._check_open()
        task = self._receiving
        if task is None:
            task = self._receive(ws)
            self._receiving = task
        if not _wait(task, timeout):
            return None  # the receive stays pending; the next call continues it
        self._receiving = None
        result = self._result(task)
        kind = result.MessageType
        if kind == net.CLOSE:
            code = _close_code(result.CloseStatus)
            reason = result.CloseStatusDescription or ""
            self._closed = ConnectionClosed(close_message(code, reason), code, reason)
            self.close()
            raise self._closed
        count = result.Count
        if result.EndOfMessage:
            return self._decode(kind, self._chunk, count)
        # The rest of the message: collect every piece, decode once.
        stream = net.MemoryStream()
        stream.Write(self._chunk, 0, count)
        while not result.EndOfMessage:
            task = self._receive(ws)
            if not _wait(task, READ_TIMEOUT):
                raise self._lost("no data for {0:g} s in the middle of a message".format(READ_TIMEOUT))
            result = self._result(task)
            if result.MessageType == net.CLOSE:
                raise self._lost("the server closed the connection in the middle of a message")
            stream.Write(self._chunk, 0, result.Count)
        return self._decode(kind, stream.GetBuffer(), int(stream.Length))

    def _receive(self, ws):
        net = _dotnet()
        try:
            return ws.ReceiveAsync(self._segment, net.no_token)
        except Exception as error:
            raise self._lost(error)

    def _result(self, task):
        problem = _failure(task)
        if problem is not None:
            raise self._lost(problem)
        return task.Result

    def _decode(self, kind, buffer, count):
        net = _dotnet()
        if kind == net.TEXT:
            return net.utf8_text(buffer, 0, count)
        text = net.latin1_text(buffer, 0, count)
        if IPY:
            # IronPython 2.7's str.encode returns str; build bytes from the .NET bytes instead.
            return bytes(net.Latin1.GetBytes(text))
        return text.encode("latin-1")

    # -- closing ---------------------------------------------------------------------

    def close(self):
        ws, self._ws = self._ws, None
        receiving, self._receiving = self._receiving, None
        if self._closed is None:
            self._closed = ConnectionClosed("the connection was closed by this client")
        if ws is None:
            return
        try:
            net = _dotnet()
            if ws.State == net.State.Open or ws.State == net.State.CloseReceived:
                task = ws.CloseOutputAsync(net.CloseStatus.NormalClosure, "", net.no_token)
                _wait(task, CLOSE_TIMEOUT)
                if receiving is not None:
                    _wait(receiving, CLOSE_TIMEOUT)  # the server's answering close frame
        except Exception:
            pass
        try:
            ws.Abort()
            ws.Dispose()
        except Exception:
            pass

    def _check_open(self):
        ws = self._ws
        if ws is None:
            raise self._closed or ConnectionClosed("not connected")
        return ws

    def _lost(self, error):
        if self._closed is None:
            detail = ": {0}".format(error) if error else ""
            self._closed = ConnectionClosed(close_message(1006, None) + detail, 1006)
        ws, self._ws = self._ws, None
        self._receiving = None
        if ws is not None:
            try:
                ws.Abort()
                ws.Dispose()
            except Exception:
                pass
        return self._closed
