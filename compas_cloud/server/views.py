"""What the server shows about itself: ``status()``, the figures of ``/metrics`` and the dashboard's state.

:class:`ServerViews` is a base class of :class:`compas_cloud.server.app.Server`; it reads the server's
sessions, monitor, batches and configuration and changes nothing but a connection's references (the
dashboard's "free" action).
"""
import os
import time

from compas_cloud import __version__
from compas_cloud.server import extra_ops, fastjson
from compas_cloud.server.store import sizeof
from compas_cloud.server.versions import versions


class ServerViews(object):
    """The server's reports on itself (mixed into :class:`compas_cloud.server.app.Server`)."""

    def snapshot(self):
        """Return the figures ``/metrics`` writes (taken on the event loop, no awaiting)."""
        config = self.config
        counts = {}
        running_batches = list(self.batches.running.values())
        for batch in running_batches:
            for state, count in batch.counts.items():
                counts[state] = counts.get(state, 0) + count
        snapshot = {
            "monitor": self.monitor,
            "stopping": self.stopping,
            "uptime": self.uptime(),
            "messages": self.messages,
            "connections": len(self.sessions),
            "refused_handshakes": self.policy.refused,
            "references": sum(len(session.store) for session in self.sessions),
            "stored_bytes": self.stored_bytes,
            "max_total_memory": config.max_total_memory,
            "max_connection_memory": config.max_connection_memory,
            "batches_running": len(running_batches),
            "batch_tasks": counts,
        }
        snapshot.update(extra_ops.status(self))  # the result cache's figures and the shared names
        return snapshot

    def session_by_id(self, value):
        """Return the connection the dashboard calls ``value`` (None if it has gone)."""
        for session in list(self.sessions):
            if str(getattr(session, "dashboard_id", "")) == str(value):
                return session
        return None

    def free_session_references(self, session):
        """Free every reference ``session`` holds (the dashboard's "free" action); return how many."""
        freed_bytes = session.store.stored_bytes
        self.stored_bytes -= freed_bytes
        return session.store.clear()

    def dashboard_state(self):
        """Return what the dashboard shows: clients, calls, references, batches, versions and options."""
        config = self.config
        now = time.time()
        clients = []
        for session in sorted(self.sessions, key=lambda s: getattr(s, "dashboard_id", 0)):
            client = session.client if isinstance(session.client, dict) else {}
            clients.append({
                "connection": getattr(session, "dashboard_id", None),
                "address": session.peer,
                "connected": getattr(session, "connected", None),
                "runtime": client.get("python"),
                "client": client.get("name"),
                "client_version": client.get("version"),
                "transport": client.get("transport"),
                "references": len(session.store),
                "stored_bytes": session.store.stored_bytes,
                "calls": session.calls,
                "messages": session.messages,
            })
        batches = []
        for batch in list(self.batches.running.values()):
            info = batch.status()
            info["connection"] = getattr(batch.session, "dashboard_id", None)
            batches.append(info)
        monitor = self.monitor
        state = {
            "now": now,
            "server": {
                "address": self.address,
                "pid": os.getpid(),
                "uptime": now - self.started,
                "stopping": self.stopping,
                "versions": versions(),
                "options": {
                    "host": config.host, "workers": config.workers, "tls": config.tls,
                    "token_required": config.token is not None,
                    "allowed_origins": sorted(self.policy.origins), "allow": list(config.allow),
                    "deny": list(config.deny), "auto_stop": config.auto_stop,
                    "shutdown_grace": config.shutdown_grace, "max_message_size": config.max_message_size,
                    "max_calls_per_connection": config.max_calls_per_connection,
                    "executor": self.batches.describe(),
                },
            },
            "limits": {"connection_memory": config.max_connection_memory, "total_memory": config.max_total_memory},
            "totals": {
                "calls": dict(monitor.outcomes), "bytes_in": monitor.bytes_in, "bytes_out": monitor.bytes_out,
                "references": sum(item["references"] for item in clients), "stored_bytes": self.stored_bytes,
                "refused_handshakes": self.policy.refused,
            },
            "clients": clients,
            "running": monitor.running_calls(),
            "recent": monitor.recent_calls(),
            "batches": batches,
        }
        state.update(extra_ops.status(self))  # result_cache and shared, as status() reports them
        return state

    def dashboard_url(self):
        """Return the dashboard's address (``http://host:port/``), once the server listens."""
        if self.address is None:
            return None
        host, _, port = self.address.rpartition(":")
        if host in ("0.0.0.0", "[::]"):
            host = "127.0.0.1"
        return "{0}://{1}:{2}/".format("https" if self.config.tls else "http", host, port)

    async def status(self, session):
        values = [value for s in self.sessions for value in s.store.values()]
        clients, stored_bytes = len(self.sessions), self.stored_bytes  # one snapshot, taken before awaiting
        nbytes = await self.run_protocol(lambda: sum(sizeof(value) for value in values))
        return {
            "address": self.address,
            "version": __version__,
            "pid": os.getpid(),
            "uptime": time.time() - self.started,
            "clients": clients,
            "references": len(values),
            "reference_bytes": nbytes,
            "calls": self.calls,
            "messages": self.messages,
            "connection": {
                "references": len(session.store),
                "messages": session.messages,
                "calls": session.calls,
                "calls_in_progress": len(session.call_contexts),
            },
            "auto_stop": self.config.auto_stop,
            "executor": self.batches.describe(),
            "stored_bytes": stored_bytes,
            "running_calls": self._running,
            "abandoned_calls": self.abandoned,
            "workers": self.config.workers,
            "max_workers_per_connection": self.config.workers_per_connection(),
            "refused_handshakes": self.policy.refused,
            "inline": self.inline.describe(),
            "json": "orjson" if fastjson.AVAILABLE else "json",
            **extra_ops.status(self),
        }


__all__ = ["ServerViews"]
