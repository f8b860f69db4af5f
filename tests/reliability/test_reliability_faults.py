"""Faults: the server killed mid-call, a client killed mid-call (real processes)."""
import subprocess
import sys
import threading
import time

import pytest

from compas_cloud import Proxy
from compas_cloud.errors import ConnectionClosed
from helpers import ROOT, ServerProcess, free_port, server_env, server_python


def test_server_killed_mid_call_then_the_next_proxy_launches_a_fresh_one(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPAS_CLOUD_CONFIG_DIR", str(tmp_path))  # the launched server's token file goes here
    port = free_port()
    first = Proxy(port=port, python=server_python(), auto_stop=5, verbose=False, timeout=60)
    second = None
    try:
        assert first.launched is not None
        assert first.launched.token and first.call("math.hypot", [3, 4]) == 5.0
        outcome = {}

        def call():
            try:
                outcome["result"] = first.call("time.sleep", [30], timeout=45)
            except Exception as error:  # noqa: B902 - recorded for the assertion
                outcome["error"] = error

        thread = threading.Thread(target=call)
        thread.start()
        time.sleep(1.0)
        first.launched.process.kill()  # the server this test's proxy launched
        thread.join(45)
        assert not thread.is_alive()
        error = outcome.get("error")
        assert isinstance(error, ConnectionClosed), outcome
        assert "connection" in str(error).lower()
        with pytest.raises(ConnectionClosed):
            first.call("math.hypot", [3, 4])
        second = Proxy(port=port, python=server_python(), auto_stop=5, verbose=False)
        assert second.launched is not None and second.launched.pid != first.launched.pid
        assert second.call("math.hypot", [6, 8]) == 10.0
    finally:
        first.close()
        if second is not None:
            try:
                second.shutdown()
            except Exception:  # noqa: B902
                pass
            second.close()
            if second.launched is not None and second.launched.running():
                second.launched.process.kill()


CLIENT = """
import sys
from compas_cloud import Proxy
proxy = Proxy(host=sys.argv[1], port=int(sys.argv[2]), autolaunch=False, verbose=False)
for _ in range(3):
    proxy.cache(list(range(20000)))
proxy.connection.send("call", function="time.sleep", args=[5], cache=True)
print("ready", flush=True)
proxy.call("time.sleep", [60])
"""


def test_client_killed_mid_call_frees_its_resources_and_others_are_served():
    with ServerProcess() as process:
        with Proxy(host=process.host, port=process.port, autolaunch=False, verbose=False) as other:
            other_ref = other.cache([1, 2, 3])
            child = subprocess.Popen(
                [sys.executable, "-c", CLIENT, process.host, str(process.port)],
                stdout=subprocess.PIPE, env=server_env(), cwd=ROOT, universal_newlines=True,
            )
            try:
                assert child.stdout.readline().strip() == "ready"
                status = other.status()
                assert status["clients"] == 2 and status["references"] == 4
            finally:
                child.kill()
                child.wait()
            deadline = time.time() + 30
            while time.time() < deadline:
                status = other.status()
                if status["clients"] == 1 and status["references"] == 1:
                    break
                time.sleep(0.1)
            assert status["clients"] == 1 and status["references"] == 1
            time.sleep(6)  # the killed client's cached call finishes: its result must not be stored
            status = other.status()
            assert status["references"] == 1
            assert other.get(other_ref) == [1, 2, 3]
            assert other.call("math.hypot", [3, 4]) == 5.0
        assert process.alive()
