"""The exceptions of compas_cloud, shared by the client and the server.

Every error crosses the wire as ``{"type", "message", "traceback"}``. The
server raises the classes below for problems it detects itself (an unknown
function, a bad reference, ...); a client turns an error reply back into the
same class, or into :class:`ServerSideError` for any other remote exception
(a ``ZeroDivisionError`` raised by the called function, say).
"""
from __future__ import absolute_import

from compas_cloud._compat import IPY, PY2, native_str, text_type


def _text(value):
    """``value`` as text (``unicode`` on Python 2); UTF-8 bytes decoded, anything else converted."""
    if isinstance(value, text_type):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return text_type(value)


class CloudError(Exception):
    """Base class of every compas_cloud error."""

    if PY2 and not IPY:
        # CPython 2: str() of an exception with a non-ASCII unicode message raised UnicodeEncodeError
        # (in the user's except block, or printed as "<exception str() failed>"). str() escapes it;
        # unicode() keeps it.
        def __unicode__(self):
            if len(self.args) == 1:
                return _text(self.args[0])
            return _text(repr(self.args)) if self.args else u""

        def __str__(self):
            return native_str(self.__unicode__())


# ---------------------------------------------------------------------------
# Errors the client detects itself
# ---------------------------------------------------------------------------


class ConnectionFailed(CloudError):
    """No connection could be made to the server (nothing listens, handshake refused)."""


class ConnectionClosed(CloudError):
    """The connection was closed or dropped while it was in use.

    Attributes
    ----------
    code : int or None
        The websocket close code, when the server sent one.
    reason : str
        The close reason, when the server sent one.
    """

    def __init__(self, message, code=None, reason=""):
        CloudError.__init__(self, message)
        self.code = code
        self.reason = reason


class ServerNotFound(ConnectionFailed):
    """Nothing listens at the server's address (the connection was refused), or its host name is unknown."""


class NotCompasCloudServer(ConnectionFailed):
    """Another program answers at the server's address: an HTTP server, say.

    Attributes
    ----------
    status : int or None
        The HTTP status it answered the websocket handshake with (None: no HTTP answer).
    server : str
        Its ``Server`` header ("" when it sent none).
    body : str
        The start of its answer (a few hundred characters at most; also in the
        ``compas_cloud.client`` log).
    """

    def __init__(self, message, status=None, server="", body=""):
        ConnectionFailed.__init__(self, message)
        self.status = status
        self.server = server
        self.body = body


class CloudTimeout(CloudError):
    """A wait (connect, send, call) took longer than its timeout."""


class ServerStartError(CloudError):
    """A server could not be launched; the message names the interpreter and shows its log."""


class AccessDenied(ConnectionFailed):
    """The server refused the handshake: a browser origin it does not allow, or a missing or wrong token.

    Attributes
    ----------
    status : int
        The HTTP status of the refusal (401: token, 403: origin).
    """

    def __init__(self, message, status=None):
        ConnectionFailed.__init__(self, message)
        self.status = status


class UnsupportedInput(CloudError, ValueError):
    """A value given to a component (or a call) cannot be sent to the server; the message names it and what is supported."""


class TransportUnavailable(CloudError):
    """No websocket transport can be used in this interpreter; the message says what to install."""


class ProtocolError(CloudError):
    """The other side sent something that does not follow the protocol."""


# ---------------------------------------------------------------------------
# Errors reported by the server
# ---------------------------------------------------------------------------


class ServerSideError(CloudError):
    """An error raised on the server while it handled a request.

    Attributes
    ----------
    remote_type : str
        The name of the exception class on the server, e.g. ``"ZeroDivisionError"``.
    message : str
        The exception's message.
    traceback : str
        The server-side traceback, or an empty string.
    """

    def __init__(self, message, remote_type=None, traceback=""):
        CloudError.__init__(self, message)
        self.message = message
        self.remote_type = remote_type or type(self).__name__
        self.traceback = traceback or ""

    def __unicode__(self):
        text = u"{0}: {1}".format(_text(self.remote_type), _text(self.message))
        if self.traceback:
            text += u"\n\nServer-side traceback:\n" + _text(self.traceback).rstrip()
        return text

    def __str__(self):
        return native_str(self.__unicode__())

    def to_data(self):
        """Return the error as the wire's ``{"type", "message", "traceback"}`` object."""
        return {"type": self.remote_type, "message": self.message, "traceback": self.traceback}


class MalformedMessage(ServerSideError):
    """A message was not valid JSON, or not of any shape the protocol knows."""


class UnknownOperation(ServerSideError):
    """A request named an operation the server does not offer."""


class ProtocolMismatch(ServerSideError):
    """Client and server speak different versions of the protocol."""


class FunctionNotFound(ServerSideError):
    """A dotted function name could not be imported on the server."""


class NotCallable(ServerSideError):
    """A dotted name resolved to an object that cannot be called."""


class ReferenceNotFound(ServerSideError):
    """A reference ``{"cached": id}`` is unknown, or was freed."""


class EncodingError(ServerSideError):
    """A value could not be encoded for the wire (a result that is not JSON-serialisable, say)."""


class DecodingError(ServerSideError):
    """A value in a request could not be decoded (a COMPAS ``dtype`` that cannot be imported, say)."""


class LimitExceeded(ServerSideError):
    """A request went over one of the server's limits; the message names the limit."""


class ServerShuttingDown(ServerSideError):
    """The server is stopping and takes no new work."""


class FunctionNotAllowed(ServerSideError):
    """The server's allow-list or deny-list (``--allow``, ``--deny``) refuses the function."""


class SharingNotAllowed(ServerSideError):
    """This server does not share values between connections (it listens beyond loopback without a token)."""


class CallCancelled(ServerSideError):
    """The call was cancelled (by its client, or its timeout); its result, if any, was dropped."""


class CallbackError(ServerSideError):
    """A client-side callback failed: it raised on the client, got no answer in time, or outlived its call.

    Raised on the server inside the called function (which may catch it); if
    the function lets it through, the client's call raises it too.

    Attributes
    ----------
    client_type : str or None
        The name of the exception the client's function raised, if it raised.
    """

    def __init__(self, message, remote_type=None, traceback="", client_type=None, client_traceback=""):
        if client_traceback:
            message = message + "\n\nClient-side traceback:\n" + client_traceback.rstrip()
        ServerSideError.__init__(self, message, remote_type=remote_type, traceback=traceback)
        self.client_type = client_type


_REMOTE_TYPES = dict(
    (cls.__name__, cls)
    for cls in (
        MalformedMessage,
        UnknownOperation,
        ProtocolMismatch,
        FunctionNotFound,
        NotCallable,
        ReferenceNotFound,
        EncodingError,
        DecodingError,
        LimitExceeded,
        ServerShuttingDown,
        FunctionNotAllowed,
        SharingNotAllowed,
        CallCancelled,
        CallbackError,
    )
)


def error_from_data(data):
    """Build the exception described by an error object received from the server.

    Parameters
    ----------
    data : dict
        ``{"type": str, "message": str, "traceback": str}``.

    Returns
    -------
    ServerSideError
        An instance of the matching compas_cloud class, or of
        :class:`ServerSideError` for any other remote exception type.
    """
    if not isinstance(data, dict):
        return ProtocolError("error reply is not an object: {0!r}".format(data))
    remote_type = data.get("type") or "ServerSideError"
    cls = _REMOTE_TYPES.get(remote_type, ServerSideError)
    return cls(data.get("message", ""), remote_type=remote_type, traceback=data.get("traceback", ""))
