"""The state machine of one batch: its tasks, their states and counts, and the events they make.

Pure: no event loop, no executor, no I/O. :class:`BatchState` is told what
the executor reported (a task started, ended, a worker was lost, the client
cancelled) and returns the event messages to send, in order, each with its
``seq`` and the counts at that moment. The runner
(:class:`compas_cloud.server.batch.service.Batch`) feeds it and sends them.

Every task goes ``waiting`` -> ``running`` -> ``finished`` | ``failed``, or
``waiting`` -> ``cancelled``; a task restarted on another worker (after its
worker died) gets a ``restart`` event and a higher ``attempt``.
"""
from compas_cloud.protocol import event

WAITING, RUNNING, FINISHED, FAILED, CANCELLED = "waiting", "running", "finished", "failed", "cancelled"
ENDED = (FINISHED, FAILED, CANCELLED)

__all__ = ["BatchState", "Task", "WAITING", "RUNNING", "FINISHED", "FAILED", "CANCELLED", "ENDED"]


class Task(object):
    """One task of a batch."""

    __slots__ = ("index", "key", "function", "args", "kwargs", "state", "attempt", "worker", "pid", "payload", "handle",
                 "history")

    def __init__(self, index, key, function, args, kwargs):
        self.index = index
        self.key = key
        self.function = function
        self.args = args
        self.kwargs = kwargs
        self.state = WAITING
        self.attempt = 0
        self.worker = None
        self.pid = None
        self.payload = None
        self.handle = None
        self.history = []  # the workers it started on

    def describe(self):
        info = {"task": self.index, "function": self.function, "state": self.state, "attempt": self.attempt,
                "worker": self.worker, "pid": self.pid}
        if self.state == FAILED:
            info["error"] = self.payload["error"]
        return info


class BatchState(object):
    """The tasks of one batch and their states.

    Parameters
    ----------
    batch_id : str
        The batch's id (events carry it as ``"batch"``).
    tasks : list
        ``(function name, args, kwargs)`` of each task.
    """

    def __init__(self, batch_id, tasks):
        self.id = batch_id
        self.tasks = [Task(i, "compas_cloud-{0}-{1}".format(batch_id, i), name, args, kwargs)
                      for i, (name, args, kwargs) in enumerate(tasks)]
        self.by_key = {task.key: task for task in self.tasks}
        self.counts = {WAITING: len(self.tasks), RUNNING: 0, FINISHED: 0, FAILED: 0, CANCELLED: 0}
        self.seq = 0
        self.cancelled = False

    @property
    def all_ended(self):
        """bool: Every task has ended."""
        return all(task.state in ENDED for task in self.tasks)

    def open_handles(self):
        """Return the executor handles of the tasks that have not ended."""
        return [task.handle for task in self.tasks if task.state not in ENDED]

    # -- what the executor reports ------------------------------------------------------

    def started(self, key, info):
        """Task ``key`` started on ``info["worker"]``; return the events."""
        task = self.by_key.get(key)
        if task is None or task.state in ENDED:
            return []
        if task.state == WAITING:
            task.attempt = 1
            task.worker, task.pid = info.get("worker"), info.get("pid")
            task.history.append(task.worker)
            self._move(task, RUNNING)
            return [self._task_event(task)]
        if info.get("worker") != task.worker or info.get("pid") != task.pid:
            # The same task started again elsewhere: its first worker died and the cluster rescheduled it.
            previous = task.worker
            task.attempt += 1
            task.worker, task.pid = info.get("worker"), info.get("pid")
            task.history.append(task.worker)
            return [self.event("restart", task=task.index, attempt=task.attempt, worker=task.worker,
                               pid=task.pid, previous_worker=previous)]
        return []

    def ended(self, key, payload):
        """Task ``key`` ended with ``payload``; return the events (none if it had ended already)."""
        task = self.by_key.get(key)
        if task is None or task.state in ENDED:
            return []
        events = []
        task.payload = payload
        cancelled = not payload["ok"] and payload["error"].get("type") == "CancelledError" and self.cancelled
        if task.state == WAITING and not cancelled:
            # The end overtook the start report: say it ran first, so the stream stays in order.
            task.attempt = 1
            task.worker, task.pid = payload.get("worker"), payload.get("pid")
            self._move(task, RUNNING)
            events.append(self._task_event(task))
        if payload.get("worker"):
            task.worker, task.pid = payload.get("worker"), payload.get("pid")
        self._move(task, FINISHED if payload["ok"] else (CANCELLED if cancelled else FAILED))
        events.append(self._task_event(task))
        return events

    def worker_lost(self, worker):
        """``worker`` left the cluster; return the event naming the tasks that ran there."""
        # Running there, or already restarted elsewhere (the cluster may notice before we do).
        lost = [task.index for task in self.tasks if task.state == RUNNING and worker in task.history]
        return [self.event("worker_lost", worker=worker, tasks=lost)]

    def cancel(self, waiting):
        """The client cancelled: the ``waiting`` tasks (not handed over yet) end now; return the events."""
        self.cancelled = True
        events = []
        for task in waiting:
            task.payload = None
            self._move(task, CANCELLED)
            events.append(self._task_event(task))
        return events

    def done(self):
        """Return the last event of the batch."""
        return self.event("done", state=CANCELLED if self.cancelled else FINISHED)

    # -- events ------------------------------------------------------------------------------

    def event(self, kind, **fields):
        """Return the next event message of the batch (its ``seq`` and the counts now)."""
        self.seq += 1
        return event("batch", batch=self.id, seq=self.seq, kind=kind, counts=dict(self.counts), **fields)

    def _task_event(self, task):
        fields = {"task": task.index, "state": task.state, "attempt": task.attempt, "worker": task.worker}
        if task.state == FAILED:
            fields["error"] = task.payload["error"]
        return self.event("task", **fields)

    def _move(self, task, state):
        self.counts[task.state] -= 1
        self.counts[state] += 1
        task.state = state
