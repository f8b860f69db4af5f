"""Issue 13: the server's own origin, refusals in the log, --max-connections, back-pressure.

Real servers, real websocket-client connections.
"""
import json
import time

import pytest
import websocket

from helpers import ServerProcess

MIB = 1024 * 1024


def ping(ws, rid="p"):
    ws.send(json.dumps({"v": 1, "id": rid, "op": "ping"}))
    return json.loads(ws.recv())


def test_websocket_client_with_its_default_origin_connects():
    with ServerProcess() as process:
        ws = websocket.create_connection(process.url, timeout=30)  # sends Origin: http://127.0.0.1:<port>
        try:
            assert ping(ws)["result"] == "pong"
        finally:
            ws.close()
        for origin in ("http://localhost:{0}".format(process.port), "http://127.0.0.1:{0}".format(process.port)):
            ws = websocket.create_connection(process.url, timeout=30, origin=origin)
            try:
                assert ping(ws)["result"] == "pong"
            finally:
                ws.close()


@pytest.mark.parametrize("origin", ["http://evil.example:{port}", "http://127.0.0.1:1", "https://localhost:{port}.evil"])
def test_foreign_origins_are_refused_and_logged(origin):
    with ServerProcess() as process:
        with pytest.raises(websocket.WebSocketBadStatusException) as info:
            websocket.create_connection(process.url, timeout=30, origin=origin.format(port=process.port))
        assert info.value.status_code == 403
        deadline = time.time() + 10
        while "refused a connection from the web page" not in process.read_log() and time.time() < deadline:
            time.sleep(0.1)
        assert "refused a connection from the web page" in process.read_log()


def test_a_wrong_token_and_a_refused_call_are_logged(monkeypatch):
    with ServerProcess("--token", "right-token", "--allow", "math") as process:
        with pytest.raises(websocket.WebSocketBadStatusException):
            websocket.create_connection(process.url, timeout=30, header=["Authorization: Bearer wrong"])
        ws = websocket.create_connection(process.url, timeout=30, header=["Authorization: Bearer right-token"])
        try:
            ws.send(json.dumps({"v": 1, "id": 1, "op": "call", "function": "os.getcwd", "args": [], "kwargs": {}}))
            assert json.loads(ws.recv())["error"]["type"] == "FunctionNotAllowed"
        finally:
            ws.close()
        deadline = time.time() + 10
        while time.time() < deadline:
            log = process.read_log()
            if "not this server's token" in log and "os.getcwd" in log:
                break
            time.sleep(0.1)
        assert "not this server's token" in log
        assert "refused a request of" in log and "os.getcwd" in log


def test_max_connections_refuses_with_a_clear_message():
    with ServerProcess("--max-connections", "2") as process:
        first = websocket.create_connection(process.url, timeout=30)
        second = websocket.create_connection(process.url, timeout=30)
        try:
            with pytest.raises(websocket.WebSocketBadStatusException) as info:
                websocket.create_connection(process.url, timeout=30)
            assert info.value.status_code == 503
            assert b"--max-connections" in (info.value.resp_body or b"")
            assert ping(first)["result"] == "pong" and ping(second)["result"] == "pong"
        finally:
            first.close()
        deadline = time.time() + 10
        while True:  # the server notices the close, then takes a new client
            try:
                third = websocket.create_connection(process.url, timeout=30)
                break
            except websocket.WebSocketBadStatusException:
                assert time.time() < deadline
                time.sleep(0.1)
        try:
            assert ping(third)["result"] == "pong"
        finally:
            third.close()
            second.close()


def rss(pid):
    with open("/proc/{0}/status".format(pid)) as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def test_a_client_that_does_not_read_cannot_make_the_server_buffer_without_bound():
    with ServerProcess() as process:
        # websocket-client checks UTF-8 in pure Python (3 s a MiB here) unless told not to.
        ws = websocket.create_connection(process.url, timeout=60, skip_utf8_validation=True)
        try:
            ws.send(json.dumps({"v": 1, "id": "c", "op": "cache", "data": "x" * MIB}))
            ref = json.loads(ws.recv())["result"]
            base = rss(process.pid)
            count = 600  # 600 MiB of replies, none read yet
            for rid in range(count):
                ws.send(json.dumps({"v": 1, "id": rid, "op": "get", "ref": ref}))
            peak = base
            for _ in range(40):
                time.sleep(0.1)
                peak = max(peak, rss(process.pid))
            assert peak - base < 200 * MIB, "the server buffered {0:.0f} MiB of replies".format((peak - base) / MIB)
            seen = set()
            while len(seen) < count:  # every reply still arrives, once the client reads
                reply = json.loads(ws.recv())
                assert reply["ok"] is True and len(reply["result"]) == MIB
                seen.add(reply["id"])
        finally:
            ws.close()
