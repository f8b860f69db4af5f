"""The handshake of a :class:`~compas_cloud.Proxy`: connect the transport, say hello, word what went wrong.

:class:`Handshake` is a part of :class:`~compas_cloud.client.proxy.Proxy` (a mixin): it reads the proxy's
address, transport, timeouts and :class:`~compas_cloud.client.local_server.LocalServer`, and sets its
connection and ``server_info``.
"""
from __future__ import absolute_import

from compas_cloud import __version__, auth
from compas_cloud._compat import describe_runtime
from compas_cloud.client import diagnose, launcher
from compas_cloud.client.connection import Connection
from compas_cloud.errors import AccessDenied, CloudTimeout, ConnectionFailed, ProtocolError, ProtocolMismatch
from compas_cloud.protocol.arrays import ENCODING as ARRAYS_ENCODING
from compas_cloud.protocol import PROTOCOL_VERSION


class Handshake(object):
    """Connecting a proxy to its server (the websocket, the token, the ``hello`` exchange)."""

    def _connect(self):
        transport = self.transport_class()
        tls = {"cafile": self.cafile, "verify": self.verify} if self.scheme == "wss" else None
        token, source = self.server.client_token_and_source()
        headers = auth.auth_headers(token)
        try:
            transport.connect(self.url, self.connect_timeout, headers=headers, tls=tls)
        except AccessDenied as error:
            # Worded here, not by the transport, so the line is the same on every transport.
            raise diagnose.refused(self.host, self.port, error.status, source if token else None, str(error))
        except ConnectionFailed as error:
            local_launch_off = (not self.server.autolaunch and not self._by_url and self.scheme == "ws"
                                and launcher.is_local(self.host))
            better = diagnose.explain(self.url, headers, self.connect_timeout, source if token else None, local_launch_off)
            if better is None:
                raise
            diagnose.log.debug("connecting to %s failed: %s", self.url, error)
            raise better
        except CloudTimeout as error:
            diagnose.log.debug("connecting to %s: %s", self.url, error)
            raise self._slow_handshake()
        connection = Connection(transport)
        client = {"name": "compas_cloud", "version": __version__, "python": describe_runtime(), "transport": transport.name}
        if self.arrays != "json":
            client["encodings"] = ["json", ARRAYS_ENCODING]
        try:
            info = connection.request("hello", timeout=self.connect_timeout, client=client)
        except CloudTimeout:
            connection.close()
            raise ProtocolMismatch(self._foreign_websocket(
                "it did not answer the compas_cloud handshake within {0:g} s".format(self.connect_timeout)))
        except ProtocolError as error:
            connection.close()
            diagnose.log.info("the answer of %s to the compas_cloud handshake: %s", self.address,
                              str(error)[:diagnose.BODY_IN_LOG])
            raise ProtocolError(self._foreign_websocket("this client cannot read its answer to the compas_cloud handshake"))
        except Exception:
            connection.close()
            raise
        if not isinstance(info, dict) or info.get("protocol") != PROTOCOL_VERSION:
            connection.close()
            raise ProtocolMismatch(
                "the server at {0} speaks protocol {1!r}, this client speaks {2}: install the same "
                "compas_cloud version on both sides".format(self.address, (info or {}).get("protocol"), PROTOCOL_VERSION)
            )
        self.server_info = info
        connection.max_message_size = info.get("max_message_size")
        connection.binary = self.arrays != "json" and ARRAYS_ENCODING in (info.get("encodings") or ())
        connection.numpy_arrays = self.arrays == "numpy"
        self._connection = connection
        self._say("connected to cloud using {0}!".format(transport.label))

    def _foreign_websocket(self, what):
        server = diagnose.websocket_server(self.url, self.connect_timeout) or "not named"
        return (
            "something other than a compas_cloud server answers at {0} (a websocket service, server: {1}): {2}; give "
            "Proxy the port of a compas_cloud server (one older than 0.5 needs updating)".format(self.address, server, what)
        )

    def _slow_handshake(self):
        if launcher.port_open(launcher.local_address(self.host), self.port, 1.0):
            return CloudTimeout(
                "{0} accepted the connection but did not finish the websocket handshake within {1:g} s: it is not a "
                "compas_cloud server, or one too busy to answer; check the port, or raise "
                "Proxy(connect_timeout=...)".format(self.address, self.connect_timeout)
            )
        return CloudTimeout(
            "nothing answered at {0} within {1:g} s: check the address (and a firewall between here and "
            "there)".format(self.address, self.connect_timeout)
        )

