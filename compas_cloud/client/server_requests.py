"""The requests of a :class:`~compas_cloud.Proxy` beyond calls and references: describing, sharing, the server.

:class:`ServerRequests` is a part of :class:`~compas_cloud.Proxy` (a base
class), kept apart so that ``proxy.py`` reads as the calling API. Its methods
use the proxy's ``_request``, timeouts, lock, connection and
:class:`~compas_cloud.client.local_server.LocalServer` (``server``).
"""
from __future__ import absolute_import

from compas_cloud.errors import CloudError
from compas_cloud.protocol import reference_id

__all__ = ["ServerRequests"]


class ServerRequests(object):
    """Describing functions, shared values, the result cache, and the server's status and lifecycle."""

    # -- describing, sharing, the result cache ------------------------------------------

    def describe(self, name):
        """Return the server's description of the function ``name``.

        Parameters
        ----------
        name : str
            The function's dotted name.

        Returns
        -------
        dict
            ``name``, ``summary``, ``doc``, ``signature``, ``parameters`` (each
            with ``name``, ``kind``, ``has_default``, ``default``, ``annotation``,
            ``type``, ``description``) and ``returns`` (docs/protocol.md).

        Raises
        ------
        compas_cloud.errors.FunctionNotFound, compas_cloud.errors.FunctionNotAllowed
            As a call to ``name`` would.
        """
        return self._request("describe", self.timeout, function=name)

    def functions(self, module):
        """Return the names of the functions of ``module`` that this server lets clients call.

        Parameters
        ----------
        module : str
            A dotted module name (``"compas.geometry"``).

        Returns
        -------
        list of str
        """
        return self._request("functions", self.timeout, module=module)

    def share(self, ref, name):
        """Publish the stored value behind ``ref`` under ``name`` for the other clients of this server.

        Parameters
        ----------
        ref : Reference
            A value this connection stored.
        name : str
            The name other clients ask for with :meth:`shared`.
        """
        return self._request("share", self.timeout, ref=reference_id(ref), name=name)

    def shared(self, name):
        """Return a reference of this connection to the value shared under ``name``.

        Parameters
        ----------
        name : str
            The name it was shared under (:meth:`share`).

        Returns
        -------
        Reference
        """
        return self._request("shared", self.timeout, name=name)

    def unshare(self, name):
        """Remove the shared name ``name`` (references taken from it stay valid).

        Parameters
        ----------
        name : str
            The name it was shared under.
        """
        return self._request("unshare", self.timeout, name=name)

    def load(self):
        """Return how busy the server is: ``{"running_calls", "connections", "stopping"}`` (cheaper than status)."""
        return self._request("load", self.timeout)

    def clear_result_cache(self):
        """Empty the server's result cache.

        Returns
        -------
        int
            How many results it held.
        """
        return self._request("clear_result_cache", self.timeout)

    # -- the server ------------------------------------------------------------------------

    def check(self, timeout=None):
        """Return True if the server answers, False otherwise (never raises).

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait for the answer (the proxy's ``connect_timeout`` by default).

        Returns
        -------
        bool
        """
        try:
            return self._request("ping", timeout or self.connect_timeout) == "pong"
        except CloudError:
            return False

    def version(self):
        """Return the versions of compas_cloud, the protocol, Python, compas, numpy and websockets on the server.

        Returns
        -------
        dict
        """
        return self._request("version", self.connect_timeout)

    def status(self):
        """Return the server's status: address, version, clients, stored references and their memory, counters.

        Returns
        -------
        dict
            The fields are listed in docs/protocol.md.
        """
        return self._request("status", self.timeout)

    def shutdown(self):
        """Stop the server (for every client); running calls get its grace period to finish."""
        with self._lock:
            try:
                self._request("shutdown", self.connect_timeout)
            finally:
                self.close()
            self.server.wait_stopped(30.0)

    def restart(self):
        """Stop the server this proxy launched and launch it again with the same options; every stored reference is lost.

        The new server gets the interpreter, token, auto-stop and server
        options (allow/deny lists, workers, ...) the first one had.

        Raises
        ------
        CloudError
            The server was not launched by this proxy (it was running already,
            or it is on another machine): it is left running, untouched.
        """
        self.server.check_restartable()
        with self._lock:
            if self._connection is not None:
                try:
                    self.shutdown()
                except CloudError:
                    pass
            self.server.relaunch(30.0)
            self._connect()
            self._say("Restarted the server at {0}".format(self.address))
