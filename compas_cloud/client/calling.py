"""The calls of a :class:`~compas_cloud.Proxy`: remote functions, waiting, background, executor and batch calls.

:class:`Calls` is a part of :class:`~compas_cloud.client.proxy.Proxy` (a mixin): it uses the proxy's
connection, timeout, ``progress`` and ``output``.
"""
from __future__ import absolute_import

from compas_cloud.client.callbacks import CallEvents, encode_callbacks
from compas_cloud.client.future import CallFuture
from compas_cloud.client.remote import RemoteFunction
from compas_cloud.errors import CloudError, CloudTimeout


class Calls(object):
    """Running functions on the server: :meth:`function`, :meth:`call`, :meth:`submit`, :meth:`offload`, :meth:`batch`."""

    def function(self, name, cache=False, timeout=None, progress=None, output=None, cache_result=False):
        """Return a callable that runs the function ``name`` on the server.

        Parameters
        ----------
        name : str
            A dotted name: ``"package.module.function"`` or ``"package.module.Class.method"``.
        cache : bool, optional
            Keep the result on the server and return a reference to it.
        timeout : float, optional
            Seconds each call may take (the proxy's timeout by default).
        progress : bool or callable, optional
            How to show the progress the function reports: a function
            ``f(done, total, message)``, True for the default display, False for
            none (the proxy's ``progress`` by default).
        output : bool or callable, optional
            Stream what the function prints: True prints it here, a function
            ``f(stream, text)`` receives it (the proxy's ``output`` by default).
        cache_result : bool, optional
            Let the server answer from its result cache (``--result-cache``): a call
            with the same function and equal arguments made before by any client.

        Returns
        -------
        RemoteFunction
        """
        return RemoteFunction(
            self, name, cache=cache, timeout=timeout, progress=progress, output=output, cache_result=cache_result
        )

    def _call_fields(self, connection, name, args, kwargs, cache, progress, output, cache_result=False):
        args, kwargs, callbacks = encode_callbacks(args, kwargs)
        progress = self.progress if progress is None else progress
        output = self.output if output is None else output
        fields = {"function": name, "args": args, "kwargs": kwargs, "cache": bool(cache)}
        if cache_result:
            fields["cache_result"] = True
        if not (callbacks or progress or output):
            return fields, None
        if callbacks:
            fields["callbacks"] = sorted(callbacks)
        if progress:
            fields["progress"] = True
        if output:
            fields["output"] = True
        return fields, CallEvents(connection, name, callbacks, progress, output)

    def submit(self, name, args=(), kwargs=None, cache=False, progress=None, output=None, cache_result=False):
        """Send a call without waiting; return its :class:`~compas_cloud.client.future.CallFuture`.

        Callbacks, progress and output of the call are handled by the
        connection's event thread.

        Parameters
        ----------
        name : str
            The function's dotted name.
        args : sequence, optional
            Its positional arguments.
        kwargs : dict, optional
            Its keyword arguments.
        cache, progress, output, cache_result : optional
            As for :meth:`function`.

        Returns
        -------
        compas_cloud.client.future.CallFuture
            Its ``result(timeout)`` waits for the answer.
        """
        connection = self.connection
        fields, events = self._call_fields(connection, name, args, kwargs, cache, progress, output, cache_result)
        rid = connection.send_with(events, False, "call", **fields)
        future = CallFuture(connection, rid, name, events)
        connection.owned_by(future, rid)  # a future dropped unread frees its entry and result
        return future

    def call(self, name, args=(), kwargs=None, cache=False, timeout=None, progress=None, output=None, cache_result=False):
        """Run the function ``name`` on the server with ``args`` and ``kwargs``.

        References (:class:`Reference`) anywhere in the arguments stand for
        the values stored on the server. With ``cache_result=True`` the server
        may answer from its result cache (see :meth:`function`).

        Parameters
        ----------
        name : str
            The function's dotted name.
        args : sequence, optional
            Its positional arguments; client-side functions among them become callbacks.
        kwargs : dict, optional
            Its keyword arguments.
        cache : bool, optional
            Keep the result on the server and return a reference to it.
        timeout : float, optional
            Seconds to wait (the proxy's ``timeout`` by default); the call is
            cancelled on the server when they run out.
        progress, output, cache_result : optional
            As for :meth:`function`.

        Returns
        -------
        object
            The function's result, or a :class:`Reference` to it with ``cache=True``.

        Raises
        ------
        compas_cloud.errors.ServerSideError
            The function raised; carries the remote type, message and traceback.
        """
        timeout = self.timeout if timeout is None else timeout
        connection = self.connection
        fields, events = self._call_fields(connection, name, args, kwargs, cache, progress, output, cache_result)
        rid = connection.send_with(events, True, "call", **fields)
        try:
            return connection.wait(rid, timeout, u"the call to {0}".format(name))
        except CloudTimeout:
            # Nobody will read this result: ask the server to stop the call (it stops at its next
            # progress report or callback; a function that never reports runs on, its result dropped).
            try:
                connection.notify("cancel", target=rid)
            except CloudError:
                pass
            raise
        finally:
            if events is not None:
                events.finish()

    def offload(self, name, args=(), kwargs=None, cache=False, timeout=None, cache_result=False):
        """Like :meth:`call`, but the server runs the function on its executor.

        The executor is the server's local process pool or its Dask cluster
        (``--executor``), so a heavy call leaves the server process. Servers
        can also route every call of a function there (``--offload NAME``).
        ``cache_result=True`` lets the server answer from its result cache.

        Parameters
        ----------
        name : str
            The function's dotted name.
        args : sequence, optional
            Its positional arguments (no callbacks: the function runs in another process).
        kwargs : dict, optional
            Its keyword arguments.
        cache, timeout, cache_result : optional
            As for :meth:`call`.

        Returns
        -------
        object
            The function's result, or a :class:`Reference` to it with ``cache=True``.
        """
        fields = dict(function=name, args=list(args), kwargs=dict(kwargs or {}), cache=bool(cache), executor=True)
        if cache_result:
            fields["cache_result"] = True
        return self._request("call", self.timeout if timeout is None else timeout, **fields)

    def batch(self, tasks, on_event=None):
        """Submit tasks to run on the server's executor; return a :class:`~compas_cloud.client.batch.Batch`.

        Parameters
        ----------
        tasks : list
            ``(name, args, kwargs)`` for each task (see :func:`compas_cloud.client.batch.task_specs`).
            References among the arguments (:meth:`cache`) are sent to the workers once per batch.
        on_event : callable, optional
            Called with each status event of the batch (a dict) while it runs.

        Returns
        -------
        compas_cloud.client.batch.Batch
        """
        from compas_cloud.client.batch import Batch, BatchEvents, task_specs

        specs = task_specs(tasks)
        connection = self.connection
        router = BatchEvents.of(connection)
        info = connection.request("batch", timeout=self.timeout, tasks=specs)
        batch = Batch(self, info, on_event)
        router.register(batch)
        return batch

