"""The sans-I/O conversation core, driven by a scripted fake transport: no sockets, no threads.

The script plays the server: it reads what the core asks to send and feeds
back the replies and events in the order a test chooses, so every race of
the threaded client can be replayed deterministically here.
"""
import pytest

from compas_cloud.errors import ConnectionClosed, ProtocolError, ServerSideError
from compas_cloud.protocol.conversation import DISPATCH, EVENT, IGNORED, WAKE, ClientConversation


class Script(object):
    """A fake transport: records sent messages, makes server messages to feed to the core."""

    def __init__(self):
        self.core = ClientConversation()
        self.sent = []
        self.ran = []  # (call id, event message) in the order handlers ran

    def call(self, op, inline=True, handler=True, **fields):
        def run(message):
            self.ran.append((call.id, message))
        call, message = self.core.request(op, run if handler else None, inline, **fields)
        self.sent.append(message)
        return call

    def reply(self, rid, result=None, ok=True):
        if ok:
            return self.core.receive({"v": 1, "id": rid, "ok": True, "result": result})
        return self.core.receive({"v": 1, "id": rid, "ok": False, "error": result})

    def event(self, rid, name="progress", **fields):
        message = {"v": 1, "event": name, "call": rid}
        message.update(fields)
        return self.core.receive(message)

    def drain(self, happenings):
        """Run dispatched events as a dispatcher thread would, in order."""
        for happening in happenings:
            if happening[0] == DISPATCH:
                call, message = happening[1], happening[2]
                if message is None:
                    self.drain(self.core.finish(call))
                else:
                    call.handler(message)

    def run_inline(self, call):
        for message in self.core.take_events(call):
            call.handler(message)


def test_ids_are_fresh_and_requests_carry_them():
    script = Script()
    first, second = script.call("ping"), script.call("ping")
    assert (first.id, second.id) == (1, 2)
    assert [m["id"] for m in script.sent] == [1, 2]
    assert script.core.pending == [1, 2]
    assert script.core.notification("callback_reply", invocation=3)["id"] == 3


def test_replies_out_of_order_reach_their_own_calls():
    script = Script()
    a, b, c = script.call("call"), script.call("call"), script.call("call")
    assert script.reply(c.id, "c") == [(WAKE, c)]
    script.reply(a.id, "a")
    assert c.done and a.done and not b.done
    script.reply(b.id, {"error": "not an error", "callback": 1})  # a dict result is a result, not a message
    assert [script.core.outcome(x) for x in (a, b, c)] == ["a", {"error": "not an error", "callback": 1}, "c"]


def test_an_error_reply_raises_a_typed_error():
    script = Script()
    call = script.call("call")
    script.reply(call.id, {"type": "ValueError", "message": "bad"}, ok=False)
    with pytest.raises(ServerSideError):
        script.core.outcome(call)


def test_inline_events_come_before_the_reply_and_after_it_go_to_the_listener():
    script = Script()
    call = script.call("call")
    assert script.event(call.id, done=1) == [(WAKE, call)]
    script.reply(call.id, 5)
    assert call.done and not call.settled  # the event is still to be run by the waiting thread
    script.run_inline(call)
    assert call.settled and [m["done"] for _, m in script.ran] == [1]
    late = script.event(call.id, done=2)
    assert late[0][0] == EVENT and late[0][2]["done"] == 2  # an event after the reply is nobody's call's


def test_a_dispatched_reply_is_released_only_after_its_earlier_events():
    script = Script()
    call = script.call("call", inline=False)
    happenings = script.event(call.id, done=1) + script.event(call.id, done=2) + script.reply(call.id, "r")
    assert [h[0] for h in happenings] == [DISPATCH, DISPATCH, DISPATCH]
    assert happenings[-1][2] is None and call.replied and not call.done
    script.drain(happenings[:2])
    assert not call.done
    script.drain(happenings[2:])
    assert call.done and [m["done"] for _, m in script.ran] == [1, 2]


def test_events_of_calls_without_a_handler_or_unknown_calls_go_to_the_listener():
    script = Script()
    bare = script.call("ping", handler=False)
    assert script.event(bare.id, "output")[0][:2] == (EVENT, "output")
    assert script.event(99, "output")[0][:2] == (EVENT, "output")
    assert script.event([1], "batch")[0][:2] == (EVENT, "batch")
    assert script.core.receive({"v": 1, "event": "server_stopping"})[0][:2] == (EVENT, "server_stopping")


def test_unknown_ids_and_duplicate_replies_are_ignored():
    script = Script()
    call = script.call("call")
    assert script.reply(42, "stray")[0][:2] == (IGNORED, 42)
    script.reply(call.id, "first")
    assert script.reply(call.id, "second")[0][:2] == (IGNORED, call.id)
    assert script.core.outcome(call) == "first"
    script.core.forget(call.id)
    assert script.reply(call.id, "third")[0][0] == IGNORED


def test_messages_of_no_known_shape_raise_protocol_errors():
    script = Script()
    for message in ([1], {"id": 1}, {"v": 1, "id": 1}, {"v": 99, "id": 1, "ok": True}):
        with pytest.raises(ProtocolError):
            script.core.receive(message)


@pytest.mark.parametrize("cancel_first", [True, False])
def test_cancel_and_the_calls_own_reply_race_in_either_order(cancel_first):
    script = Script()
    call = script.call("call", inline=False)
    cancel, message = script.core.cancel(call.id)
    assert message["op"] == "cancel" and message["target"] == call.id and cancel.id != call.id
    cancelled = {"type": "Cancelled", "message": "cancelled by the client"}
    if cancel_first:
        script.reply(cancel.id, True)
        script.drain(script.reply(call.id, cancelled, ok=False))
    else:
        script.drain(script.reply(call.id, "finished anyway"))
        script.reply(cancel.id, False)
    assert cancel.done and call.done
    assert script.core.outcome(cancel) is cancel_first
    if cancel_first:
        with pytest.raises(ServerSideError):
            script.core.outcome(call)
    else:
        assert script.core.outcome(call) == "finished anyway"


def test_a_callback_during_a_callback_is_a_call_of_its_own():
    script = Script()
    outer = script.call("call")
    script.event(outer.id, "callback", invocation=1)
    # the handler of the outer callback makes a remote call, whose own callback fires before its reply
    inner = script.call("call")
    script.event(inner.id, "callback", invocation=2)
    script.reply(inner.id, "inner")
    script.run_inline(inner)
    answer = script.core.notification("callback_reply", invocation=1, ok=True, result=script.core.outcome(inner))
    assert answer["id"] not in script.core.pending and not outer.done
    script.run_inline(outer)
    script.reply(outer.id, "outer")
    assert [(rid, m["invocation"]) for rid, m in script.ran] == [(inner.id, 2), (outer.id, 1)]
    assert script.core.outcome(outer) == "outer"


def test_a_connection_lost_mid_call_fails_every_waiting_call():
    script = Script()
    answered, waiting, dispatched = script.call("call"), script.call("call"), script.call("call", inline=False)
    script.reply(answered.id, 1)
    script.reply(dispatched.id, 3)  # replied, its events not yet run
    lost = ConnectionClosed("the server went away")
    woken = script.core.lost(lost)
    assert [h[1] for h in woken] == [waiting]
    with pytest.raises(ConnectionClosed):
        script.core.outcome(waiting)
    assert script.core.outcome(answered) == 1
    # The reply that came in is kept: the call ends once its events have run.
    assert not dispatched.done and script.core.finish(dispatched) == [(WAKE, dispatched)]
    assert script.core.outcome(dispatched) == 3
    assert script.core.lost(ConnectionClosed("again")) == [] and script.core.closed is lost
    with pytest.raises(ConnectionClosed):
        script.core.request("ping")
    with pytest.raises(ConnectionClosed):
        script.core.notification("callback_reply")
