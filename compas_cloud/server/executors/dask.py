"""The ``dask`` executor: an existing Dask distributed cluster, reached through its scheduler."""
import logging
import threading
import time

from compas_cloud.server.executors.base import Executor
from compas_cloud.server.executors.worker import START_TOPIC, failure, run_dask

log = logging.getLogger("compas_cloud.server")


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
        future = self.client.submit(run_dask, key, name, args, kwargs, self.rules, key=key, pure=False)
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
