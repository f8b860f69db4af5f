"""Grasshopper (GhPython, IronPython 2.7) component: form-find a cable net on the server, live.

Inputs:  n (int, item), kmax (int, item), every (int, item), run (bool, item)
Outputs: lines (list of Line), message (str), done (bool)

The call runs without blocking Grasshopper: ``submit`` returns a handle at
once; the solver's fire-and-forget callback stores each new shape; the
component re-solves itself every 200 ms while the call runs and outputs the
latest shape, and ``ghenv.Component.Message`` shows the progress. Changing an
input or toggling ``run`` off cancels the call in flight.

Code for the GH engineer to wrap as a component (``RunScript`` receives the
inputs in this order); ``examples/formfinding/net.py`` must be importable
(copy ``grid`` into the component, or put the folder on the script path).
"""
import scriptcontext as sc
import Grasshopper
import Rhino.Geometry as rg

from compas_cloud import Proxy
from compas_cloud.client.callbacks import Callback, format_progress
from net import grid

KEY = "compas_cloud.examples.formfinding"


def _state():
    state = sc.sticky.get(KEY)
    if state is None:
        state = sc.sticky[KEY] = {"proxy": None, "future": None, "inputs": None, "shape": None, "edges": []}
    return state


def _schedule(component, delay=200):
    doc = component.OnPingDocument()
    if doc is not None:
        doc.ScheduleSolution(delay, Grasshopper.Kernel.GH_Document.GH_ScheduleDelegate(lambda d: component.ExpireSolution(False)))


def RunScript(n, kmax, every, run):
    component = ghenv.Component  # noqa: F821 (given by GhPython)
    state = _state()
    inputs = (n or 10, kmax or 500, every or 10)
    future = state["future"]
    if future is not None and (not run or inputs != state["inputs"]):
        if not future.done():
            future.cancel()
        state["future"] = future = None
    if run and future is None:
        if state["proxy"] is None:
            state["proxy"] = Proxy()
        vertices, edges, fixed = grid(inputs[0])
        state["edges"], state["shape"], state["inputs"] = edges, vertices, inputs

        def keep(k, shape, residual):  # runs in the connection's event thread: only store the shape
            state["shape"] = shape

        # Progress events are kept in future.progress; the no-op display prints nothing.
        relax = state["proxy"].function("examples.formfinding.cablenet.relax", progress=lambda *report: None)
        state["future"] = future = relax.submit(
            vertices, edges, fixed, kmax=inputs[1], every=inputs[2], callback=Callback(keep, wait=False)
        )
    done = future is None or future.done()
    if future is not None and done:
        try:
            state["shape"] = future.result(0)["vertices"]
            component.Message = "converged"
        except Exception as error:
            component.Message = type(error).__name__
    elif future is not None:
        progress = future.progress
        component.Message = format_progress(*progress) if progress else "starting"
        _schedule(component)
    shape = state["shape"] or []
    lines = [rg.Line(rg.Point3d(*shape[i]), rg.Point3d(*shape[j])) for i, j in state["edges"]] if shape else []
    return lines, component.Message, done
