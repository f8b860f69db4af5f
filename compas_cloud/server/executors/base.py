"""The interface every executor offers its owner (the batch service and offloaded calls)."""


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
