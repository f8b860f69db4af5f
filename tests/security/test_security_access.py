"""Who may connect: tokens, browser origins, non-loopback binds (real server processes)."""
import json
import os
import stat
import subprocess

import pytest
import websocket

from compas_cloud import Proxy
from compas_cloud.errors import AccessDenied
from helpers import ROOT, ServerProcess, server_env, server_python

TOKEN = "s3cret-token_for-tests"


def raw(url, **options):
    options.setdefault("suppress_origin", True)
    return websocket.create_connection(url, timeout=10, **options)


def refusal(url, **options):
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        raw(url, **options)
    return info.value.status_code, info.value.resp_body.decode("utf-8")


def call_getcwd(ws):
    ws.send(json.dumps({"v": 1, "id": 1, "op": "call", "function": "os.getcwd"}))
    return json.loads(ws.recv())


@pytest.fixture(scope="module")
def token_server():
    process = ServerProcess("--token", TOKEN)
    yield process
    process.stop()


def test_start_reports_the_token_policy(token_server, server):
    assert token_server.wait_line("token required: yes (from --token)")
    assert server.wait_line("token required: no (loopback only")


def test_missing_token_is_refused_with_401(token_server):
    status, body = refusal(token_server.url)
    assert status == 401
    assert "Authorization: Bearer <token>" in body and "compas_cloud.token.<token>" in body


def test_wrong_token_is_refused_in_every_place(token_server):
    assert refusal(token_server.url, header=["Authorization: Bearer wrong"])[0] == 401
    assert refusal(token_server.url + "/?token=wrong")[0] == 401
    assert refusal(token_server.url, subprotocols=["compas_cloud.token.wrong"])[0] == 401
    assert refusal(token_server.url, header=["Authorization: Basic " + TOKEN])[0] == 401


@pytest.mark.parametrize("how", ["header", "subprotocol", "query"])
def test_right_token_is_accepted_in_every_place(token_server, how):
    url, options = token_server.url, {}
    if how == "header":
        options["header"] = ["Authorization: Bearer " + TOKEN]
    elif how == "subprotocol":
        options["subprotocols"] = ["compas_cloud.token." + TOKEN]
    else:
        url += "/?token=" + TOKEN
    ws = raw(url, **options)
    try:
        if how == "subprotocol":
            assert ws.subprotocol == "compas_cloud.token." + TOKEN
        assert call_getcwd(ws)["result"] == ROOT
    finally:
        ws.close()


def test_proxy_with_and_without_token(token_server):
    with Proxy(host=token_server.host, port=token_server.port, token=TOKEN, autolaunch=False, verbose=False) as proxy:
        assert proxy.call("os.getcwd") == ROOT
    with pytest.raises(AccessDenied) as info:
        Proxy(host=token_server.host, port=token_server.port, token="nope", verbose=False)
    assert info.value.status == 401 and "not this server's token" in str(info.value)


def test_token_from_environment(monkeypatch):
    monkeypatch.setenv("COMPAS_CLOUD_TOKEN", TOKEN)
    with ServerProcess() as process:
        assert process.wait_line("token required: yes (from the environment variable COMPAS_CLOUD_TOKEN)")
        assert refusal(process.url)[0] == 401
        with Proxy(host=process.host, port=process.port, autolaunch=False, verbose=False) as proxy:  # env token
            assert proxy.call("os.getcwd") == ROOT


def test_token_file_is_created_private_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPAS_CLOUD_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("COMPAS_CLOUD_TOKEN", raising=False)
    path = tmp_path / "config" / "token"
    with ServerProcess("--token-file") as process:
        assert process.wait_line("token file {0} (created now)".format(path))
        assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
        token = path.read_text().strip()
        assert len(token) >= 32
        assert refusal(process.url)[0] == 401
        # A client of the same user finds the default token file by itself.
        with Proxy(host=process.host, port=process.port, autolaunch=False, verbose=False) as proxy:
            assert proxy.call("os.getcwd") == ROOT
    with ServerProcess("--token-file") as process:
        assert path.read_text().strip() == token
        assert "created now" not in process.wait_line("token required: yes")


def _start_fails(*args, **env):
    environ = server_env()
    environ.pop("COMPAS_CLOUD_TOKEN", None)
    environ.update(env)
    command = [server_python(), "-m", "compas_cloud.server", "--port", "0"] + list(args)
    result = subprocess.run(command, env=environ, cwd=ROOT, capture_output=True, text=True, timeout=60)
    return result.returncode, result.stdout, result.stderr


def test_world_readable_token_file_refuses_to_start(tmp_path):
    path = tmp_path / "token"
    path.write_text("abcdefabcdef\n")
    os.chmod(str(path), 0o644)
    code, out, err = _start_fails("--host", "127.0.0.1", "--token-file", str(path))
    assert code == 2 and "Listenning" not in out
    assert "can be read by other users" in err and "chmod 600" in err


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_non_loopback_bind_without_token_does_not_start(host):
    code, out, err = _start_fails("--host", host)
    assert code == 2
    assert "Listenning" not in out
    assert "refusing to listen on {0}".format(host) in err and "--token-file" in err


# -- browser origins (the header a browser sends; a real browser is in test_security_browser.py) --------


def test_connection_with_a_foreign_origin_is_refused(server):
    status, body = refusal(server.url, origin="http://evil.example", suppress_origin=False)
    assert status == 403
    assert "--allow-origin http://evil.example" in body


def test_two_origin_headers_are_refused(server):
    assert refusal(server.url, header=["Origin: http://a.example", "Origin: http://b.example"])[0] == 403


def test_allowed_origin_connects_and_others_do_not():
    with ServerProcess("--allow-origin", "http://localhost:8000") as process:
        assert process.wait_line("browser origins allowed: http://localhost:8000")
        ws = raw(process.url, origin="http://localhost:8000", suppress_origin=False)
        try:
            assert call_getcwd(ws)["result"] == ROOT
        finally:
            ws.close()
        assert refusal(process.url, origin="http://localhost:8001", suppress_origin=False)[0] == 403


def test_clients_without_origin_are_not_affected(server):
    ws = raw(server.url)
    try:
        assert call_getcwd(ws)["result"] == ROOT
    finally:
        ws.close()
