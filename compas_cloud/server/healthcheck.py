"""``python -m compas_cloud.server.healthcheck``: is the server on this machine serving?

For a container's ``HEALTHCHECK`` and other exec probes. Asks
``http://127.0.0.1:PORT/healthz``, and ``https://`` when the server speaks TLS
(``--certfile``); exits 0 on a 200 answer, 1 otherwise (no answer, or 503 while
the server shuts down), and prints what it saw.

Over ``https://`` the certificate is not checked: the probe asks this machine's
own server over loopback, where a certificate issued for the server's public
name cannot match, and it sends nothing secret (``/healthz`` needs no token).
"""
import argparse
import os
import ssl
import sys
import urllib.error
import urllib.request

from compas_cloud.protocol.address import DEFAULT_HOST, DEFAULT_PORT, format_hostport


def probe(port, host=DEFAULT_HOST, timeout=4.0):
    """Return ``(healthy, text)`` for the server at ``host:port``, over HTTP, then HTTPS."""
    attempts = []
    for scheme in ("http", "https"):
        url = "{0}://{1}/healthz".format(scheme, format_hostport(host, port))
        context = None
        if scheme == "https":
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        try:
            with urllib.request.urlopen(url, timeout=timeout, context=context) as answer:
                body = answer.read().decode("utf-8", "replace").strip()
                return answer.status == 200, "{0} {1} {2}".format(url, answer.status, body)
        except urllib.error.HTTPError as error:  # it answered: 503 while shutting down
            return False, "{0} {1} {2}".format(url, error.code, error.read().decode("utf-8", "replace").strip())
        except Exception as error:  # nothing listens, or the other scheme: try the next one
            attempts.append("{0}: {1}".format(url, error))
    return False, "; ".join(attempts)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m compas_cloud.server.healthcheck",
                                     description="Exit 0 if the compas_cloud server on this machine serves.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("COMPAS_CLOUD_PORT") or DEFAULT_PORT),
                        help="the server's port (default: $COMPAS_CLOUD_PORT or 9009)")
    parser.add_argument("--host", default=DEFAULT_HOST, help="the address to ask (default: 127.0.0.1)")
    parser.add_argument("--timeout", type=float, default=4.0, help="seconds per attempt (default: 4)")
    args = parser.parse_args(argv)
    healthy, text = probe(args.port, args.host, args.timeout)
    print(("healthy: " if healthy else "unhealthy: ") + text)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
