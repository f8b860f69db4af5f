"""The server a proxy talks to, seen from the client: connect-or-launch, its token, its lifecycle.

A :class:`LocalServer` knows where the server is and how to start one on
this machine: it connects through the function the proxy gives it and, when
nothing answers at a local address, launches a server
(:func:`compas_cloud.client.launcher.launch`) and connects again. It finds
the token to present (given, the launched server's, or the files and
environment :mod:`compas_cloud.auth` looks at), and it restarts a server it
launched with the same options. :class:`~compas_cloud.Proxy` keeps only the
calling API and asks its ``LocalServer`` for the rest.

Python 2.7 and IronPython safe.
"""
from __future__ import absolute_import

from compas_cloud import auth
from compas_cloud.client import launcher
from compas_cloud.errors import CloudError, ServerNotFound
from compas_cloud.protocol import address

__all__ = ["LocalServer"]


class LocalServer(object):
    """Where a proxy's server is, and the server it launched, if any.

    Parameters
    ----------
    host, port : str, int
        The server's address.
    scheme : str, optional
        ``"ws"`` or ``"wss"``; a ``wss://`` server is never launched.
    python : str, optional
        The interpreter (or environment folder) to launch a server with.
    autolaunch : bool, optional
        Launch a server when nothing answers at a local ``host``.
    auto_stop : float, optional
        A launched server stops this many seconds after its last client left.
    launch_timeout : float, optional
        Seconds a launched server may take to listen.
    token : str, optional
        The token to present (and to give a launched server).
    server_options : list of str, optional
        More command-line options for a launched server.

    Attributes
    ----------
    launched : compas_cloud.client.launcher.LaunchedServer or None
        The server this object launched (None if one was running already).
    """

    def __init__(self, host, port, scheme="ws", python=None, autolaunch=True, auto_stop=10.0, launch_timeout=60.0,
                 token=None, server_options=None):
        self.host = host
        self.port = int(port)
        self.scheme = scheme
        self.python = python
        self.autolaunch = autolaunch
        self.auto_stop = auto_stop
        self.launch_timeout = launch_timeout
        self.token = token
        self.server_options = list(server_options or [])
        self.launched = None

    @property
    def address(self):
        """str: ``host:port`` (IPv6 hosts in brackets)."""
        return address.format_hostport(self.host, self.port)

    @property
    def is_local(self):
        """bool: The server's host is this machine."""
        return launcher.is_local(self.host)

    @property
    def can_launch(self):
        """bool: A server may be launched here when none answers."""
        return bool(self.autolaunch and self.scheme == "ws" and self.is_local)

    def client_token(self):
        """Return the token to present: the given one, the launched server's, or the one :mod:`~compas_cloud.auth` finds."""
        return self.client_token_and_source()[0]

    def client_token_and_source(self):
        """Return ``(token, where it came from)`` (the source names it in error messages); ``(None, ...)`` for none."""
        if self.token:
            return self.token, "Proxy(token=...)"
        if self.launched is not None and getattr(self.launched, "token", None):
            return self.launched.token, "the server this proxy launched"
        return auth.find_client_token_and_source(self.port if self.is_local else None)

    def connect_or_launch(self, connect):
        """Call ``connect()``; if nothing answers and launching is allowed, launch a server and call it again.

        Returns
        -------
        str
            What happened, for the user: connected to a running server, or started one.

        Raises
        ------
        AccessDenied
            A server answered and refused the client (launching another cannot help).
        ServerNotFound
            Nothing answered and no server may be launched here.
        """
        try:
            connect()
        except ServerNotFound:  # nothing answers (a server that refused us is AccessDenied: launching cannot help)
            if not self.can_launch:
                raise
            self.launched = launcher.launch(
                self.host, self.port, python=self.python, auto_stop=self.auto_stop, timeout=self.launch_timeout,
                token=self.token, extra_args=self.server_options,
            )
            connect()
            return "Started a new server at {0} (log: {1})".format(self.address, self.launched.log_path)
        return "Reconnected to an existing server at {0}".format(self.address)

    def wait_stopped(self, timeout=30.0):
        """Wait for a server this object launched to end (after a shutdown request); True if it did."""
        if self.launched is None:
            return True
        return self.launched.wait(timeout)

    def check_restartable(self):
        """Raise :class:`CloudError` unless the server was launched here (so it can be launched again the same way)."""
        if not self.is_local:
            raise CloudError("cannot restart the server at {0}: it is not on this machine".format(self.address))
        if self.launched is None or getattr(self.launched, "options", None) is None:
            raise CloudError(
                "cannot restart the server at {0}: this proxy did not launch it (it was already running when the proxy "
                "connected), so it does not know how it was started. Restart it where it was started, or stop it "
                "(shutdown) and connect again to launch one".format(self.address)
            )

    def relaunch(self, timeout=30.0):
        """Launch the server again with the options of the first launch, once its port is free.

        Raises
        ------
        CloudError
            Something still listens on the port ``timeout`` seconds later.
        """
        self.check_restartable()
        options = self.launched.options
        if not launcher.wait_until_closed(self.host, self.port, timeout):
            raise CloudError(
                "cannot restart the server at {0}: something still listens there {1:g} s after the "
                "shutdown request (a server this client may not stop?)".format(self.address, timeout)
            )
        self.launched = options.launch()
        return self.launched

    def __repr__(self):
        state = "launched pid {0}".format(self.launched.pid) if self.launched is not None else "not launched here"
        return "<LocalServer {0} ({1})>".format(self.address, state)
