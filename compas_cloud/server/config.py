"""Server settings, with the defaults the command line shows."""


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
    """

    def __init__(
        self,
        host="127.0.0.1",
        port=9009,
        workers=8,
        max_message_size=256 * 1024 * 1024,
        ping_interval=20.0,
        ping_timeout=60.0,
        auto_stop=None,
        shutdown_grace=10.0,
    ):
        self.host = host
        self.port = port
        self.workers = workers
        self.max_message_size = max_message_size
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.auto_stop = auto_stop
        self.shutdown_grace = shutdown_grace
