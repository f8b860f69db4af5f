"""Several servers behind one proxy: stateless calls go to the least busy live one.

``Proxy(servers=["ws://a:9009", "ws://b:9009"])`` (or the addresses in
``COMPAS_CLOUD_SERVERS``, separated by commas or spaces) returns a
:class:`ServerPool`. It offers the calls of a :class:`~compas_cloud.Proxy`:

- a call without references goes to the live server with the fewest calls
  running (those this client has in flight there, plus the server's own count
  from its last ``load``), and to the next server if the chosen one cannot
  be reached or goes away before answering;
- references stay bound to the server that holds them: a call, ``get``,
  ``free`` or ``share`` that uses a reference goes there (references of two
  servers in one call are an error), and so do shared names this pool shared;
- ``status()`` reports each server.

Python 2.7 and IronPython safe, like the rest of the client.
"""
from __future__ import absolute_import

import os
import threading
import time

from compas_cloud.errors import CloudError, CloudTimeout, ConnectionClosed, ConnectionFailed, ReferenceNotFound, UnknownOperation
from compas_cloud.protocol import Reference, is_reference, reference_id
from compas_cloud.protocol.walk import MAX_DEPTH, TooDeep

#: The environment variable listing servers (``ws://host:port`` or ``host:port``, comma or space separated).
SERVERS_ENV = "COMPAS_CLOUD_SERVERS"

#: Seconds a server's load (from ``status``) is trusted before it is asked again.
LOAD_AGE = 1.0

#: Seconds before a server that went away is tried again.
RETRY_AFTER = 5.0


def servers_from_env(environ=None):
    """Return the server addresses listed in ``COMPAS_CLOUD_SERVERS`` (an empty list if unset)."""
    text = (environ if environ is not None else os.environ).get(SERVERS_ENV, "")
    return [item for item in text.replace(",", " ").split() if item]


def _url(address):
    return address if "://" in address else "ws://" + address


class _Member(object):
    """One server of the pool: its proxy (connected on demand) and what the pool knows of its load."""

    def __init__(self, url):
        self.url = url
        self.proxy = None
        self.in_flight = 0
        self.load = 0
        self.load_time = 0.0
        self.down_since = None
        self.error = None
        self.has_load_op = True

    def usable(self):
        return self.down_since is None or time.time() - self.down_since >= RETRY_AFTER


class ServerPool(object):
    """Several compas_cloud servers used as one (see the module's description).

    Parameters
    ----------
    servers : list of str
        Server addresses: ``ws://host:port``, ``wss://host:port`` or ``host:port``.
    **options
        Options of every member :class:`~compas_cloud.Proxy` (``token``, ``timeout``,
        ``connect_timeout``, ``verbose``, ...). Members are never launched: the
        servers must be running.
    """

    def __init__(self, servers, **options):
        if not servers:
            raise ValueError("a server pool needs at least one server address")
        options.pop("autolaunch", None)
        for key in ("host", "port", "url"):
            options.pop(key, None)
        self.options = options
        self.timeout = options.get("timeout", 600.0)
        self.members = [_Member(_url(address)) for address in servers]
        self._owners = {}  # reference id -> member
        self._names = {}  # shared name -> member
        self._lock = threading.RLock()
        self._next = 0

    # -- choosing a server ------------------------------------------------------------

    def _proxy(self, member):
        from compas_cloud.client.proxy import Proxy

        with self._lock:
            if member.proxy is None:
                member.proxy = Proxy(url=member.url, autolaunch=False, **self.options)
            return member.proxy

    def _down(self, member, error):
        with self._lock:
            member.down_since = time.time()
            member.error = str(error)
            if member.proxy is not None:
                try:
                    member.proxy.close()
                except CloudError:
                    pass
                member.proxy = None

    def _refresh_load(self, member):
        if time.time() - member.load_time < LOAD_AGE:
            return
        proxy = self._proxy(member)
        if member.has_load_op:
            try:
                load = proxy.load()  # cheap: no walk over the stored values, unlike status()
            except UnknownOperation:  # a server older than the load operation
                member.has_load_op = False
        if not member.has_load_op:
            load = proxy.status()
        member.load = int(load.get("running_calls") or 0) + (1000 if load.get("stopping") else 0)
        member.load_time = time.time()

    def _candidates(self):
        """Live members, least busy first (ties in turn, so idle servers share the work)."""
        with self._lock:
            self._next += 1
            start = self._next
        ranked = []
        for position, member in enumerate(self.members):
            if not member.usable():
                continue
            try:
                self._refresh_load(member)
            except (ConnectionFailed, ConnectionClosed, CloudTimeout) as error:  # a timeout: connecting, or load
                self._down(member, error)
                continue
            member.down_since = None
            turn = (position - start) % len(self.members)
            ranked.append((member.in_flight + member.load, turn, member))
        ranked.sort(key=lambda item: (item[0], item[1]))
        return [item[2] for item in ranked]

    def _no_server(self):
        errors = "; ".join("{0}: {1}".format(m.url, m.error or "not tried") for m in self.members)
        return ConnectionFailed("none of the servers of the pool answers ({0})".format(errors))

    def _stateless(self, action):
        """Run ``action(proxy)`` on the least busy live server, failing over to the others."""
        for member in self._candidates():
            with self._lock:
                member.in_flight += 1
            try:
                return member, action(self._proxy(member))
            except (ConnectionFailed, ConnectionClosed) as error:
                self._down(member, error)
            finally:
                with self._lock:
                    member.in_flight -= 1
        raise self._no_server()

    def _owner(self, value):
        """Return the member holding the references in ``value`` (None if it holds none)."""
        owners = set()
        for ref in _references(value):
            member = self._owners.get(ref)
            if member is None:
                raise ReferenceNotFound(
                    "the reference {0!r} was not made through this server pool: the pool cannot tell which "
                    "server holds it".format(ref)
                )
            owners.add(member)
        if len(owners) > 1:
            raise ReferenceNotFound(
                "the arguments hold references of different servers ({0}): a call runs on one server; "
                "fetch one value with get() and pass it, or keep related values on one server".format(
                    ", ".join(sorted(m.url for m in owners))
                )
            )
        return owners.pop() if owners else None

    def _on(self, member, action):
        with self._lock:
            member.in_flight += 1
        try:
            return action(self._proxy(member))
        finally:
            with self._lock:
                member.in_flight -= 1

    def _bound(self, member, result):
        for ref in _references(result):
            self._owners[ref] = member
        return result

    # -- calling ------------------------------------------------------------------------

    def function(self, name, cache=False, timeout=None, progress=None, output=None, cache_result=False):
        """Return a callable that runs ``name`` on the pool (see :meth:`compas_cloud.Proxy.function`)."""
        from compas_cloud.client.proxy import RemoteFunction

        return RemoteFunction(
            self, name, cache=cache, timeout=timeout, progress=progress, output=output, cache_result=cache_result
        )

    def call(self, name, args=(), kwargs=None, cache=False, timeout=None, progress=None, output=None, cache_result=False):
        """Run ``name`` on the server holding its references, or else on the least busy live server."""
        def action(proxy):
            return proxy.call(
                name, args, kwargs, cache=cache, timeout=timeout, progress=progress, output=output,
                cache_result=cache_result,
            )

        member = self._owner([args, kwargs])
        if member is not None:
            return self._bound(member, self._on(member, action))
        member, result = self._stateless(action)
        return self._bound(member, result)

    def submit(self, name, args=(), kwargs=None, cache=False, progress=None, output=None, cache_result=False):
        """Send a call without waiting (to the same server :meth:`call` would choose); return its future."""
        def action(proxy):
            return proxy.submit(name, args, kwargs, cache=cache, progress=progress, output=output, cache_result=cache_result)

        member = self._owner([args, kwargs])
        if member is not None:
            return self._on(member, action)
        return self._stateless(action)[1]

    def offload(self, name, args=(), kwargs=None, cache=False, timeout=None, cache_result=False):
        """Run ``name`` on the executor of the server holding its references, or else of the least busy one."""
        def action(proxy):
            return proxy.offload(name, args, kwargs, cache=cache, timeout=timeout, cache_result=cache_result)

        member = self._owner([args, kwargs])
        if member is not None:
            return self._bound(member, self._on(member, action))
        member, result = self._stateless(action)
        return self._bound(member, result)

    def batch(self, tasks, on_event=None):
        """Submit a batch to the least busy live server (see :meth:`compas_cloud.Proxy.batch`).

        Its tasks may not use references: a batch runs on one server, chosen before it starts.
        """
        if _references(tasks):
            raise ReferenceNotFound(
                "a batch sent to a server pool cannot use references: pass the values, or use the proxy "
                "of the server that holds them"
            )
        return self._stateless(lambda proxy: proxy.batch(tasks, on_event))[1]

    def cache(self, data):
        """Store ``data`` on the least busy live server; the reference stays bound to it."""
        member, ref = self._stateless(lambda proxy: proxy.cache(data))
        return self._bound(member, ref)

    def get(self, ref):
        """Return the value behind a reference, from the server that holds it."""
        return self._on(self._owner(ref), lambda proxy: proxy.get(ref))

    def free(self, ref):
        """Free references (each on the server that holds it); return how many were freed."""
        refs = ref if isinstance(ref, (list, tuple)) else [ref]
        groups = {}
        for item in refs:
            member = self._owner(item)
            groups.setdefault(id(member), (member, []))[1].append(item)
        count = 0
        for member, items in groups.values():
            count += self._on(member, lambda proxy: proxy.free(items))
            for item in items:
                self._owners.pop(reference_id(item), None)
        return count

    def replace(self, old, new):
        """Free ``old`` (on the server that holds it) and return ``new`` (see :meth:`compas_cloud.Proxy.replace`)."""
        from compas_cloud.client import references

        return references.replace(self, old, new)

    def describe(self, name):
        """Describe ``name`` (asks a live server)."""
        return self._stateless(lambda proxy: proxy.describe(name))[1]

    def functions(self, module):
        """List the callable functions of ``module`` (asks a live server)."""
        return self._stateless(lambda proxy: proxy.functions(module))[1]

    def share(self, ref, name):
        """Share ``ref`` under ``name`` on the server that holds it."""
        member = self._owner(ref)
        result = self._on(member, lambda proxy: proxy.share(ref, name))
        self._names[name] = member
        return result

    def _holder(self, name):
        member = self._names.get(name)
        if member is not None:
            return member
        for member in self._candidates():  # shared by another client: ask each server
            try:
                listed = self._proxy(member).status().get("shared", {}).get("names", [])
            except (ConnectionFailed, ConnectionClosed, CloudTimeout) as error:
                self._down(member, error)
                continue
            if any(item.get("name") == name for item in listed):
                return member
        raise ReferenceNotFound("no server of the pool shares the name {0!r}".format(name))

    def shared(self, name):
        """Return a reference to the value shared as ``name`` (bound to the server that holds it)."""
        member = self._holder(name)
        return self._bound(member, self._on(member, lambda proxy: proxy.shared(name)))

    def unshare(self, name):
        """Remove the shared name ``name`` from the server that holds it."""
        member = self._holder(name)
        result = self._on(member, lambda proxy: proxy.unshare(name))
        self._names.pop(name, None)
        return result

    def clear_result_cache(self):
        """Empty the result cache of every live server; return how many results they held."""
        return sum(self._on(member, lambda proxy: proxy.clear_result_cache()) for member in self._candidates())

    def check(self, timeout=None):
        """Return True if at least one server answers."""
        return any(self._proxy(member).check(timeout) for member in self._candidates())

    def status(self):
        """Return ``{"servers": [{"url", "alive", "in_flight", "status" or "error"}, ...]}``, one per server."""
        report = []
        for member in self.members:
            entry = {"url": member.url, "in_flight": member.in_flight}
            try:
                entry["status"] = self._proxy(member).status()
                entry["alive"] = True
                member.down_since = None
            except (ConnectionFailed, ConnectionClosed, CloudTimeout) as error:
                self._down(member, error)
                entry["alive"] = False
                entry["error"] = str(error)
            report.append(entry)
        return {"servers": report}

    def close(self):
        """Close the connections to every server."""
        for member in self.members:
            if member.proxy is not None:
                member.proxy.close()
                member.proxy = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<compas_cloud.ServerPool {0}>".format(", ".join(member.url for member in self.members))


def _references(value):
    """Return the ids of the references anywhere in ``value``, in order.

    Without recursion (IronPython does not enforce the recursion limit): containers nested deeper
    than :data:`~compas_cloud.protocol.walk.MAX_DEPTH` raise :class:`~compas_cloud.protocol.walk.TooDeep`.
    """
    found = []
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Reference) or is_reference(item):
            found.append(reference_id(item))
            continue
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, (list, tuple)):
            children = list(item)
        else:
            continue
        if depth >= MAX_DEPTH:
            raise TooDeep("the value nests lists/dicts more than {0} levels deep".format(MAX_DEPTH))
        children.reverse()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list, tuple)))
    return found
