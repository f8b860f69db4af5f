"""Each Cloud_* component's code.py, run the way GhPython runs it, against a real server."""
from __future__ import absolute_import

import time

from gh_harness import DataTree, connection_counters
from helpers import ServerProcess, free_port, server_python

from compas_cloud import Reference

POINTS = [[float(i), 0.0, 0.0] for i in range(10)]


def translation(z):
    return [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, float(z)], [0.0, 0.0, 0.0, 1.0]]


def transform_args(z):
    # branch {0}: the points (several items -> a list); branch {1}: the matrix (one item)
    return DataTree([POINTS, [translation(z)]])


def lifted(z):
    return [[x, y, w + z] for x, y, w in POINTS]


TRANSFORM = "compas.geometry.transform_points_numpy"


def test_first_solve_runs_the_function(gh, connected):
    _, proxy = connected
    call = gh.load("Cloud_Call")
    result = call.solve(proxy=proxy, function=TRANSFORM, args=transform_args(1))["result"]
    assert result == lifted(1)
    assert call.messages("Error") == []


def test_resolve_with_unchanged_inputs_sends_nothing(gh, connected):
    _, proxy = connected
    call = gh.load("Cloud_Call")
    before = connection_counters(proxy)
    first = call.solve(proxy=proxy, function=TRANSFORM, args=transform_args(1))["result"]
    after_first = connection_counters(proxy)
    # two uploads (points, matrix) + the call, + the status request itself
    assert after_first[0] - before[0] == 3 + 1
    assert after_first[1] - before[1] == 1
    for _ in range(3):
        again = call.solve(proxy=proxy, function=TRANSFORM, args=transform_args(1))["result"]
        assert again == first
        assert any("unchanged" in text for text in call.messages("Remark"))
    after_resolves = connection_counters(proxy)
    assert after_resolves[0] - after_first[0] == 1  # only the status request
    assert after_resolves[1] == after_first[1]


def test_changed_input_resends_only_that_input(gh, connected):
    _, proxy = connected
    call = gh.load("Cloud_Call")
    call.solve(proxy=proxy, function=TRANSFORM, args=transform_args(1))
    before = connection_counters(proxy)
    references_before = proxy.status()["connection"]["references"]
    result = call.solve(proxy=proxy, function=TRANSFORM, args=transform_args(5))["result"]
    after = connection_counters(proxy)
    assert result == lifted(5)
    # upload of the new matrix, free of the old one, the call (+ status requests): the points stay
    assert after[0] - before[0] == 3 + 2
    assert after[1] - before[1] == 1
    assert proxy.status()["connection"]["references"] == references_before


def test_rerun_runs_again_with_the_same_inputs(gh, connected):
    _, proxy = connected
    call = gh.load("Cloud_Call")
    call.solve(proxy=proxy, function=TRANSFORM, args=transform_args(2))
    before = connection_counters(proxy)
    result = call.solve(proxy=proxy, function=TRANSFORM, args=transform_args(2), rerun=True)["result"]
    after = connection_counters(proxy)
    assert result == lifted(2)
    assert after[1] - before[1] == 1
    assert after[0] - before[0] == 1 + 1  # the call alone: the uploads are reused


def test_kwargs_as_dict_and_as_json(gh, connected):
    _, proxy = connected
    call = gh.load("Cloud_Call")
    as_dict = call.solve(proxy=proxy, function="numpy.linalg.norm", args=[[[3.0, 4.0], [6.0, 8.0]]], kwargs={"axis": 1})
    assert as_dict["result"] == [5.0, 10.0]
    as_json = call.solve(proxy=proxy, function="numpy.linalg.norm", args=[[[3.0, 4.0], [6.0, 8.0]]], kwargs='{"axis": 0}')
    assert [round(value, 9) for value in as_json["result"]] == [round(45.0 ** 0.5, 9), round(80.0 ** 0.5, 9)]
    assert call.messages("Error") == []


def test_remote_error_is_a_runtime_message(gh, connected):
    _, proxy = connected
    call = gh.load("Cloud_Call")
    outputs = call.solve(proxy=proxy, function="operator.truediv", args=[1, 0])
    assert outputs["result"] is None
    errors = call.messages("Error")
    assert len(errors) == 1 and errors[0].startswith("ZeroDivisionError:")
    # an error is not remembered: the next solve runs again (and fails again)
    before = connection_counters(proxy)
    call.solve(proxy=proxy, function="operator.truediv", args=[1, 0])
    assert connection_counters(proxy)[1] - before[1] == 1
    missing = call.solve(proxy=proxy, function="compas_cloud_no_such_module.f")
    assert missing["result"] is None
    assert call.messages("Error")[0].startswith("FunctionNotFound:")


def test_bad_kwargs_and_missing_function_are_messages(gh, connected):
    _, proxy = connected
    call = gh.load("Cloud_Call")
    assert call.solve(proxy=proxy, function="numpy.linalg.norm", args=[[1.0]], kwargs="{not json")["result"] is None
    assert "kwargs is not valid JSON" in call.messages("Error")[0]
    assert call.solve(proxy=proxy)["result"] is None
    assert call.messages("Warning")


def test_keep_outputs_a_reference_that_get_and_free_use(gh, connected):
    _, proxy = connected
    call, get, free = gh.load("Cloud_Call"), gh.load("Cloud_Get"), gh.load("Cloud_Free")
    ref = call.solve(proxy=proxy, function=TRANSFORM, args=transform_args(3), keep=True)["result"]
    assert isinstance(ref, Reference)
    assert get.solve(proxy=proxy, ref=ref)["data"] == lifted(3)
    before = connection_counters(proxy)
    assert get.solve(proxy=proxy, ref=ref)["data"] == lifted(3)  # same reference: not fetched again
    assert connection_counters(proxy)[0] - before[0] == 1
    assert free.solve(proxy=proxy, refs=[ref], free=False)["freed"] == 0
    assert free.solve(proxy=proxy, refs=[ref], free=True)["freed"] == 1
    fresh_get = gh.load("Cloud_Get", call.document)
    assert fresh_get.solve(proxy=proxy, ref=ref)["data"] is None
    assert fresh_get.messages("Error")[0].startswith("ReferenceNotFound:")


def test_cache_sends_data_once_and_call_uses_the_reference(gh, connected):
    _, proxy = connected
    cache, call = gh.load("Cloud_Cache"), gh.load("Cloud_Call")
    ref = cache.solve(proxy=proxy, data=POINTS)["ref"]
    assert isinstance(ref, Reference)
    before = connection_counters(proxy)
    assert cache.solve(proxy=proxy, data=POINTS)["ref"] == ref
    assert connection_counters(proxy)[0] - before[0] == 1
    result = call.solve(proxy=proxy, function=TRANSFORM, args=[ref, translation(4)])["result"]
    assert result == lifted(4)
    # new data: a new reference, the old one freed
    new_ref = cache.solve(proxy=proxy, data=lifted(9))["ref"]
    assert new_ref != ref
    assert gh.load("Cloud_Get").solve(proxy=proxy, ref=new_ref)["data"] == lifted(9)
    freed_get = gh.load("Cloud_Get")
    assert freed_get.solve(proxy=proxy, ref=ref)["data"] is None


def test_call_reuploads_after_its_upload_was_freed(gh, connected):
    _, proxy = connected
    call = gh.load("Cloud_Call")
    call.solve(proxy=proxy, function=TRANSFORM, args=transform_args(1))
    proxy.clear()  # every stored value of this connection is gone, the component does not know
    result = call.solve(proxy=proxy, function=TRANSFORM, args=transform_args(6))["result"]
    assert result == lifted(6)
    assert call.messages("Error") == []


def test_background_call_expires_the_component_when_done(gh, connected):
    _, proxy = connected
    call = gh.load("Cloud_Call")
    first = call.solve(proxy=proxy, function="time.sleep", args=[0.2], background=True)
    assert first["result"] is None
    assert any("running" in text for text in call.messages("Remark"))
    deadline = time.time() + 60
    while not call.document.scheduled and time.time() < deadline:
        time.sleep(0.02)
    assert call.document.run_scheduled() == 1
    assert call.instance.expired == 1
    done = call.solve(proxy=proxy, function="time.sleep", args=[0.2], background=True)
    assert done["result"] is None and call.messages("Error") == []
    assert not any("running" in text for text in call.messages("Remark"))
    # a result that is not None, then reused without a new job
    call.solve(proxy=proxy, function=TRANSFORM, args=transform_args(7), background=True)
    while not call.document.scheduled and time.time() < deadline:
        time.sleep(0.02)
    call.document.run_scheduled()
    assert call.solve(proxy=proxy, function=TRANSFORM, args=transform_args(7), background=True)["result"] == lifted(7)
    assert call.solve(proxy=proxy, function=TRANSFORM, args=transform_args(7), background=True)["result"] == lifted(7)
    assert call.document.scheduled == []


def test_background_error_is_a_runtime_message(gh, connected):
    _, proxy = connected
    call = gh.load("Cloud_Call")
    call.solve(proxy=proxy, function="operator.truediv", args=[1, 0], background=True)
    deadline = time.time() + 60
    while not call.document.scheduled and time.time() < deadline:
        time.sleep(0.02)
    call.document.run_scheduled()
    assert call.solve(proxy=proxy, function="operator.truediv", args=[1, 0], background=True)["result"] is None
    assert call.messages("Error")[0].startswith("ZeroDivisionError:")


def test_one_proxy_per_document(gh, server):
    document = gh.document()
    first = gh.load("Cloud_Proxy", document)
    second = gh.load("Cloud_Proxy", document)
    other = gh.load("Cloud_Proxy")
    p1 = first.solve(host=server.host, port=server.port, autolaunch=False)["proxy"]
    p2 = second.solve(host=server.host, port=server.port, autolaunch=False)["proxy"]
    p3 = other.solve(host=server.host, port=server.port, autolaunch=False)["proxy"]
    assert p1 is p2 and p1 is not p3
    assert "connected to" in first.results["status"]
    # re-solving keeps the same proxy; a Call without a proxy input uses the document's
    assert first.solve(host=server.host, port=server.port, autolaunch=False)["proxy"] is p1
    call = gh.load("Cloud_Call", document)
    assert call.solve(function="numpy.linalg.norm", args=[[3.0, 4.0]])["result"] == 5.0
    # run=False disconnects
    assert first.solve(host=server.host, port=server.port, autolaunch=False, run=False)["proxy"] is None
    assert p1.check() is False


def test_proxy_without_server_is_an_error_message(gh):
    from helpers import free_port

    component = gh.load("Cloud_Proxy")
    outputs = component.solve(host="127.0.0.1", port=free_port(), autolaunch=False)
    assert outputs["proxy"] is None
    assert component.messages("Error")


def test_server_goes_away_and_comes_back(gh, own_server):
    port = own_server.port
    connect = gh.load("Cloud_Proxy")
    call = gh.load("Cloud_Call", connect.document)
    proxy = connect.solve(host="127.0.0.1", port=port, autolaunch=False)["proxy"]
    assert call.solve(proxy=proxy, function=TRANSFORM, args=transform_args(1))["result"] == lifted(1)

    own_server.kill()
    assert call.solve(proxy=proxy, function=TRANSFORM, args=transform_args(2))["result"] is None
    assert call.messages("Error")
    assert call.solve(proxy=proxy, function=TRANSFORM, args=transform_args(2))["result"] is None
    assert "no connection" in call.messages("Error")[0]

    comeback = ServerProcess("--port", str(port))
    try:
        assert comeback.port == port
        again = connect.solve(host="127.0.0.1", port=port, autolaunch=False)
        assert again["proxy"] is proxy, connect.messages()
        assert "connected to" in again["status"]
        # the uploads belonged to the old server: the component uploads again
        assert call.solve(proxy=proxy, function=TRANSFORM, args=transform_args(2))["result"] == lifted(2)
        assert call.messages("Error") == []
        assert proxy.status()["pid"] == comeback.pid
    finally:
        gh.close_proxies()
        comeback.stop()


def test_server_component_refuses_to_restart_a_server_it_did_not_launch(gh, own_server):
    connect = gh.load("Cloud_Proxy")
    control = gh.load("Cloud_Server", connect.document)
    proxy = connect.solve(host="127.0.0.1", port=own_server.port, python=server_python(), autolaunch=False)["proxy"]
    refused = control.solve(proxy=proxy, restart=True)
    assert "did not launch it" in control.messages("Error")[0]
    assert refused["ok"] is True  # untouched, still serving
    assert own_server.process.poll() is None
    assert "pid: {0}".format(own_server.pid) in refused["status"]
    gh.close_proxies()


def test_server_component_checks_restarts_and_shuts_down(gh, tmpdir, monkeypatch):
    monkeypatch.setenv("COMPAS_CLOUD_CONFIG_DIR", str(tmpdir.join("config")))
    port = free_port()
    connect = gh.load("Cloud_Proxy")
    control = gh.load("Cloud_Server", connect.document)
    proxy = connect.solve(host="127.0.0.1", port=port, python=server_python(), autolaunch=True)["proxy"]
    first = proxy.launched
    assert first is not None, connect.messages()
    outputs = control.solve(proxy=proxy)
    assert outputs["ok"] is True
    assert "compas_cloud" in outputs["version"] and "clients: " in outputs["status"]
    assert "pid: {0}".format(first.pid) in outputs["status"]
    assert "dashboard: http://127.0.0.1:{0}/".format(port) in outputs["status"]

    restarted = control.solve(proxy=proxy, restart=True)
    assert restarted["ok"] is True, control.messages()
    assert first.wait(30)  # the old server stopped
    assert proxy.launched is not first and "pid: {0}".format(proxy.launched.pid) in restarted["status"]
    assert proxy.launched.token == first.token and proxy.launched.options.auto_stop == first.options.auto_stop

    launched = proxy.launched
    stopped = control.solve(proxy=proxy, shutdown=True)
    assert stopped["ok"] is False and stopped["status"] == "shut down"
    assert control.messages("Warning")
    assert launched.wait(30)
