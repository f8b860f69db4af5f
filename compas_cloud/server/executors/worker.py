"""The worker side of the executors: what runs inside a worker process.

:func:`run_task` runs one task: it resolves the function by its dotted name
through the server's gate (checked again here with the rules the server
gave), unwraps shared values, captures what the task prints, and returns a
plain dict (never raises), so that a failing task is reported with its
traceback and never stops the others. :func:`run_local` and :func:`run_dask`
are what the local pool and Dask pickle and call.

Imports only the standard library, :mod:`compas_cloud.protocol`,
:mod:`compas_cloud.server.output` (the one output capture, standard library
only) and (when a task runs) :mod:`compas_cloud.server.gate`: a worker process never loads the
server (websockets, asyncio) to run a task.
"""
import os
import pickle
import socket
import threading
import traceback

from compas_cloud.protocol.walk import walk
from compas_cloud.server.output import TextSink, redirect

#: What a task may print, per stream, before the rest is dropped (a note says so).
LOG_LIMIT = 8 * 1024 * 1024

#: The Dask event topic tasks report their start on.
START_TOPIC = "compas_cloud-task-start"


_shared_cache = {}
_shared_lock = threading.Lock()
_local_events = None


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
    return walk(value, _load, max_depth=None)


def _load(item):
    return item.load() if isinstance(item, SharedFile) else item


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
    out, err = TextSink(LOG_LIMIT), TextSink(LOG_LIMIT)
    printing = redirect(out, err)
    printing.__enter__()
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
        printing.__exit__(None, None, None)
        payload["stdout"] = out.text()
        payload["stderr"] = err.text()
    return payload


def local_init(events):
    global _local_events
    _local_events = events
    watch_parent()


def watch_parent():
    """End this worker process as soon as the process that started it (the server) has ended, however it ended.

    A thread waits on the parent's sentinel (a handle that becomes ready when the parent
    exits, on every platform); where there is none, it watches the parent's pid.
    """
    import multiprocessing
    import multiprocessing.connection

    parent = multiprocessing.parent_process()
    sentinel = getattr(parent, "sentinel", None)
    first_ppid = os.getppid() if hasattr(os, "getppid") else None

    def wait():
        if sentinel is not None:
            try:
                multiprocessing.connection.wait([sentinel])
            except Exception:  # the handle is unusable here: fall back on the pid
                pass
            else:
                os._exit(70)
        while first_ppid is not None:
            if os.getppid() != first_ppid:
                os._exit(70)
            threading.Event().wait(1.0)

    thread = threading.Thread(target=wait, name="compas_cloud-watch-server", daemon=True)
    thread.start()


def _local_report(info):
    if _local_events is not None:
        _local_events.put(info)


def run_local(key, name, args, kwargs, rules=None):
    return run_task(key, name, args, kwargs, report=_local_report, rules=rules)


def run_dask(key, name, args, kwargs, rules=None):
    from distributed import get_worker

    worker = get_worker()
    return run_task(key, name, args, kwargs, worker=worker.address, report=lambda info: worker.log_event(START_TOPIC, info),
                    rules=rules)


def failure(type_name, message, worker=None):
    """A task payload for a failure the executor detected itself."""
    return {"ok": False, "error": {"type": type_name, "message": message, "traceback": ""}, "stdout": "", "stderr": "",
            "worker": worker, "pid": None}
