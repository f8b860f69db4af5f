"""The websocket server: connections, the worker pool, shutdown and auto-stop."""
import asyncio
import concurrent.futures
import functools
import itertools
import logging
import signal
import ssl
import sys
import threading
import time

from websockets.asyncio.server import serve

from compas_cloud.protocol import address, dumps
from compas_cloud.protocol.messages import event
from compas_cloud.server import extra_ops, memory
from compas_cloud.server.inline import InlinePolicy
from compas_cloud.server.batch import BatchService
from compas_cloud.server.config import ServerConfig
from compas_cloud.server.functions import FunctionRegistry
from compas_cloud.server.http import HttpRoutes
from compas_cloud.server.metrics import Monitor
from compas_cloud.server.security import AccessPolicy, is_loopback
from compas_cloud.server.session import Session
from compas_cloud.server.versions import versions
from compas_cloud.server.views import ServerViews

log = logging.getLogger("compas_cloud.server")

#: Threads for protocol work (decoding, encoding, sizing), apart from the threads of called functions.
PROTOCOL_THREADS = 2

#: After the grace period, how long closing the connections and the executor may take.
_CLOSE_WAIT = 5.0

#: A freshly launched server waits at least this long for its first client before auto-stopping.
_FIRST_CLIENT_WAIT = 30.0


def _peer(connection):
    address = getattr(connection, "remote_address", None)
    return "{0}:{1}".format(address[0], address[1]) if address else "?"


def format_address(host, port):
    """Return ``host:port``, with IPv6 hosts in brackets."""
    return address.format_hostport(host, port)


class Server(ServerViews):
    """A compas_cloud server.

    Parameters
    ----------
    config : ServerConfig, optional
        Settings; the defaults serve 127.0.0.1:9009.
    out : file, optional
        Where the start-up lines go (standard output by default).
    """

    def __init__(self, config=None, out=None):
        self.config = config or ServerConfig()
        self.out = out or sys.stdout
        self.policy = AccessPolicy(
            token=self.config.token, origins=self.config.allow_origins, allow=self.config.allow, deny=self.config.deny
        )
        self.functions = FunctionRegistry(policy=self.policy)
        self.batches = BatchService(self)
        self.stored_bytes = 0  # memory of the stored references of all connections (estimated)
        self.sessions = set()
        self.messages = 0
        self.calls = 0
        self.stopping = False
        self.address = None
        self.started = time.time()
        self._executor = None
        self._protocol = None
        self._running = 0
        self.abandoned = 0  # worker threads still running calls whose request was cancelled
        self._running_lock = threading.Lock()
        self._stop = None
        self._auto_stop_timer = None
        self.monitor = Monitor()
        self.inline = InlinePolicy(enabled=self.config.inline)
        self.http = HttpRoutes(self)
        self._session_ids = itertools.count(1)
        extra_ops.attach(self)  # result cache and shared values

    # -- used by sessions ---------------------------------------------------------

    async def run_in_worker(self, func, *args):
        """Run ``func(*args)`` in the worker pool (the threads of called functions) and return its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(self._counted, func, *args))

    async def run_call(self, session, func):
        """Run a called function ``func()`` in the worker pool, within ``session``'s share of the workers.

        A connection holds at most ``--max-workers-per-connection`` worker threads at once; its
        further calls wait here, without a thread. A call whose request is cancelled while its
        function runs keeps its share until the function returns: until then it is counted in
        :attr:`abandoned` (``status()`` reports it).
        """
        slots = session.worker_slots
        await slots.acquire()
        loop = asyncio.get_running_loop()
        state = {"abandoned": False}

        def finished(_):
            with self._running_lock:
                if state["abandoned"]:
                    self.abandoned -= 1
            try:
                loop.call_soon_threadsafe(slots.release)
            except RuntimeError:  # the event loop has stopped
                pass

        try:
            future = self._executor.submit(self._counted, func)
        except BaseException:
            slots.release()
            raise
        future.add_done_callback(finished)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            with self._running_lock:
                if future.running() and not future.done():
                    state["abandoned"] = True
                    self.abandoned += 1
            raise

    async def run_protocol(self, func, *args):
        """Run protocol work (decoding, encoding, sizing, handing tasks to the executor) off the event loop.

        It has its own threads, so that it never waits behind called functions: a callback's
        reply is decoded while every worker runs a call waiting for it.
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._protocol, functools.partial(func, *args))

    def _counted(self, func, *args):
        # Runs in a worker thread: count calls in progress, even those whose request was cancelled.
        with self._running_lock:
            self._running += 1
        try:
            return func(*args)
        finally:
            with self._running_lock:
                self._running -= 1

    def hello(self):
        info = versions()
        info["max_message_size"] = self.config.max_message_size
        return info

    def versions(self):
        return versions()

    def uptime(self):
        return time.time() - self.started

    def request_stop(self, reason="stop requested"):
        """Ask the server to stop: running calls may finish (within the grace period)."""
        if not self.stopping:
            log.info("stopping: %s", reason)
            self.stopping = True
            if self._stop is not None:
                self._stop.set()

    # -- connections ----------------------------------------------------------------

    def _process_request(self, connection, request):
        """Refuse a websocket handshake past ``--max-connections`` (503); else the HTTP routes and the policy."""
        limit = self.config.connection_limit()
        upgrade = ",".join(request.headers.get_all("Upgrade")).lower()
        if limit is not None and "websocket" in upgrade and len(self.sessions) >= limit:
            self.policy.refused += 1
            log.warning("refused a connection from %s: %d clients connected, the limit of --max-connections",
                        _peer(connection), len(self.sessions))
            return connection.respond(
                503,
                "compas_cloud already serves {0} connections, the limit set by --max-connections: close some "
                "or restart the server with a larger --max-connections\n".format(len(self.sessions)),
            )
        return self.http.process_request(connection, request)

    async def _handler(self, websocket):
        session = Session(self, websocket)
        session.dashboard_id = next(self._session_ids)
        session.connected = time.time()
        self.monitor.connections_total += 1
        self.sessions.add(session)
        self._cancel_auto_stop()
        log.info("client connected from %s (%d connected)", session.peer, len(self.sessions))
        try:
            await session.run()
        except Exception:  # the connection dropped mid-message: nothing to answer
            log.debug("connection from %s ended with an error", session.peer, exc_info=True)
        finally:
            self.sessions.discard(session)
            await session.close()
            log.info("client %s left (%d connected)", session.peer, len(self.sessions))
            if not self.sessions:
                self._arm_auto_stop(self.config.auto_stop)

    def _arm_auto_stop(self, delay):
        if self.config.auto_stop is None or self.stopping:
            return
        self._cancel_auto_stop()
        loop = asyncio.get_running_loop()
        self._auto_stop_timer = loop.call_later(delay, self._auto_stop)

    def _cancel_auto_stop(self):
        if self._auto_stop_timer is not None:
            self._auto_stop_timer.cancel()
            self._auto_stop_timer = None

    def _auto_stop(self):
        if not self.sessions:
            self.request_stop("no client for {0:g} s (auto-stop)".format(self.config.auto_stop))

    # -- running ----------------------------------------------------------------------

    def _say(self, text):
        self.out.write(text + "\n")
        self.out.flush()

    async def serve(self):
        """Serve until :meth:`request_stop` is called (by a client, a signal or auto-stop)."""
        config = self.config
        self._stop = asyncio.Event()
        self._stop_now = asyncio.Event()
        memory.limit_arenas()  # before the worker threads exist: they share two arenas (see memory.py)
        self._executor = concurrent.futures.ThreadPoolExecutor(config.workers, thread_name_prefix="compas_cloud-worker")
        self._protocol = concurrent.futures.ThreadPoolExecutor(
            PROTOCOL_THREADS, thread_name_prefix="compas_cloud-protocol"
        )
        # Ctrl-C and SIGTERM are ours before the address is announced: whoever reads it may signal at once.
        self._install_signal_handlers()
        self._say("starting compas_cloud server")
        server = await serve(
            self._handler,
            config.host,
            config.port,
            max_size=config.max_message_size,
            ping_interval=config.ping_interval,
            ping_timeout=config.ping_timeout,
            compression=None,
            max_queue=64,
            close_timeout=3,
            process_request=self._process_request,
            select_subprotocol=self.policy.select_subprotocol,
            ssl=self._ssl_context(),
        )
        port = server.sockets[0].getsockname()[1]
        self.address = format_address(config.host, port)
        self._say("Listenning at {0}".format(self.address))
        self._say("dashboard: {0}".format(self.dashboard_url()))
        self._report_policy()
        if config.open_browser:
            self._open_dashboard()
        self._arm_auto_stop(max(config.auto_stop or 0, _FIRST_CLIENT_WAIT))
        try:
            await self._stop.wait()
        finally:
            await self._shutdown(server)

    def _ssl_context(self):
        config = self.config
        if not config.tls:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(config.certfile, config.keyfile)
        return context

    def _open_dashboard(self):
        import webbrowser

        url = self.dashboard_url()
        # webbrowser may block while it starts a browser: not on the event loop.
        thread = threading.Thread(target=webbrowser.open, args=(url,), name="compas_cloud-open", daemon=True)
        thread.start()

    def _report_policy(self):
        config = self.config
        if config.token is not None:
            self._say("token required: yes (from {0})".format(config.token_source))
        else:
            self._say(
                "token required: no (loopback only: any program of any user on this machine can connect; "
                "require one with --token-file or COMPAS_CLOUD_TOKEN)"
            )
        if config.tls:
            self._say("TLS: yes (wss://, certificate {0})".format(config.certfile))
        if not is_loopback(config.host) and not self.policy.allow:
            log.warning("listening on %s with no --allow list: every importable function can be called", config.host)
        for line in self.policy.warnings():
            self._say(line)
        for line in self.policy.describe():
            self._say(line)

    async def _shutdown(self, server):
        self.stopping = True
        self._cancel_auto_stop()
        # New requests are refused from here on (Session checks ``stopping``); running ones may finish.
        # websockets' Server.close() acts once only, so it is called once, after the grace period.
        notice = dumps(event("shutdown", grace=self.config.shutdown_grace))
        sends = [asyncio.ensure_future(session.send(notice)) for session in list(self.sessions)]
        if sends:  # all at once, and bounded: a client that stopped reading must not hold the shutdown up
            await asyncio.wait(sends, timeout=2.0)
        running = [task for session in self.sessions for task in session.tasks]
        if running:
            await self._grace(running)
        # The grace period is over: calls still running are abandoned (their callbacks stop waiting,
        # report() raises), and nothing the server awaits may hold the exit up any longer.
        for session in list(self.sessions):
            session.abandon()
        server.close(close_connections=True)
        try:
            await asyncio.wait_for(server.wait_closed(), _CLOSE_WAIT)
        except asyncio.TimeoutError:
            log.warning("connections did not close within %g s; stopping anyway", _CLOSE_WAIT)
        loop = asyncio.get_running_loop()
        stopper = threading.Thread(target=self.batches.shutdown, name="compas_cloud-executor-stop", daemon=True)
        stopper.start()
        await loop.run_in_executor(self._protocol, stopper.join, _CLOSE_WAIT)
        if stopper.is_alive():
            log.warning("the executor did not stop within %g s; stopping anyway", _CLOSE_WAIT)
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._protocol.shutdown(wait=False, cancel_futures=True)
        self._say("compas_cloud server stopped")

    def _describe_running(self, running):
        calls = sum(len(session.running_calls) for session in self.sessions)
        others = len(running) - calls
        text = "{0} call{1} still running".format(calls, "" if calls == 1 else "s")
        if others > 0:
            text += " (and {0} other request{1})".format(others, "" if others == 1 else "s")
        return text

    async def _grace(self, running):
        """Wait up to the grace period for ``running`` requests, or until a second Ctrl-C (or SIGTERM)."""
        grace = self.config.shutdown_grace
        self._say("stopping: {0}; waiting up to {1:g} s for them to finish (Ctrl-C again to stop now)".format(
            self._describe_running(running), grace))
        finished = asyncio.ensure_future(asyncio.wait(running))
        interrupted = asyncio.ensure_future(self._stop_now.wait())
        try:
            await asyncio.wait([finished, interrupted], timeout=grace, return_when=asyncio.FIRST_COMPLETED)
        finally:
            finished.cancel()  # cancels the waiting, not the requests
            interrupted.cancel()
        left = [task for task in running if not task.done()]
        if left and self._stop_now.is_set():
            self._say("stopping now: {0} abandoned".format(self._describe_running(left).replace(" still running", "")))
        elif left:
            self._say("the grace period ({0:g} s) is over: {1} abandoned".format(
                grace, self._describe_running(left).replace(" still running", "")))

    def _signalled(self, name):
        """SIGINT (Ctrl-C) or SIGTERM: the first stops gracefully, a second one while stopping stops now."""
        if not self.stopping:
            self.request_stop("received " + name)
        elif not self._stop_now.is_set():
            log.info("received %s again: stopping now", name)
            self._stop_now.set()

    def _install_signal_handlers(self):
        loop = asyncio.get_running_loop()
        for name in ("SIGINT", "SIGTERM"):
            signum = getattr(signal, name, None)
            if signum is None:
                continue
            try:
                loop.add_signal_handler(signum, self._signalled, name)
            except (NotImplementedError, RuntimeError):
                # Windows' event loops have no add_signal_handler: a plain handler passes the signal on
                # to the loop (the proactor loop wakes up for Ctrl-C since Python 3.8).
                def passed_on(number, frame, name=name):
                    loop.call_soon_threadsafe(self._signalled, name)
                try:
                    signal.signal(signum, passed_on)
                except ValueError:  # not the main thread (a server embedded in a test or an application)
                    pass

    def calls_running(self):
        """Return how many called functions worker threads are running now (cancelled ones included)."""
        return self._running

    def busy_workers(self):
        """Return True if a worker thread is still running a call."""
        return self._running > 0


__all__ = ["Server", "ServerConfig", "format_address"]
