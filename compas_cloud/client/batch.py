"""Batches on the client: submit many tasks, follow them, fetch their results and logs.

:meth:`compas_cloud.Proxy.batch` submits the tasks and returns a
:class:`Batch`. The server runs them on its executor (a local process pool or
a Dask cluster) and sends ``batch`` events while they run; the handle keeps
them in order (:attr:`Batch.events`) and passes each one to ``on_event``::

    batch = proxy.batch([("mypackage.fea.solve", [model, case], {}) for case in cases],
                        on_event=lambda e: print(e["kind"], e.get("task"), e.get("state")))
    batch.wait()                  # blocks until every task ended (or the timeout)
    values = batch.results()      # one per task; None for failed and cancelled tasks
    batch.errors()                # {task index: ServerSideError with the remote traceback}
    batch.logs(3)                 # {"stdout": ..., "stderr": ...} of task 3

Events are read by whichever thread reads the connection: the thread in
:meth:`Batch.wait` while it waits (so ``on_event`` runs there), else the
connection's idle reader. Python 2.7 and IronPython safe.
"""
from __future__ import absolute_import

import threading

from compas_cloud._compat import string_types
from compas_cloud.errors import CloudError, CloudTimeout, error_from_data

__all__ = ["Batch", "BatchEvents", "task_specs"]

#: Events kept for batches this client has not registered yet (they can overtake the submit reply).
_ORPHAN_LIMIT = 100000


class BatchEvents(object):
    """Routes the ``batch`` events of a connection to their :class:`Batch` handles.

    It takes the connection's ``on_event`` hook and passes every other event
    on to the hook that was there before (so other event consumers keep
    working).
    """

    def __init__(self, connection):
        self._lock = threading.Lock()
        self._batches = {}
        self._orphans = {}
        self._orphan_count = 0
        self._previous = connection.on_event
        connection.on_event = self

    @classmethod
    def of(cls, connection):
        """Return the router of ``connection``, installing it on first use."""
        router = getattr(connection, "_batch_events", None)
        if router is None:
            router = cls(connection)
            connection._batch_events = router
        return router

    def register(self, batch):
        with self._lock:
            self._batches[batch.id] = batch
            early = self._orphans.pop(batch.id, [])
            self._orphan_count -= len(early)
        for message in early:
            batch._receive(message)

    def unregister(self, batch):
        with self._lock:
            self._batches.pop(batch.id, None)

    def __call__(self, name, message):
        if name != "batch":
            if self._previous is not None:
                self._previous(name, message)
            return
        with self._lock:
            batch = self._batches.get(message.get("batch"))
            if batch is None:
                if self._orphan_count < _ORPHAN_LIMIT:
                    self._orphans.setdefault(message.get("batch"), []).append(message)
                    self._orphan_count += 1
                return
        batch._receive(message)


def task_specs(tasks):
    """Normalise tasks to ``[name, args, kwargs]`` lists for the wire.

    A task may be ``(name, args, kwargs)``, ``(name, args)``, ``(name,)``, a
    bare name, or a dict ``{"function", "args", "kwargs"}``; the name may be a
    :class:`~compas_cloud.client.proxy.RemoteFunction` instead of a string.

    Parameters
    ----------
    tasks : iterable
        The tasks, in any of the forms above.

    Returns
    -------
    list of list
        ``[name, args, kwargs]`` for each task.
    """
    specs = []
    for number, task in enumerate(tasks):
        if isinstance(task, dict):
            name, args, kwargs = task.get("function"), task.get("args", ()), task.get("kwargs", {})
        elif isinstance(task, (list, tuple)) and 1 <= len(task) <= 3:
            name = task[0]
            args = task[1] if len(task) > 1 else ()
            kwargs = task[2] if len(task) > 2 else {}
        else:
            name, args, kwargs = task, (), {}
        name = getattr(name, "name", name)
        if not isinstance(name, string_types):
            raise TypeError("task {0}: expected a function name or (name, args, kwargs), got {1!r}".format(number, task))
        if isinstance(args, (string_types, dict)) or not hasattr(args, "__iter__"):
            raise TypeError("task {0}: args must be a list or tuple, got {1!r}".format(number, args))
        if not isinstance(kwargs, dict):
            raise TypeError("task {0}: kwargs must be a dict, got {1!r}".format(number, kwargs))
        specs.append([name, list(args), dict(kwargs)])
    if not specs:
        raise ValueError("a batch needs at least one task")
    return specs


class Batch(object):
    """A batch running on the server.

    Attributes
    ----------
    id : str
        The server's id of the batch.
    size : int
        The number of tasks.
    executor : str
        ``"local"`` or ``"dask"``.
    on_event : callable or None
        Called with each event (a dict) as it arrives.
    """

    def __init__(self, proxy, info, on_event=None):
        self.proxy = proxy
        self.id = info["batch"]
        self.size = info["tasks"]
        self.executor = info.get("executor")
        self.on_event = on_event
        self._counts = dict(info.get("counts") or {})
        self._events = []
        self._lock = threading.Lock()
        self._done = threading.Event()

    def __len__(self):
        return self.size

    def __repr__(self):
        return "<compas_cloud batch {0}: {1} tasks, {2}>".format(self.id, self.size, self.counts)

    # -- events --------------------------------------------------------------------------

    def _receive(self, message):
        with self._lock:
            self._events.append(message)
            counts = message.get("counts")
            if counts:
                self._counts = dict(counts)
        if message.get("kind") == "done":
            self._done.set()
        if self.on_event is not None:
            try:
                self.on_event(message)
            except Exception:  # a failing handler must not break the connection's reader
                pass

    @property
    def events(self):
        """list of dict: The events received so far, in the order the server sent them."""
        with self._lock:
            return list(self._events)

    @property
    def counts(self):
        """dict: waiting / running / finished / failed / cancelled counts, as of the last event."""
        with self._lock:
            return dict(self._counts)

    @property
    def done(self):
        """bool: True once the server reported the batch's end."""
        return self._done.is_set()

    # -- requests --------------------------------------------------------------------------

    def _request(self, op, _wait=None, **fields):
        connection = self.proxy.connection
        limit = self.proxy.timeout if _wait is None else _wait
        fields["batch"] = self.id
        # Not connection.request(op, timeout=...): batch_wait has a "timeout" field of its own.
        return connection.wait(connection.send(op, **fields), limit, op)

    def status(self):
        """Return the batch's status.

        Returns
        -------
        dict
            ``{"state", "counts", "tasks": [{"task", "state", "attempt", "worker", ...}]}``.
        """
        return self._request("batch_status")

    def wait(self, timeout=None):
        """Wait until every task ended; return the final status.

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait (None: as long as it takes).

        Raises
        ------
        CloudTimeout
            The batch is still running after ``timeout``.
        """
        fields = {} if timeout is None else {"timeout": float(timeout)}
        status = self._request("batch_wait", None if timeout is None else timeout + 30.0, **fields)
        if status["state"] == "running":
            raise CloudTimeout("batch {0} is still running after {1:g} s: {2}".format(self.id, timeout, status["counts"]))
        self._done.set()
        return status

    def cancel(self):
        """Cancel the tasks that have not started (running tasks may still end).

        Returns
        -------
        dict
            The batch's status, as :meth:`status`.
        """
        return self._request("batch_cancel")

    def _entries(self, tasks, cache):
        fields = {"cache": bool(cache)}
        if tasks is not None:
            fields["tasks"] = list(tasks)
        return self._request("batch_results", **fields)

    def results(self, tasks=None, cache=False):
        """Return the results of the tasks, in task order; None for failed or cancelled ones.

        Parameters
        ----------
        tasks : list of int, optional
            Task indices (every task by default).
        cache : bool, optional
            Keep the results on the server and return references to them.
        """
        return [entry.get("result") for entry in self._entries(tasks, cache)]

    def result(self, task, cache=False):
        """Return the result of one task, or raise its error.

        Parameters
        ----------
        task : int
            The task's index in the batch.
        cache : bool, optional
            Keep the result on the server and return a reference to it.

        Returns
        -------
        object

        Raises
        ------
        compas_cloud.errors.ServerSideError
            The task failed; the error carries the remote traceback.
        compas_cloud.errors.CloudError
            The task was cancelled, or has not finished.
        """
        entry = self._entries([task], cache)[0]
        if entry["state"] == "finished":
            return entry.get("result")
        if entry["state"] == "failed":
            raise error_from_data(entry["error"])
        raise CloudError("task {0} of batch {1} is {2}: it has no result".format(task, self.id, entry["state"]))

    def errors(self):
        """Return the errors of the tasks that failed.

        Returns
        -------
        dict
            ``{task index: ServerSideError}``; ``str(error)`` shows the remote traceback.
        """
        return dict(
            (entry["task"], error_from_data(entry["error"])) for entry in self._entries(None, False) if entry["state"] == "failed"
        )

    def logs(self, task=None):
        """Return what a task printed.

        Parameters
        ----------
        task : int, optional
            The task's index; by default every task's.

        Returns
        -------
        dict or list of dict
            ``{"stdout", "stderr", "worker"}`` of the task, or a list of them in task order.
        """
        if task is None:
            return self._request("batch_logs")
        return self._request("batch_logs", tasks=[task])[0]

    def free(self):
        """Forget the batch on the server (its results and logs); it must have ended."""
        result = self._request("batch_free")
        router = getattr(self.proxy.connection, "_batch_events", None)
        if router is not None:
            router.unregister(self)
        return result
