"""What the components need from Grasshopper, asked for in one place.

Everything here degrades gracefully outside Grasshopper: the sticky
dictionary falls back to a module-level dict, runtime messages fall back to
printing, and scheduling a new solution is skipped. Nothing imports Rhino or
Grasshopper at module import time.
"""
from __future__ import absolute_import

import sys

#: Used when ``scriptcontext`` cannot be imported (plain Python, tests of helpers).
_FALLBACK_STICKY = {}

ERROR = "Error"
WARNING = "Warning"
REMARK = "Remark"


def sticky():
    """Return the dictionary that survives re-solves: ``scriptcontext.sticky`` in Grasshopper."""
    try:
        import scriptcontext
    except ImportError:
        return _FALLBACK_STICKY
    return scriptcontext.sticky


def message_level(name):
    """Return the ``GH_RuntimeMessageLevel`` called ``name`` (``"Error"``, ``"Warning"``, ``"Remark"``).

    Returns the name itself when Grasshopper is not importable.
    """
    try:
        from Grasshopper.Kernel import GH_RuntimeMessageLevel
    except ImportError:
        return name
    return getattr(GH_RuntimeMessageLevel, name)


def add_message(component, level, text):
    """Show ``text`` as a runtime message (balloon) of ``level`` on ``component``.

    Parameters
    ----------
    component : Grasshopper component or None
        ``self`` in an SDK-mode GhPython component (``ghenv.Component`` works too).
    level : str
        :data:`ERROR`, :data:`WARNING` or :data:`REMARK`.
    text : str
    """
    if component is not None and hasattr(component, "AddRuntimeMessage"):
        component.AddRuntimeMessage(message_level(level), text)
    else:
        sys.stdout.write("{0}: {1}\n".format(level, text))


def document_key(component):
    """Return a key naming the Grasshopper document ``component`` lives in ("default" outside one)."""
    document = _document(component)
    if document is None:
        return "default"
    for name in ("DocumentID", "RuntimeID"):
        value = getattr(document, name, None)
        if value is not None:
            return str(value)
    return str(id(document))


def _document(component):
    ping = getattr(component, "OnPingDocument", None)
    if ping is None:
        return None
    try:
        return ping()
    except Exception:
        return None


def component_key(component):
    """Return a key naming ``component`` itself (its ``InstanceGuid``), stable across re-solves."""
    guid = getattr(component, "InstanceGuid", None)
    if guid is not None:
        return str(guid)
    return str(id(component))


def expire_later(component):
    """Ask Grasshopper to solve ``component`` again soon; safe to call from a worker thread.

    The request is handed to Rhino's UI thread (when Rhino is present), which
    schedules a solution whose callback expires the component, the way
    Grasshopper wants it done. Returns False outside a Grasshopper document.
    """
    document = _document(component)
    if document is None or not hasattr(document, "ScheduleSolution"):
        return False

    def callback(doc):
        if _solving(doc):
            return
        component.ExpireSolution(False)

    delegate = _schedule_delegate()
    invoke_on_ui(lambda: document.ScheduleSolution(1, delegate(callback) if delegate else callback))
    return True


def _solving(document):
    try:
        from Grasshopper.Kernel import GH_ProcessStep
    except ImportError:
        return False
    return getattr(document, "SolutionState", None) == GH_ProcessStep.Process


def _schedule_delegate():
    # Grasshopper wants a GH_Document.GH_ScheduleDelegate built from the Python function.
    try:
        from Grasshopper.Kernel import GH_Document
    except ImportError:
        return None
    return getattr(GH_Document, "GH_ScheduleDelegate", None)


def invoke_on_ui(function):
    """Run ``function`` on Rhino's UI thread when Rhino is present, else right away."""
    try:
        import Rhino
    except ImportError:
        function()
        return
    Rhino.RhinoApp.InvokeOnUiThread(_action(function))


def _action(function):
    import System

    return System.Action(function)
