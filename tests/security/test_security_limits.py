"""Limits: message size, stored-reference memory, concurrent calls; module allow/deny lists."""
import json

import pytest
import websocket

from compas_cloud import Proxy
from compas_cloud.errors import FunctionNotAllowed, LimitExceeded
from helpers import ServerProcess

MIB = 1024 * 1024


def rss(pid):
    """The resident memory of a process, in bytes, from /proc/<pid>/status."""
    with open("/proc/{0}/status".format(pid)) as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for pid {0}".format(pid))


def proxy_for(process, **options):
    return Proxy(host=process.host, port=process.port, autolaunch=False, verbose=False, **options)


def raw(process):
    return websocket.create_connection(process.url, timeout=30, suppress_origin=True)


def test_oversized_message_is_refused_without_the_memory_growing_by_its_size():
    size = 96 * MIB
    with ServerProcess("--max-message-size", "1") as process:
        with proxy_for(process) as proxy:
            assert proxy.call("math.hypot", [3, 4]) == 5.0  # warm up: imports done
        before = rss(process.pid)
        ws = raw(process)
        code = None
        try:
            ws.send("[" + "1," * (size // 2) + "1]")
            opcode, data = ws.recv_data(control_frame=True)
            code = int.from_bytes(data[:2], "big") if opcode == websocket.ABNF.OPCODE_CLOSE else None
        except (websocket.WebSocketException, OSError):
            pass  # the server closed while we were still sending
        finally:
            ws.close()
        grown = rss(process.pid) - before
        assert grown < size // 4, "the server grew by {0:.1f} MiB".format(grown / MIB)
        assert code in (None, 1009)
        with proxy_for(process) as proxy:  # still serving
            assert proxy.check()
            with pytest.raises(LimitExceeded) as info:  # the client refuses before sending
                proxy.call("builtins.len", [[0.5] * 400000])
            assert "--max-message-size" in str(info.value)
            assert proxy.call("math.hypot", [3, 4]) == 5.0


def test_stored_memory_per_connection_is_limited():
    with ServerProcess("--max-connection-memory", "1") as process:
        with proxy_for(process) as proxy:
            small = proxy.cache(list(range(100)))
            with pytest.raises(LimitExceeded) as info:
                proxy.cache(list(range(200000)))
            assert "--max-connection-memory" in str(info.value)
            assert len(proxy.call("numpy.zeros", [300000])) == 300000  # not stored: no limit
            assert proxy.get(small) == list(range(100))
            with pytest.raises(LimitExceeded) as info:
                proxy.call("numpy.zeros", [300000], cache=True)
            assert "--max-connection-memory" in str(info.value)
            assert proxy.status()["connection"]["references"] == 1


def test_stored_memory_of_all_connections_is_limited():
    with ServerProcess("--max-total-memory", "2", "--max-connection-memory", "0") as process:
        with proxy_for(process) as first, proxy_for(process) as second:
            first.cache(list(range(40000)))
            with pytest.raises(LimitExceeded) as info:
                second.cache(list(range(40000)))
            assert "--max-total-memory" in str(info.value)
            first.clear()
            second.cache(list(range(40000)))  # room again once the first connection freed its values


def test_concurrent_calls_per_connection_are_limited():
    with ServerProcess("--max-calls-per-connection", "2") as process:
        ws = raw(process)
        try:
            for rid in range(4):
                ws.send(json.dumps({"v": 1, "id": rid, "op": "call", "function": "time.sleep", "args": [1]}))
            replies = [json.loads(ws.recv()) for _ in range(4)]
        finally:
            ws.close()
        assert sorted(reply["id"] for reply in replies) == [0, 1, 2, 3]
        refused = [reply for reply in replies if not reply["ok"]]
        assert [reply["error"]["type"] for reply in refused] == ["LimitExceeded", "LimitExceeded"]
        assert "--max-calls-per-connection" in refused[0]["error"]["message"]
        assert sorted(reply["id"] for reply in refused) == [2, 3]


def test_allow_and_deny_lists():
    args = ("--allow", "math", "--allow", "numpy", "--allow", "compas", "--allow", "builtins", "--allow", "sys",
            "--deny", "numpy.linalg")
    with ServerProcess(*args) as process:
        assert process.wait_line("functions allowed: modules math, numpy, compas, builtins, sys")
        assert process.wait_line("functions denied: modules numpy.linalg")
        with proxy_for(process) as proxy:
            assert proxy.call("math.hypot", [3, 4]) == 5.0
            assert proxy.call("numpy.add", [1, 2]) == 3
            refused = {
                "os.getcwd": "--allow os",
                "numpy.linalg.norm": "deny-list",
                "compas.os.getcwd": "--allow os",  # a module reached through an attribute is checked too
                "numpy.__builtins__.get": "double-underscore",
                "mathx.anything": "--allow mathx",
            }
            for name, why in refused.items():
                with pytest.raises(FunctionNotAllowed) as info:
                    proxy.call(name, ["os"])
                assert why in str(info.value), name
            # A COMPAS object's dtype names a module too: it is checked before anything is imported.
            with pytest.raises(FunctionNotAllowed) as info:
                proxy.call("builtins.len", [{"dtype": "antigravity/Fly", "data": {}}])
            assert "antigravity" in str(info.value)
            assert proxy.call("sys.modules.get", ["antigravity"]) is None  # never imported
            assert proxy.call("builtins.repr", [{"dtype": "compas.geometry/Point", "data": [1, 2, 3]}]).startswith("Point")


def test_deny_list_alone():
    with ServerProcess("--deny", "os", "--deny", "subprocess") as process:
        with proxy_for(process) as proxy:
            with pytest.raises(FunctionNotAllowed):
                proxy.call("os.getcwd")
            with pytest.raises(FunctionNotAllowed):
                proxy.call("subprocess.run", [["true"]])
            assert proxy.call("math.hypot", [3, 4]) == 5.0
