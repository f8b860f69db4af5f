"""The transport on the ``websocket-client`` package (CPython 2.7 and 3)."""
from __future__ import absolute_import

import select
import socket
import ssl
import struct

from compas_cloud._compat import text_type, to_text
from compas_cloud.client.transports.base import Transport, close_message, refusal
from compas_cloud.errors import CloudTimeout, ConnectionClosed, ConnectionFailed

#: Once a message has started to arrive, the rest may take this long between bytes.
READ_TIMEOUT = 120.0

#: Frames at least this large are masked with numpy, where numpy is importable.
NUMPY_MASK_FROM = 64 * 1024


def mask_numpy(key, data):
    """XOR ``data`` with the 4-byte websocket mask ``key`` using numpy; return the masked bytes (a bytearray).

    websocket-client masks with one big-integer XOR in pure Python: 0.2 s of CPU for 24 MiB here,
    against about 0.015 s for one copy masked in place by numpy.
    """
    import numpy

    out = bytearray(data)  # the one copy, masked in place; its items are ints on Python 2 as well
    size = len(out)
    words = size // 4
    if words:
        view = numpy.frombuffer(out, dtype=numpy.uint32, count=words)
        numpy.bitwise_xor(view, numpy.frombuffer(bytes(key), dtype=numpy.uint32)[0], out=view)
    key = bytearray(key)
    for index in range(words * 4, size):
        out[index] ^= key[index % 4]
    return out


def _numpy_frame_class():
    """An ``ABNF`` frame of websocket-client that masks its payload with numpy; None without numpy."""
    try:
        import numpy  # noqa: F401
        import websocket
    except ImportError:
        return None

    class NumpyMaskedFrame(websocket.ABNF):
        def _get_masked(self, mask_key):
            if not isinstance(mask_key, bytes):
                mask_key = mask_key.encode("latin-1")
            data = self.data
            if not isinstance(data, bytes):
                data = data.encode("utf-8") if isinstance(data, text_type) else bytes(data)
            return mask_key + mask_numpy(mask_key, data)

    return NumpyMaskedFrame


_FRAMES = []


def _large_frame(data, opcode):
    """A frame for a large payload, masked with numpy when it is there (None: let websocket-client do it)."""
    if not _FRAMES:
        _FRAMES.append(_numpy_frame_class())
    frame_class = _FRAMES[0]
    if frame_class is None:
        return None
    if isinstance(data, text_type):
        data = data.encode("utf-8")
    return frame_class(fin=1, opcode=opcode, data=data)


class WebSocketClientTransport(Transport):
    """Whole messages over ``websocket-client``.

    Waits use ``select`` on the socket, so a timeout never interrupts a frame
    half-read; control frames (pings) are answered as they arrive.
    """

    name = "websocket-client"
    label = "websockets client"

    def __init__(self):
        self._ws = None
        self._closed = None

    @classmethod
    def available(cls):
        try:
            import websocket

            websocket.WebSocket
            websocket.ABNF
        except (ImportError, AttributeError):
            return "pip install websocket-client"
        return None

    def connect(self, url, timeout, headers=None, tls=None):
        import websocket

        ws = websocket.WebSocket(enable_multithread=True, skip_utf8_validation=True, sslopt=_sslopt(tls))
        header = ["{0}: {1}".format(key, value) for key, value in (headers or {}).items()]
        try:
            ws.connect(url, timeout=timeout, header=header, suppress_origin=True)
        except websocket.WebSocketTimeoutException:
            raise CloudTimeout("connecting to {0} took longer than {1:g} s".format(url, timeout))
        except socket.timeout:
            raise CloudTimeout("connecting to {0} took longer than {1:g} s".format(url, timeout))
        except ssl.SSLError as error:  # before socket.error, which it is a kind of
            raise ConnectionFailed(
                "cannot connect to {0}: the TLS handshake failed ({1}); if the server's certificate comes from "
                "your own certificate authority, pass Proxy(cafile='ca.pem')".format(url, error)
            )
        except ValueError as error:
            if not isinstance(error, getattr(ssl, "CertificateError", ())):
                raise
            # Python 2.7, where it is a ValueError: its match_hostname does not match IP addresses.
            raise ConnectionFailed(
                "cannot connect to {0}: the server's certificate does not name this host ({1}); on Python 2.7 "
                "connect by the DNS name in the certificate, not by IP address".format(url, error)
            )
        except websocket.WebSocketBadStatusException as error:
            status = getattr(error, "status_code", None)
            if status in (401, 403):
                raise refusal(url, status, getattr(error, "resp_body", None))
            raise ConnectionFailed("{0} refused the websocket handshake: {1}".format(url, error))
        except (socket.error, OSError, websocket.WebSocketException) as error:
            raise ConnectionFailed("cannot connect to {0}: {1}".format(url, error))
        ws.settimeout(READ_TIMEOUT)
        self._ws = ws

    def send(self, data, timeout=None):
        import websocket

        ws = self._check_open()
        try:
            if isinstance(data, text_type):
                opcode = websocket.ABNF.OPCODE_TEXT
            else:
                data, opcode = bytes(data), websocket.ABNF.OPCODE_BINARY
            frame = _large_frame(data, opcode) if len(data) >= NUMPY_MASK_FROM else None
            if frame is None:
                ws.send(data, opcode)
            else:
                ws.send_frame(frame)
        except (socket.timeout, websocket.WebSocketTimeoutException):
            # Part of the frame may be out: the stream cannot be used any more.
            raise self._lost("sending a message took longer than {0:g} s".format(READ_TIMEOUT))
        except (socket.error, OSError, websocket.WebSocketException) as error:
            raise self._lost(error)

    def recv(self, timeout):
        import websocket

        ws = self._check_open()
        sock = ws.sock
        if sock is None:
            raise self._lost(None)
        pending = getattr(sock, "pending", None)
        if timeout is not None and not (pending and pending()):
            try:
                ready, _, _ = select.select([sock], [], [], max(timeout, 0))
            except (ValueError, select.error, OSError) as error:
                raise self._lost(error)
            if not ready:
                return None
        try:
            opcode, frame = ws.recv_data_frame(True)
        except (socket.timeout, websocket.WebSocketTimeoutException):
            raise self._lost("no data for {0:g} s in the middle of a message".format(READ_TIMEOUT))
        except (socket.error, OSError, websocket.WebSocketException) as error:
            raise self._lost(error)
        if opcode == websocket.ABNF.OPCODE_TEXT:
            return to_text(frame.data)
        if opcode == websocket.ABNF.OPCODE_BINARY:
            return bytes(frame.data)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            code, reason = _parse_close(frame.data)
            self._closed = ConnectionClosed(close_message(code, reason), code, reason)
            self.close()
            raise self._closed
        return None  # ping or pong, already answered

    def close(self):
        ws, self._ws = self._ws, None
        if ws is not None:
            try:
                ws.close(timeout=1)
            except Exception:
                pass
        if self._closed is None:
            self._closed = ConnectionClosed("the connection was closed by this client")

    def _check_open(self):
        if self._ws is None:
            raise self._closed or ConnectionClosed("not connected")
        return self._ws

    def _lost(self, error):
        if self._closed is None:
            detail = ": {0}".format(error) if error else ""
            self._closed = ConnectionClosed(close_message(1006, None) + detail, 1006)
        ws, self._ws = self._ws, None
        if ws is not None:
            try:
                ws.shutdown()
            except Exception:
                pass
        return self._closed


def _sslopt(tls):
    """Return websocket-client's ``sslopt`` for the ``tls`` settings of :meth:`Transport.connect`."""
    tls = tls or {}
    options = {}
    if tls.get("cafile"):
        options["ca_certs"] = tls["cafile"]
    if tls.get("verify") is False:
        options["cert_reqs"] = ssl.CERT_NONE
        options["check_hostname"] = False
    return options


def _parse_close(data):
    if not data or len(data) < 2:
        return None, ""
    code = struct.unpack("!H", bytes(data[:2]))[0]
    try:
        reason = to_text(bytes(data[2:]))
    except UnicodeDecodeError:
        reason = ""
    return code, reason
