"""Fuzzing the server's message handling with hypothesis, against a real server process.

Every generated message must get exactly one well-formed reply, and the server
must stay up. The number of messages is ``$COMPAS_CLOUD_FUZZ_MESSAGES``
(100000 by default); they are sent pipelined, in batches, over one connection.
"""
import json
import os

import pytest
import websocket
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import ServerProcess

TOTAL = int(os.environ.get("COMPAS_CLOUD_FUZZ_MESSAGES", "100000"))
SEEDS = 20  # messages drawn by hypothesis per example
MUTANTS = 4  # cheap mutants derived from each drawn message (hypothesis' own random drives them)
BATCH = SEEDS * (1 + MUTANTS)
FUNCTIONS = ["math.hypot", "math.sqrt", "numpy.linalg.norm"]  # what the fuzzed server allows
OPS = ["hello", "call", "cache", "get", "free", "clear", "ping", "version", "status", "cancel"]

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2 ** 70), 2 ** 70), st.floats(allow_nan=False, allow_infinity=False), text
)
json_values = st.recursive(
    st.one_of(scalars, st.builds(lambda key: {"cached": key}, st.one_of(text, st.integers()))),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(text, st.sampled_from(["cached", "dtype", "data", "guid"])), children, max_size=4),
        st.builds(lambda d, data: {"dtype": d, "data": data}, st.sampled_from(["compas.geometry/Point", "x/Y", "os/system"]), children),
    ),
    max_leaves=12,
)
names = st.one_of(st.sampled_from(FUNCTIONS + ["os.getcwd", "os.system", "builtins.eval", "x", "math..x", ""]), text)
field_names = st.sampled_from(["function", "args", "kwargs", "cache", "data", "ref", "refs", "client", "target", "x"])

envelopes = st.fixed_dictionaries(
    {
        "v": st.one_of(st.just(1), st.just(1), st.just(1), json_values),
        "op": st.one_of(st.sampled_from(OPS), st.sampled_from(OPS), text, json_values),
    },
    optional={
        "id": st.one_of(st.integers(), text, json_values),
        "function": names,
        "args": st.one_of(st.lists(json_values, max_size=3), json_values),
        "kwargs": st.one_of(st.dictionaries(text, json_values, max_size=2), json_values),
        "cache": st.one_of(st.booleans(), json_values),
        "data": json_values,
        "ref": json_values,
        "refs": st.one_of(st.lists(json_values, max_size=3), json_values),
        "target": json_values,
    },
).flatmap(lambda base: st.dictionaries(field_names, json_values, max_size=2).map(lambda extra: dict(extra, **base)))
plain = st.fixed_dictionaries(
    {},
    optional={"package": names, "args": json_values, "kwargs": json_values, "cache": json_values, "get": json_values},
)
messages = st.one_of(
    envelopes.map(json.dumps),
    envelopes.map(json.dumps),
    plain.map(json.dumps),
    json_values.map(json.dumps),
    text,  # rarely JSON
    st.binary(max_size=40),
    envelopes.map(lambda m: json.dumps(m)[: len(json.dumps(m)) // 2]),  # truncated JSON
)


_POOL = [None, True, 0, -1, 2 ** 64, 1.5, "", "x", "os.getcwd", "math.hypot", [], {}, [3, 4], {"cached": "x"}]


def mutate(message, rng):
    """Return a cheap variant of a message: a field changed or dropped, truncated, bytes flipped."""
    kind = rng.random()
    if isinstance(message, bytes) or kind < 0.2:
        data = bytearray(message if isinstance(message, bytes) else message.encode("utf-8"))
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if kind < 0.35:
        return message[: rng.randrange(len(message) + 1)]
    try:
        value = json.loads(message)
    except ValueError:
        return message + rng.choice(["}", "]", '"', ",", "\\u12", "1e999"])
    if not isinstance(value, dict) or not value:
        return json.dumps({"v": 1, "id": rng.choice(_POOL[:4]), "op": rng.choice(OPS), "data": value})
    key = rng.choice(sorted(value, key=str))
    if kind < 0.5:
        del value[key]
    elif kind < 0.8:
        value[key] = rng.choice(_POOL)
    else:
        value["op"] = rng.choice(OPS)
        value[rng.choice(["function", "args", "kwargs", "data", "ref", "refs", "target"])] = rng.choice(_POOL)
    return json.dumps(value)


def check_reply(text):
    reply = json.loads(text)  # every reply is JSON
    if isinstance(reply, dict) and "v" in reply:
        assert reply["v"] == 1
        if "event" in reply:
            return None
        assert set(reply) >= {"id", "ok"}, reply
        assert isinstance(reply["ok"], bool)
        if reply["ok"]:
            assert "result" in reply
        else:
            error = reply["error"]
            assert isinstance(error["type"], str) and error["type"]
            assert isinstance(error["message"], str) and isinstance(error["traceback"], str)
        return reply
    if isinstance(reply, dict) and "error" in reply and isinstance(reply["error"], dict):
        assert isinstance(reply["error"].get("type"), str)
    return reply


@pytest.fixture(scope="module")
def fuzz_target():
    args = []
    for name in FUNCTIONS:
        args += ["--allow", name]
    process = ServerProcess(*(args + ["--quiet"]))
    ws = websocket.create_connection(process.url, timeout=60, suppress_origin=True)
    state = {"process": process, "ws": ws, "sent": 0, "ids": 0}
    yield state
    state["ws"].close()
    process.stop()


def test_fuzzed_messages_all_get_one_well_formed_reply(fuzz_target):
    state = fuzz_target

    @settings(
        max_examples=max(1, TOTAL // BATCH),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(messages, min_size=SEEDS, max_size=SEEDS), st.randoms(use_true_random=False))
    def fuzz(seeds, rng):
        batch = list(seeds)
        for message in seeds:
            batch += [mutate(message, rng) for _ in range(MUTANTS)]
        try:
            exchange(batch, rng)
        except BaseException:
            # A failed batch leaves replies unread: start the next example on a fresh connection.
            state["ws"].close()
            state["ws"] = websocket.create_connection(state["process"].url, timeout=60, suppress_origin=True)
            raise

    def exchange(batch, rng):
        ws = state["ws"]
        expected = []
        for message in batch:
            if isinstance(message, str) and message.startswith('{"v": 1,') and rng.random() < 0.9:
                # Give most envelopes a unique id, to check that its reply comes back under it.
                try:
                    value = json.loads(message)
                except ValueError:
                    value = {"op": "shutdown"}  # a truncated message: sent as it is
                if value.get("op") != "shutdown":
                    state["ids"] += 1
                    value["id"] = "fuzz-{0}".format(state["ids"])
                    expected.append(value["id"])
                    message = json.dumps(value)
            if isinstance(message, str) and '"shutdown"' in message:
                message = message.replace('"shutdown"', '"shutdown!"')  # the one op that would end the run
            if isinstance(message, bytes):
                ws.send_binary(message)
            else:
                ws.send(message)
        state["sent"] += len(batch)
        replies = []
        while len(replies) < len(batch):
            reply = check_reply(ws.recv())
            if reply is not None:
                replies.append(reply)
        answered = [r["id"] for r in replies if isinstance(r, dict) and "v" in r]
        for rid in expected:
            assert answered.count(rid) == 1, rid

    fuzz()
    process = state["process"]
    assert process.alive()
    assert state["sent"] >= TOTAL
    check = websocket.create_connection(process.url, timeout=30, suppress_origin=True)
    try:
        check.send(json.dumps({"v": 1, "id": "after", "op": "ping"}))
        assert json.loads(check.recv()) == {"v": 1, "id": "after", "ok": True, "result": "pong"}
        check.send(json.dumps({"v": 1, "id": "status", "op": "status"}))
        status = json.loads(check.recv())["result"]
    finally:
        check.close()
    assert status["messages"] >= TOTAL
    print("fuzzed {0} messages ({1} envelopes with checked ids); server answered all".format(state["sent"], state["ids"]))
