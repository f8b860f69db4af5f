"""/healthz and /metrics over plain HTTP (http.client) against real server processes."""
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time

import pytest

from compas_cloud import Proxy
from compas_cloud.errors import ServerSideError
from helpers import ROOT, ServerProcess, http_get, make_certificates, server_env

TOKEN = "metrics-test-token-0123456789"


def get(server, path, headers=None):
    """GET ``path`` from the server; return (status, headers, body text)."""
    return http_get(server.host, server.port, path, headers)


def samples(text):
    """Parse Prometheus text into {'name{labels}': value}; check every line is well formed."""
    values = {}
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) [a-z_]+ .+$", line), line
            continue
        match = re.match(r'^([a-z_]+(?:\{[a-z_]+="[^"]*"(?:,[a-z_]+="[^"]*")*\})?) (-?[0-9.e+-]+|\+Inf)$', line)
        assert match, line
        values[match.group(1)] = float(match.group(2))
    return values


def test_healthz_answers_without_a_token_and_tells_nothing_private():
    with ServerProcess("--token", TOKEN) as server:
        status, headers, body = get(server, "/healthz")
        assert status == 200
        assert headers["Content-Type"] == "application/json"
        health = json.loads(body)
        assert sorted(health) == ["calls_running", "connections", "status", "uptime", "version"]
        assert health["status"] == "ok" and health["connections"] == 0 and health["calls_running"] == 0
        assert TOKEN not in body


def test_metrics_without_a_token_server_count_calls_bytes_and_references():
    with ServerProcess() as server:
        with Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False) as proxy:
            norm = proxy.function("numpy.linalg.norm")
            assert norm([3, 4]) == 5.0
            assert norm([6, 8]) == 10.0
            with pytest.raises(ServerSideError):
                proxy.function("math.sqrt")(-1)
            kept = proxy.function("numpy.arange", cache=True)(1000)
            status, headers, body = get(server, "/metrics")
            assert status == 200
            assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
            values = samples(body)
            assert values['compas_cloud_calls_total{outcome="ok"}'] == 3
            assert values['compas_cloud_calls_total{outcome="error"}'] == 1
            assert values["compas_cloud_call_duration_seconds_count"] == 4
            assert values['compas_cloud_call_duration_seconds_bucket{le="+Inf"}'] == 4
            assert values["compas_cloud_connections"] == 1
            assert values["compas_cloud_references"] == 1
            assert values["compas_cloud_reference_bytes"] >= 8000  # 1000 int64
            assert values["compas_cloud_received_bytes_total"] > 0 and values["compas_cloud_sent_bytes_total"] > 0
            assert values["compas_cloud_up"] == 1
            proxy.free(kept)
            assert samples(get(server, "/metrics")[2])["compas_cloud_references"] == 0


def test_every_metric_is_in_the_deploy_guide():
    """docs/deploy.md lists what /metrics exports (a full name, or the ``_suffix`` of a listed family)."""
    with open(os.path.join(ROOT, "docs", "deploy.md")) as handle:
        guide = handle.read()
    with ServerProcess("--result-cache", "1") as server:
        names = re.findall(r"^# TYPE ([a-z_]+) ", get(server, "/metrics")[2], re.M)
    assert "compas_cloud_result_cache_hits_total" in names and "compas_cloud_batch_tasks" in names
    for name in names:
        short = "`_" + name.split("compas_cloud_result_cache_", 1)[-1] + "`"
        assert "`" + name in guide or (name.startswith("compas_cloud_result_cache_") and short in guide), name


def test_metrics_follow_the_origin_and_host_rules():
    """A web page cannot read /metrics of a loopback server, not even by rebinding its DNS name to 127.0.0.1."""
    with ServerProcess() as server:
        assert get(server, "/metrics")[0] == 200
        assert get(server, "/metrics", {"Origin": "http://evil.example"})[0] == 403
        assert get(server, "/metrics", {"Host": "evil.example:{0}".format(server.port)})[0] == 403
        assert get(server, "/metrics", {"Host": "localhost:{0}".format(server.port)})[0] == 200


def test_metrics_behind_the_token():
    with ServerProcess("--token", TOKEN) as server:
        status, headers, body = get(server, "/metrics")
        assert status == 401 and "Bearer" in body
        assert get(server, "/metrics", {"Authorization": "Bearer wrong"})[0] == 401
        status, _, body = get(server, "/metrics", {"Authorization": "Bearer " + TOKEN})
        assert status == 200 and "compas_cloud_calls_total" in body
        # the websocket still works next to the HTTP routes
        with Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False, token=TOKEN) as proxy:
            assert proxy.function("numpy.linalg.norm")([3, 4]) == 5.0


def test_healthz_is_503_while_the_server_shuts_down():
    with ServerProcess("--shutdown-grace", "30") as server:
        proxy = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False, timeout=60)
        other = Proxy(host=server.host, port=server.port, autolaunch=False, verbose=False)
        try:
            worker = threading.Thread(target=lambda: proxy.function("time.sleep")(4))
            worker.start()
            deadline = time.time() + 30
            while json.loads(get(server, "/healthz")[2])["calls_running"] < 1 and time.time() < deadline:
                time.sleep(0.05)
            assert json.loads(get(server, "/healthz")[2])["calls_running"] == 1
            other.shutdown()
            status, _, body = get(server, "/healthz")
            assert status == 503
            assert json.loads(body)["status"] == "stopping"
            assert samples(get(server, "/metrics")[2])["compas_cloud_up"] == 0
            # the container HEALTHCHECK's probe says so too
            probe = subprocess.run([sys.executable, "-m", "compas_cloud.server.healthcheck", "--port", str(server.port)],
                                   env=server_env(), stdout=subprocess.PIPE, universal_newlines=True, timeout=60)
            assert probe.returncode == 1 and probe.stdout.startswith("unhealthy: http://") and " 503 " in probe.stdout
            worker.join(60)
        finally:
            proxy.close()
            other.close()


def test_the_log_names_the_client_that_left(tmp_path):
    """Over TLS the socket forgets its peer once closed: the server keeps it for the log's last line."""
    ca, cert, key = make_certificates(str(tmp_path))
    with ServerProcess("--certfile", cert, "--keyfile", key) as server:
        with Proxy(url="wss://127.0.0.1:{0}".format(server.port), cafile=ca, autolaunch=False, verbose=False) as proxy:
            assert proxy.check()
        deadline = time.time() + 30
        while " left (0 connected)" not in server.read_log() and time.time() < deadline:
            time.sleep(0.05)
        log = server.read_log()
        peer = re.search(r"client connected from (\S+) ", log).group(1)
        assert peer.startswith("127.0.0.1:")
        assert "client {0} left (0 connected)".format(peer) in log


def test_the_websocket_handshake_at_the_same_paths_still_upgrades():
    """A websocket client asking for /healthz gets a websocket, not the HTTP answer."""
    import websocket

    with ServerProcess() as server:
        ws = websocket.create_connection("ws://{0}:{1}/healthz".format(server.host, server.port), suppress_origin=True)
        try:
            ws.send(json.dumps({"v": 1, "id": 1, "op": "ping"}))
            assert json.loads(ws.recv())["result"] == "pong"
        finally:
            ws.close()


def _start_lines(server):
    assert server.wait_line("functions allowed:")  # the last line of the start-up report
    return [line for line in server.lines if line.startswith(("token required", "TLS"))]


def test_the_start_up_lines_tell_the_token_and_tls_apart(tmp_path):
    with ServerProcess("--token", TOKEN) as server:
        assert _start_lines(server) == ["token required: yes (from --token)"]
    ca, cert, key = make_certificates(str(tmp_path))
    with ServerProcess("--certfile", cert, "--keyfile", key) as server:
        lines = _start_lines(server)
        assert len(lines) == 2 and lines[0].startswith("token required: no (loopback only")
        assert lines[1] == "TLS: yes (wss://, certificate {0})".format(cert)


def test_healthz_over_https_with_the_test_ca(tmp_path):
    import ssl

    ca, cert, key = make_certificates(str(tmp_path))
    with ServerProcess("--certfile", cert, "--keyfile", key) as server:
        context = ssl.create_default_context(cafile=ca)
        connection = http.client.HTTPSConnection(server.host, server.port, timeout=30, context=context)
        try:
            connection.request("GET", "/healthz")
            answer = connection.getresponse()
            assert answer.status == 200
            assert json.loads(answer.read().decode("utf-8"))["status"] == "ok"
        finally:
            connection.close()
        assert server.wait_line("dashboard: https://127.0.0.1:")
