"""One proxy per Grasshopper document, kept in ``scriptcontext.sticky`` across re-solves."""
from __future__ import absolute_import

from compas_cloud.errors import CloudError
from compas_cloud.protocol import address
from compas_cloud.ghpython.host import document_key, sticky

_KEY = "compas_cloud.ghpython.proxy:{0}"

DEFAULT_HOST = address.DEFAULT_HOST
DEFAULT_PORT = address.DEFAULT_PORT


def _settings(host, port, python, autolaunch, token=None):
    return (host or DEFAULT_HOST, int(port or DEFAULT_PORT), python or None, bool(autolaunch), token or None)


def is_open(proxy):
    """Return True if ``proxy`` holds a connection that has not been closed or dropped."""
    try:
        return proxy.connection.closed is None
    except CloudError:
        return False


def ensure_open(proxy):
    """Reconnect ``proxy`` if its connection is gone (launching a server when the proxy may).

    Raises
    ------
    compas_cloud.errors.CloudError
        Reconnecting failed.
    """
    if not is_open(proxy):
        proxy.reconnect()
    return proxy


def document_proxy(component, host=None, port=None, python=None, autolaunch=True, token=None):
    """Return the proxy of ``component``'s document for these settings, creating or replacing it.

    A document keeps one proxy. Asking with the settings it was made with
    returns it (reconnected if its connection dropped); asking with other
    settings closes it and makes a new one.

    Raises
    ------
    compas_cloud.errors.CloudError
        Connecting (or launching a server) failed.
    """
    from compas_cloud.client.proxy import Proxy

    store = sticky()
    key = _KEY.format(document_key(component))
    settings = _settings(host, port, python, autolaunch, token)
    entry = store.get(key)
    if entry is not None:
        old_settings, proxy = entry
        if old_settings == settings:
            return ensure_open(proxy)
        del store[key]
        proxy.close()
    host, port, python, autolaunch, token = settings
    proxy = Proxy(host=host, port=port, python=python, autolaunch=autolaunch, verbose=False, token=token)
    store[key] = (settings, proxy)
    return proxy


def current_proxy(component):
    """Return the document's proxy (reconnected if needed), or a default one when there is none yet."""
    entry = sticky().get(_KEY.format(document_key(component)))
    if entry is not None:
        return ensure_open(entry[1])
    return document_proxy(component)


def close_document_proxy(component):
    """Close and forget the proxy of ``component``'s document; return True if there was one."""
    store = sticky()
    key = _KEY.format(document_key(component))
    entry = store.pop(key, None)
    if entry is None:
        return False
    entry[1].close()
    return True
