"""The ``local`` executor: a process pool on the server's machine, safe under ``spawn``."""
import concurrent.futures
import logging
import multiprocessing
import os
import pickle
import shutil
import tempfile
import threading

from compas_cloud.server.executors.base import Executor
from compas_cloud.server.executors.worker import SharedFile, failure, local_init, run_local

log = logging.getLogger("compas_cloud.server")


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
                self.workers, mp_context=context, initializer=local_init, initargs=(self._events,)
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
            future = pool.submit(run_local, key, name, args, kwargs, self.rules)
        except Exception as error:  # a broken pool: start a new one for this and later tasks
            self._replace(pool)
            with self._lock:
                pool = self._pool
            try:
                future = pool.submit(run_local, key, name, args, kwargs, self.rules)
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
