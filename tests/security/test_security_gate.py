"""Issue 13: one gate for every function, and messages that no longer end a connection."""
import json
import struct

import numpy
import pytest
import websocket

from compas_cloud import Proxy
from compas_cloud.errors import FunctionNotAllowed
from compas_cloud.protocol import arrays
from compas_cloud.server import gate
from compas_cloud.server.executors import run_task
from compas_cloud.server.security import AccessPolicy
from compas_cloud.server.store import ReferenceStore, sizeof
from helpers import ServerProcess

MIB = 1024 * 1024


def proxy_for(process):
    return Proxy(host=process.host, port=process.port, autolaunch=False, verbose=False)


def raw(process):
    return websocket.create_connection(process.url, timeout=60, suppress_origin=True)


def ask(ws, message, binary=False):
    if binary:
        ws.send_binary(message)
    else:
        ws.send(message)
    return json.loads(ws.recv())


# -- the gate -----------------------------------------------------------------------------------


def test_offloaded_calls_obey_the_allow_list():
    with ServerProcess("--allow", "math", "--offload", "os.getcwd") as process:
        with proxy_for(process) as proxy:
            assert proxy.offload("math.hypot", [3, 4]) == 5.0
            with pytest.raises(FunctionNotAllowed):
                proxy.offload("os.getcwd")
            with pytest.raises(FunctionNotAllowed):
                proxy.call("os.getcwd")  # named by --offload: goes to the pool, and is still refused
        ws = raw(process)
        try:
            for message in (
                {"v": 1, "id": 1, "op": "call", "function": "os.getcwd", "args": [], "kwargs": {}, "executor": True},
                {"v": 1, "id": 2, "op": "call", "function": "posix.getcwd", "args": [], "kwargs": {}, "executor": True},
            ):
                reply = ask(ws, json.dumps(message))
                assert reply["ok"] is False and reply["error"]["type"] == "FunctionNotAllowed", reply
        finally:
            ws.close()


def test_the_worker_process_checks_the_name_again():
    rules = {"allow": ["math"], "deny": []}
    refused = run_task("k", "os.getcwd", [], {}, rules=rules)
    assert refused["ok"] is False and refused["error"]["type"] == "FunctionNotAllowed"
    assert run_task("k", "math.hypot", [3, 4], {}, rules=rules)["value"] == 5.0


@pytest.mark.parametrize(
    "name",
    [
        "numpy.load", "numpy.lib.npyio.load", "numpy.fromfile", "numpy.loadtxt", "numpy.genfromtxt", "numpy.memmap",
        "numpy.f2py.compile", "numpy.testing.assert_", "numpy.ctypeslib.load_library", "numpy.DataSource",
        "compas.json_load", "compas.data.json_load", "compas.datastructures.Mesh.from_obj",
        "compas.datastructures.Mesh.from_json", "compas.rpc.Proxy",
        # decoding JSON imports whatever module a "dtype" names; mrecords reads text files
        "compas.data.Data.from_jsonstring", "compas.geometry.Point.from_jsonstring", "compas.data.DataDecoder",
        "compas.data.encoders.cls_from_dtype", "numpy.ma.mrecords.fromtextfile", "numpy.ma.mrecords.openfile",
    ],
)
def test_the_documented_allow_list_refuses_risky_entry_points(name):
    policy = AccessPolicy(allow=["compas", "numpy"], deny=["numpy.ctypeslib"])
    with pytest.raises(FunctionNotAllowed) as info:
        gate.Gate(policy).resolve(name)
    assert "built-in list" in str(info.value) or "deny-list" in str(info.value)


def test_risky_entry_points_pass_when_named_explicitly():
    the_gate = gate.Gate(AccessPolicy(allow=["numpy", "numpy.load"]))
    assert the_gate.resolve("numpy.load") is numpy.load
    assert the_gate.resolve("numpy.linalg.norm") is numpy.linalg.norm
    with pytest.raises(FunctionNotAllowed):
        the_gate.resolve("numpy.fromfile")


def test_a_broad_allowed_module_is_warned_about_at_start():
    with ServerProcess("--allow", "numpy", "--allow", "math") as process:
        assert process.wait_line("--allow numpy is broad")


# -- every message gets an answer ---------------------------------------------------------------


def binary_message(header, payload=b""):
    head = json.dumps(header).encode("utf-8")
    start = 8 + len(head)
    padding = b"\0" * ((-start) % 8)
    return struct.pack("<4sI", arrays.MAGIC, len(head)) + head + padding + payload


def test_malformed_messages_get_an_answer_and_the_connection_stays():
    ping = {"v": 1, "id": "after", "op": "ping"}
    cases = [
        ("[" * 1000 + "]" * 1000, False),
        ("[" * 100000 + "]" * 100000, False),
        ('{"v":1,"id":1,"op":"ping","x":' + "[" * 300 + "]" * 300 + "}", False),
    ]
    for placeholder in (
        ["<f8", [float("inf")], 0, "list"],
        ["<f8", [1], float("inf"), "list"],
        [["f8"], [1], 0, "list"],
        ["<f8", [1.5], 0, "list"],
        ["<f8", [True], 0, "list"],
        ["<f8", [1000000000, 0], 0, "list"],
        ["<f8", "1", 0, "list"],
    ):
        call = {"v": 1, "id": 2, "op": "call", "function": "builtins.len", "args": [{arrays.ARRAY_KEY: placeholder}],
                "kwargs": {}}
        text = json.dumps(call).replace("Infinity", "Infinity")
        cases.append((binary_message(json.loads(text), b"\0" * 8), True))
    # Many placeholders aliasing one 8 KiB buffer.
    alias = {"v": 1, "id": 3, "op": "call", "function": "builtins.len",
             "args": [[{arrays.ARRAY_KEY: ["<f8", [1024], 0, "list"]}] * 5000], "kwargs": {}}
    cases.append((binary_message(alias, b"\0" * 8192), True))
    with ServerProcess() as process:
        ws = raw(process)
        try:
            for message, binary in cases:
                reply = ask(ws, message, binary)
                assert reply.get("ok") is False, reply
                assert reply["error"]["type"] in ("MalformedMessage", "DecodingError"), reply
                assert ask(ws, json.dumps(ping)) == {"v": 1, "id": "after", "ok": True, "result": "pong"}
        finally:
            ws.close()


def test_references_resolve_at_any_depth():
    with ServerProcess() as process:
        with proxy_for(process) as proxy:
            ref = proxy.call("builtins.list", [[1, 2, 3]], cache=True)
            nested = ref
            for _ in range(150):  # within the message nesting limit, past nothing on the server
                nested = [nested]
            assert proxy.call("builtins.repr", [nested]).count("[") == 151
    store = ReferenceStore()
    ref = store.add("x")
    nested = ref
    for _ in range(5000):
        nested = [nested]
    value = store.resolve(nested)
    for _ in range(5000):
        value = value[0]
    assert value == "x"


# -- sizing ---------------------------------------------------------------------------------------


def test_sizing_counts_deeply_nested_values():
    value = b"x" * (16 * MIB)
    for _ in range(60):
        value = [value]
    assert sizeof(value) >= 16 * MIB


def test_sizing_ends_on_cycles():
    loop = []
    loop.append(loop)
    mapping = {}
    mapping["self"] = mapping
    assert sizeof(loop) < 1024 and sizeof(mapping) < 4096


def test_sizing_counts_numpy_arrays_once():
    array = numpy.zeros(MIB)  # 8 MiB
    assert 8 * MIB <= sizeof(array) < 9 * MIB
    assert 4 * MIB <= sizeof(array[::2]) < 5 * MIB  # a view: the bytes it spans


def test_an_8_mb_array_is_stored_under_a_12_mib_limit():
    with ServerProcess("--max-connection-memory", "12") as process:
        with proxy_for(process) as proxy:
            ref = proxy.call("numpy.zeros", [MIB], cache=True)
            assert proxy.call("builtins.len", [ref]) == MIB
