"""``python -m compas_cloud.server``: the command line."""
import argparse
import asyncio
import logging
import os
import sys

from compas_cloud import __version__
from compas_cloud.server.app import Server
from compas_cloud.server.config import ServerConfig

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
    parser.add_argument("--quiet", action="store_true", help="log warnings only")
    parser.add_argument("--version", action="version", version="compas_cloud " + __version__)
    return parser


def config_from_args(args):
    return ServerConfig(
        host=args.host,
        port=args.port,
        workers=args.workers,
        max_message_size=int(args.max_message_size * _MIB),
        ping_interval=args.ping_interval or None,
        ping_timeout=args.ping_timeout or None,
        auto_stop=args.auto_stop,
        shutdown_grace=args.shutdown_grace,
    )


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    server = Server(config_from_args(args))
    try:
        asyncio.run(server.serve())
    except KeyboardInterrupt:  # Windows, where asyncio has no signal handlers
        print("compas_cloud server stopped")
    except OSError as error:
        print("compas_cloud server could not start: {0}".format(error), file=sys.stderr)
        return 1
    if server.busy_workers():
        # A call that outlived the shutdown grace period keeps its thread alive; do not wait for it.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0
