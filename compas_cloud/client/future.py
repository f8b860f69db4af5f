"""A remote call in flight: :class:`CallFuture`, returned by ``RemoteFunction.submit``."""
from __future__ import absolute_import

import threading

from compas_cloud._compat import native_str
from compas_cloud.errors import CallCancelled, CloudTimeout

__all__ = ["CallFuture"]

_NOTHING = object()


class CallFuture(object):
    """The handle of a call sent without waiting for its result.

    Many calls may be in flight on one connection; each reply is matched to
    its call by the request id. Works with threads only (Python 2.7,
    IronPython): no asyncio.

    Parameters
    ----------
    connection : compas_cloud.client.connection.Connection
        The connection the call was sent on.
    rid : int
        The call's request id.
    name : str
        The function's name.
    events : compas_cloud.client.callbacks.CallEvents or None
        The call's event handler.

    Attributes
    ----------
    id : int
        The request id.
    """

    def __init__(self, connection, rid, name, events=None):
        self.connection = connection
        self.id = rid
        self.name = name
        self.events = events
        self._lock = threading.Lock()
        self._value = _NOTHING
        self._error = None
        self._cancelled = False

    def __repr__(self):
        return "<CallFuture {0} #{1} ({2})>".format(native_str(self.name), self.id, self._state())

    def _state(self):
        if self._cancelled:
            return "cancelled"
        return "done" if self.done() else "running"

    @property
    def progress(self):
        """tuple or None: The latest ``(done, total, message)`` reported by the function."""
        return None if self.events is None else self.events.last_progress

    def done(self):
        """Return True if the call has ended (result, error or cancellation); never blocks."""
        if self._value is not _NOTHING or self._error is not None:
            return True
        return self.connection.done(self.id)

    def result(self, timeout=None):
        """Wait for the call's result and return it.

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait; None waits for ever.

        Raises
        ------
        CloudTimeout
            Not done within ``timeout`` (the call goes on: ask again later).
        CallCancelled
            The call was cancelled.
        ServerSideError
            The function raised on the server.
        """
        with self._lock:
            if self._value is _NOTHING and self._error is None:
                try:
                    self._value = self.connection.wait(self.id, timeout, repr(self.name), keep=True)
                except CloudTimeout:
                    raise
                except Exception as error:
                    self._error = error
        if self._error is not None:
            raise self._error
        return self._value

    def exception(self, timeout=None):
        """Wait for the call to end and return its exception, or None if it succeeded.

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait (None: as long as it takes).

        Returns
        -------
        Exception or None

        Raises
        ------
        compas_cloud.errors.CloudTimeout
            The call did not end within ``timeout``.
        """
        try:
            self.result(timeout)
        except CloudTimeout:
            raise
        except Exception as error:
            return error
        return None

    def cancel(self, timeout=10.0):
        """Ask the server to cancel the call.

        The server answers the call at once with
        :class:`~compas_cloud.errors.CallCancelled`; the function itself stops at
        its next progress report, callback, or
        :func:`compas_cloud.server.progress.check_cancelled` (Python cannot stop a
        thread from outside), and its result is dropped.

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait for the server to confirm.

        Returns
        -------
        bool
            True if the call was still running and is now cancelled.
        """
        if self.done():
            return False
        cancelled = bool(self.connection.request("cancel", timeout=timeout, target=self.id))
        if cancelled:
            self._cancelled = True
        return cancelled

    def cancelled(self):
        """Return True if :meth:`cancel` cancelled the call."""
        if self._cancelled:
            return True
        return isinstance(self._error, CallCancelled)
