"""Finding the callable behind a dotted name such as ``compas.geometry.transform_points``."""
import importlib
import re
import threading
import types

from compas_cloud.errors import FunctionNotFound, NotCallable

_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class FunctionRegistry:
    """Resolves dotted names to callables, and remembers them.

    ``package.module.function`` and attributes below a module
    (``package.module.Class.method``) both resolve. Resolution imports
    modules, so it is done in a worker thread, never on the event loop.
    """

    def __init__(self, policy=None):
        self._cache = {}
        self._lock = threading.Lock()
        self.policy = policy

    def resolve(self, name):
        """Return the callable named ``name``.

        Raises
        ------
        FunctionNotFound
            The name is not a dotted name, or its module cannot be imported,
            or the module has no such attribute; the message says which.
        NotCallable
            The name resolves to something that cannot be called.
        """
        if self.policy is not None:
            self.policy.check_name(name)  # before anything is imported
        func = self._cache.get(name)
        if func is not None:
            return func
        func = _resolve(name, self.policy)
        with self._lock:
            self._cache[name] = func
        return func


def _resolve(name, policy=None):
    if not isinstance(name, str) or not _DOTTED.match(name):
        raise FunctionNotFound("{0!r} is not a dotted name such as 'package.module.function'".format(name))
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
                policy.check_module(obj.__name__, name)  # numpy.os.system is os.system
        break
    else:
        raise FunctionNotFound("no module named {0!r} on the server (looking up {1!r})".format(parts[0], name))
    if not callable(obj):
        raise NotCallable("{0!r} is a {1}, not a function".format(name, type(obj).__name__))
    return obj
