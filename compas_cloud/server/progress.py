"""Progress reports and cancellation checks for functions run by a compas_cloud server.

Import this in a function meant to run on the server::

    from compas_cloud.server.progress import report, check_cancelled

    def solve(n):
        for i in range(n):
            ...
            report(i + 1, n, "iteration {0}".format(i + 1))   # the client shows it
        return result

Outside a server call (a local run, a test) every helper does nothing, so
the same function runs unchanged on a laptop. :func:`report` is also the
point where a cancelled call stops: it raises
:class:`~compas_cloud.errors.CallCancelled`.
"""
from compas_cloud.server.context import current

__all__ = ["report", "cancelled", "check_cancelled"]


def report(done, total=None, message=None):
    """Report the progress of the running call to its client.

    Parameters
    ----------
    done : int or float
        Work done so far.
    total : int or float, optional
        Work to do in all, when known.
    message : str, optional
        A short text shown with the progress (``"residual 1.2e-3"``).

    Returns
    -------
    bool
        True if the report was sent to a client that asked for progress.

    Raises
    ------
    compas_cloud.errors.CallCancelled
        The client cancelled the call: let it propagate.
    """
    context = current()
    if context is None:
        return False
    context.check()
    # The dashboard shows the last report, whether the client asked for progress or not.
    context.session.server.monitor.progress(context.session, context.id, done, total, message)
    if not context.progress:
        return False
    # Throttled: a burst, then a few a second; the last report always arrives (before the reply).
    return context.report_progress(done=done, total=total, message=None if message is None else str(message))


def cancelled():
    """Return True if the client cancelled the running call (False outside a server call)."""
    context = current()
    return bool(context is not None and context.cancelled)


def check_cancelled():
    """Raise :class:`~compas_cloud.errors.CallCancelled` if the client cancelled the running call."""
    context = current()
    if context is not None:
        context.check()
