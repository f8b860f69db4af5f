"""Cancellation, timeouts, disconnects, keepalive and graceful shutdown, against real server processes."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import websocket

from compas_cloud import Proxy
from compas_cloud.errors import CloudTimeout
from helpers import ROOT, ServerProcess, server_env


def raw(process):
    return websocket.create_connection(process.url, timeout=30, suppress_origin=True)


def request(ws, rid, op, **fields):
    message = {"v": 1, "id": rid, "op": op}
    message.update(fields)
    ws.send(json.dumps(message))


def replies(ws, count):
    found = {}
    while len(found) < count:
        reply = json.loads(ws.recv())
        if "event" not in reply:
            found[reply["id"]] = reply
    return found


def wait_until(predicate, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def proxy_for(process, **options):
    return Proxy(host=process.host, port=process.port, autolaunch=False, verbose=False, **options)


def test_a_running_call_is_cancelled_by_id(server):
    ws = raw(server)
    try:
        request(ws, "long", "call", function="time.sleep", args=[30])
        request(ws, "other", "ping")
        assert replies(ws, 1)["other"]["result"] == "pong"  # the long call is running by now
        request(ws, "stop", "cancel", target="long")
        got = replies(ws, 2)
        assert got["stop"] == {"v": 1, "id": "stop", "ok": True, "result": True}
        assert got["long"]["ok"] is False
        assert got["long"]["error"]["type"] == "CallCancelled"
        request(ws, "again", "cancel", target="long")  # finished: nothing to cancel
        assert replies(ws, 1)["again"]["result"] is False
    finally:
        ws.close()


def test_a_call_over_its_timeout_is_reported_and_dropped(server):
    with proxy_for(server) as proxy:
        with pytest.raises(CloudTimeout) as info:
            proxy.call("time.sleep", [20], timeout=1)
        assert "the call to time.sleep" in str(info.value) and "1 s" in str(info.value)
        # The connection is still usable, and the late reply never reaches another call.
        assert proxy.call("math.hypot", [3, 4]) == 5.0
        assert proxy.call("builtins.len", [[1, 2, 3]]) == 3


def test_a_disconnecting_client_has_its_calls_cancelled_and_references_freed():
    with ServerProcess() as process, proxy_for(process) as watcher:
        leaving = proxy_for(process)
        for _ in range(5):
            leaving.cache(list(range(10000)))
        assert watcher.status()["references"] == 5
        rid = leaving.connection.send("call", function="time.sleep", args=[30], cache=True)
        time.sleep(0.5)
        leaving.close()
        freed = lambda s: s if s["clients"] == 1 and s["stored_bytes"] == 0 else None  # noqa: E731
        status = wait_until(lambda: freed(watcher.status()))
        assert status and status["references"] == 0
        assert rid > 0


def test_a_long_call_survives_keepalive_pings():
    """ping_interval + ping_timeout = 2 s; the call takes 5 s; the client answers pings while it waits.

    The ping timeout must exceed the client's idle poll (1 s, connection.IDLE_POLL) for idle connections.
    """
    with ServerProcess("--ping-interval", "0.5", "--ping-timeout", "1.5") as process:
        with proxy_for(process) as proxy:
            assert proxy.call("time.sleep", [5]) is None
            assert proxy.call("math.hypot", [3, 4]) == 5.0
            time.sleep(3)  # idle, longer than interval + timeout: the idle reader answers the pings
            assert proxy.call("math.hypot", [6, 8]) == 10.0


CLIENT = """
import sys, time
from compas_cloud import Proxy
proxy = Proxy(host=sys.argv[1], port=int(sys.argv[2]), autolaunch=False, verbose=False)
proxy.cache(list(range(50000)))
print("ready", flush=True)
proxy.call("time.sleep", [60])
"""


def start_client(process):
    child = subprocess.Popen(
        [sys.executable, "-c", CLIENT, process.host, str(process.port)],
        stdout=subprocess.PIPE, env=server_env(), cwd=ROOT, universal_newlines=True,
    )
    assert child.stdout.readline().strip() == "ready"
    return child


def test_a_half_open_client_is_dropped_by_keepalive():
    """A client that stops answering (SIGSTOP: its socket stays open) is dropped and its references freed."""
    with ServerProcess("--ping-interval", "0.5", "--ping-timeout", "2") as process, proxy_for(process) as watcher:
        child = start_client(process)
        try:
            assert wait_until(lambda: watcher.status()["references"] == 1)
            os.kill(child.pid, signal.SIGSTOP)
            freed = lambda s: s if s["clients"] == 1 and s["stored_bytes"] == 0 else None  # noqa: E731
            status = wait_until(lambda: freed(watcher.status()))
            assert status and status["references"] == 0
        finally:
            child.kill()
            child.wait()


def test_shutdown_tells_clients_and_lets_running_calls_finish():
    process = ServerProcess("--shutdown-grace", "20")
    try:
        listener = raw(process)
        request(listener, 1, "ping")
        assert replies(listener, 1)[1]["result"] == "pong"
        worker = proxy_for(process)
        outcome = {}

        def run():
            try:
                outcome["result"] = worker.call("time.sleep", [2])
            except Exception as error:  # noqa: B902 - recorded for the assertion
                outcome["error"] = error

        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(0.5)
        with proxy_for(process) as stopper:
            stopper.connection.request("shutdown", timeout=10)
        event = json.loads(listener.recv())
        assert event["event"] == "shutdown" and event["grace"] == 20
        thread.join(30)
        assert outcome == {"result": None}  # the running call of another client finished
        assert process.wait(30) == 0
        try:
            after = listener.recv()  # the close frame: websocket-client returns nothing, or raises
        except (websocket.WebSocketException, OSError):
            after = ""
        assert not after
        worker.close()
    finally:
        process.stop()


def test_a_call_over_its_timeout_is_cancelled_on_the_server(server):
    with proxy_for(server) as proxy:
        with pytest.raises(CloudTimeout):
            proxy.call("tests.callback_tasks.until_cancelled", [60], timeout=1)
        deadline = time.time() + 30
        while time.time() < deadline and proxy.status()["connection"]["calls_in_progress"]:
            time.sleep(0.1)
        assert proxy.status()["connection"]["calls_in_progress"] == 0
