"""Plain HTTP on the server's own port: ``/healthz``, ``/metrics`` and the dashboard.

``websockets`` hands every opening request to ``process_request`` before the
upgrade. A GET without ``Upgrade: websocket`` whose path is in the route
table is answered here; everything else goes on to the access policy and the
websocket handshake, exactly as before.

| path | token | what |
|---|---|---|
| ``/healthz`` | never | 200 JSON while serving, 503 while shutting down |
| ``/metrics`` | if the server has one | Prometheus text format |
| ``/``, ``/dashboard`` and its assets | never (nothing private) | the dashboard page |
| ``/api/state`` | if the server has one | what the dashboard shows, as JSON |
| ``/api/action`` | always (refused on a server without token) | cancel a call, free a connection's references, shut down |

``/metrics`` and ``/api/*`` also follow the origin rule of the websocket: a request carrying
an ``Origin`` header is refused unless it is the server's own origin or one
given with ``--allow-origin``; on a loopback server the ``Host`` header must
name a loopback address or the host of an ``--allow-origin`` (no DNS rebinding).
"""
import hmac
import http
import json
import logging
import os
import urllib.parse

from websockets.datastructures import Headers
from websockets.http11 import Response

from compas_cloud import __version__
from compas_cloud.server.metrics import prometheus_text
from compas_cloud.server.security import is_loopback

log = logging.getLogger("compas_cloud.server")

DASHBOARD_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboard")

_ASSETS = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/dashboard": ("index.html", "text/html; charset=utf-8"),
    "/dashboard/": ("index.html", "text/html; charset=utf-8"),
    "/dashboard/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/dashboard/style.css": ("style.css", "text/css; charset=utf-8"),
}

_LOOPBACK_NAMES = ("localhost",)

#: Who cancelled a call cancelled from the dashboard, as the client's CallCancelled error says.
DASHBOARD_CANCEL = "an operator on the server's dashboard"


def response(status, body, content_type="text/plain; charset=utf-8", extra=None):
    """Build a ``websockets`` HTTP response with the headers every answer here carries."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = Headers()
    headers["Content-Type"] = content_type
    headers["Content-Length"] = str(len(body))
    headers["Cache-Control"] = "no-store"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Connection"] = "close"
    for key, value in (extra or {}).items():
        headers[key] = value
    return Response(int(status), http.HTTPStatus(status).phrase, headers, body)


def json_response(status, value):
    return response(status, json.dumps(value, sort_keys=True), "application/json")


def _bearer(request):
    values = request.headers.get_all("Authorization")
    if len(values) != 1:
        return None
    scheme, _, token = values[0].partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def _host_name(value):
    """Return the host of a ``Host`` header (``[::1]:9009`` -> ``[::1]``)."""
    if value.startswith("["):
        return value[:value.find("]") + 1]
    return value.rsplit(":", 1)[0]


class HttpRoutes(object):
    """The plain HTTP answers of one :class:`~compas_cloud.server.app.Server`."""

    def __init__(self, server):
        self.server = server
        self.routes = {"/healthz": self.healthz, "/metrics": self.metrics, "/api/state": self.state,
                       "/api/action": self.action}
        for path in _ASSETS:
            self.routes[path] = self.asset

    # -- the hook ---------------------------------------------------------------------

    def process_request(self, connection, request):
        """``process_request`` of ``websockets.serve``: plain HTTP routes first, then the access policy."""
        path = urllib.parse.urlsplit(request.path).path
        upgrade = ",".join(request.headers.get_all("Upgrade")).lower()
        route = self.routes.get(path)
        if route is not None and "websocket" not in upgrade:
            try:
                return route(request, path)
            except Exception:  # a bug here must not end the server: answer 500
                log.exception("internal error answering %s", path)
                return response(500, "internal error\n")
        return self.server.policy.process_request(connection, request)

    # -- checks -----------------------------------------------------------------------

    def _token_problem(self, request, required=False):
        """Return a 401 response if the request lacks the server's token (None if it may go on)."""
        token = self.server.config.token
        if token is None:
            if required:
                return response(403, "this server has no token, so nothing can change it over HTTP: start it with "
                                     "--token-file or COMPAS_CLOUD_TOKEN to use the dashboard's actions\n")
            return None
        presented = _bearer(request)
        if presented is None or not hmac.compare_digest(presented.encode("utf-8"), token.encode("utf-8")):
            self.server.policy.refused += 1
            return response(401, "compas_cloud needs its token: send the header 'Authorization: Bearer <token>'\n",
                            extra={"WWW-Authenticate": 'Bearer realm="compas_cloud"'})
        return None

    def own_origins(self, request):
        host = request.headers.get("Host", "")
        scheme = "https" if self.server.config.tls else "http"
        return {"{0}://{1}".format(scheme, host).lower()}

    def _origin_problem(self, request):
        origins = request.headers.get_all("Origin")
        if len(origins) > 1:
            return response(403, "two Origin headers\n")
        if origins:
            origin = origins[0].strip().rstrip("/").lower()
            if origin not in self.own_origins(request) and origin not in self.server.policy.origins:
                self.server.policy.refused += 1
                return response(403, "compas_cloud refuses requests from the web page at {0}\n".format(origins[0]))
        fetch_site = request.headers.get("Sec-Fetch-Site")
        if fetch_site is not None and fetch_site not in ("same-origin", "none") and not origins:
            self.server.policy.refused += 1
            return response(403, "compas_cloud refuses cross-site requests\n")
        if is_loopback(self.server.config.host):
            host = _host_name(request.headers.get("Host", "")).lower()
            allowed = set(urllib.parse.urlsplit(origin).hostname for origin in self.server.policy.origins)
            if not (host in _LOOPBACK_NAMES or is_loopback(host) or host in allowed):
                self.server.policy.refused += 1
                return response(403, "this server only answers requests addressed to a loopback name\n")
        return None

    # -- the routes -------------------------------------------------------------------

    def healthz(self, request, path):
        server = self.server
        body = {
            "status": "stopping" if server.stopping else "ok",
            "version": __version__,
            "uptime": round(server.uptime(), 3),
            "connections": len(server.sessions),
            "calls_running": len(server.monitor.running),
        }
        return json_response(503 if server.stopping else 200, body)

    def metrics(self, request, path):
        problem = self._origin_problem(request) or self._token_problem(request)
        if problem is not None:
            return problem
        return response(200, prometheus_text(self.server.snapshot()), "text/plain; version=0.0.4; charset=utf-8")

    def asset(self, request, path):
        name, content_type = _ASSETS[path]
        with open(os.path.join(DASHBOARD_DIR, name), "rb") as handle:
            body = handle.read()
        extra = {
            "Content-Security-Policy": "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
                                       "frame-ancestors 'none'",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
        }
        return response(200, body, content_type, extra)

    def state(self, request, path):
        problem = self._origin_problem(request) or self._token_problem(request)
        if problem is not None:
            return problem
        state = self.server.dashboard_state()
        state["actions"] = self.server.config.token is not None
        return json_response(200, state)

    def action(self, request, path):
        problem = self._origin_problem(request) or self._token_problem(request, required=True)
        if problem is not None:
            return problem
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.path).query)

        def field(name):
            values = query.get(name)
            return values[0] if values else None

        what = field("do")
        server = self.server
        if what == "shutdown":
            log.info("shutdown requested from the dashboard")
            server.request_stop("shutdown requested from the dashboard")
            return json_response(200, {"done": True})
        session = server.session_by_id(field("connection"))
        if what not in ("cancel", "free"):
            return json_response(400, {"error": "do must be cancel, free or shutdown"})
        if session is None:
            return json_response(404, {"error": "no such connection"})
        if what == "cancel":
            call = field("call")
            for key in list(session.running_calls):
                if str(key) == call:
                    log.info("call %r of %s cancelled from the dashboard", key, session.peer)
                    return json_response(200, {"done": session.cancel(key, by=DASHBOARD_CANCEL)})
            return json_response(404, {"error": "no such call running"})
        freed = server.free_session_references(session)
        log.info("%d references of %s freed from the dashboard", freed, session.peer)
        return json_response(200, {"done": True, "freed": freed})
