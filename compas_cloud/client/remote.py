"""Remote functions: a function on the server, called like a local one."""
from __future__ import absolute_import

from compas_cloud._compat import native_str

__all__ = ["RemoteFunction"]


class RemoteFunction(object):
    """A function on the server, called like a local one.

    Returned by :meth:`Proxy.function`; calling it sends the arguments,
    runs the function on the server and returns its result (or a
    :class:`~compas_cloud.protocol.Reference` to it when ``cache`` is True).
    Client-side functions among the arguments become callbacks the server
    can call while the function runs (see docs/protocol.md).
    """

    def __init__(self, proxy, name, cache=False, timeout=None, progress=None, output=None, cache_result=False):
        self.proxy = proxy
        self.name = name
        self.cache = cache
        self.cache_result = cache_result
        self.timeout = timeout
        self.progress = progress
        self.output = output

    def __call__(self, *args, **kwargs):
        return self.proxy.call(
            self.name, args, kwargs, cache=self.cache, timeout=self.timeout, progress=self.progress, output=self.output,
            cache_result=self.cache_result,
        )

    def submit(self, *args, **kwargs):
        """Send the call and return at once a :class:`~compas_cloud.client.future.CallFuture`.

        The handle offers ``result(timeout)``, ``done()``, ``cancel()`` and
        ``progress``; many calls may be in flight on one connection.

        Parameters
        ----------
        *args
            The function's positional arguments (references and callbacks included).
        **kwargs
            Its keyword arguments.

        Returns
        -------
        compas_cloud.client.future.CallFuture
        """
        return self.proxy.submit(
            self.name, args, kwargs, cache=self.cache, progress=self.progress, output=self.output,
            cache_result=self.cache_result,
        )

    def __repr__(self):
        return "<remote function {0}{1}>".format(native_str(self.name), " (cached)" if self.cache else "")
