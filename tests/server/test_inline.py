"""Calls that proved fast run on the server's event loop: same answers, events first, demotion, opt-out.

Whether a call ran inline is read from the server's own counters (``status()["inline"]``),
never from timings.
"""
import json

import pytest
import websocket

from helpers import ServerProcess

TASKS = "tests.callback_tasks."


@pytest.fixture
def fresh():
    """A server of its own: promotions are per server, so each test starts from none."""
    process = ServerProcess()
    yield process
    process.stop()


class Raw(object):
    def __init__(self, server):
        self.ws = websocket.create_connection(server.url, timeout=30, suppress_origin=True)
        self.ids = 0

    def send(self, op, **fields):
        self.ids += 1
        message = dict(fields, v=1, id=self.ids, op=op)
        self.ws.send(json.dumps(message))
        return self.ids

    def recv(self):
        return json.loads(self.ws.recv())

    def ask(self, op, **fields):
        rid = self.send(op, **fields)
        reply = self.recv()
        assert reply.get("id") == rid, reply
        return reply

    def call(self, function, *args, **fields):
        return self.ask("call", function=function, args=list(args), kwargs=fields.pop("kwargs", {}), **fields)

    def inline(self):
        return self.ask("status")["result"]["inline"]

    def close(self):
        self.ws.close()


def promote(raw, function, *args):
    """Call ``function`` until the server runs it inline (a loaded machine may need more than three runs)."""
    for _ in range(200):
        assert raw.call(function, *args)["ok"]
        if function in raw.inline()["functions"]:
            return
    pytest.fail("{0} was never promoted: {1}".format(function, raw.inline()))


def test_a_fast_function_is_promoted_and_answers_the_same(fresh):
    raw = Raw(fresh)
    assert raw.inline()["enabled"] is True
    promote(raw, "builtins.abs", -3)
    before = raw.inline()["calls"]
    for n in range(20):
        reply = raw.call("builtins.abs", -n)
        assert reply == {"v": 1, "id": raw.ids, "ok": True, "result": n}
    assert raw.inline()["calls"] >= before + 1  # a busy machine may demote it once in a while
    raw.close()


def test_inline_progress_events_arrive_in_order_before_the_reply(fresh):
    raw = Raw(fresh)
    # Without progress the reports are cheap: the function proves fast in the pool.
    promote(raw, TASKS + "counted", 3)
    for _ in range(5):
        before = raw.inline()["calls"]
        rid = raw.send("call", function=TASKS + "counted", args=[4], kwargs={}, progress=True)
        events = [raw.recv() for _ in range(4)]
        reply = raw.recv()
        assert [(e["event"], e["call"], e["done"], e["total"]) for e in events] == [
            ("progress", rid, i, 4) for i in range(1, 5)
        ]
        assert events[0]["message"] == "step 1"
        assert reply["id"] == rid and reply["result"] == 4
        if raw.inline()["calls"] > before:
            break  # it ran inline (with 4 events buffered) and still came out in order
    else:
        pytest.fail("the call never ran inline: {0}".format(raw.inline()))
    raw.close()


def test_an_inline_error_is_a_typed_error_and_the_connection_stays(fresh):
    raw = Raw(fresh)
    promote(raw, "math.sqrt", 4.0)
    reply = raw.call("math.sqrt", -1.0)
    assert reply["ok"] is False and reply["error"]["type"] == "ValueError"
    assert raw.call("math.sqrt", 9.0)["result"] == 3.0
    raw.close()


def test_one_slow_run_demotes_a_function_to_the_pool(fresh):
    raw = Raw(fresh)
    promote(raw, TASKS + "echo", 1)
    assert raw.call(TASKS + "echo", 2, 0.05)["result"] == 2  # inline, and blocked ten times longer than allowed
    state = raw.inline()
    assert state["demoted"] == 1
    assert TASKS + "echo" not in state["functions"]
    raw.close()


def test_each_demotion_asks_for_more_fast_runs_before_the_next_promotion(fresh):
    raw = Raw(fresh)
    for _ in range(3):
        promote(raw, TASKS + "echo", 1)
        raw.call(TASKS + "echo", 2, 0.02)  # inline, and blocked four times longer than allowed
    assert raw.inline()["demoted"] == 3
    for _ in range(10):  # 3 * 4 ** 3 fast runs are needed now
        raw.call(TASKS + "echo", 1)
    assert TASKS + "echo" not in raw.inline()["functions"]
    raw.close()


class Call(object):
    def __init__(self, **fields):
        self.fields = dict({"function": "f", "cache": False}, **fields)


def test_the_policy_judges_inline_runs_by_cpu_time_and_blocking_by_the_wall_clock():
    from compas_cloud.server import inline

    policy = inline.InlinePolicy()
    for _ in range(inline.FAST_RUNS):
        assert not policy.admits(Call(), 100)
        policy.record("f", 0.0001, False, 0.0001)
    assert policy.admits(Call(), 100)
    assert not policy.admits(Call(), inline.MAX_MESSAGE + 1)
    for fields in ({"cache": True}, {"callbacks": [1]}, {"output": True}, {"executor": True}, {"cache_result": True}):
        assert not policy.admits(Call(**fields), 100)
    policy.record("f", 0.003, True, 0.0001)  # preempted: slow on the wall clock only
    assert policy.is_inline("f") and policy.demoted == 0
    policy.record("f", 0.002, True, 0.002)  # computed for 2 ms: back to the pool
    assert not policy.is_inline("f") and policy.demoted == 1
    for _ in range(inline.FAST_RUNS * 4 - 1):
        policy.record("f", 0.0001, False, 0.0001)
    assert not policy.is_inline("f")
    policy.record("f", 0.0001, False, 0.0001)
    assert policy.is_inline("f")
    policy.record("f", 0.01, True, 0.0001)  # waited 10 ms: blocked the loop, back to the pool
    assert not policy.is_inline("f") and policy.demoted == 2
    policy.record("f", 0.01, False, 0.01)  # a slow pool run restarts the count
    assert policy.describe() == {"enabled": True, "calls": 3, "demoted": 2, "functions": []}


def test_a_disabled_policy_never_promotes():
    from compas_cloud.server import inline

    policy = inline.InlinePolicy(enabled=False)
    for _ in range(50):
        policy.record("f", 0.0001, False, 0.0001)
    assert not policy.admits(Call(), 10) and policy.describe()["functions"] == []


def test_calls_that_wait_on_the_client_never_run_inline(fresh):
    raw = Raw(fresh)
    promote(raw, "builtins.abs", -1)
    before = raw.inline()["calls"]
    # cache=True stores the result (a size estimate in the pool); output capture swaps sys.stdout.
    assert "cached" in raw.call("builtins.abs", -2, cache=True)["result"]
    assert raw.call("builtins.abs", -2, output=True)["result"] == 2
    assert raw.inline()["calls"] == before
    raw.close()


def test_plain_tutorial_calls_run_inline_with_the_same_text(fresh):
    ws = websocket.create_connection(fresh.url, timeout=30, suppress_origin=True)
    message = json.dumps({"package": "builtins.max", "args": [[1.5, 2.5]], "kwargs": {}, "cache": False})
    for _ in range(30):
        ws.send(message)
        assert ws.recv() == "2.5"
    ws.close()
    raw = Raw(fresh)
    assert "builtins.max" in raw.inline()["functions"] and raw.inline()["calls"] >= 1
    raw.close()


def test_an_inline_call_cannot_be_cancelled_and_still_answers(fresh):
    raw = Raw(fresh)
    promote(raw, "builtins.abs", -1)
    rid = raw.send("call", function="builtins.abs", args=[-7], kwargs={})
    cancel = raw.send("cancel", target=rid)
    replies = {}
    for _ in range(2):
        reply = raw.recv()
        replies[reply["id"]] = reply
    assert replies[rid]["result"] == 7
    assert replies[cancel]["result"] is False  # it had already finished
    raw.close()


def test_no_inline_keeps_every_call_in_the_pool():
    server = ServerProcess("--no-inline")
    try:
        raw = Raw(server)
        for n in range(20):
            assert raw.call("builtins.abs", -n)["result"] == n
        state = raw.inline()
        assert state["enabled"] is False and state["calls"] == 0 and state["functions"] == []
        raw.close()
    finally:
        server.stop()
