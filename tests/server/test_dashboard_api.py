"""The dashboard's HTTP side without a browser: the page, /api/state, /api/action, --open."""
import json
import os
import stat
import time

import pytest

from compas_cloud import Proxy
from compas_cloud.errors import CallCancelled, ServerSideError
from helpers import ServerProcess, http_get

TOKEN = "dashboard-api-token-0123456789"


def get(server, path, headers=None):
    return http_get(server.host, server.port, path, headers)


def bearer(token=TOKEN):
    return {"Authorization": "Bearer " + token}


def test_the_page_and_its_assets_are_served_from_the_package():
    with ServerProcess() as server:
        for path, kind in (("/", "text/html"), ("/dashboard", "text/html"), ("/dashboard/app.js", "text/javascript"),
                           ("/dashboard/style.css", "text/css")):
            status, headers, body = get(server, path)
            assert status == 200 and headers["Content-Type"].startswith(kind), path
            assert "default-src 'self'" in headers["Content-Security-Policy"]
        page = get(server, "/")[2]
        assert "http://" not in page and "https://" not in page  # no CDN: every asset comes from this server
        assert server.wait_line("dashboard: http://127.0.0.1:{0}/".format(server.port))


def test_state_shows_clients_calls_and_references_and_no_actions_without_a_token():
    with ServerProcess() as server:
        with Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False) as proxy:
            proxy.function("numpy.linalg.norm")([3, 4])
            proxy.function("numpy.arange", cache=True)(100)
            status, _, body = get(server, "/api/state")
            assert status == 200
            state = json.loads(body)
            assert state["actions"] is False
            (client,) = state["clients"]
            assert client["runtime"].startswith("CPython") and client["client"] == "compas_cloud"
            assert client["references"] == 1 and client["stored_bytes"] > 0
            assert [call["function"] for call in state["recent"]] == ["numpy.arange", "numpy.linalg.norm"]
            assert state["recent"][0]["outcome"] == "ok" and state["recent"][0]["error"] is None
            with pytest.raises(ServerSideError):
                proxy.function("math.sqrt")(-1)
            failed = json.loads(get(server, "/api/state")[2])["recent"][0]
            assert (failed["function"], failed["outcome"]) == ("math.sqrt", "error")
            assert failed["error"] == "ValueError: math domain error"
            assert state["server"]["versions"]["compas_cloud"]
            assert state["limits"]["connection_memory"] == 4096 * 1024 * 1024
            assert get(server, "/api/action?do=shutdown")[0] == 403  # nobody holds a token: nothing can change
            assert proxy.function("numpy.linalg.norm")([6, 8]) == 10.0


def test_origin_and_host_rules():
    with ServerProcess() as server:
        own = "http://{0}:{1}".format(server.host, server.port)
        assert get(server, "/api/state", {"Origin": own})[0] == 200
        assert get(server, "/api/state", {"Origin": "http://evil.example"})[0] == 403
        assert get(server, "/api/state", {"Sec-Fetch-Site": "cross-site"})[0] == 403
        # a page that rebinds its own DNS name to 127.0.0.1 sends its own Host: refused
        assert get(server, "/api/state", {"Host": "evil.example:{0}".format(server.port)})[0] == 403
        assert get(server, "/api/state", {"Host": "localhost:{0}".format(server.port)})[0] == 200
        assert get(server, "/healthz", {"Origin": "http://evil.example"})[0] == 200  # nothing private there


def test_with_a_token_state_and_actions_need_it():
    with ServerProcess("--token", TOKEN) as server:
        assert get(server, "/api/state")[0] == 401
        assert get(server, "/api/state", bearer("wrong"))[0] == 401
        assert get(server, "/api/action?do=shutdown")[0] == 401
        with Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False, token=TOKEN) as proxy:
            ref = proxy.function("numpy.arange", cache=True)(1000)
            state = json.loads(get(server, "/api/state", bearer())[2])
            assert state["actions"] is True
            connection = state["clients"][0]["connection"]
            status, _, body = get(server, "/api/action?do=free&connection={0}".format(connection), bearer())
            assert status == 200 and json.loads(body) == {"done": True, "freed": 1}
            assert proxy.status()["references"] == 0
            try:
                proxy.get(ref)
            except Exception as error:
                assert type(error).__name__ == "ReferenceNotFound"
            else:
                raise AssertionError("the freed reference still resolves")
            assert get(server, "/api/action?do=cancel&connection={0}&call=999".format(connection), bearer())[0] == 404
            assert get(server, "/api/action?do=explode", bearer())[0] == 400
            assert get(server, "/api/action?do=shutdown", bearer())[0] == 200
        assert server.wait(30) == 0


def _running(server, count, headers=None):
    """Wait until the dashboard's state shows ``count`` running calls; return that state."""
    end = time.time() + 60
    while True:
        state = json.loads(get(server, "/api/state", headers)[2])
        if len(state["running"]) == count or time.time() > end:
            return state
        time.sleep(0.05)


def test_a_call_cancelled_from_the_dashboard_tells_the_client_who_cancelled_it(tmp_path):
    flag = str(tmp_path / "release")
    held = "tests.dashboard_tasks.held_at"
    with ServerProcess("--token", TOKEN) as server:
        with Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False, token=TOKEN,
                   progress=False) as proxy:
            try:
                future = proxy.submit(held, [1, 4, flag])
                (call,) = _running(server, 1, bearer())["running"]
                assert call["call"] == future.id and call["function"] == held
                query = "/api/action?do=cancel&connection={0}&call={1}".format(call["connection"], call["call"])
                assert get(server, query)[0] == 401  # without the token nothing changes
                status, _, body = get(server, query, bearer())
                assert status == 200 and json.loads(body) == {"done": True}
                with pytest.raises(CallCancelled) as info:
                    future.result(60)
                assert "cancelled by an operator on the server's dashboard" in str(info.value)
                state = json.loads(get(server, "/api/state", bearer())[2])
                assert state["recent"][0]["outcome"] == "cancelled" and state["recent"][0]["call"] == future.id
                assert state["recent"][0]["error"] == "cancelled by an operator on the server's dashboard"
                # the connection goes on; a call the client cancels itself still says so
                assert proxy.function("numpy.linalg.norm")([3, 4]) == 5.0
                mine = proxy.submit(held, [2, 4, flag])
                _running(server, 1, bearer())
                assert mine.cancel() is True
                with pytest.raises(CallCancelled) as info:
                    mine.result(60)
                assert "cancelled by the client" in str(info.value)
            finally:
                open(flag, "w").close()


def test_open_starts_the_default_browser_on_the_dashboard(tmp_path, monkeypatch):
    record = str(tmp_path / "opened.txt")
    script = str(tmp_path / "browser.sh")
    with open(script, "w") as handle:
        handle.write("#!/bin/sh\necho \"$1\" >> {0}\n".format(record))
    os.chmod(script, stat.S_IRWXU)
    monkeypatch.setenv("BROWSER", script)  # webbrowser reads it in the server process, which inherits it
    with ServerProcess("--open") as server:
        end = time.time() + 60
        while not os.path.exists(record) and time.time() < end:
            time.sleep(0.05)
        with open(record) as handle:
            assert handle.read().strip() == "http://127.0.0.1:{0}/".format(server.port)


def test_state_shows_a_running_batch_with_its_tasks(tmp_path):
    flag = str(tmp_path / "release")
    with ServerProcess("--executor-workers", "1") as server:
        with Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False) as proxy:
            batch = proxy.batch([("tests.dashboard_tasks.held_at", [i, 2, flag], {}) for i in range(2)])
            try:
                end = time.time() + 120
                while time.time() < end:
                    state = json.loads(get(server, "/api/state")[2])
                    if state["batches"] and state["batches"][0]["counts"]["running"] == 1:
                        break
                    time.sleep(0.1)
                (shown,) = state["batches"]
                assert shown["connection"] == state["clients"][0]["connection"]
                assert [task["state"] for task in shown["tasks"]] == ["running", "waiting"]
                assert [task["function"] for task in shown["tasks"]] == ["tests.dashboard_tasks.held_at"] * 2
                metrics = get(server, "/metrics")[2]
                assert "compas_cloud_batches_running 1" in metrics
                assert 'compas_cloud_batch_tasks{state="running"} 1' in metrics
            finally:
                open(flag, "w").close()
            batch.wait(120)
            assert batch.results() == [0, 1]


def test_an_allowed_origin_admits_its_host_name_behind_a_reverse_proxy():
    with ServerProcess("--allow-origin", "https://compute.example.org") as server:
        assert get(server, "/api/state", {"Host": "compute.example.org"})[0] == 200
        assert get(server, "/api/state", {"Host": "compute.example.org", "Origin": "https://compute.example.org"})[0] == 200
        assert get(server, "/api/state", {"Host": "other.example.org"})[0] == 403


def _samples(text):
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def test_state_and_metrics_show_the_result_cache_and_the_shared_values():
    with ServerProcess("--result-cache", "2") as server:
        with Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False) as proxy:
            for _ in range(3):
                proxy.call("tests.beyond_tasks.scaled_sum", [[1, 2]], cache_result=True)  # 1 miss, 2 hits
            proxy.call("tests.beyond_tasks.scaled_sum", [[3]], cache_result=True)  # another miss
            proxy.share(proxy.cache(list(range(100))), "site model")
            state = json.loads(get(server, "/api/state")[2])
            cache = state["result_cache"]
            assert cache == proxy.status()["result_cache"]  # the server's own cache, as status() reports it
            assert (cache["enabled"], cache["hits"], cache["misses"], cache["entries"]) == (True, 2, 2, 2)
            assert 0 < cache["bytes"] <= cache["max_bytes"] == 2 * 1024 * 1024
            (shared,) = state["shared"]["names"]
            assert (shared["name"], shared["type"]) == ("site model", "list") and shared["bytes"] > 0
            assert state["shared"]["bytes"] == shared["bytes"]
            values = _samples(get(server, "/metrics")[2])
            assert values["compas_cloud_result_cache_hits_total"] == 2
            assert values["compas_cloud_result_cache_misses_total"] == 2
            assert values["compas_cloud_result_cache_entries"] == 2
            assert values["compas_cloud_result_cache_bytes"] == cache["bytes"]
            assert values["compas_cloud_result_cache_bytes_limit"] == 2 * 1024 * 1024
            assert values["compas_cloud_shared_values"] == 1 and values["compas_cloud_shared_bytes"] == shared["bytes"]
            proxy.clear_result_cache()
            proxy.unshare("site model")
            state = json.loads(get(server, "/api/state")[2])
            assert state["result_cache"]["entries"] == 0 and state["result_cache"]["bytes"] == 0
            assert state["shared"] == {"names": [], "bytes": 0}


def test_state_and_metrics_of_a_server_without_a_result_cache():
    with ServerProcess() as server:
        state = json.loads(get(server, "/api/state")[2])
        assert state["result_cache"] == {"enabled": False} and state["shared"] == {"names": [], "bytes": 0}
        metrics = get(server, "/metrics")[2]
        assert "compas_cloud_result_cache" not in metrics and "compas_cloud_shared_values 0" in metrics
