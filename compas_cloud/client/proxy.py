"""The public face of the client: :class:`Proxy` and the remote functions it hands out."""
from __future__ import absolute_import

import sys
import threading

from compas_cloud.client import launcher, references
from compas_cloud.client.calling import Calls
from compas_cloud.client.handshake import Handshake
from compas_cloud.client.remote import RemoteFunction
from compas_cloud.client.server_requests import ServerRequests
from compas_cloud.client.servers import ServerPool, servers_from_env
from compas_cloud.client.transports import select_transport
from compas_cloud.errors import ConnectionFailed
from compas_cloud.protocol import Reference, address, reference_id


#: The values of ``Proxy(arrays=...)``.
_ARRAY_MODES = ("lists", "numpy", "json")


def parse_url(url):
    """Return ``(scheme, host, port)`` of ``ws://host:port`` or ``wss://host:port`` (see :func:`compas_cloud.protocol.address.parse_url`).

    Raises
    ------
    ValueError
        Another scheme, or no host.
    """
    scheme, host, port, _ = address.parse_url(url)
    return scheme, host, port


class Proxy(Calls, Handshake, ServerRequests):
    """A connection to a compas_cloud server, launching a local one if none answers.

    Parameters
    ----------
    host : str, optional
        The server's address.
    port : int, optional
        The server's port.
    python : str, optional
        The CPython interpreter (or environment folder) to launch a server
        with; see :mod:`compas_cloud.client.launcher` for the default choice.
    autolaunch : bool, optional
        Launch a local server when nothing answers at a local ``host``.
    transport : str, optional
        ``"dotnet"`` or ``"websocket-client"``; chosen for this interpreter by default.
    timeout : float, optional
        Seconds a call may take before :class:`~compas_cloud.errors.CloudTimeout` (None: no limit).
    connect_timeout : float, optional
        Seconds connecting (and the handshake) may take.
    launch_timeout : float, optional
        Seconds a launched server may take to listen.
    auto_stop : float, optional
        A launched server stops this many seconds after its last client left.
    verbose : bool, optional
        Print what the proxy connects to (Rhino shows it in its command line).
    progress : bool or callable, optional
        How calls show the progress their functions report (see docs/protocol.md):
        True for a tqdm bar or text lines, False for nothing, or ``f(done, total, message)``.
    output : bool or callable, optional
        Stream what called functions print: True prints it here, ``f(stream, text)`` receives it.
    arrays : str, optional
        How large numeric arrays travel: ``"lists"`` (the default: as raw bytes
        in binary messages when the server offers it, results rebuilt as lists,
        as with JSON), ``"numpy"`` (the same, but the server's numpy arrays come
        back as numpy arrays) or ``"json"`` (always as JSON text). IronPython 2.7
        sends and reads binary messages too (see compas_cloud.protocol.arrays).
    token : str, optional
        The server's token (see docs/security.md). By default: the environment
        variable ``COMPAS_CLOUD_TOKEN``, else the token of a server launched on
        this port by this user, else the default token file, else none. A
        server this proxy launches requires a token, which the proxy knows.
    server_options : list of str, optional
        More options for a server this proxy launches, as on the server's
        command line (``["--allow", "numpy", "--workers", "4"]``); a
        :meth:`restart` launches it with them again.
    url : str, optional
        The server's address as a URL, instead of ``host`` and ``port``:
        ``ws://host:port`` or ``wss://host:port`` (TLS; see docs/deploy.md).
        A ``wss://`` server is never launched.
    cafile : str, optional
        For ``wss://``: a PEM file of the certificate authorities to trust
        instead of the system's (a team's own CA). websocket-client transport only:
        the .NET transport uses the system's trust store.
    verify : bool, optional
        For ``wss://``: False accepts any certificate (tests only: anyone on
        the network could read and change the traffic).
    servers : list of str, optional
        Several running servers (``ws://host:port`` or ``host:port``): the proxy is
        then a :class:`~compas_cloud.client.servers.ServerPool` that sends stateless
        calls to the least busy live server. ``Proxy()`` without an address uses
        the list in ``COMPAS_CLOUD_SERVERS`` when it is set.

    Examples
    --------
    >>> proxy = Proxy()                                            # doctest: +SKIP
    >>> norm = proxy.function("numpy.linalg.norm")                 # doctest: +SKIP
    >>> norm([3, 4])                                               # doctest: +SKIP
    5.0
    """

    def __new__(cls, *args, **kwargs):
        # Proxy(servers=[...]), or Proxy() with COMPAS_CLOUD_SERVERS set, is a pool of servers.
        servers = kwargs.get("servers")
        if servers is None and not args and not set(kwargs) & set(("host", "port", "url")):
            servers = servers_from_env() or None
        if servers:
            options = dict(kwargs)
            options.pop("servers", None)
            return ServerPool(servers, **options)
        return object.__new__(cls)

    def __init__(
        self,
        host=address.DEFAULT_HOST,
        port=address.DEFAULT_PORT,
        python=None,
        autolaunch=True,
        transport=None,
        timeout=600.0,
        connect_timeout=5.0,
        launch_timeout=60.0,
        auto_stop=10.0,
        verbose=True,
        token=None,
        progress=True,
        output=False,
        arrays="lists",
        server_options=None,
        url=None,
        cafile=None,
        verify=True,
        servers=None,
    ):
        self.scheme = "ws"
        self._by_url = url is not None  # a pool's members, among others: no "let the proxy launch one" hint
        if url is not None:
            self.scheme, host, port = parse_url(url)
        self.host = host
        self.port = int(port)
        self.cafile = cafile
        self.verify = verify
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.verbose = verbose
        self.progress = progress
        self.output = output
        self.transport_class = select_transport(transport)
        if arrays not in _ARRAY_MODES:
            raise ValueError("arrays must be one of {0}, not {1!r}".format(", ".join(_ARRAY_MODES), arrays))
        self.arrays = arrays
        #: Where the server is, connect-or-launch, the token, the launched server's lifecycle.
        self.server = launcher.local_server(
            host, port, scheme=self.scheme, python=python, autolaunch=autolaunch, auto_stop=auto_stop,
            launch_timeout=launch_timeout, token=token, server_options=server_options,
        )
        self.server_info = None
        self._connection = None
        self._lock = threading.RLock()
        self._say(self.server.connect_or_launch(self._connect))

    # -- connecting -----------------------------------------------------------------

    @property
    def launched(self):
        """The :class:`~compas_cloud.client.launcher.LaunchedServer` this proxy started, or None."""
        return self.server.launched

    @property
    def token(self):
        """str or None: The token given to the proxy (see :meth:`LocalServer.client_token` for the one presented)."""
        return self.server.token

    @property
    def url(self):
        """str: The server's websocket address."""
        return address.make_url(self.host, self.port, secure=self.scheme == "wss")

    @property
    def dashboard_url(self):
        """str: The server's dashboard in a browser (``http://host:port/``, ``https://`` for ``wss://``)."""
        return "{0}://{1}/".format("https" if self.scheme == "wss" else "http", address.format_hostport(self.host, self.port))

    @property
    def address(self):
        return address.format_hostport(self.host, self.port)

    def _say(self, text):
        if self.verbose:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

    def reconnect(self):
        """Connect again (launching a server if none answers); stored references of the old connection are gone."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            self._say(self.server.connect_or_launch(self._connect))

    @property
    def connection(self):
        if self._connection is None:
            raise ConnectionFailed("the proxy is closed")
        return self._connection

    def _request(self, op, timeout, **fields):
        return self.connection.request(op, timeout=timeout, **fields)

    # -- stored values (the calls are compas_cloud.client.calling.Calls) --------------

    def cache(self, data):
        """Send ``data`` to the server once and return a :class:`Reference` to it.

        Parameters
        ----------
        data : object
            Any value a call could take as an argument.

        Returns
        -------
        Reference
            Pass it as an argument in place of the value; it stays valid until
            freed or until this connection closes.
        """
        return self._request("cache", self.timeout, data=data)

    def get(self, ref):
        """Return the value behind a reference.

        Parameters
        ----------
        ref : Reference or dict
            A reference of this connection (``{"cached": id}`` works too).

        Returns
        -------
        object

        Raises
        ------
        compas_cloud.errors.ReferenceNotFound
            The reference was freed, or belongs to another connection.
        """
        return self._request("get", self.timeout, ref=reference_id(ref))

    def free(self, ref):
        """Delete the value behind a reference (or a list of references) from the server.

        Parameters
        ----------
        ref : Reference or list of Reference
            What to delete.
        """
        refs = ref if isinstance(ref, (list, tuple)) else [ref]
        return self._request("free", self.timeout, refs=[reference_id(item) for item in refs])

    def replace(self, old, new):
        """Free the stored value ``old`` and return ``new``: a loop's way to keep one stored value at a time.

        ``points = proxy.replace(points, step(points, matrix))`` computes the
        next step from the stored ``points``, frees them, and keeps the new
        reference: the server holds one step, not one per step. Anything that
        is not a reference (the loop's first, local value), or the same
        reference as ``new``, is left alone; a reference already freed is not
        an error.

        Parameters
        ----------
        old : object
            The value ``new`` replaces: a :class:`Reference` to free, or any other value.
        new : object
            What replaces it (a :class:`Reference`, usually).

        Returns
        -------
        object
            ``new``.
        """
        return references.replace(self, old, new)

    def clear(self):
        """Delete every value this connection stored.

        Returns
        -------
        int
            How many values there were.
        """
        return self._request("clear", self.timeout)

    def close(self):
        """Close the connection. A server this proxy launched stops once no client is left."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        state = "open" if self._connection is not None else "closed"
        return "<compas_cloud.Proxy {0} ({1})>".format(self.address, state)


__all__ = ["Proxy", "RemoteFunction", "Reference"]
