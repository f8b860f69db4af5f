"""Cloud_Function through the Grasshopper harness against real servers: inputs rebuilt from describe, typed inputs, cache_result, background."""
from __future__ import absolute_import

import time

import pytest

from gh_harness import NetList
from helpers import ServerProcess

SCALED_SUM = "tests.beyond_tasks.scaled_sum"
FIXED = ["proxy", "function", "cache_result", "background"]


class Point3d(object):
    """Stands for Rhino.Geometry.Point3d (the conversions go by the type's name and X, Y, Z)."""

    def __init__(self, x, y, z):
        self.X, self.Y, self.Z = x, y, z


def _rebuilt(component, **inputs):
    """Solve once (the component asks for its inputs), run the scheduled rebuild, return the new input names."""
    first = component.solve(**inputs)
    assert set(first.values()) == set([None])
    assert any("inputs rebuilt" in text for text in component.messages("Remark")), component.messages()
    assert component.document.run_scheduled() == 1
    return [param.NickName for param in component.instance.Params.Input]


def test_inputs_are_rebuilt_from_the_description(gh, connected):
    _, proxy = connected
    component = gh.load("Cloud_Function")
    assert _rebuilt(component, proxy=proxy, function=SCALED_SUM) == FIXED + ["values", "scale", "label"]
    params = dict((param.NickName, param) for param in component.instance.Params.Input)
    assert params["values"].Access == "GH_ParamAccess.list" and params["values"].Optional is False
    assert params["scale"].Access == "GH_ParamAccess.item" and params["scale"].Optional is True
    assert params["values"].Description.startswith("The numbers to add.")
    assert "[default: 1.0]" in params["scale"].Description
    assert component.instance.Params.Output[0].Description == "``[label, total]``."
    assert component.instance.Params.changes == 1 and component.instance.maintenance == 1
    assert component.instance.expired == 1  # solved again after the change
    result = component.solve(proxy=proxy, function=SCALED_SUM, values=NetList([1, 2, 3]))["result"]
    assert result == ["sum", 6.0] and component.messages("Error") == []
    assert component.solve(proxy=proxy, function=SCALED_SUM, values=[1, 2, 3], scale=2.0, label="s")["result"] == ["s", 12.0]
    # a required input left empty
    assert component.solve(proxy=proxy, function=SCALED_SUM)["result"] is None
    assert any("'values'" in text for text in component.messages("Warning"))
    # another function: rebuilt again, the old inputs removed
    names = _rebuilt(component, proxy=proxy, function="compas.geometry.centroid_points")
    assert names == FIXED + ["points"]
    points = [Point3d(0, 0, 0), Point3d(2, 0, 0), Point3d(2, 2, 0), Point3d(0, 2, 0)]
    result = component.solve(proxy=proxy, function="compas.geometry.centroid_points", points=points)["result"]
    assert list(result) == [1.0, 1.0, 0.0]


def test_unknown_function_is_an_error_balloon_and_no_rebuild(gh, connected):
    _, proxy = connected
    component = gh.load("Cloud_Function")
    assert component.solve(proxy=proxy, function="tests.beyond_tasks.nothing")["result"] is None
    assert any("FunctionNotFound" in text for text in component.messages("Error"))
    assert component.document.scheduled == []
    assert [param.NickName for param in component.instance.Params.Input] == FIXED


def test_cache_result_toggle_and_background(gh):
    pytest.importorskip("compas")
    process = ServerProcess("--result-cache", "4")
    try:
        proxy_component = gh.load("Cloud_Proxy")
        proxy = proxy_component.solve(host=process.host, port=process.port, autolaunch=False)["proxy"]
        component = gh.load("Cloud_Function")
        _rebuilt(component, proxy=proxy, function=SCALED_SUM)
        other = gh.load("Cloud_Function")
        _rebuilt(other, proxy=proxy, function=SCALED_SUM)
        before = proxy.call("tests.beyond_tasks.runs")
        assert component.solve(proxy=proxy, function=SCALED_SUM, cache_result=True, values=[4])["result"] == ["sum", 4.0]
        assert other.solve(proxy=proxy, function=SCALED_SUM, cache_result=True, values=[4])["result"] == ["sum", 4.0]
        assert proxy.call("tests.beyond_tasks.runs") == before + 1  # the second component was answered from the cache
        assert proxy.status()["result_cache"]["hits"] == 1
        # in the background: nothing at first, the result after the scheduled re-solve
        assert component.solve(proxy=proxy, function=SCALED_SUM, background=True, values=[5])["result"] is None
        deadline = time.time() + 60
        while not component.document.scheduled and time.time() < deadline:
            time.sleep(0.02)
        assert component.document.run_scheduled() == 1
        assert component.solve(proxy=proxy, function=SCALED_SUM, background=True, values=[5])["result"] == ["sum", 5.0]
    finally:
        gh.close_proxies()
        process.stop()


def _names(component):
    return [param.NickName for param in component.instance.Params.Input]


def test_positional_only_parameters_and_star_args(gh, connected):
    _, proxy = connected
    component = gh.load("Cloud_Function")
    # math.pow(x, y, /): positional-only parameters are passed by position (math.pow takes no keywords)
    assert _rebuilt(component, proxy=proxy, function="math.pow") == FIXED + ["x", "y"]
    assert component.solve(proxy=proxy, function="math.pow", x=2, y=10)["result"] == 1024.0
    assert component.messages("Error") == []
    # total(scale=1.0, *values, **options): *values is one list input spread into arguments, scale goes
    # before them by position, **options gets no input
    name = "tests.beyond_tasks.total"
    assert _rebuilt(component, proxy=proxy, function=name) == FIXED + ["scale", "values"]
    params = dict((param.NickName, param) for param in component.instance.Params.Input)
    assert params["values"].Access == "GH_ParamAccess.list" and params["values"].Optional is True
    assert "one argument per item" in params["values"].Description
    assert component.solve(proxy=proxy, function=name, scale=2.0, values=NetList([1, 2, 3]))["result"] == [12.0, []]
    # scale left empty while values has some: its described default goes in its place
    assert component.solve(proxy=proxy, function=name, values=[1, 2])["result"] == [3.0, []]
    assert component.solve(proxy=proxy, function=name, scale=3.0)["result"] == [0.0, []]
    assert component.solve(proxy=proxy, function=name)["result"] == [0.0, []]


def test_a_builtin_without_a_signature_gets_a_warning_not_inputs(gh, connected):
    _, proxy = connected
    component = gh.load("Cloud_Function")
    assert component.solve(proxy=proxy, function="math.hypot")["result"] is None
    assert any("Cloud Call" in text for text in component.messages("Warning"))
    assert component.document.scheduled == [] and _names(component) == FIXED


def test_call_arguments_of_described_parameters():
    from compas_cloud.ghpython.function_component import call_arguments, parameter_specs

    def spec(name, kind, **extra):
        item = {"name": name, "kind": kind, "has_default": "default" in extra, "default": extra.get("default")}
        item.update(extra)
        return item

    specs = parameter_specs({"parameters": [
        spec("a", "positional_only"), spec("b", "positional_only", default={"repr": "<no value>"}),
        spec("c", "positional_only", default=5), spec("d", "positional_or_keyword", default=1),
        spec("e", "keyword_only"), spec("kw", "var_keyword"),
    ]})
    assert [s["name"] for s in specs] == ["a", "b", "c", "d", "e"]
    assert call_arguments(specs, [1, None, None, None, "x"]) == ([1], {"e": "x"})
    assert call_arguments(specs, [1, 2, None, 4, "x"]) == ([1, 2], {"d": 4, "e": "x"})
    with pytest.raises(ValueError) as error:  # b's default cannot be sent, and c comes after it
        call_arguments(specs, [1, None, 3, None, "x"])
    assert "'b'" in str(error.value)
    with pytest.raises(ValueError) as error:
        call_arguments(specs, [1, 2, 3, None, None])
    assert "'e'" in str(error.value)
    with pytest.raises(ValueError):
        call_arguments(specs, [None, None, None, None, "x"])


def test_list_or_item_access_from_the_first_type_of_a_union():
    from compas_cloud.ghpython.function_component import parameter_specs

    cases = [
        ({"annotation": "list[float]"}, "list"),
        ({"type": "list of float"}, "list"),
        ({"type": "sequence[point] | :class:`compas.geometry.Polygon`"}, "list"),
        ({"type": "float | list[tuple[float, float]]"}, "item"),
        ({"type": "int or list of int"}, "item"),
        ({"type": "float, optional"}, "item"),
        ({"annotation": "Optional[List[float]]"}, "list"),
        ({"annotation": "Union[float, List[float]]"}, "item"),
        ({"has_default": True, "default": [0, 0, 1]}, "list"),
        ({}, "item"),
    ]
    for extra, access in cases:
        parameter = {"name": "p", "kind": "positional_or_keyword", "has_default": False, "default": None}
        parameter.update(extra)
        assert parameter_specs({"parameters": [parameter]})[0]["access"] == access, extra


def test_the_documented_example_offset_polygon(gh, connected):
    """docs/grasshopper.md's figure: offset_polygon's inputs, item access for distance, points in, points out."""
    pytest.importorskip("compas")
    _, proxy = connected
    component = gh.load("Cloud_Function")
    name = "compas.geometry.offset_polygon"
    assert _rebuilt(component, proxy=proxy, function=name) == FIXED + ["polygon", "distance", "tol"]
    params = dict((param.NickName, param) for param in component.instance.Params.Input)
    assert [params[n].Access for n in ("polygon", "distance", "tol")] == [
        "GH_ParamAccess.list", "GH_ParamAccess.item", "GH_ParamAccess.item"]
    assert [params[n].Optional for n in ("polygon", "distance", "tol")] == [False, False, True]
    square = NetList([Point3d(0, 0, 0), Point3d(4, 0, 0), Point3d(4, 4, 0), Point3d(0, 4, 0)])
    result = component.solve(proxy=proxy, function=name, polygon=square, distance=1.0)["result"]
    assert component.messages("Error") == [] and component.messages("Warning") == []
    corners = sorted(tuple(round(c, 6) for c in point) for point in result)
    assert corners == [(1.0, 1.0, 0.0), (1.0, 3.0, 0.0), (3.0, 1.0, 0.0), (3.0, 3.0, 0.0)]


def test_the_rhino_8_set_runs_the_same_component(gh, connected):
    """ghpython/components_cpython/Cloud_Function (Rhino 8's CPython script component) through the same harness."""
    import os

    from gh_harness import ROOT, LoadedComponent

    _, proxy = connected
    folder = os.path.join(ROOT, "ghpython", "components_cpython", "Cloud_Function")
    with open(os.path.join(folder, "code.py")) as handle:
        assert handle.readline().startswith("# r: compas_cloud")
    component = LoadedComponent(folder, gh.document())
    assert _rebuilt(component, proxy=proxy, function=SCALED_SUM) == FIXED + ["values", "scale", "label"]
    assert component.solve(proxy=proxy, function=SCALED_SUM, values=[1, 2], scale=3.0)["result"] == ["sum", 9.0]


def test_inputs_removed_by_hand_are_rebuilt(gh, connected):
    _, proxy = connected
    component = gh.load("Cloud_Function")
    _rebuilt(component, proxy=proxy, function=SCALED_SUM)
    params = component.instance.Params
    params.UnregisterInputParameter(params.Input[-1])  # the designer deletes 'label' from the canvas
    assert _rebuilt(component, proxy=proxy, function=SCALED_SUM) == FIXED + ["values", "scale", "label"]
    assert component.solve(proxy=proxy, function=SCALED_SUM, values=[2], label="t")["result"] == ["t", 2.0]


def test_outputs_are_rebuilt_for_a_function_documenting_several_values(gh, connected):
    pytest.importorskip("compas")
    _, proxy = connected
    component = gh.load("Cloud_Function")
    name = "compas.geometry.axis_angle_from_quaternion"  # Returns: axis : [float, float, float], angle : float
    assert _rebuilt(component, proxy=proxy, function=name) == FIXED + ["q"]
    outputs = component.instance.Params.Output
    assert [param.NickName for param in outputs] == ["axis", "angle"]
    assert outputs[1].Description.startswith("Angle of rotation in radians.") and "(float)" in outputs[1].Description
    results = component.solve(proxy=proxy, function=name, q=[0.7071068, 0.0, 0.0, 0.7071068])
    assert [round(c, 6) for c in results["axis"]] == [0.0, 0.0, 1.0] and abs(results["angle"] - 1.5707963) < 1e-6
    # nothing to compute yet: one None per output (GhPython spreads the returned tuple over the outputs)
    assert component.solve(proxy=proxy, function=name) == {"axis": None, "angle": None}
    # back to a function with one value: a single 'result' output again
    assert _rebuilt(component, proxy=proxy, function=SCALED_SUM) == FIXED + ["values", "scale", "label"]
    assert [param.NickName for param in component.instance.Params.Output] == ["result"]
    assert component.solve(proxy=proxy, function=SCALED_SUM, values=[1])["result"] == ["sum", 1.0]


def test_output_specs_and_split_results():
    from compas_cloud.ghpython.function_component import output_specs, split_result

    assert output_specs({"returns": {"description": "", "items": []}}) == [
        {"name": "result", "description": "The function's result"}]
    specs = output_specs({"returns": {"items": [
        {"name": None, "type": "float", "description": "A distance."},
        {"name": "index", "type": "int", "description": ""},
        {"name": "proxy", "type": "str", "description": "x"},  # would clash with an input
    ]}})
    assert [spec["name"] for spec in specs] == ["result1", "index", "result3"]
    assert specs[0]["description"] == "A distance. (float)" and specs[1]["description"] == "(int)"
    assert split_result([1.5, 2, "a"], 3) == (1.5, 2, "a")
    assert split_result([1.5, 2], 3) == ([1.5, 2], None, None)  # not what the docstring says: whole, to the first
    assert split_result(7, 1) == 7
