"""Cloud_Function: a component whose inputs are the parameters of a server function.

Given a function name, the component asks the server to ``describe`` it and
rebuilds its own inputs after its four fixed ones (``proxy``, ``function``,
``cache_result``, ``background``): one input per parameter, named after it,
described by its numpydoc text, with list access where the annotation, the
documented type or the default is a sequence, and optional where the
parameter has a default; a ``*args`` parameter is one list input whose items
become the extra positional arguments, and positional-only parameters (and
those before ``*args``) are passed by position. The output ``result`` takes
the documented return description; a function whose docstring documents
several returned values gets one output per value instead. A builtin whose parameters Python cannot
tell gets a warning (use Cloud_Call there). Inputs are converted like Cloud_Call's (numbers, points,
vectors, planes, meshes, lists) and the call runs like Cloud_Call's
(unchanged inputs are not resent; optionally in the background).

Grasshopper does not allow parameters to change while it solves, so the
rebuild is scheduled on the document (``ScheduleSolution``) and done in its
callback: ``CreateParameter`` / ``RegisterInputParam`` /
``UnregisterInputParameter`` (and their ``Output`` twins), then ``VariableParameterMaintenance`` and
``Params.OnParametersChanged``, as for any variable-parameter component.
Python 2.7 and IronPython safe.
"""
from __future__ import absolute_import

import re

from compas_cloud.errors import CloudError
from compas_cloud.ghpython.conversions import to_output, to_wire
from compas_cloud.ghpython.components import _proxy_for, report, run_call
from compas_cloud.ghpython.host import WARNING, REMARK, add_message, _document, _schedule_delegate, invoke_on_ui
from compas_cloud.ghpython.host import sticky, component_key

#: The inputs every Cloud_Function has, before those of its function.
FIXED_INPUTS = ("proxy", "function", "cache_result", "background")

_SEQUENCE_WORDS = ("list", "tuple", "sequence", "array", "iterable", "[", "points", "vectors")

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parameter_specs(description):
    """Return the inputs a described function needs, one dict per parameter.

    Each has ``name``, ``description``, ``access`` (``"item"`` or ``"list"``),
    ``optional`` (the parameter has a default), ``positional`` (its value is
    passed by position: a positional-only parameter, or any parameter before a
    ``*args``), ``star`` (the ``*args`` parameter: a list input whose items are
    the extra positional arguments) and ``default`` (the described default,
    when it has one). A ``**kwargs`` parameter gets no input.
    """
    parameters = [p for p in description.get("parameters") or [] if p.get("kind") != "var_keyword"]
    kinds = [parameter.get("kind") for parameter in parameters]
    star = kinds.index("var_positional") if "var_positional" in kinds else -1
    specs = []
    for index, parameter in enumerate(parameters):
        kind = parameter.get("kind")
        typed = " ".join(_first_alternative(text) for text in (parameter.get("annotation"), parameter.get("type")) if text)
        default = parameter.get("default")
        listed = any(word in typed for word in _SEQUENCE_WORDS) or isinstance(default, list)
        text = parameter.get("description") or ""
        if parameter.get("type"):
            text = "{0} ({1})".format(text, parameter["type"]).strip()
        if kind == "var_positional":
            text = "{0} [any number of values: one argument per item]".format(text).strip()
        elif parameter.get("has_default"):
            text = "{0} [default: {1!r}]".format(text, default).strip()
        specs.append(
            {
                "name": parameter["name"],
                "description": text,
                "access": "list" if listed or kind == "var_positional" else "item",
                "optional": bool(parameter.get("has_default")) or kind == "var_positional",
                "positional": kind == "positional_only" or index < star,
                "star": kind == "var_positional",
                "has_default": bool(parameter.get("has_default")),
                "default": default,
            }
        )
    return specs


def output_specs(description):
    """Return the outputs a described function gets: ``[{"name", "description"}, ...]``.

    One output, ``result``, unless the docstring's Returns section documents
    several values (a function returning a tuple): then one output per value,
    named as documented (``result1``, ``result2``, ... for values documented by
    their type only).
    """
    returns = description.get("returns") or {}
    items = returns.get("items") or []
    if len(items) <= 1:
        text = (items[0].get("description") if items else "") or returns.get("description") or ""
        return [{"name": "result", "description": text or "The function's result"}]
    specs, used = [], set(FIXED_INPUTS)
    for index, item in enumerate(items):
        name = item.get("name") or ""
        if not _IDENTIFIER.match(name) or name in used:
            name = "result{0}".format(index + 1)
        used.add(name)
        text = item.get("description") or ""
        if item.get("type"):
            text = "{0} ({1})".format(text, item["type"]).strip()
        specs.append({"name": name, "description": text or "Value {0} of the result".format(index + 1)})
    return specs


def split_result(value, count):
    """Spread a function's result over ``count`` outputs (a tuple of Grasshopper-ready values).

    A result of ``count`` items gives one to each output; anything else (a
    function returning something other than its docstring says) goes whole to
    the first output.
    """
    if count == 1:
        return to_output(value)
    if isinstance(value, (list, tuple)) and len(value) == count:
        return tuple(to_output(item) for item in value)
    return (to_output(value),) + (None,) * (count - 1)


def _first_alternative(text):
    """Return the first type of a union, lower case: ``"float | list[float]"`` and ``"float or list"`` give ``"float"``.

    A parameter that takes one value or a list takes items in Grasshopper: the
    component decides by the first (main) type a docstring or annotation names.
    """
    text = text.lower().replace("optional[", "").replace("union[", "")
    for separator in ("|", " or ", ","):
        text = text.split(separator)[0]
    return text.strip()


def call_arguments(specs, values):
    """Return ``(args, kwargs)`` for the values of the inputs built from ``specs``.

    Empty optional inputs are left out (the function's default applies). A
    positional parameter left empty before one that has a value gets its
    described default, when that default is plain JSON.

    Raises
    ------
    ValueError
        A required input is empty, or an empty positional input with no usable
        default comes before one that has a value. The message names the input.
    """
    values = list(values) + [None] * (len(specs) - len(values))
    given = []
    for spec, value in zip(specs, values):
        value = _value(value, spec["access"])
        empty = value is None or (spec["access"] == "list" and spec["optional"] and not value)
        if empty and not spec["optional"]:
            raise ValueError("input '{0}' needs a value".format(spec["name"]))
        given.append(None if empty else value)
    last = -1
    for index, spec in enumerate(specs):
        if (spec["positional"] or spec["star"]) and given[index] is not None:
            last = index
    args, kwargs = [], {}
    for index, (spec, value) in enumerate(zip(specs, given)):
        if spec["star"]:
            args.extend(value or [])
        elif spec["positional"] and index <= last:
            if value is None:
                default = spec.get("default")
                if not spec.get("has_default") or (isinstance(default, dict) and list(default) == ["repr"]):
                    raise ValueError(
                        "input '{0}' needs a value: it is passed by position and a later input has one".format(spec["name"])
                    )
                value = default
            args.append(value)
        elif value is not None:
            kwargs[spec["name"]] = value
    return args, kwargs


def _state(component):
    store = sticky()
    key = "compas_cloud.function:" + component_key(component)
    state = store.get(key)
    if state is None:
        state = store[key] = {"function": None, "specs": None}
    return state


def _current_names(component):
    return [param.NickName for param in component.Params.Input][len(FIXED_INPUTS):]


def _output_names(component):
    return [param.NickName for param in component.Params.Output]


def rebuild_inputs(component, specs, outputs=None):
    """Make the component's inputs after the fixed ones match ``specs``, its outputs ``outputs`` (outside a solution)."""
    from Grasshopper.Kernel import GH_ParamAccess, GH_ParameterSide

    params = component.Params
    outputs = outputs or [{"name": "result", "description": "The function's result"}]
    for param in list(params.Input)[len(FIXED_INPUTS):]:
        params.UnregisterInputParameter(param)
    for spec in specs:
        index = len(params.Input)
        param = component.CreateParameter(GH_ParameterSide.Input, index)
        param.Name = spec["name"]
        param.NickName = spec["name"]
        param.Description = spec["description"]
        param.Access = GH_ParamAccess.list if spec["access"] == "list" else GH_ParamAccess.item
        param.Optional = spec["optional"]
        params.RegisterInputParam(param, index)
    if [output["name"] for output in outputs] != _output_names(component):
        for param in list(params.Output):
            params.UnregisterOutputParameter(param)
        for output in outputs:
            index = len(params.Output)
            param = component.CreateParameter(GH_ParameterSide.Output, index)
            param.Name = output["name"]
            param.NickName = output["name"]
            params.RegisterOutputParam(param, index)
    for param, output in zip(params.Output, outputs):
        param.Description = output["description"]
    component.VariableParameterMaintenance()
    params.OnParametersChanged()


def _schedule_rebuild(component, specs, outputs):
    document = _document(component)

    def callback(doc):
        rebuild_inputs(component, specs, outputs)
        component.ExpireSolution(False)

    if document is None or not hasattr(document, "ScheduleSolution"):
        rebuild_inputs(component, specs, outputs)
        return
    delegate = _schedule_delegate()
    invoke_on_ui(lambda: document.ScheduleSolution(1, delegate(callback) if delegate else callback))


def _value(value, access):
    if value is None:
        return None
    if access == "list":
        return list(value)
    return value


def run_function(component, proxy=None, function=None, cache_result=False, background=False, values=()):
    """Solve a Cloud_Function: describe and rebuild when ``function`` changed, else call it.

    ``values`` are the dynamic inputs in their order. Returns the result (or None).
    """
    nothing = None if len(component.Params.Output) <= 1 else (None,) * len(component.Params.Output)
    if not function:
        add_message(component, WARNING, "give the dotted name of a function, e.g. compas.geometry.centroid_points")
        return nothing
    state = _state(component)
    if state["function"] != function or state["specs"] is None:
        try:
            description = _proxy_for(component, proxy).describe(function)
        except CloudError as error:
            report(component, error)
            return nothing
        if description.get("signature") is None:
            add_message(
                component, WARNING,
                "the server cannot tell the parameters of {0} (a builtin without a signature): use Cloud Call "
                "with an args list".format(function),
            )
            return nothing
        state["function"], state["specs"] = function, parameter_specs(description)
        state["outputs"] = output_specs(description)
    specs, outputs = state["specs"], state["outputs"]
    if [spec["name"] for spec in specs] != _current_names(component) or (
        [output["name"] for output in outputs] != _output_names(component)
    ):
        # a new function, or parameters removed or added by hand since: (re)build them after this solution
        _schedule_rebuild(component, specs, outputs)
        add_message(component, REMARK, "inputs rebuilt for {0}: connect them".format(function))
        return nothing
    try:
        # converted here, so that a value that cannot be sent is named by its input, not as 'args'
        values = [to_wire(value, "input '{0}'".format(spec["name"])) for spec, value in zip(specs, values)]
    except CloudError as error:
        report(component, error)
        return nothing
    try:
        args, kwargs = call_arguments(specs, values)
    except ValueError as error:
        add_message(component, WARNING, str(error))
        return nothing
    count = len(outputs)
    result = run_call(
        component, proxy, function, args, kwargs, False, background, False, cache_result=bool(cache_result),
        convert=lambda value: split_result(value, count),
    )
    return nothing if result is None and count > 1 else result
