"""What each Cloud_* Grasshopper component does; its ``code.py`` only forwards its inputs here.

Keeping the logic in the package means an update of compas_cloud updates
the components without rebuilding the ``.ghuser`` files. Every function takes
the component (``self`` in the SDK-mode script) first, shows problems as
runtime messages on it, and never raises.
"""
from __future__ import absolute_import

import sys

from compas_cloud._compat import string_types
from compas_cloud.errors import AccessDenied, CloudError, ConnectionClosed, ConnectionFailed, ReferenceNotFound, ServerSideError
from compas_cloud.ghpython.conversions import arguments_from_input, is_dotnet_dictionary, keywords_from_input, to_output, to_wire
from compas_cloud.ghpython.fingerprint import fingerprint
from compas_cloud.ghpython.host import ERROR, REMARK, WARNING, add_message
from compas_cloud.ghpython.memory import component_memory, send_once
from compas_cloud.ghpython.proxies import close_document_proxy, current_proxy, document_proxy, ensure_open
from compas_cloud.ghpython.worker import Job
from compas_cloud.protocol.reference import is_reference, reference_id


def describe_error(error):
    """Return the one-line text a runtime message shows for ``error``."""
    if isinstance(error, ServerSideError):
        return "{0}: {1}".format(error.remote_type, error.message)
    if isinstance(error, (ConnectionClosed, ConnectionFailed)):
        return "no connection to the server: {0}. Re-solve to reconnect.".format(error)
    return "{0}: {1}".format(type(error).__name__, error)


def report(component, error):
    """Show ``error`` on ``component`` as an error balloon (the server traceback goes to the output log)."""
    add_message(component, ERROR, describe_error(error))
    traceback = getattr(error, "traceback", "")
    if traceback:
        sys.stdout.write("Server-side traceback:\n{0}\n".format(traceback.rstrip()))


def _proxy_for(component, proxy):
    if proxy is None:
        return current_proxy(component)
    return ensure_open(proxy)


def format_mapping(mapping, indent=""):
    """Return a dict as ``key: value`` lines for a Grasshopper panel."""
    lines = []
    for key in sorted(mapping):
        value = mapping[key]
        if isinstance(value, dict):
            lines.append("{0}{1}:".format(indent, key))
            lines.append(format_mapping(value, indent + "  "))
        else:
            lines.append("{0}{1}: {2}".format(indent, key, value))
    return "\n".join(lines)


# -- Cloud_Proxy ---------------------------------------------------------------------


def describe_refusal(error, proxy_address=None):
    """Return what a designer should do about a refused handshake (:class:`AccessDenied`)."""
    status = getattr(error, "status", None)
    if status == 401:
        from compas_cloud.auth import default_token_file

        return ("the server requires a token: connect its token (text) to the Cloud Proxy component's 'token' "
                "input, or save it in {0}".format(default_token_file()))
    if status == 403:
        return "the server refused this client (origin not allowed): {0}".format(error)
    return describe_error(error)


def run_proxy(component, host=None, port=None, python=None, autolaunch=True, run=True, token=None):
    """Connect the document to a server, launching one when none answers; return ``(proxy, status)``.

    ``token`` is the server's token; empty means the per-user token files
    (see :func:`compas_cloud.auth.find_client_token`).
    """
    if run is False:
        closed = close_document_proxy(component)
        add_message(component, REMARK, "disconnected" if closed else "not connected (run is False)")
        return None, "disconnected"
    try:
        proxy = document_proxy(component, host, port, python, True if autolaunch is None else autolaunch, token or None)
        if not proxy.check():
            proxy.reconnect()
    except AccessDenied as error:
        message = describe_refusal(error)
        add_message(component, ERROR, message)
        return None, message
    except CloudError as error:
        report(component, error)
        return None, describe_error(error)
    info = proxy.server_info or {}
    how = "started here" if proxy.launched is not None else "existing server"
    version = info.get("compas_cloud") or info.get("version") or "?"
    status = "connected to {0} (compas_cloud {1}, {2})".format(proxy.address, version, how)
    return proxy, status


# -- Cloud_Call ----------------------------------------------------------------------


def run_call(component, proxy=None, function=None, args=None, kwargs=None, keep=False, background=False, rerun=False,
             cache_result=False, convert=None):
    """Run ``function`` on the server; re-solves with unchanged inputs return the remembered result.

    ``cache_result`` lets the server answer from its result cache (``--result-cache``).
    ``convert`` makes the component's output(s) of a result (``to_output`` by default).

    Returns
    -------
    object
        The result (Rhino geometry / a data tree where natural), a reference
        when ``keep`` is True, or None when there is no result (yet).
    """
    if not function:
        add_message(component, WARNING, "give the dotted name of a function, e.g. numpy.linalg.norm")
        return None
    convert = convert or to_output
    try:
        proxy = _proxy_for(component, proxy)
        arguments = [to_wire(value, "input 'args'") for value in arguments_from_input(args)]
        keywords = dict((name, to_wire(value, "input 'kwargs' ({0})".format(name)))
                        for name, value in keywords_from_input(kwargs).items())
    except (CloudError, ValueError) as error:
        report(component, error)
        return None
    memory = component_memory(component)
    memory.bind(proxy.connection)
    key = fingerprint(
        [function, [fingerprint(value) for value in arguments], dict((k, fingerprint(v)) for k, v in keywords.items()), bool(keep)]
    )
    if memory.has_result(key) and not rerun:
        add_message(component, REMARK, "inputs unchanged: result reused (set rerun to run again)")
        return convert(memory.result)

    def work():
        return _call(proxy, memory, function, arguments, keywords, bool(keep), bool(cache_result))

    if background:
        return _run_in_background(component, proxy, memory, key, work, rerun, convert)
    try:
        result = work()
    except CloudError as error:
        memory.forget_result()
        report(component, error)
        return None
    _replace_result(proxy, memory, key, result)
    return convert(result)


def _call(proxy, memory, function, arguments, keywords, keep, cache_result=False):
    for attempt in (1, 2):
        sent_args = [send_once(proxy, memory, "arg:{0}".format(i), value) for i, value in enumerate(arguments)]
        sent_kwargs = dict((name, send_once(proxy, memory, "kw:" + name, value)) for name, value in keywords.items())
        try:
            if cache_result:
                return proxy.call(function, sent_args, sent_kwargs, cache=keep, cache_result=True)
            return proxy.call(function, sent_args, sent_kwargs, cache=keep)
        except ReferenceNotFound:
            # An upload was freed behind this component's back (a Free component, say):
            # upload again once. The function did not run: its arguments were never resolved.
            if attempt == 2 or not memory.uploads:
                raise
            memory.forget_uploads()


def _replace_result(proxy, memory, key, result):
    old = memory.result
    memory.remember(key, result)
    if is_reference(old) and old != result:
        try:
            proxy.free(old)  # a kept result this component output before
        except CloudError:
            pass


def _run_in_background(component, proxy, memory, key, work, rerun, convert=to_output):
    job = memory.job
    if job is not None and job.key == key and not (rerun and job.done):
        if not job.done:
            add_message(component, REMARK, "running on the server...")
            return None
        memory.job = None
        if job.error is not None:
            memory.forget_result()
            report(component, job.error)
            return None
        _replace_result(proxy, memory, key, job.result)
        return convert(job.result)
    memory.job = Job(component, key, work).start()
    add_message(component, REMARK, "running on the server...")
    return None


# -- Cloud_Cache ---------------------------------------------------------------------


def _single_or_list(values):
    # A list-access input is a Python list in tests and a .NET List[object] in Grasshopper.
    if values is None:
        return None
    if isinstance(values, (dict,) + string_types) or not hasattr(values, "__iter__") or is_dotnet_dictionary(values):
        values = [values]
    else:
        values = list(values)
    return values[0] if len(values) == 1 else values


def run_cache(component, proxy=None, data=None):
    """Send ``data`` to the server once and return a reference to it (unchanged data is not resent)."""
    value = _single_or_list(data)
    if value is None:
        add_message(component, WARNING, "nothing to cache: connect data")
        return None
    try:
        proxy = _proxy_for(component, proxy)
        memory = component_memory(component)
        memory.bind(proxy.connection)
        wire = to_wire(value, "input 'data'")
        key = fingerprint(wire)
        if memory.has_result(key):
            return memory.result
        reference = proxy.cache(wire)
    except CloudError as error:
        report(component, error)
        return None
    _replace_result(proxy, memory, key, reference)
    return reference


# -- Cloud_Get -----------------------------------------------------------------------


def run_get(component, proxy=None, ref=None):
    """Return the value behind ``ref``; asking again for the same reference does not fetch it again."""
    if ref is None:
        add_message(component, WARNING, "connect a reference")
        return None
    try:
        ref_id = reference_id(ref)
    except TypeError as error:
        report(component, error)
        return None
    memory = component_memory(component)
    try:
        proxy = _proxy_for(component, proxy)
        memory.bind(proxy.connection)
        key = "get:" + str(ref_id)
        if memory.has_result(key):
            return to_output(memory.result)
        value = proxy.get(ref_id)
    except CloudError as error:
        memory.forget_result()
        report(component, error)
        return None
    memory.remember(key, value)
    return to_output(value)


# -- Cloud_Free ----------------------------------------------------------------------


def run_free(component, proxy=None, refs=None, free=False):
    """Delete the values behind ``refs`` from the server when ``free`` is True; return how many were freed."""
    refs = [ref for ref in (refs or []) if ref is not None]
    if not free:
        add_message(component, REMARK, "set free to True to delete {0} reference(s)".format(len(refs)))
        return 0
    if not refs:
        add_message(component, WARNING, "no references to free")
        return 0
    try:
        proxy = _proxy_for(component, proxy)
        result = proxy.free([reference_id(ref) for ref in refs])
    except (CloudError, TypeError) as error:
        report(component, error)
        return 0
    return result if isinstance(result, int) else len(refs)


# -- Cloud_Server --------------------------------------------------------------------


def run_server(component, proxy=None, restart=False, shutdown=False):
    """Check and control the server; return ``(ok, version, status)`` (texts for panels)."""
    try:
        proxy = _proxy_for(component, proxy)
    except CloudError as error:
        report(component, error)
        return False, None, describe_error(error)
    try:
        if shutdown:
            address = proxy.address
            proxy.shutdown()
            add_message(component, WARNING, "the server at {0} was shut down".format(address))
            return False, None, "shut down"
        if restart:
            try:
                proxy.restart()
            except CloudError as error:  # refused (a server it did not launch) or failed: show why, then the state
                report(component, error)
            else:
                add_message(component, REMARK, "the server at {0} was restarted".format(proxy.address))
        ok = proxy.check()
        version = format_mapping(proxy.version())
        status = "dashboard: {0}\n{1}".format(proxy.dashboard_url, format_mapping(proxy.status()))
        add_message(component, REMARK, "dashboard: {0}".format(proxy.dashboard_url))
    except CloudError as error:
        report(component, error)
        return False, None, describe_error(error)
    return ok, version, status
