"""What a transport does: move whole websocket messages, with a timeout on every wait."""
from __future__ import absolute_import


class Transport(object):
    """A websocket connection that sends and receives whole messages.

    Subclasses wrap one websocket library. They are used by one
    :class:`~compas_cloud.client.connection.Connection`, which guarantees that
    at most one thread sends and at most one thread receives at a time.

    Attributes
    ----------
    name : str
        The name to select this transport with (``Proxy(transport=name)``).
    label : str
        How the transport is named to users ("websockets client", ".NET client").
    """

    name = None
    label = None

    def connect(self, url, timeout, headers=None):
        """Open the connection.

        Parameters
        ----------
        url : str
            ``ws://host:port``.
        timeout : float
            Seconds the TCP connection and the opening handshake may take.
        headers : dict, optional
            Extra HTTP headers for the handshake.

        Raises
        ------
        compas_cloud.errors.ConnectionFailed
            Nothing listens there, or the handshake was refused.
        compas_cloud.errors.CloudTimeout
            The handshake took longer than ``timeout``.
        """
        raise NotImplementedError

    def send(self, data, timeout=None):
        """Send one whole message: text (``unicode``) as a text frame, ``bytes`` as a binary frame.

        Raises
        ------
        compas_cloud.errors.ConnectionClosed
        compas_cloud.errors.CloudTimeout
        """
        raise NotImplementedError

    def recv(self, timeout):
        """Receive one whole message.

        Parameters
        ----------
        timeout : float or None
            Seconds to wait for a message to start; 0 polls; None waits for ever.

        Returns
        -------
        str or bytes or None
            The text of a text message, the bytes of a binary message, or None
            if nothing arrived within ``timeout`` (or only a control frame did).

        Raises
        ------
        compas_cloud.errors.ConnectionClosed
            The server closed the connection or it dropped.
        """
        raise NotImplementedError

    def close(self):
        """Close the connection (politely, when it is still open). Never raises."""
        raise NotImplementedError

    @classmethod
    def available(cls):
        """Return None if this transport can be used here, else what to install to use it."""
        raise NotImplementedError


def close_message(code, reason):
    """Describe a websocket close code for users."""
    meanings = {
        1000: "the server closed the connection",
        1001: "the server shut down",
        1002: "the server rejected a malformed websocket frame",
        1006: "the connection dropped (the server stopped or the network failed)",
        1008: "the server refused the connection (policy)",
        1009: "the message was larger than the server accepts (its --max-message-size)",
        1011: "the server hit an internal error",
    }
    text = meanings.get(code, "the connection closed")
    if code is not None:
        text += " (code {0}".format(code) + (": {0})".format(reason) if reason else ")")
    return text
