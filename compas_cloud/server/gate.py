"""The one gate every function name passes before it is called.

Every way a request names a function (an in-process call, ``executor: true``
and ``Proxy.offload``, a name given to ``--offload``, a batch task) goes
through :class:`Gate`: the server's ``--allow``/``--deny`` lists and the
built-in list of risky entry points (:mod:`compas_cloud.server.risky`) are
checked before anything is imported and again on the object the name
resolves to. A worker process checks again with :func:`resolve` and the
rules it was given (:meth:`Gate.rules`), so a task that reaches a worker by
another road is still refused.

Public API: :class:`Gate`, :func:`resolve`, :func:`policy_from_rules`.
"""
import importlib
import re
import threading
import types

from compas_cloud.errors import FunctionNotFound, NotCallable

__all__ = ["Gate", "resolve", "policy_from_rules"]

_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class Gate:
    """Resolves dotted names to callables under the server's policy, and remembers them.

    Parameters
    ----------
    policy : compas_cloud.server.security.AccessPolicy, optional
        The rules; None lets every importable function through.
    """

    def __init__(self, policy=None):
        self.policy = policy
        self._cache = {}
        self._lock = threading.Lock()

    def check(self, name):
        """Refuse ``name`` by the policy alone, before anything is imported.

        Raises
        ------
        FunctionNotAllowed
            The policy refuses the name.
        FunctionNotFound
            The name is not a dotted name.
        """
        _check_dotted(name)
        if self.policy is not None:
            self.policy.check_name(name)

    def resolve(self, name):
        """Return the callable named ``name`` (checked, then imported, then checked again).

        Raises
        ------
        FunctionNotAllowed
            The policy refuses the name or what it resolves to.
        FunctionNotFound
            The name is not a dotted name, or its module cannot be imported,
            or the module has no such attribute; the message says which.
        NotCallable
            The name resolves to something that cannot be called.
        """
        func = self._cache.get(name) if isinstance(name, str) else None
        if func is not None:  # resolved before, under the same policy (it does not change while the server runs)
            return func
        self.check(name)
        func = resolve(name, self.policy)
        with self._lock:
            self._cache[name] = func
        return func

    def rules(self):
        """Return the policy as plain data for a worker process: ``{"allow": [...], "deny": [...]}``, or None."""
        if self.policy is None or not self.policy.restricted:
            return None
        return {"allow": list(self.policy.allow), "deny": list(self.policy.deny)}


def policy_from_rules(rules):
    """Rebuild the call policy from :meth:`Gate.rules` (in a worker process); None for no rules."""
    if not rules:
        return None
    from compas_cloud.server.security import AccessPolicy

    return AccessPolicy(allow=rules.get("allow") or (), deny=rules.get("deny") or ())


def _check_dotted(name):
    if not isinstance(name, str) or not _DOTTED.match(name):
        raise FunctionNotFound("{0!r} is not a dotted name such as 'package.module.function'".format(name))


def resolve(name, policy=None):
    """Import and return the callable named ``name``, checking ``policy`` on the way.

    The policy (an ``AccessPolicy`` or None) is checked on the name before
    anything is imported, on every module met while walking the attributes
    (``numpy.os.system`` is ``os.system``), and on the resolved object's own
    module and qualified name (``numpy.load`` is ``numpy.lib.npyio.load``).

    Raises
    ------
    FunctionNotAllowed, FunctionNotFound, NotCallable
        As :meth:`Gate.resolve`.
    """
    _check_dotted(name)
    if policy is not None:
        policy.check_name(name)
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        module_name = ".".join(parts[:split])
        try:
            obj = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            missing = error.name or ""
            if missing == module_name or module_name.startswith(missing + "."):
                continue  # this prefix is not a module: try a shorter one
            raise FunctionNotFound(
                "cannot import {0!r} for {1!r}: it needs the module {2!r}, which is not installed "
                "in the server's Python".format(module_name, name, missing)
            ) from None
        except Exception as error:
            raise FunctionNotFound(
                "importing {0!r} for {1!r} raised {2}: {3}".format(module_name, name, type(error).__name__, error)
            ) from None
        for position, attribute in enumerate(parts[split:], start=split):
            try:
                obj = getattr(obj, attribute)
            except AttributeError:
                raise FunctionNotFound(
                    "{0!r} has no attribute {1!r} (looking up {2!r})".format(".".join(parts[:position]), attribute, name)
                ) from None
            if policy is not None and isinstance(obj, types.ModuleType):
                policy.check_module(obj.__name__, name)
        break
    else:
        raise FunctionNotFound("no module named {0!r} on the server (looking up {1!r})".format(parts[0], name))
    if not callable(obj):
        raise NotCallable("{0!r} is a {1}, not a function".format(name, type(obj).__name__))
    if policy is not None:
        policy.check_object(obj, name)
    return obj
