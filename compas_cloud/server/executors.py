"""Executors: where batch tasks (and offloaded calls) run, behind one interface.

Two executors exist, chosen when the server starts:

``local`` (:class:`LocalExecutor`)
    A pool of worker processes on the server's machine, one per core by
    default, started with the ``spawn`` method (the only one on Windows, the
    default on macOS), so it behaves the same everywhere.
``dask`` (:class:`DaskExecutor`)
    An existing Dask distributed cluster, reached through its scheduler's
    address or scheduler file.

Every task runs inside :func:`run_task` in the worker process: it resolves the
function by its dotted name, captures what the task prints, and returns a
plain dict (never raises), so that a failing task is reported with its
traceback and never stops the others. The executor tells its owner what
happens through a ``notify(kind, key, info)`` callable, from any thread:

``("start", key, {"worker", "pid"})``
    The task started in a worker process (reported again if it is restarted
    elsewhere after a worker died).
``("done", key, payload)``
    The task ended; ``payload`` is what :func:`run_task` returned, or a
    failure built by the executor (the worker died for good, the task was
    cancelled).
``("worker_lost", None, {"worker"})``
    A worker left the cluster (reported to every running batch).
"""
import concurrent.futures
import io
import logging
import multiprocessing
import os
import pickle
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback

log = logging.getLogger("compas_cloud.server")

#: What a task may print, per stream, before the rest is dropped (a note says so).
LOG_LIMIT = 8 * 1024 * 1024

#: The Dask event topic tasks report their start on.
START_TOPIC = "compas_cloud-task-start"


# ---------------------------------------------------------------------------
# Inside the worker processes
# ---------------------------------------------------------------------------


class _Capture(io.TextIOBase):
    """A stand-in for sys.stdout / sys.stderr that keeps what each task thread prints apart."""

    def __init__(self, original):
        self.original = original
        self.local = threading.local()

    def begin(self):
        self.local.buffer = io.StringIO()
        self.local.size = 0
        self.local.truncated = False

    def end(self):
        buffer = getattr(self.local, "buffer", None)
        self.local.buffer = None
        if buffer is None:
            return ""
        text = buffer.getvalue()
        if self.local.truncated:
            text += "\n[compas_cloud: output truncated after {0} characters]\n".format(LOG_LIMIT)
        return text

    def writable(self):
        return True

    def write(self, text):
        buffer = getattr(self.local, "buffer", None)
        if buffer is None:
            return self.original.write(text) if self.original is not None else len(text)
        if self.local.size < LOG_LIMIT:
            kept = text[: LOG_LIMIT - self.local.size]
            buffer.write(kept)
            self.local.size += len(kept)
            if len(kept) < len(text):
                self.local.truncated = True
        else:
            self.local.truncated = True
        return len(text)

    def flush(self):
        if self.original is not None and getattr(self.local, "buffer", None) is None:
            self.original.flush()


_capture_lock = threading.Lock()
_shared_cache = {}
_shared_lock = threading.Lock()
_local_events = None


def _captures():
    with _capture_lock:
        if not isinstance(sys.stdout, _Capture):
            sys.stdout = _Capture(sys.stdout)
        if not isinstance(sys.stderr, _Capture):
            sys.stderr = _Capture(sys.stderr)
    return sys.stdout, sys.stderr


class SharedFile(object):
    """A value shared by the tasks of a batch, written to a file once and read once per worker process."""

    def __init__(self, path):
        self.path = path

    def load(self):
        with _shared_lock:
            if self.path in _shared_cache:
                return _shared_cache[self.path]
        with open(self.path, "rb") as handle:
            value = pickle.load(handle)
        with _shared_lock:
            if len(_shared_cache) >= 8:
                _shared_cache.pop(next(iter(_shared_cache)))
            _shared_cache[self.path] = value
        return value

    def __repr__(self):
        return "SharedFile({0!r})".format(self.path)


def _unshare(value):
    if isinstance(value, SharedFile):
        return value.load()
    if isinstance(value, list):
        return [_unshare(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_unshare(item) for item in value)
    if isinstance(value, dict):
        return {key: _unshare(item) for key, item in value.items()}
    return value


def run_task(key, name, args, kwargs, worker=None, report=None, rules=None):
    """Run one task in a worker process and describe how it went (never raises).

    Parameters
    ----------
    key : str
        The task's key, echoed in the start report.
    name : str
        The dotted name of the function.
    args, kwargs : list, dict
        Its arguments (shared values still wrapped).
    worker : str, optional
        A name for the worker, for the reports.
    report : callable, optional
        Called with ``{"key", "worker", "pid"}`` when the task starts.
    rules : dict, optional
        The server's call policy (:meth:`compas_cloud.server.gate.Gate.rules`): the worker
        checks the name again through :func:`compas_cloud.server.gate.resolve`.

    Returns
    -------
    dict
        ``{"ok", "value" or "error", "stdout", "stderr", "worker", "pid"}``.
    """
    from compas_cloud.server import gate

    pid = os.getpid()
    worker = worker or "{0}:{1}".format(socket.gethostname(), pid)
    if report is not None:
        try:
            report({"key": key, "worker": worker, "pid": pid})
        except Exception:  # a lost report must not lose the task
            pass
    out, err = _captures()
    out.begin()
    err.begin()
    payload = {"worker": worker, "pid": pid}
    try:
        func = gate.resolve(name, gate.policy_from_rules(rules))
        value = func(*_unshare(args), **_unshare(kwargs))
        payload.update(ok=True, value=value)
    except BaseException as error:  # noqa: B902 - SystemExit in a task is the task's failure
        tb = error.__traceback__
        remote = getattr(error, "to_data", None)
        if remote is not None and getattr(error, "remote_type", None):
            data = remote()
        else:
            data = {
                "type": type(error).__name__,
                "message": str(error),
                "traceback": "".join(traceback.format_exception(type(error), error, tb.tb_next if tb else None)),
            }
        payload.update(ok=False, error=data)
    finally:
        payload["stdout"] = out.end()
        payload["stderr"] = err.end()
    return payload


def _local_init(events):
    global _local_events
    _local_events = events


def _local_report(info):
    if _local_events is not None:
        _local_events.put(info)


def _run_local(key, name, args, kwargs, rules=None):
    return run_task(key, name, args, kwargs, report=_local_report, rules=rules)


def _run_dask(key, name, args, kwargs, rules=None):
    from distributed import get_worker

    worker = get_worker()
    return run_task(key, name, args, kwargs, worker=worker.address, report=lambda info: worker.log_event(START_TOPIC, info),
                    rules=rules)


def failure(type_name, message, worker=None):
    """A task payload for a failure the executor detected itself."""
    return {"ok": False, "error": {"type": type_name, "message": message, "traceback": ""}, "stdout": "", "stderr": "",
            "worker": worker, "pid": None}


# ---------------------------------------------------------------------------
# In the server
# ---------------------------------------------------------------------------


class Executor(object):
    """The interface of an executor.

    Attributes
    ----------
    name : str
        ``"local"`` or ``"dask"``.
    slots : int or None
        How many tasks to hand over at once; None hands over every task at
        once and lets the executor queue them.
    on_cluster_event : callable or None
        Set by the owner: called with ``(kind, info)`` for events that
        concern no task in particular (a worker lost).
    """

    name = None
    slots = None
    #: The call policy workers check again (:meth:`compas_cloud.server.gate.Gate.rules`); set by the owner.
    rules = None

    def __init__(self):
        self.on_cluster_event = None

    def start(self):
        """Connect or start the workers (blocking; idempotent)."""

    def share(self, group, values):
        """Send values shared by many tasks once; return ``{key: token}`` to use in their place."""
        return dict(values)

    def unshare(self, group):
        """Forget the values shared for ``group``."""

    def submit(self, key, name, args, kwargs, notify):
        """Hand a task over; return a handle for :meth:`cancel`."""
        raise NotImplementedError

    def cancel(self, handles):
        """Cancel tasks that have not ended; return the handles that were cancelled."""
        return []

    def describe(self):
        """Return a dict describing the executor (for status)."""
        return {"name": self.name}

    def shutdown(self):
        """Stop using the workers."""


class LocalExecutor(Executor):
    """A process pool on this machine, safe under the ``spawn`` start method.

    Parameters
    ----------
    workers : int, optional
        Worker processes; the number of cores by default.
    start_method : str, optional
        ``"spawn"`` (default, as on Windows and macOS), ``"forkserver"`` or ``"fork"``.
    """

    name = "local"

    def __init__(self, workers=None, start_method="spawn"):
        Executor.__init__(self)
        self.workers = workers or os.cpu_count() or 1
        self.slots = self.workers
        self.start_method = start_method
        self._pool = None
        self._events = None
        self._reader = None
        self._notify = {}
        self._lock = threading.Lock()
        self._shared = {}
        self._closed = False

    def start(self):
        with self._lock:
            if self._pool is not None:
                return
            context = multiprocessing.get_context(self.start_method)
            if self._events is None:
                self._events = context.Queue()
                self._reader = threading.Thread(target=self._read_events, name="compas_cloud-local-events", daemon=True)
                self._reader.start()
            self._pool = concurrent.futures.ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_local_init, initargs=(self._events,)
            )

    def _read_events(self):
        while not self._closed:
            try:
                info = self._events.get(timeout=0.5)
            except Exception:  # queue.Empty, or the queue was closed
                continue
            if info is None:
                break
            with self._lock:
                notify = self._notify.get(info.get("key"))
            if notify is not None:
                notify("start", info["key"], {"worker": info["worker"], "pid": info["pid"]})

    def share(self, group, values):
        if not values:
            return {}
        folder = tempfile.mkdtemp(prefix="compas_cloud-shared-")
        self._shared[group] = folder
        tokens = {}
        for number, (key, value) in enumerate(values.items()):
            path = os.path.join(folder, "{0}.pickle".format(number))
            with open(path, "wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            tokens[key] = SharedFile(path)
        return tokens

    def unshare(self, group):
        folder = self._shared.pop(group, None)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)

    def submit(self, key, name, args, kwargs, notify):
        self.start()
        with self._lock:
            self._notify[key] = notify
            pool = self._pool
        try:
            future = pool.submit(_run_local, key, name, args, kwargs, self.rules)
        except Exception as error:  # a broken pool: start a new one for this and later tasks
            self._replace(pool)
            with self._lock:
                pool = self._pool
            try:
                future = pool.submit(_run_local, key, name, args, kwargs, self.rules)
            except Exception:
                self._finish(key, failure(type(error).__name__, "the process pool could not take the task: {0}".format(error)))
                return None
        future.add_done_callback(lambda done: self._done(key, pool, done))
        return future

    def _replace(self, broken):
        with self._lock:
            if self._pool is not broken:
                return
            log.warning("the local process pool broke (a worker process died): starting a new one")
            self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)
        self.start()

    def _done(self, key, pool, future):
        if future.cancelled():
            payload = failure("CancelledError", "the task was cancelled before it started")
        else:
            error = future.exception()
            if error is None:
                payload = future.result()
            else:
                if isinstance(error, concurrent.futures.process.BrokenProcessPool):
                    threading.Thread(target=self._replace, args=(pool,), daemon=True).start()
                    message = "a worker process died while the task ran or waited (killed, or out of memory): {0}".format(error)
                else:
                    message = "the task's result could not be sent back from the worker process: {0}".format(error)
                payload = failure(type(error).__name__, message)
        self._finish(key, payload)

    def _finish(self, key, payload):
        with self._lock:
            notify = self._notify.pop(key, None)
        if notify is not None:
            notify("done", key, payload)

    def cancel(self, handles):
        return [handle for handle in handles if handle is not None and handle.cancel()]

    def describe(self):
        return {"name": self.name, "workers": self.workers, "start_method": self.start_method}

    def shutdown(self):
        self._closed = True
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            processes = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:  # tasks still running would keep the server from exiting
                if process.is_alive():
                    process.terminate()
        for group in list(self._shared):
            self.unshare(group)


class DaskExecutor(Executor):
    """An existing Dask distributed cluster.

    Parameters
    ----------
    scheduler : str, optional
        The scheduler's address, ``tcp://host:8786``.
    scheduler_file : str, optional
        A scheduler file written by ``dask scheduler --scheduler-file``.
    """

    name = "dask"

    def __init__(self, scheduler=None, scheduler_file=None):
        Executor.__init__(self)
        if not scheduler and not scheduler_file:
            raise ValueError("the dask executor needs a scheduler address or a scheduler file")
        self.scheduler = scheduler
        self.scheduler_file = scheduler_file
        self.client = None
        self._lock = threading.Lock()
        self._notify = {}
        self._futures = {}
        self._shared = {}
        self._workers = None
        self._watcher = None
        self._closed = False

    def start(self):
        with self._lock:
            if self.client is not None:
                return
            try:
                from distributed import Client
            except ImportError:
                raise RuntimeError(
                    "the dask executor needs dask distributed on the server: pip install compas_cloud[dask]"
                ) from None
            if self.scheduler_file:
                client = Client(scheduler_file=self.scheduler_file, timeout=30, set_as_default=False)
            else:
                client = Client(self.scheduler, timeout=30, set_as_default=False)
            client.subscribe_topic(START_TOPIC, self._started)
            self.client = client
            self._workers = set(client.scheduler_info().get("workers", {}))
            self._watcher = threading.Thread(target=self._watch_workers, name="compas_cloud-dask-workers", daemon=True)
            self._watcher.start()

    def _started(self, event):
        info = event[1] if isinstance(event, tuple) else event
        with self._lock:
            notify = self._notify.get(info.get("key"))
        if notify is not None:
            notify("start", info["key"], {"worker": info.get("worker"), "pid": info.get("pid")})

    def _watch_workers(self):
        while not self._closed:
            time.sleep(0.5)
            try:
                current = set(self.client.run_on_scheduler(_worker_addresses))
            except Exception:
                continue
            previous, self._workers = self._workers, current
            for worker in sorted(previous - current):
                log.warning("dask worker %s left the cluster", worker)
                if self.on_cluster_event is not None:
                    self.on_cluster_event("worker_lost", {"worker": worker})
            for worker in sorted(current - previous):
                if self.on_cluster_event is not None:
                    self.on_cluster_event("worker_joined", {"worker": worker})

    def share(self, group, values):
        self.start()
        if not values:
            return {}
        keys = list(values)
        futures = self.client.scatter([values[key] for key in keys], hash=False)
        self._shared[group] = futures
        return dict(zip(keys, futures))

    def unshare(self, group):
        futures = self._shared.pop(group, None)
        if futures and self.client is not None:
            try:
                self.client.cancel(futures)
            except Exception:
                pass

    def submit(self, key, name, args, kwargs, notify):
        self.start()
        with self._lock:
            self._notify[key] = notify
        future = self.client.submit(_run_dask, key, name, args, kwargs, self.rules, key=key, pure=False)
        with self._lock:
            self._futures[key] = future
        future.add_done_callback(lambda done: self._done(key, done))
        return future

    def _done(self, key, future):
        with self._lock:
            self._futures.pop(key, None)
        status = future.status
        if status == "finished":
            try:
                payload = future.result()
            except Exception as error:
                payload = failure(type(error).__name__, "the result could not be fetched: {0}".format(error))
        elif status == "cancelled":
            payload = failure("CancelledError", "the task was cancelled")
        else:
            try:
                error = future.exception()
            except Exception as problem:
                error = problem
            message = str(error)
            if type(error).__name__ == "KilledWorker":
                message = ("the task was running on workers that died {0}: Dask gave up on it "
                           "(distributed.scheduler.allowed-failures)".format(message))
            payload = failure(type(error).__name__, message)
        with self._lock:
            notify = self._notify.pop(key, None)
        if notify is not None:
            notify("done", key, payload)

    def cancel(self, handles):
        handles = [handle for handle in handles if handle is not None and not handle.done()]
        if handles:
            self.client.cancel(handles)
        return handles

    def describe(self):
        info = {"name": self.name, "scheduler": self.scheduler or self.scheduler_file}
        if self._workers is not None:
            info["workers"] = len(self._workers)
        return info

    def shutdown(self):
        self._closed = True
        for group in list(self._shared):
            self.unshare(group)
        if self.client is not None:
            try:
                self.client.close(timeout=5)
            except Exception:
                pass


def _worker_addresses(dask_scheduler=None):
    return list(dask_scheduler.workers)


def create_executor(config):
    """Build the executor a :class:`~compas_cloud.server.config.ServerConfig` asks for."""
    kind = getattr(config, "executor", "local") or "local"
    if kind == "local":
        return LocalExecutor(getattr(config, "executor_workers", None), getattr(config, "start_method", "spawn") or "spawn")
    if kind == "dask":
        return DaskExecutor(getattr(config, "scheduler", None), getattr(config, "scheduler_file", None))
    raise ValueError("unknown executor {0!r}: use 'local' or 'dask'".format(kind))
