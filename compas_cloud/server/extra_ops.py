"""The operations beyond calls and references: describe, functions, shared values, the result cache.

Each handler takes the connection's :class:`~compas_cloud.server.session.Session`,
the request's fields and the decoded message, and returns the result to send.
"""
from compas_cloud.errors import LimitExceeded, SharingNotAllowed
from compas_cloud.server import describe as describing
from compas_cloud.server.result_cache import ResultCache
from compas_cloud.server.security import is_loopback
from compas_cloud.server.store import sizeof
from compas_cloud.server.shared import SharedValues


def attach(server):
    """Give ``server`` its shared values and, if ``--result-cache`` is set, its result cache."""
    size = getattr(server.config, "result_cache", None)
    server.result_cache = ResultCache(size) if size else None
    server.shared_values = SharedValues()


def result_cache_for(server, fields):
    """Return the result cache a call should use, or None.

    None unless the call asked for ``cache_result`` and the server has a
    cache; never for calls that declare callbacks or ask for their output
    (their effects on the client are part of what they do).
    """
    if not fields.get("cache_result") or fields.get("callbacks") or fields.get("output"):
        return None
    return server.result_cache


async def offloaded(server, fields, name, args, kwargs, run):
    """Return the result of an offloaded call: from the result cache, or ``await run()`` and cache it.

    For calls that run on the executor (``executor``, ``--offload``): the key is
    taken and the copies made in the worker pool, not on the event loop.
    """
    cache = result_cache_for(server, fields)
    if cache is None:
        return await run()
    key = await server.run_protocol(cache.key, name, args, kwargs)
    if key is not None:
        found, value = await server.run_protocol(cache.get, key)
        if found:
            return value
    result = await run()
    if key is not None:
        await server.run_protocol(lambda: cache.put(key, result, sizeof(result)))
    return result


def status(server):
    """Return the ``result_cache`` and ``shared`` fields of ``status()``."""
    cache = server.result_cache
    return {
        "result_cache": cache.describe() if cache is not None else {"enabled": False},
        "shared": {"names": server.shared_values.describe(), "bytes": server.shared_values.stored_bytes},
    }


async def _describe(session, fields, decoded):
    server = session.server
    return await server.run_in_worker(describing.describe, server.functions, fields["function"])


async def _functions(session, fields, decoded):
    server = session.server
    return await server.run_in_worker(describing.functions, server.functions, fields["module"])


def check_sharing(server):
    """Raise SharingNotAllowed unless the connections of ``server`` belong to one person or team.

    They do when every connection presented the server's token, or when the
    server has no token and listens on loopback only (every connection comes
    from this machine). A server started in Python on a network address
    without a token (the command line refuses to) serves strangers to one
    another: it shares nothing.
    """
    if server.policy.token is None and not is_loopback(server.config.host):
        raise SharingNotAllowed(
            "this server listens on {0} without a token, so its connections may belong to different people: "
            "it shares no values; start it with a token (--token-file) to share values between the connections "
            "that present it".format(server.config.host)
        )


async def _share(session, fields, decoded):
    server = session.server
    check_sharing(server)
    name = fields["name"]
    SharedValues.check_name(name)
    value = session.store.get(fields["ref"])
    nbytes = session.store.size_of(fields["ref"])
    shared = server.shared_values
    replaced = shared.size_of(name)
    limit = server.config.max_total_memory
    total = server.stored_bytes - replaced + nbytes
    if limit is not None and total > limit:
        raise LimitExceeded(
            "sharing this value ({0} bytes) would bring the stored values of the server to {1} bytes, over the "
            "limit of {2} set by --max-total-memory; unshare names or free references first".format(nbytes, total, limit)
        )
    freed = shared.share(name, value, nbytes)
    server.stored_bytes += nbytes - freed
    return name


async def _shared(session, fields, decoded):
    check_sharing(session.server)
    value, nbytes = session.server.shared_values.get(fields["name"])
    return await session.keep(value, nbytes)


async def _unshare(session, fields, decoded):
    check_sharing(session.server)
    nbytes = session.server.shared_values.unshare(fields["name"])
    session.server.stored_bytes -= nbytes
    return True


async def _load(session, fields, decoded):
    server = session.server
    return {"running_calls": server.calls_running(), "connections": len(server.sessions), "stopping": server.stopping}


async def _clear_result_cache(session, fields, decoded):
    cache = session.server.result_cache
    return cache.clear() if cache is not None else 0


#: Operation name -> handler.
HANDLERS = {
    "describe": _describe,
    "functions": _functions,
    "share": _share,
    "shared": _shared,
    "unshare": _unshare,
    "clear_result_cache": _clear_result_cache,
    "load": _load,
}
