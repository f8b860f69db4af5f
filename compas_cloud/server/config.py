"""Server settings, with the defaults the command line shows."""
from compas_cloud.protocol import address


class ServerConfig:
    """How a server runs.

    Parameters
    ----------
    host : str
        Address to bind; loopback by default.
    port : int
        Port to bind; 0 picks a free one (the address printed at start says which).
    workers : int
        Threads that run called functions.
    max_message_size : int
        Largest message accepted, in bytes.
    ping_interval, ping_timeout : float or None
        Keepalive: seconds between pings, and how long a pong may take before
        the connection is dropped as dead. Pings are answered by the event
        loop, so a long call never delays them.
    auto_stop : float or None
        If set, stop once no client has been connected for this many seconds
        (used by servers that a client launched for itself).
    shutdown_grace : float
        On shutdown, how long running calls may take to finish.
    token : str or None
        The token every client must present (None: none required, which is
        only allowed on a loopback address).
    token_source : str or None
        Where the token came from (reported at start).
    allow_origins : list of str
        Browser origins allowed to connect (none by default).
    allow, deny : list of str
        Modules whose functions may / may not be called (empty: no restriction).
    max_connection_memory, max_total_memory : int or None
        Most bytes of stored references for one connection, and for all
        connections together (None: no limit).
    max_calls_per_connection : int or None
        Most calls one connection may have running or queued at once.
    max_workers_per_connection : int or None
        Most worker threads the calls of one connection may hold at once
        (None: one less than ``workers``, at least one), so that one
        connection cannot take every worker.
    callback_timeout : float
        Seconds a function waits for the client's answer to an awaited callback.
    max_connections : int or None
        Most clients connected at once; further handshakes are refused with 503
        (None: below the process's file-descriptor limit, see :meth:`connection_limit`).
    executor : str
        Where batch tasks and offloaded calls run: ``"local"`` (a process pool
        on this machine) or ``"dask"`` (a Dask distributed cluster).
    executor_workers : int or None
        Processes of the local pool (None: one per core).
    start_method : str
        How the local pool starts its processes (``"spawn"``, as on Windows and macOS).
    scheduler, scheduler_file : str or None
        The Dask scheduler's address (``tcp://host:8786``) or scheduler file.
    offload : list of str
        Functions (dotted names, or module prefixes) whose calls always run on the executor.
    certfile, keyfile : str or None
        A PEM certificate (chain) and its private key: serve ``wss://`` and ``https://``.
    open_browser : bool
        Open the dashboard in the default browser once the server listens.
    result_cache : int or None
        Bytes of call results kept for calls made with ``cache_result=True``
        (None: no result cache; see :mod:`compas_cloud.server.result_cache`).
    inline : bool
        Run calls of functions that proved fast on the event loop, without the
        worker-pool hop (see :mod:`compas_cloud.server.inline`).
    """

    def __init__(
        self,
        host=address.DEFAULT_HOST,
        port=address.DEFAULT_PORT,
        workers=8,
        max_message_size=256 * 1024 * 1024,
        ping_interval=20.0,
        ping_timeout=60.0,
        auto_stop=None,
        shutdown_grace=10.0,
        token=None,
        token_source=None,
        allow_origins=(),
        allow=(),
        deny=(),
        max_connection_memory=4096 * 1024 * 1024,
        max_total_memory=16384 * 1024 * 1024,
        max_calls_per_connection=64,
        max_workers_per_connection=None,
        callback_timeout=300.0,
        max_connections=None,
        executor="local",
        executor_workers=None,
        start_method="spawn",
        scheduler=None,
        scheduler_file=None,
        offload=(),
        certfile=None,
        keyfile=None,
        open_browser=False,
        result_cache=None,
        inline=True,
    ):
        self.host = host
        self.port = port
        self.workers = workers
        self.max_message_size = max_message_size
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.auto_stop = auto_stop
        self.shutdown_grace = shutdown_grace
        self.token = token
        self.token_source = token_source
        self.allow_origins = list(allow_origins)
        self.allow = list(allow)
        self.deny = list(deny)
        self.max_connection_memory = max_connection_memory
        self.max_total_memory = max_total_memory
        self.max_calls_per_connection = max_calls_per_connection
        self.max_workers_per_connection = max_workers_per_connection
        self.callback_timeout = callback_timeout
        self.max_connections = max_connections
        self.executor = executor
        self.executor_workers = executor_workers
        self.start_method = start_method
        self.scheduler = scheduler
        self.scheduler_file = scheduler_file
        self.offload = list(offload)
        self.certfile = certfile
        self.keyfile = keyfile
        self.open_browser = open_browser
        self.result_cache = result_cache
        self.inline = inline

    def connection_limit(self):
        """Return the most clients connected at once: ``max_connections``, else what the descriptor limit allows.

        The default leaves room below the process's limit on open files (``ulimit -n``) for the
        server's own files, sockets and worker processes: a quarter of it, and at least 64.
        """
        if self.max_connections:
            return self.max_connections
        try:
            import resource

            soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        except (ImportError, ValueError, OSError):  # Windows: no descriptor limit of this kind
            return None
        if soft == resource.RLIM_INFINITY or soft <= 0:
            return None
        return max(1, min(soft - max(64, soft // 4), 100000))

    def workers_per_connection(self):
        """Return how many worker threads one connection's calls may hold at once."""
        if self.max_workers_per_connection:
            return max(1, min(self.max_workers_per_connection, self.workers))
        return max(1, self.workers - 1)

    @property
    def tls(self):
        """bool: The server speaks TLS (``wss://``)."""
        return bool(self.certfile)
