"""Who may connect and what they may call: origin check, token, module allow/deny lists.

Everything here runs on the server (CPython >= 3.9).
"""
import hmac
import logging
import os
import stat
import urllib.parse

from compas_cloud.auth import (
    QUERY_PARAMETER,
    SUBPROTOCOL_PREFIX,
    TOKEN_ENV,
    default_token_file,
    load_or_create_token,
)
from compas_cloud.errors import FunctionNotAllowed
from compas_cloud.protocol import address
from compas_cloud.server import risky

log = logging.getLogger("compas_cloud.server")

#: Refused origins (and refused tokens) are logged once each, up to this many, so a page that retries cannot flood the log.
_LOGGED_REFUSALS = 20


class StartRefused(Exception):
    """The server's settings are unsafe or inconsistent; the message says what to change."""


def is_loopback(host):
    """Return True if binding ``host`` only accepts connections from this machine.

    See :func:`compas_cloud.protocol.address.is_loopback`.
    """
    return address.is_loopback(host)


def resolve_token(token=None, token_file=None, environ=None):
    """Return ``(token, source)``: the token the server requires, and where it came from.

    ``--token`` wins over ``--token-file``, which wins over ``COMPAS_CLOUD_TOKEN``.

    Parameters
    ----------
    token : str, optional
        Given on the command line (``--token``).
    token_file : str, optional
        ``--token-file``: read the token there, creating the file (0600) with a
        new token if it does not exist. An empty string means the default file
        (:func:`compas_cloud.auth.default_token_file`).
    environ : dict, optional
        The environment (``os.environ`` by default), for ``COMPAS_CLOUD_TOKEN``.

    Raises
    ------
    StartRefused
        The token file can be read by other users.
    """
    environ = os.environ if environ is None else environ
    if token:
        return token, "--token"
    if token_file is None and environ.get(TOKEN_ENV, "").strip():
        return environ[TOKEN_ENV].strip(), "the environment variable " + TOKEN_ENV
    if token_file is not None:
        path = token_file or default_token_file()
        value, created = load_or_create_token(path)
        if os.name == "posix":
            mode = stat.S_IMODE(os.stat(path).st_mode)
            if mode & 0o077:
                raise StartRefused(
                    "the token file {0} can be read by other users (mode {1:o}): run chmod 600 {0}".format(path, mode)
                )
        return value, "the token file {0}{1}".format(path, " (created now)" if created else "")
    return None, None


def _normalise_origin(origin):
    return origin.strip().rstrip("/").lower()


class AccessPolicy:
    """The rules a server applies to connections and calls.

    Parameters
    ----------
    token : str or None
        The token every client must present; None requires none.
    origins : list of str
        Browser origins (``scheme://host:port``) allowed to connect. A
        connection whose handshake carries an ``Origin`` header is refused
        unless the origin is listed; connections without ``Origin`` (every
        non-browser client) are not affected.
    allow : list of str
        If not empty, only functions in these modules (and their submodules)
        may be called.
    deny : list of str
        Functions in these modules may never be called (wins over ``allow``).
    """

    def __init__(self, token=None, origins=(), allow=(), deny=()):
        self.token = token
        self.origins = set(_normalise_origin(origin) for origin in origins)
        self.allow = tuple(allow)
        self.deny = tuple(deny)
        self.refused = 0
        self._logged = set()

    # -- the handshake ------------------------------------------------------------

    def process_request(self, connection, request):
        """``process_request`` hook of ``websockets.serve``: refuse a handshake with 403 or 401."""
        origins = request.headers.get_all("Origin")
        origin = ", ".join(origins) if origins else None
        # The server's own address (websocket-client sends http://host:port of where it connects) is no foreign page.
        own = own_origins(connection) if origin is not None else ()
        if origin is not None and (
            len(origins) > 1 or (_normalise_origin(origin) not in self.origins and _normalise_origin(origin) not in own)
        ):
            self.refused += 1
            self._log_once(
                ("origin", origin),
                "refused a connection from the web page at {0}: browser origins are refused unless the server is "
                "started with --allow-origin {0}".format(origin[:200]),
            )
            return connection.respond(
                403,
                "compas_cloud refuses connections from the web page at {0}: browser origins are refused "
                "unless the server is started with --allow-origin {0}\n".format(origin),
            )
        if self.token is None:
            return None
        presented = self._presented_token(request)
        if presented is None:
            self.refused += 1
            self._log_once("no token", "refused a client that sent no token (this server requires one): give the "
                                       "client the server's token (Proxy(token=...) or COMPAS_CLOUD_TOKEN)")
            return connection.respond(
                401,
                "compas_cloud needs a token: send the handshake header 'Authorization: Bearer <token>', "
                "the websocket subprotocol '{0}<token>' or the URL query '?{1}=<token>'\n".format(
                    SUBPROTOCOL_PREFIX, QUERY_PARAMETER
                ),
            )
        if not hmac.compare_digest(presented.encode("utf-8"), self.token.encode("utf-8")):
            self.refused += 1
            self._log_once("wrong token", "refused a client whose token is not this server's token: give the client "
                                          "the token this server was started with")
            return connection.respond(401, "compas_cloud refused the token: it is not this server's token\n")
        return None

    def _log_once(self, key, text):
        if key not in self._logged and len(self._logged) < _LOGGED_REFUSALS:
            self._logged.add(key)
            log.warning("%s", text)

    @staticmethod
    def _presented_token(request):
        headers = request.headers.get_all("Authorization")
        header = headers[0] if len(headers) == 1 else None
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() == "bearer" and value.strip():
                return value.strip()
        for offered in _offered_subprotocols(request.headers):
            if offered.startswith(SUBPROTOCOL_PREFIX):
                return offered[len(SUBPROTOCOL_PREFIX):]
        query = urllib.parse.urlsplit(request.path).query
        values = urllib.parse.parse_qs(query).get(QUERY_PARAMETER)
        if values:
            return values[0]
        return None

    @staticmethod
    def select_subprotocol(connection, offered):
        """``select_subprotocol`` hook: answer a token subprotocol, so that browsers accept the handshake."""
        for name in offered:
            if name.startswith(SUBPROTOCOL_PREFIX):
                return name
        return None

    # -- calls --------------------------------------------------------------------

    @property
    def restricted(self):
        """bool: True if an allow-list or a deny-list is in force."""
        return bool(self.allow or self.deny)

    def check_module(self, module_name, function_name):
        """Raise :class:`FunctionNotAllowed` if functions of ``module_name`` may not be called."""
        if not self.restricted:
            return
        if _within(module_name, self.deny):
            raise FunctionNotAllowed(
                "{0!r} may not be called: the module {1!r} is on this server's deny-list (--deny)".format(
                    function_name, _matching(module_name, self.deny)
                )
            )
        if self.allow and not _within(module_name, self.allow):
            raise FunctionNotAllowed(
                "{0!r} may not be called: this server only allows functions of {1} (its --allow list); "
                "start it with --allow {2} to allow this one".format(
                    function_name, ", ".join(self.allow), module_name.split(".")[0]
                )
            )

    def check_dtype(self, dtype):
        """Check the ``dtype`` of a COMPAS object in a request before its module is imported."""
        if not self.restricted:
            return
        module = dtype.split("/")[0] if isinstance(dtype, str) else ""
        self.check_name(module or repr(dtype))

    def check_name(self, name):
        """Check a dotted function name before anything is imported for it."""
        if not self.restricted:
            return
        if any(part.startswith("__") for part in name.split(".")):
            raise FunctionNotAllowed(
                "{0!r} may not be called: names with double-underscore parts are refused when --allow or "
                "--deny is in force".format(name)
            )
        self.check_module(name, name)
        self.check_risky(name, name)

    def check_risky(self, path, function_name):
        """Refuse ``path`` if the built-in list of risky entry points covers it (:mod:`risky`).

        An entry is let through when the allow-list names it, or a part of it, explicitly
        (``--allow numpy.load``); without an allow- or deny-list nothing is checked.
        """
        if not self.restricted:
            return
        entry = risky.matches(path)
        if entry is None:
            return
        for allowed in self.allow:
            if (allowed == entry or allowed.startswith(entry + ".")) and _within(path, (allowed,)):
                return
        raise FunctionNotAllowed(
            "{0!r} may not be called: {1!r} is on the built-in list of entry points that run code, load "
            "pickles, read or write files or start processes, which stay refused inside allowed modules; "
            "start the server with --allow {1} to allow it by name".format(function_name, entry)
        )

    def check_object(self, obj, function_name):
        """Check what a name resolved to, by the object's own module and qualified name.

        ``numpy.load`` and ``numpy.lib.npyio.load`` are the same function: whatever name
        reached it, the function's home module must be allowed and its home name not risky.
        """
        if not self.restricted:
            return
        module = getattr(obj, "__module__", None)
        qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
        if not isinstance(module, str) or not module or not isinstance(qualname, str):
            return
        home = module + "." + qualname
        if _within(module, self.deny) or module.split(".")[0] in risky.SYSTEM:
            self.check_module(module, function_name)  # numpy.xyz that is really os.system or builtins.eval
        if risky.matches(home) is not None and risky.matches(function_name) is None:
            self.check_risky(home, function_name)

    def warnings(self):
        """Return warnings about allowed modules known to be too broad (printed at start)."""
        lines = []
        for allowed in self.allow:
            reason = risky.BROAD.get(allowed)
            if reason is not None:
                lines.append("warning: --allow {0} is broad: it {1}".format(allowed, reason))
        return lines

    def describe(self):
        """Return the lines that report the policy at start-up."""
        lines = []
        if self.origins:
            lines.append("browser origins allowed: " + ", ".join(sorted(self.origins)))
        else:
            lines.append("browser origins allowed: none (web pages cannot connect; see --allow-origin)")
        if self.allow:
            lines.append("functions allowed: modules " + ", ".join(self.allow))
        else:
            lines.append("functions allowed: any importable function (restrict with --allow MODULE)")
        if self.deny:
            lines.append("functions denied: modules " + ", ".join(self.deny))
        return lines


def own_origins(connection):
    """Return the origins of the address ``connection`` reached the server at (``http://127.0.0.1:9009``).

    Only a page the server itself serves can have such an origin. On a loopback
    address the loopback names (``localhost``, ``127.0.0.1``, ``[::1]``) count too.
    """
    transport = getattr(connection, "transport", None)
    try:
        sockname = transport.get_extra_info("sockname")
        host, port = sockname[0], int(sockname[1])
    except Exception:  # not a socket, or already closed
        return set()
    scheme = "https" if transport.get_extra_info("sslcontext") is not None else "http"
    hosts = {host}
    if address.is_loopback(host):
        hosts.update(("localhost", "127.0.0.1", "::1"))
    return set(
        "{0}://{1}:{2}".format(scheme, "[{0}]".format(name) if ":" in name else name, port).lower() for name in hosts
    )


def _within(module_name, prefixes):
    return any(module_name == prefix or module_name.startswith(prefix + ".") for prefix in prefixes)


def _matching(module_name, prefixes):
    for prefix in prefixes:
        if module_name == prefix or module_name.startswith(prefix + "."):
            return prefix
    return module_name


def _offered_subprotocols(headers):
    for value in headers.get_all("Sec-WebSocket-Protocol"):
        for item in value.split(","):
            item = item.strip()
            if item:
                yield item
