"""Batches: many tasks run by the server's executor, followed by their client as they run.

What lives here: :mod:`.state` (the pure state machine of one batch: task
states, counts, the events they make; no event loop), :mod:`.service` (the
batch operations of a session, the runner that hands tasks to the executor
and sends the state machine's events). May import
:mod:`compas_cloud.protocol`, :mod:`compas_cloud.errors` and
:mod:`compas_cloud.server.executors`; the session is handed in, never
imported. See ``docs/batch.md`` for the protocol.
"""
from compas_cloud.server.batch.service import MAX_TASKS, OPERATIONS, Batch, BatchNotFound, BatchService
from compas_cloud.server.batch.state import BatchState

__all__ = ["Batch", "BatchNotFound", "BatchService", "BatchState", "MAX_TASKS", "OPERATIONS"]
