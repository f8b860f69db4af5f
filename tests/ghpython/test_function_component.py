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
    assert first["result"] is None
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
