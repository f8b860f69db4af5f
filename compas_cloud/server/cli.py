"""``python -m compas_cloud.server``: the command line."""
import argparse
import asyncio
import errno
import logging
import os
import socket
import sys

from compas_cloud import __version__
from compas_cloud.protocol import address
from compas_cloud.server.app import Server
from compas_cloud.auth import TOKEN_ENV
from compas_cloud.server.config import ServerConfig
from compas_cloud.server.security import StartRefused, is_loopback, resolve_token

_MIB = 1024 * 1024


def build_parser():
    defaults = ServerConfig()
    parser = argparse.ArgumentParser(
        prog="python -m compas_cloud.server",
        description="Serve Python functions to compas_cloud clients (Rhino, Grasshopper, Revit, browsers) over websockets.",
    )
    parser.add_argument("--host", default=defaults.host, help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=defaults.port, help="port to bind; 0 picks a free one (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=defaults.workers, help="threads running calls (default: %(default)s)")
    parser.add_argument(
        "--max-message-size",
        type=float,
        default=defaults.max_message_size / _MIB,
        metavar="MIB",
        help="largest message accepted, in MiB (default: %(default)g)",
    )
    parser.add_argument("--ping-interval", type=float, default=defaults.ping_interval, metavar="SECONDS",
                        help="keepalive ping interval; 0 turns keepalive off (default: %(default)g)")
    parser.add_argument("--ping-timeout", type=float, default=defaults.ping_timeout, metavar="SECONDS",
                        help="drop a connection whose pong takes longer (default: %(default)g)")
    parser.add_argument("--auto-stop", type=float, default=None, metavar="SECONDS",
                        help="stop once no client has been connected for this long (servers launched by a client use this)")
    parser.add_argument("--shutdown-grace", type=float, default=defaults.shutdown_grace, metavar="SECONDS",
                        help="on shutdown, how long running calls may take to finish (default: %(default)g)")
    security = parser.add_argument_group("security and limits (see docs/security.md)")
    security.add_argument("--token", default=None,
                          help="require this token from every client (visible to other local users in the process "
                               "list: prefer the environment variable COMPAS_CLOUD_TOKEN or --token-file)")
    security.add_argument("--token-file", nargs="?", const="", default=None, metavar="PATH",
                          help="require the token stored in PATH (default: a file in the per-user config folder), "
                               "creating it with a new token and mode 0600 if it does not exist")
    security.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                          help="let web pages from ORIGIN (e.g. http://localhost:8000) connect; repeatable; "
                               "by default browser pages are refused")
    security.add_argument("--allow", action="append", default=[], metavar="MODULE",
                          help="only allow functions of MODULE and its submodules; repeatable")
    security.add_argument("--deny", action="append", default=[], metavar="MODULE",
                          help="never allow functions of MODULE and its submodules; repeatable")
    security.add_argument("--max-connection-memory", type=float, default=_mib(defaults.max_connection_memory),
                          metavar="MIB", help="most memory of stored references per connection, in MiB; 0: no limit "
                                              "(default: %(default)g)")
    security.add_argument("--max-total-memory", type=float, default=_mib(defaults.max_total_memory), metavar="MIB",
                          help="most memory of stored references of all connections, in MiB; 0: no limit "
                               "(default: %(default)g)")
    security.add_argument("--max-calls-per-connection", type=int, default=defaults.max_calls_per_connection,
                          metavar="N", help="most calls one connection may have running or queued; 0: no limit "
                                            "(default: %(default)s)")
    security.add_argument("--max-workers-per-connection", type=int, default=0, metavar="N",
                          help="most worker threads the calls of one connection may hold at once, so that one "
                               "connection cannot take them all (default: --workers minus one, at least one)")
    security.add_argument("--max-connections", type=int, default=0, metavar="N",
                          help="most clients connected at once; more are refused with 503 (default: three quarters "
                               "of the process's open-file limit)")
    security.add_argument("--callback-timeout", type=float, default=defaults.callback_timeout, metavar="SECONDS",
                          help="how long a function waits for the client's answer to a callback (default: %(default)g)")
    batches = parser.add_argument_group("batches and offloaded calls")
    batches.add_argument("--executor", choices=("local", "dask"), default=defaults.executor,
                         help="where batch tasks run: a local process pool, or a Dask cluster (default: %(default)s)")
    batches.add_argument("--executor-workers", type=int, default=None, metavar="N",
                         help="processes of the local pool (default: one per core)")
    batches.add_argument("--start-method", choices=("spawn", "forkserver", "fork"), default=defaults.start_method,
                         help="how the local pool starts processes (default: %(default)s, as on Windows and macOS)")
    batches.add_argument("--scheduler", default=None, metavar="ADDRESS",
                         help="the Dask scheduler, e.g. tcp://10.0.0.5:8786 (with --executor dask)")
    batches.add_argument("--scheduler-file", default=None, metavar="PATH",
                         help="a Dask scheduler file, instead of --scheduler")
    batches.add_argument("--offload", action="append", default=[], metavar="NAME",
                         help="run calls to this function (or module) on the executor; repeatable")
    tls = parser.add_argument_group("TLS and the dashboard (see docs/deploy.md)")
    tls.add_argument("--certfile", default=None, metavar="PATH",
                     help="PEM certificate (chain) to serve wss:// and https:// (needs --keyfile unless the key is in it)")
    tls.add_argument("--keyfile", default=None, metavar="PATH", help="PEM private key of --certfile")
    tls.add_argument("--open", action="store_true", help="open the dashboard in the default browser once listening")
    parser.add_argument("--result-cache", type=float, default=0, metavar="MIB",
                        help="keep up to MIB of call results for calls made with cache_result=True (default: off)")
    parser.add_argument("--no-inline", dest="inline", action="store_false",
                        help="run every call in the worker pool, even functions that proved fast (see docs/api/server.md)")
    parser.add_argument("--quiet", action="store_true", help="log warnings only")
    parser.add_argument("--version", action="version", version="compas_cloud " + __version__)
    return parser


def _mib(nbytes):
    return 0 if nbytes is None else nbytes / _MIB


def _bytes_or_none(mib):
    return int(mib * _MIB) if mib and mib > 0 else None


def config_from_args(args):
    """Build the :class:`ServerConfig` of parsed arguments.

    Raises
    ------
    StartRefused
        A non-loopback address without a token, or an unsafe token file.
    """
    if args.executor == "dask" and not (args.scheduler or args.scheduler_file):
        raise StartRefused("--executor dask needs the scheduler's address (--scheduler tcp://host:8786) or --scheduler-file")
    if args.keyfile and not args.certfile:
        raise StartRefused("--keyfile needs --certfile (the certificate it belongs to)")
    for option, path in (("--certfile", args.certfile), ("--keyfile", args.keyfile)):
        if path and not os.path.isfile(path):
            raise StartRefused("{0} {1}: no such file".format(option, path))
    token, source = resolve_token(args.token, args.token_file)
    if token is None and not is_loopback(args.host):
        raise StartRefused(
            "refusing to listen on {0}: it is not a loopback address, so other machines could run code here, "
            "and no token is set. Require one with --token-file (creates a private token file), the environment "
            "variable {1}, or --token; or listen on 127.0.0.1".format(args.host, TOKEN_ENV)
        )
    return ServerConfig(
        token=token,
        token_source=source,
        allow_origins=args.allow_origin,
        allow=args.allow,
        deny=args.deny,
        max_connection_memory=_bytes_or_none(args.max_connection_memory),
        max_total_memory=_bytes_or_none(args.max_total_memory),
        max_calls_per_connection=args.max_calls_per_connection or None,
        max_workers_per_connection=args.max_workers_per_connection or None,
        max_connections=args.max_connections or None,
        callback_timeout=args.callback_timeout if args.callback_timeout > 0 else ServerConfig().callback_timeout,
        host=args.host,
        port=args.port,
        workers=args.workers,
        max_message_size=int(args.max_message_size * _MIB),
        ping_interval=args.ping_interval or None,
        ping_timeout=args.ping_timeout or None,
        auto_stop=args.auto_stop,
        shutdown_grace=args.shutdown_grace,
        executor=args.executor,
        executor_workers=args.executor_workers,
        start_method=args.start_method,
        scheduler=args.scheduler,
        scheduler_file=args.scheduler_file,
        offload=args.offload,
        certfile=args.certfile,
        keyfile=args.keyfile,
        open_browser=args.open,
        result_cache=_bytes_or_none(args.result_cache),
        inline=args.inline,
    )


#: errno of a port another program holds: Linux/macOS (EADDRINUSE), Windows (WSAEADDRINUSE).
_IN_USE = {errno.EADDRINUSE, 10048}
_NOT_HERE = {errno.EADDRNOTAVAIL, 10049}


def _free_port_after(host, port):
    """The first port after ``port`` that can be bound on ``host`` now (``port + 1`` if none of the next 100 can)."""
    for candidate in range(port + 1, min(port + 101, 65536)):
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((address.connect_host(host) if host in ("localhost", "") else host, candidate))
            except OSError:
                continue
            return candidate
    return port + 1


def start_problem(error, config):
    """Return why the server could not listen, in one line that says what to do."""
    where = address.format_hostport(config.host, config.port)
    code = getattr(error, "errno", None)
    if code in _IN_USE:
        return (
            "port {0} on {1} is already taken (by a compas_cloud server still running? see http://{2}/ ; or by another "
            "program): stop it, or choose another port: --port {3}".format(
                config.port, config.host, address.format_hostport(address.connect_host(config.host), config.port),
                _free_port_after(config.host, config.port))
        )
    if code in _NOT_HERE:
        return "{0} is not an address of this machine: listen on 127.0.0.1, or on one of its own addresses (--host)".format(where)
    if code == errno.EACCES:
        return "listening on {0} is not permitted (ports below 1024 need administrator rights): choose --port 9009".format(where)
    return str(error)


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("websockets").setLevel(logging.WARNING)  # one line per connection is ours to log
    try:
        config = config_from_args(args)
    except (StartRefused, OSError) as error:
        print("compas_cloud server will not start: {0}".format(error), file=sys.stderr)
        return 2
    server = Server(config)
    try:
        asyncio.run(server.serve())
    except KeyboardInterrupt:  # Windows, where asyncio has no signal handlers
        print("compas_cloud server stopped")
    except OSError as error:  # ssl.SSLError (a bad certificate or key) is one too
        print("compas_cloud server could not start: {0}".format(start_problem(error, config)), file=sys.stderr)
        return 1
    if server.busy_workers():
        # A call that outlived the shutdown grace period keeps its thread alive; do not wait for it.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0
