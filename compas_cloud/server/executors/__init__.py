"""Executors: where batch tasks (and offloaded calls) run, behind one interface.

What lives here: :mod:`.worker` (the code that runs inside worker processes:
standard library and :mod:`compas_cloud.server.gate` only), :mod:`.base` (the
interface), :mod:`.local` and :mod:`.dask` (the two executors), and
:func:`create_executor`. May import :mod:`compas_cloud.protocol`,
:mod:`compas_cloud.errors` and the gate; never the session, the app or asyncio.

Two executors exist, chosen when the server starts:

``local`` (:class:`~.local.LocalExecutor`)
    A pool of worker processes on the server's machine, one per core by
    default, started with the ``spawn`` method (the only one on Windows, the
    default on macOS), so it behaves the same everywhere.
``dask`` (:class:`~.dask.DaskExecutor`)
    An existing Dask distributed cluster, reached through its scheduler's
    address or scheduler file.

Every task runs inside :func:`~.worker.run_task` in the worker process: it resolves the
function by its dotted name, captures what the task prints, and returns a
plain dict (never raises), so that a failing task is reported with its
traceback and never stops the others. The executor tells its owner what
happens through a ``notify(kind, key, info)`` callable, from any thread:

``("start", key, {"worker", "pid"})``
    The task started in a worker process (reported again if it is restarted
    elsewhere after a worker died).
``("done", key, payload)``
    The task ended; ``payload`` is what :func:`~.worker.run_task` returned, or a
    failure built by the executor (the worker died for good, the task was
    cancelled).
``("worker_lost", None, {"worker"})``
    A worker left the cluster (reported to every running batch).
"""
from compas_cloud.server.executors.base import Executor
from compas_cloud.server.executors.dask import DaskExecutor
from compas_cloud.server.executors.local import LocalExecutor
from compas_cloud.server.executors.worker import LOG_LIMIT, START_TOPIC, SharedFile, failure, run_task

__all__ = [
    "Executor", "LocalExecutor", "DaskExecutor", "create_executor", "run_task", "failure", "SharedFile",
    "LOG_LIMIT", "START_TOPIC",
]


def create_executor(config):
    """Build the executor a :class:`~compas_cloud.server.config.ServerConfig` asks for."""
    kind = getattr(config, "executor", "local") or "local"
    if kind == "local":
        return LocalExecutor(getattr(config, "executor_workers", None), getattr(config, "start_method", "spawn") or "spawn")
    if kind == "dask":
        return DaskExecutor(getattr(config, "scheduler", None), getattr(config, "scheduler_file", None))
    raise ValueError("unknown executor {0!r}: use 'local' or 'dask'".format(kind))
