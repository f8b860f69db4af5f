"""A stand-in for Grasshopper's GhPython host, to run the components' code.py outside Rhino (Python 2.7 safe).

It provides, as modules in ``sys.modules``, what a GhPython script imports:
``scriptcontext`` (``sticky``), ``ghpythonlib.componentbase.executingcomponent``
and ``Grasshopper.Kernel`` (``GH_RuntimeMessageLevel``, ``GH_Document``,
``GH_ProcessStep``). It then does what GhPython does with an SDK-mode
component: executes ``code.py`` with ``ghenv`` in its namespace, instantiates
the one ``executingcomponent`` subclass, and calls ``RunScript`` with the
inputs in ``metadata.json`` order on every solve, clearing the runtime
messages first. The component records its runtime messages by level, and its
document records the solutions scheduled on it.

Only the host is stood in for: the code under test and the server are real.
"""
from __future__ import absolute_import

import json
import os
import sys
import types
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPONENTS = os.path.join(ROOT, "ghpython", "components")

_MODULES = (
    "scriptcontext",
    "ghpythonlib",
    "ghpythonlib.componentbase",
    "Grasshopper",
    "Grasshopper.Kernel",
)


class _Enum(object):
    def __init__(self, name, members):
        for member in members:
            setattr(self, member, "{0}.{1}".format(name, member))


GH_RuntimeMessageLevel = _Enum("GH_RuntimeMessageLevel", ["Blank", "Remark", "Warning", "Error"])
GH_ProcessStep = _Enum("GH_ProcessStep", ["PreProcess", "Process", "PostProcess"])
GH_ParamAccess = _Enum("GH_ParamAccess", ["item", "list", "tree"])
GH_ParameterSide = _Enum("GH_ParameterSide", ["Input", "Output"])


class GH_Document(object):
    """A Grasshopper document: an id, and the solutions scheduled on it."""

    def __init__(self):
        self.DocumentID = uuid.uuid4()
        self.SolutionState = GH_ProcessStep.PostProcess
        self.scheduled = []

    @staticmethod
    def GH_ScheduleDelegate(function):
        return function

    def ScheduleSolution(self, delay, callback):
        self.scheduled.append(callback)

    def run_scheduled(self):
        """Run the scheduled callbacks as Grasshopper does after the current solution; return how many ran."""
        callbacks, self.scheduled = self.scheduled, []
        for callback in callbacks:
            callback(self)
        return len(callbacks)


class Param(object):
    """An input or output of a component (IGH_Param: Name, NickName, Description, Access, Optional)."""

    def __init__(self, name="", description="", access="item", optional=True):
        self.Name = name
        self.NickName = name
        self.Description = description
        self.Access = access
        self.Optional = optional


class ParamServer(object):
    """``component.Params`` (GH_ComponentParamServer): the inputs and outputs, and the calls that change them.

    As in Grasshopper, the lists change only through ``RegisterInputParam`` and
    ``UnregisterInputParameter``; a change made while the document solves is an
    error (Grasshopper corrupts its solution then), and ``changes`` counts the
    ``OnParametersChanged`` notifications.
    """

    def __init__(self, component):
        self._component = component
        self.Input = []
        self.Output = []
        self.changes = 0

    def _check(self):
        document = self._component._document
        if document is not None and document.SolutionState == GH_ProcessStep.Process:
            raise AssertionError("parameters changed during a solution: Grasshopper does not allow it")

    def RegisterInputParam(self, param, index=None):
        self._check()
        self.Input.insert(len(self.Input) if index is None else index, param)

    def UnregisterInputParameter(self, param):
        self._check()
        if param not in self.Input:
            return False
        self.Input.remove(param)
        return True

    def RegisterOutputParam(self, param, index=None):
        self._check()
        self.Output.insert(len(self.Output) if index is None else index, param)

    def UnregisterOutputParameter(self, param):
        self._check()
        if param not in self.Output:
            return False
        self.Output.remove(param)
        return True

    def OnParametersChanged(self):
        self.changes += 1


class executingcomponent(object):
    """The base class of SDK-mode GhPython components (in Rhino, a real GH_Component).

    A GhPython component is a variable-parameter component
    (IGH_VariableParameterComponent): ``CreateParameter`` makes a new script
    input and ``VariableParameterMaintenance`` is called after changes.
    """

    def __init__(self):
        self.InstanceGuid = uuid.uuid4()
        self.Message = ""
        self.runtime_messages = []
        self.expired = 0
        self.maintenance = 0
        self._document = None
        self.Params = ParamServer(self)

    def CreateParameter(self, side, index):
        if side not in (GH_ParameterSide.Input, GH_ParameterSide.Output):
            raise AssertionError("a parameter is an input or an output, not {0!r}".format(side))
        return Param()

    def VariableParameterMaintenance(self):
        self.maintenance += 1

    def AddRuntimeMessage(self, level, text):
        self.runtime_messages.append((level.split(".")[-1], text))

    def ClearRuntimeMessages(self):
        self.runtime_messages = []

    def OnPingDocument(self):
        return self._document

    def ExpireSolution(self, recompute):
        self.expired += 1


class DataTree(object):
    """A Grasshopper data tree of branches {0}, {1}, ... (what a tree-access input receives)."""

    def __init__(self, branches):
        self._branches = [list(branch) for branch in branches]

    @property
    def BranchCount(self):
        return len(self._branches)

    def Branch(self, index):
        return self._branches[index]


class GhEnv(object):
    """What GhPython puts in a script's namespace as ``ghenv``."""

    def __init__(self, component):
        self.Component = component


class GrasshopperHost(object):
    """Installs the host modules; loads components into documents.

    Use as a context manager, or call :meth:`install` and :meth:`uninstall`.
    """

    def __init__(self):
        self.sticky = {}
        self._saved = {}
        self.documents = []

    def install(self):
        for name in _MODULES:
            self._saved[name] = sys.modules.get(name)
        scriptcontext = types.ModuleType("scriptcontext")
        scriptcontext.sticky = self.sticky
        componentbase = types.ModuleType("ghpythonlib.componentbase")
        componentbase.executingcomponent = executingcomponent
        ghpythonlib = types.ModuleType("ghpythonlib")
        ghpythonlib.componentbase = componentbase
        kernel = types.ModuleType("Grasshopper.Kernel")
        kernel.GH_RuntimeMessageLevel = GH_RuntimeMessageLevel
        kernel.GH_Document = GH_Document
        kernel.GH_ProcessStep = GH_ProcessStep
        kernel.GH_ParamAccess = GH_ParamAccess
        kernel.GH_ParameterSide = GH_ParameterSide
        grasshopper = types.ModuleType("Grasshopper")
        grasshopper.Kernel = kernel
        sys.modules.update(
            {
                "scriptcontext": scriptcontext,
                "ghpythonlib": ghpythonlib,
                "ghpythonlib.componentbase": componentbase,
                "Grasshopper": grasshopper,
                "Grasshopper.Kernel": kernel,
            }
        )
        return self

    def uninstall(self):
        for name, module in self._saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        self._saved = {}

    def __enter__(self):
        return self.install()

    def __exit__(self, *exc):
        self.close_proxies()
        self.uninstall()

    def document(self):
        document = GH_Document()
        self.documents.append(document)
        return document

    def load(self, name, document=None):
        """Load the component folder ``ghpython/components/<name>`` into ``document`` (a new one by default)."""
        return LoadedComponent(os.path.join(COMPONENTS, name), document or self.document())

    def close_proxies(self):
        """Close every proxy the components left in sticky (Grasshopper would on closing Rhino)."""
        for value in list(self.sticky.values()):
            if isinstance(value, tuple) and len(value) == 2 and hasattr(value[1], "close"):
                value[1].close()
        self.sticky.clear()


class LoadedComponent(object):
    """One component on a canvas: its metadata, its script instance, its last outputs and messages."""

    def __init__(self, folder, document):
        self.folder = folder
        with open(os.path.join(folder, "metadata.json")) as handle:
            self.metadata = json.load(handle)
        self.inputs = [param["name"] for param in self.metadata["ghpython"]["inputParameters"]]
        self.outputs = [param["name"] for param in self.metadata["ghpython"]["outputParameters"]]
        self.document = document
        self.instance = self._instantiate()
        self.instance._document = document
        for spec in self.metadata["ghpython"]["inputParameters"]:
            self.instance.Params.Input.append(Param(spec["name"], spec.get("description", ""), spec["scriptParamAccess"]))
        for spec in self.metadata["ghpython"]["outputParameters"]:
            self.instance.Params.Output.append(Param(spec["name"], spec.get("description", "")))
        self.ghenv = GhEnv(self.instance)
        self.results = {}

    def _instantiate(self):
        path = os.path.join(self.folder, "code.py")
        with open(path) as handle:
            source = handle.read()
        namespace = {"__name__": "__main__", "__file__": path, "ghenv": None, "ghdoc": None}
        exec(compile(source, path, "exec"), namespace)
        classes = [
            value
            for value in namespace.values()
            if isinstance(value, type) and issubclass(value, executingcomponent) and value is not executingcomponent
        ]
        if len(classes) != 1:
            raise AssertionError("{0}: expected one executingcomponent subclass, found {1}".format(path, len(classes)))
        return classes[0]()

    def solve(self, **inputs):
        """Solve once with ``inputs`` (missing inputs are None, as in Grasshopper); return the outputs by name.

        The inputs and outputs are those the component has now (``Params``): the
        metadata's, unless the component changed them.
        """
        self.inputs = [param.NickName for param in self.instance.Params.Input]
        unknown = set(inputs) - set(self.inputs)
        if unknown:
            raise TypeError("{0} has no input(s) {1}".format(self.metadata["name"], sorted(unknown)))
        self.instance.ClearRuntimeMessages()
        self.instance.expired = 0
        state, self.document.SolutionState = self.document.SolutionState, GH_ProcessStep.Process
        try:
            returned = self.instance.RunScript(*[inputs.get(name) for name in self.inputs])
        finally:
            self.document.SolutionState = state
        self.outputs = [param.NickName for param in self.instance.Params.Output]
        if len(self.outputs) == 1:
            returned = (returned,)
        elif not isinstance(returned, (tuple, list)) or len(returned) != len(self.outputs):
            # GhPython spreads what RunScript returns over the outputs: it must be one value per output
            raise AssertionError("RunScript returned {0!r} for the {1} outputs {2}".format(returned, len(self.outputs), self.outputs))
        self.results = dict(zip(self.outputs, returned))
        return self.results

    def messages(self, level=None):
        """The runtime messages of the last solve, as ``(level, text)`` or texts of one ``level``."""
        if level is None:
            return list(self.instance.runtime_messages)
        return [text for found, text in self.instance.runtime_messages if found == level]


def connection_counters(proxy):
    """``(messages, calls)`` the server counted on ``proxy``'s connection, this status request included."""
    status = proxy.status()["connection"]
    return status["messages"], status["calls"]


class NetList(object):
    """Iterates like the .NET ``List[object]`` a list-access input receives in IronPython (not a Python list)."""

    def __init__(self, items):
        self._items = list(items)

    def __iter__(self):
        return iter(self._items)

    def GetEnumerator(self):
        return iter(self._items)

    @property
    def Count(self):
        return len(self._items)
