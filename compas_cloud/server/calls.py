"""Calls: the ``call`` operation, in this process or offloaded to the executor.

:func:`call` answers one ``call`` request of a session: it resolves the
references in the arguments, sets the call up (:func:`prepare`: its
:class:`~compas_cloud.server.context.CallContext` and its callbacks), runs
the function in the worker pool through the server's gate, and encodes the
reply (or stores the result, with ``cache``). A function that proved fast runs
on the event loop instead (:mod:`compas_cloud.server.inline`, :func:`call_inline`). A call with ``executor: true``,
or to a name given to ``--offload``, runs in the executor's worker processes
instead (:func:`run_offloaded`).

The call context itself (what :mod:`~compas_cloud.server.progress`, the
callbacks and the output capture look up) lives in
:mod:`compas_cloud.server.context`; its names stay importable from here.
"""
import asyncio
import secrets
import sys
import traceback

from compas_cloud.errors import FunctionNotFound, ServerSideError
from compas_cloud.server import extra_ops
from compas_cloud.server.callbacks import RemoteCallback, check_declared, replace_markers
from compas_cloud.server.context import EVENT_TIMEOUT, CallContext, current, running
from compas_cloud.server.inline import clock, cpu_clock
from compas_cloud.server.store import sizeof

__all__ = ["call", "call_inline", "prepare", "run_offloaded", "remote_failure", "CallContext", "EVENT_TIMEOUT", "current", "running"]


def remote_failure(error):
    """Wrap an exception raised by a called function, keeping its type name and traceback."""
    tb = error.__traceback__
    if tb is not None and tb.tb_next is not None:
        tb = tb.tb_next  # drop the frame of our own call site
    text = "".join(traceback.format_exception(type(error), error, tb))
    if isinstance(error, ServerSideError):  # CallbackError, CallCancelled: keep their type and message
        return type(error)(error.message, remote_type=error.remote_type, traceback=text)
    return ServerSideError(str(error), remote_type=type(error).__name__, traceback=text)


def prepare(session, request, args, kwargs):
    """Set up the call ``request`` of ``session``: its context, and its callbacks in the arguments.

    Returns
    -------
    tuple
        ``(context, args, kwargs)``; the context is None for plain (tutorial) calls,
        which get no events.
    """
    if request.plain:
        return None, args, kwargs
    fields = request.fields
    context = CallContext(
        session, request.id, asyncio.get_running_loop(), progress=fields.get("progress", False), output=fields.get("output", False)
    )
    declared = check_declared(fields.get("callbacks") or [])
    if declared:
        answers = session.callback_answers

        def make(callback_id, wait):
            return RemoteCallback(context, callback_id, wait, answers, timeout=session.server.config.callback_timeout)

        args = replace_markers(args, declared, make)
        kwargs = replace_markers(kwargs, declared, make)
    session.call_contexts[request.id] = context
    return context, args, kwargs


async def call(session, request, decoded):
    """Answer the ``call`` request of ``session``; return the encoded reply."""
    server = session.server
    fields = request.fields
    name = fields["function"]
    args, kwargs = fields["args"], fields["kwargs"]
    if decoded.references:
        args = session.store.resolve(args)
        kwargs = session.store.resolve(kwargs)
    session.calls += 1
    server.calls += 1
    cache = fields["cache"]
    if fields.get("executor") or server.batches.offloaded(name):
        # Run in the executor's worker processes, not in this process.
        result = await extra_ops.offloaded(
            server, fields, name, args, kwargs, lambda: run_offloaded(server.batches, name, args, kwargs)
        )
        if cache:
            return session.encode_result(request, await session.keep(result))
        return await server.run_protocol(session.encode_result, request, result, None, name)
    context, args, kwargs = prepare(session, request, args, kwargs)
    registry = server.functions
    result_cache = extra_ops.result_cache_for(server, fields)
    inline = session.inline_request is request
    session.inline_request = None
    elapsed = []

    def timed():
        start, start_cpu = clock(), cpu_clock()
        try:
            return work()
        finally:
            elapsed.append((clock() - start, cpu_clock() - start_cpu))

    def work():
        func = registry.resolve(name)
        try:
            with running(context):
                if result_cache is None:
                    result = func(*args, **kwargs)
                else:
                    result = result_cache.run(name, func, args, kwargs, sizeof)
        except Exception as error:
            raise remote_failure(error) from None
        if cache:
            return result, sizeof(result)
        return None, session.encode_result(request, result, function=name)

    if inline:
        events = []
        try:
            return call_inline(session, request, name, context, timed, elapsed, events)
        finally:
            for text in events:  # what the call reported goes out before its reply (or its error)
                await session.send(text)
    try:
        result, text = await server.run_call(session, timed)
    finally:
        # The worker drops the context when the function returns; this covers a name that did not
        # resolve and a call cancelled before a worker took it.
        if context is not None and session.call_contexts.get(request.id) is context:
            session.call_contexts.pop(request.id, None)
        if elapsed and result_cache is None:  # a hit of the result cache says nothing about the function's speed
            server.inline.record(name, elapsed[0][0], False, elapsed[0][1])
    if not cache:
        return text
    return session.encode_result(request, await session.keep(result, text))


def call_inline(session, request, name, context, timed, elapsed, events):
    """Run a call that proved fast right here on the event loop; return its reply's text.

    The events it reports are buffered and put in ``events`` (also when it fails): the caller
    sends them before the reply.
    """
    if context is not None:
        context.buffer = []
    try:
        return timed()[1]
    finally:
        if context is not None:
            events.extend(context.buffer)
            context.buffer = None
            session.call_contexts.pop(request.id, None)
        if elapsed:
            session.server.inline.record(name, elapsed[0][0], True, elapsed[0][1])


async def run_offloaded(service, name, args, kwargs):
    """Run one call on the executor of ``service`` (a BatchService) and return its value (raising its error).

    The name passes the server's gate first (and the worker checks it again).
    """
    server = service.server
    if server.functions.rules() is not None:
        try:
            await server.run_in_worker(server.functions.resolve, name)
        except FunctionNotFound:
            pass  # a Dask worker may have a module this process lacks: the worker decides
    await service.start()
    loop = service.loop
    answer = loop.create_future()

    def notify(kind, key, info):
        if kind == "done":
            try:
                loop.call_soon_threadsafe(lambda: answer.done() or answer.set_result(info))
            except RuntimeError:  # the server has stopped
                pass

    key = "compas_cloud-call-{0}".format(secrets.token_urlsafe(12))
    handle = await server.run_protocol(service.executor.submit, key, name, args, kwargs, notify)
    try:
        payload = await answer
    except asyncio.CancelledError:
        service.executor.cancel([handle])
        raise
    for stream, text in (("stdout", payload.get("stdout")), ("stderr", payload.get("stderr"))):
        if text:
            getattr(sys, stream).write(text)
    if payload["ok"]:
        return payload["value"]
    error = payload["error"]
    raise ServerSideError(error.get("message", ""), remote_type=error.get("type"), traceback=error.get("traceback"))
