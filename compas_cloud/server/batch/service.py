"""Batches: many tasks run by the server's executor, followed by their client as they run.

A client submits a batch (``op: "batch"``) of tasks, each a dotted function
name with its arguments. The batch belongs to the connection that submitted
it: it is cancelled, and forgotten, when that connection closes. While it
runs, the server sends the client events, in order (``seq`` counts them)::

    {"v": 1, "event": "batch", "batch": id, "seq": n, "kind": "task", "task": i,
     "state": "running" | "finished" | "failed" | "cancelled", "attempt": k,
     "worker": ..., "counts": {...}, "error": {...} (failed tasks only)}
    {"v": 1, "event": "batch", "batch": id, "seq": n, "kind": "restart", "task": i, "attempt": k, ...}
    {"v": 1, "event": "batch", "batch": id, "seq": n, "kind": "worker_lost", "worker": ..., "tasks": [i, ...]}
    {"v": 1, "event": "batch", "batch": id, "seq": n, "kind": "done", "state": "finished" | "cancelled", "counts": {...}}

Every task goes ``waiting`` -> ``running`` -> ``finished`` | ``failed``, or
``waiting`` -> ``cancelled``; a task restarted on another worker (after its
worker died) gets a ``restart`` event and a higher ``attempt``.

Operations (all take the batch id as ``batch``): ``batch_status``,
``batch_wait`` (answers when the batch is done, or after ``timeout``),
``batch_results`` (values, or references with ``cache``), ``batch_logs``
(what each task printed), ``batch_cancel`` and ``batch_free``.

Values that many tasks share are passed as references (``proxy.cache``): the
executor sends each of them once per batch (scattered once on Dask, written
once and read once per worker process locally).
"""
import asyncio
import collections
import logging
import secrets
import weakref

from compas_cloud.errors import EncodingError, FunctionNotFound, MalformedMessage, ServerSideError
from compas_cloud.protocol import Reference, dumps, reference_id
from compas_cloud.protocol.walk import walk
from compas_cloud.server.batch.state import CANCELLED, FAILED, FINISHED, BatchState
from compas_cloud.server.executors import create_executor

log = logging.getLogger("compas_cloud.server")

#: The operations this module answers.
OPERATIONS = ("batch", "batch_status", "batch_wait", "batch_results", "batch_logs", "batch_cancel", "batch_free")

#: The most tasks one batch may hold.
MAX_TASKS = 100000

class BatchNotFound(ServerSideError):
    """A batch id is unknown on this connection (never existed, freed, or another connection's)."""


class Batch(BatchState):
    """One batch: its state (:class:`~compas_cloud.server.batch.state.BatchState`) and the coroutine that runs it."""

    def __init__(self, service, session, tasks):
        BatchState.__init__(self, secrets.token_urlsafe(12), tasks)
        self.service = service
        self.session = session
        self.queue = asyncio.Queue()
        self.done_event = asyncio.Event()
        self.runner = None

    @property
    def state(self):
        if not self.done_event.is_set():
            return "running"
        return CANCELLED if self.cancelled else FINISHED

    def status(self):
        return {"batch": self.id, "state": self.state, "counts": dict(self.counts),
                "tasks": [task.describe() for task in self.tasks]}

    # -- notifications from the executor (any thread) ---------------------------------

    def notify(self, kind, key, info):
        try:
            self.service.loop.call_soon_threadsafe(self.queue.put_nowait, (kind, key, info))
        except RuntimeError:  # the server has stopped: nobody listens any more
            pass

    # -- the runner -------------------------------------------------------------------

    async def run(self, shared):
        executor = self.service.executor
        waiting = collections.deque(self.tasks)
        slots = executor.slots or len(self.tasks)
        in_flight = 0
        try:
            while True:
                if waiting and in_flight < slots and not self.cancelled:
                    chunk = [waiting.popleft() for _ in range(min(slots - in_flight, len(waiting)))]
                    in_flight += len(chunk)
                    await self.service.server.run_protocol(self._submit, chunk)
                if self.all_ended:
                    break
                kind, key, info = await self.queue.get()
                if kind == "start":
                    await self._send(self.started(key, info))
                elif kind == "done":
                    events = self.ended(key, info)
                    if events:  # the task was still in flight
                        in_flight -= 1
                        await self._send(events)
                elif kind == "worker_lost":
                    await self._send(self.worker_lost(info["worker"]))
                elif kind == "cancel":
                    await self._send(self.cancel(waiting))
                    waiting.clear()
                    handles = self.open_handles()
                    if handles:
                        await self.service.server.run_protocol(self.service.executor.cancel, handles)
                    if not info.done():
                        info.set_result(None)
        except asyncio.CancelledError:
            self.cancelled = True
            executor.cancel(self.open_handles())
            self._answer_late_cancels()
            raise
        finally:
            self.service.release(self.id)
            for task in self.tasks:
                task.args = task.kwargs = task.handle = None
        try:
            # The last event goes out before the batch counts as done, so that every event comes
            # before the reply to a batch_wait.
            await self._send([self.done()])
        finally:
            self.done_event.set()
            self._answer_late_cancels()

    def _answer_late_cancels(self):
        # Nobody reads the queue once the loop has ended: answer the cancels that came too late for it.
        while not self.queue.empty():
            kind, _, info = self.queue.get_nowait()
            if kind == "cancel" and not info.done():
                info.set_result(None)

    def _submit(self, chunk):
        executor = self.service.executor
        for task in chunk:
            try:
                task.handle = executor.submit(task.key, task.function, task.args, task.kwargs, self.notify)
            except Exception as error:
                self.notify("done", task.key, {"ok": False, "stdout": "", "stderr": "", "worker": None, "pid": None,
                                               "error": {"type": type(error).__name__, "traceback": "",
                                                         "message": "the executor refused the task: {0}".format(error)}})

    async def _send(self, events):
        for message in events:
            await self.session.send(dumps(message))


class BatchService(object):
    """The server's executor and the batches of every connection.

    Parameters
    ----------
    server : compas_cloud.server.app.Server
        The server (its config chooses the executor).
    """

    def __init__(self, server):
        self.server = server
        self.executor = create_executor(server.config)
        self.executor.rules = server.functions.rules()  # workers check every name again
        self.executor.on_cluster_event = self._cluster_event
        self.loop = None
        self._sessions = weakref.WeakKeyDictionary()
        self.running = {}  #: batch id -> Batch, the batches of every connection still running
        offload = getattr(server.config, "offload", None) or ()
        self.offload = tuple(name.rstrip(".*") for name in offload)

    def describe(self):
        info = self.executor.describe()
        info["running_batches"] = len(self.running)
        info["batches_held"] = sum(len(batches) for batches in list(self._sessions.values()))
        return info

    def forget(self, session):
        """Drop every batch of ``session`` (its connection has closed), with their tasks and results.

        The batches point back at their session, so the weak keys alone would never let them go.
        """
        for batch_id in list(self._sessions.pop(session, {})):
            self.running.pop(batch_id, None)

    def offloaded(self, name):
        """Return True if calls to ``name`` go to the executor (``--offload``)."""
        return any(name == prefix or name.startswith(prefix + ".") for prefix in self.offload)

    async def start(self):
        """Start the executor (once), from the event loop."""
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
        await self.server.run_protocol(self.executor.start)

    def _cluster_event(self, kind, info):
        if self.loop is None:
            return
        for batch in list(self.running.values()):
            batch.notify(kind, None, info)

    def release(self, batch_id):
        self.running.pop(batch_id, None)

    def shutdown(self):
        """Stop the executor (blocking)."""
        self.executor.shutdown()

    # -- operations -------------------------------------------------------------

    # Each operation takes (session, request, decoded) and returns its result; ``batch_results``
    # returns its reply already encoded (in a worker thread: results may be large). The session's
    # operation table (compas_cloud.server.ops) lists them.

    async def op_batch(self, session, request, decoded):
        """``batch``: submit the tasks; return the batch's id, size, executor and counts."""
        return await self._submit(session, request.fields["tasks"], decoded.references)

    async def op_batch_status(self, session, request, decoded):
        """``batch_status``: the batch's state, counts and tasks."""
        return self._find(session, request.fields["batch"]).status()

    async def op_batch_wait(self, session, request, decoded):
        """``batch_wait``: the status once the batch is done, or after ``timeout`` seconds."""
        batch = self._find(session, request.fields["batch"])
        try:
            await asyncio.wait_for(asyncio.shield(batch.done_event.wait()), request.fields.get("timeout"))
        except asyncio.TimeoutError:
            pass
        return batch.status()

    async def op_batch_cancel(self, session, request, decoded):
        """``batch_cancel``: cancel the tasks not yet ended; the status once the cancel is done."""
        batch = self._find(session, request.fields["batch"])
        if not batch.done_event.is_set() and not batch.runner.done():
            # The runner answers while its loop runs; a cancel that comes after the loop has ended
            # (the "done" event is on its way) is answered when the runner ends instead.
            answered = self.loop.create_future()
            batch.queue.put_nowait(("cancel", None, answered))
            await asyncio.wait((answered, batch.runner), return_when=asyncio.FIRST_COMPLETED)
        return batch.status()

    async def op_batch_free(self, session, request, decoded):
        """``batch_free``: forget a batch that is done."""
        batch = self._find(session, request.fields["batch"])
        if not batch.done_event.is_set():
            raise ServerSideError("batch {0!r} is still running: cancel it or wait for it first".format(batch.id),
                                  remote_type="BatchRunning")
        self._sessions.get(session, {}).pop(batch.id, None)
        return True

    async def op_batch_logs(self, session, request, decoded):
        """``batch_logs``: what each (selected) task printed."""
        batch = self._find(session, request.fields["batch"])
        return [{"task": task.index, "worker": task.worker,
                 "stdout": task.payload["stdout"] if task.payload else "",
                 "stderr": task.payload["stderr"] if task.payload else ""}
                for task in self._select(batch, request.fields.get("tasks"))]

    async def op_batch_results(self, session, request, decoded):
        """``batch_results``: the (selected) tasks' values or errors; references with ``cache``. Encoded."""
        batch = self._find(session, request.fields["batch"])
        return await self._results(session, request, batch, request.fields.get("tasks"), request.fields["cache"])

    def _find(self, session, batch_id):
        batches = self._sessions.get(session, {})
        try:
            return batches[batch_id]
        except (KeyError, TypeError):
            raise BatchNotFound(
                "no batch {0!r} on this connection: it was freed, never existed, or belongs to a connection "
                "that has closed".format(batch_id)
            ) from None

    @staticmethod
    def _select(batch, indices):
        if indices is None:
            return batch.tasks
        selected = []
        for index in indices:
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(batch.tasks):
                raise MalformedMessage("batch {0!r} has no task {1!r} (it has {2})".format(batch.id, index, len(batch.tasks)))
            selected.append(batch.tasks[index])
        return selected

    async def _submit(self, session, specs, has_references):
        if not specs:
            raise MalformedMessage("a batch needs at least one task")
        if len(specs) > MAX_TASKS:
            raise MalformedMessage("a batch holds at most {0} tasks, got {1}".format(MAX_TASKS, len(specs)))
        tasks = [_task_spec(number, spec) for number, spec in enumerate(specs)]
        await self.server.run_in_worker(self._check_functions, sorted(set(task[0] for task in tasks)))
        await self.start()
        batch = Batch(self, session, tasks)
        shared = {}
        if has_references:
            values = {}
            for task in batch.tasks:
                _collect(task.args, values, session.store)
                _collect(task.kwargs, values, session.store)
            if values:
                tokens = await self.server.run_protocol(self.executor.share, batch.id, values)
                for task in batch.tasks:
                    task.args = _swap(task.args, tokens)
                    task.kwargs = _swap(task.kwargs, tokens)
                shared = tokens
        self._sessions.setdefault(session, {})[batch.id] = batch
        self.running[batch.id] = batch
        runner = asyncio.ensure_future(self._run(batch, shared))
        batch.runner = runner
        session.tasks.add(runner)
        runner.add_done_callback(session.tasks.discard)
        session.calls += len(batch.tasks)
        self.server.calls += len(batch.tasks)
        log.info("batch %s of %d tasks from %s on the %s executor", batch.id, len(batch.tasks), session.peer, self.executor.name)
        return {"batch": batch.id, "tasks": len(batch.tasks), "executor": self.executor.name, "counts": dict(batch.counts)}

    async def _run(self, batch, shared):
        try:
            await batch.run(shared)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("batch %s failed", batch.id)
        finally:
            if shared:
                self.executor.unshare(batch.id)

    def _check_functions(self, names):
        # The server's --allow/--deny lists hold for batch tasks too: a refused name refuses the batch.
        # A function that cannot be imported here fails its own tasks only (Dask workers may have it).
        gate = self.server.functions
        if gate.rules() is None:
            return
        for name in names:
            try:
                gate.resolve(name)
            except FunctionNotFound:
                pass

    async def _results(self, session, request, batch, indices, cache):
        entries = []
        for task in self._select(batch, indices):
            entry = {"task": task.index, "state": task.state}
            if task.state == FINISHED:
                entry["result"] = (await session.keep(task.payload["value"])) if cache else task.payload["value"]
            elif task.state == FAILED:
                entry["error"] = task.payload["error"]
            entries.append(entry)
        try:
            return await self.server.run_protocol(session.encode_result, request, entries, "the batch's results")
        except EncodingError as error:
            raise EncodingError(error.message.replace("call with cache=True", "fetch them with cache=True")) from None


def _task_spec(number, spec):
    if isinstance(spec, dict):
        name, args, kwargs = spec.get("function"), spec.get("args", []), spec.get("kwargs", {})
    elif isinstance(spec, list) and 1 <= len(spec) <= 3:
        name = spec[0]
        args = spec[1] if len(spec) > 1 else []
        kwargs = spec[2] if len(spec) > 2 else {}
    else:
        raise MalformedMessage("task {0} must be [function, args, kwargs] or {{\"function\", \"args\", \"kwargs\"}}".format(number))
    if not isinstance(name, str):
        raise MalformedMessage("task {0} needs a function name (a string), got {1!r}".format(number, name))
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise MalformedMessage("task {0}: args must be an array and kwargs an object".format(number))
    return name, args, kwargs


def _collect(value, values, store):
    """Put the stored value of each reference in ``value`` into ``values`` (by reference id)."""

    def visit(item):
        if isinstance(item, Reference):
            key = reference_id(item)
            if key not in values:
                values[key] = store.get(item)
        return item

    walk(value, visit, max_depth=None)


def _swap(value, tokens):
    """Return ``value`` with each reference replaced by its token (``tokens[reference id]``)."""

    def visit(item):
        return tokens[reference_id(item)] if isinstance(item, Reference) else item

    return walk(value, visit, max_depth=None)
