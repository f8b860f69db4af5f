"""Raw protocol behaviour of a real server: every message gets an answer, bad input included."""
import json
import threading
import time

import pytest
import websocket


def connect(server):
    return websocket.create_connection(server.url, timeout=30, suppress_origin=True)


def ask(ws, message):
    ws.send(message if isinstance(message, str) else json.dumps(message))
    return json.loads(ws.recv())


def test_plain_tutorial_call_is_answered_with_the_bare_result(server):
    ws = connect(server)
    ws.send(json.dumps({"package": "compas.geometry.transform_points",
                        "args": [[[0, 0, 0], [1, 0, 0]], [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]]],
                        "kwargs": {}, "cache": False}))
    assert ws.recv() == "[[0.0, 0.0, 1.0], [1.0, 0.0, 1.0]]"
    ws.close()


def test_plain_cache_and_get(server):
    ws = connect(server)
    ref = ask(ws, {"cache": [1, 2, 3]})
    assert list(ref) == ["cached"] and isinstance(ref["cached"], str)
    assert ask(ws, {"get": ref["cached"]}) == [1, 2, 3]
    assert ask(ws, {"get": ref}) == [1, 2, 3]
    cached = ask(ws, {"package": "numpy.add", "args": [ref, 1], "cache": True})
    assert list(cached) == ["cached"]
    assert ask(ws, {"get": cached["cached"]}) == [2, 3, 4]
    ws.close()


def test_plain_messages_are_answered_in_order(server):
    ws = connect(server)
    for n in range(20):
        ws.send(json.dumps({"package": "builtins.abs", "args": [-n]}))
    assert [json.loads(ws.recv()) for _ in range(20)] == list(range(20))
    ws.close()


def test_plain_errors_are_objects_with_an_error(server):
    ws = connect(server)
    reply = ask(ws, {"package": "no_such_module.f", "args": []})
    assert reply["error"]["type"] == "FunctionNotFound"
    assert "no_such_module" in reply["error"]["message"]
    reply = ask(ws, {"get": "not-an-id"})
    assert reply["error"]["type"] == "ReferenceNotFound" and "not-an-id" in reply["error"]["message"]
    ws.close()


@pytest.mark.parametrize(
    "message, error_type",
    [
        ("this is not json", "MalformedMessage"),
        ("{\"unterminated\": ", "MalformedMessage"),
        ("[1, 2, 3]", "MalformedMessage"),
        ("{\"what\": 1}", "MalformedMessage"),
        ("{\"v\": 1, \"id\": 5, \"op\": \"explode\"}", "UnknownOperation"),
        ("{\"v\": 7, \"id\": 5, \"op\": \"ping\"}", "ProtocolMismatch"),
        ("{\"v\": 1, \"id\": 5, \"op\": \"call\", \"function\": \"compas.geometry.transform_points\", \"args\": [1]}", "TypeError"),
        ("{\"v\": 1, \"id\": 5, \"op\": \"call\", \"function\": \"threading.Lock\"}", "EncodingError"),
        ("{\"v\": 1, \"id\": 5, \"op\": \"get\", \"ref\": \"nope\"}", "ReferenceNotFound"),
        ("{\"v\": 1, \"id\": 5, \"op\": \"call\", \"function\": \"builtins.len\", \"args\": [{\"cached\": \"nope\"}]}", "ReferenceNotFound"),
        ("{\"v\": 1, \"id\": 5, \"op\": \"call\", \"function\": \"builtins.len\", \"args\": [{\"dtype\": \"no.where/X\", \"data\": {}}]}", "DecodingError"),
    ],
)
def test_bad_input_gets_a_typed_error_and_the_server_keeps_serving(server, message, error_type):
    ws = connect(server)
    reply = ask(ws, message)
    error = reply.get("error")
    assert error and error["type"] == error_type and error["message"]
    if reply.get("v") == 1 and error_type not in ("MalformedMessage",):
        assert reply["id"] == 5
    assert ask(ws, {"v": 1, "id": 6, "op": "ping"}) == {"v": 1, "id": 6, "ok": True, "result": "pong"}
    ws.close()


def test_binary_garbage_is_answered(server):
    ws = connect(server)
    ws.send_binary(b"\xff\xfe\x00")
    assert json.loads(ws.recv())["error"]["type"] == "MalformedMessage"
    assert ask(ws, {"v": 1, "id": 1, "op": "ping"})["result"] == "pong"
    ws.close()


def test_envelope_replies_echo_ids_and_can_overtake(server):
    ws = connect(server)
    ws.send(json.dumps({"v": 1, "id": "slow", "op": "call", "function": "time.sleep", "args": [1.5]}))
    ws.send(json.dumps({"v": 1, "id": "fast", "op": "ping"}))
    first, second = json.loads(ws.recv()), json.loads(ws.recv())
    assert (first["id"], second["id"]) == ("fast", "slow")
    ws.close()


def test_a_long_call_does_not_delay_other_clients(server):
    """While one client runs a 3 s call, another client's small calls keep being answered."""
    slow = connect(server)
    fast = connect(server)
    done = {}

    def long_call():
        reply = ask(slow, {"v": 1, "id": 1, "op": "call", "function": "time.sleep", "args": [3]})
        done["slow"] = (time.time(), reply)

    thread = threading.Thread(target=long_call)
    thread.start()
    time.sleep(0.3)  # let the long call start
    answered = []
    for n in range(10):
        reply = ask(fast, {"v": 1, "id": n, "op": "call", "function": "builtins.abs", "args": [-n]})
        answered.append((time.time(), reply["result"]))
    thread.join(30)
    assert [result for _, result in answered] == list(range(10))
    assert "slow" in done and done["slow"][1]["ok"]
    # every small call was answered before the long call finished
    assert all(stamp < done["slow"][0] for stamp, _ in answered)
    slow.close()
    fast.close()


def test_a_client_leaving_mid_call_frees_its_references(server):
    ws = connect(server)
    ask(ws, {"cache": list(range(1000))})
    ws.send(json.dumps({"v": 1, "id": 1, "op": "call", "function": "time.sleep", "args": [1]}))
    ws.close()
    other = connect(server)
    deadline = time.time() + 20
    status = None
    while time.time() < deadline:
        status = ask(other, {"v": 1, "id": 1, "op": "status"})["result"]
        if status["clients"] == 1:
            break
        time.sleep(0.1)
    assert status["clients"] == 1
    assert status["references"] == 0
    other.close()


def test_a_call_id_already_in_flight_is_refused(server):
    ws = connect(server)
    ws.send(json.dumps({"v": 1, "id": 9, "op": "call", "function": "time.sleep", "args": [1]}))
    ws.send(json.dumps({"v": 1, "id": 9, "op": "call", "function": "builtins.abs", "args": [-1]}))
    first, second = json.loads(ws.recv()), json.loads(ws.recv())
    assert first["id"] == 9 and first["error"]["type"] == "MalformedMessage" and "in flight" in first["error"]["message"]
    assert second == {"v": 1, "id": 9, "ok": True, "result": None}
    ws.close()


def test_failed_calls_leave_no_call_state_behind(server):
    ws = connect(server)
    for n in range(5):
        reply = ask(ws, {"v": 1, "id": n, "op": "call", "function": "no_such_module.f"})
        assert reply["error"]["type"] == "FunctionNotFound"
    status = ask(ws, {"v": 1, "id": 99, "op": "status"})["result"]
    assert status["connection"]["calls_in_progress"] == 0
    ws.close()
