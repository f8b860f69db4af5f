"""The server's half of the conversation core, driven by a scripted client: no sockets, no event loop.

The script plays the client (it feeds decoded messages in the order a test
chooses) and the server's session (it serves, cancels and answers in the
order a test chooses), so the races of the asyncio session replay here
deterministically.
"""
from compas_cloud.errors import CallbackError
from compas_cloud.protocol import messages
from compas_cloud.protocol.conversation_server import SEND, SERVE, Reply, ServerConversation


def envelope(op, rid, **fields):
    return messages.request(op, rid, **fields)


def call(rid, function="math.sqrt", **fields):
    return envelope("call", rid, function=function, args=[4], **fields)


def serve(core, message):
    kind, what = core.receive(message)
    assert kind == SERVE, what.message()
    return what


def refused(core, message):
    kind, what = core.receive(message)
    assert kind == SEND and isinstance(what, Reply) and not what.ok
    return what


def test_calls_are_served_concurrently_and_tracked_until_they_end():
    core = ServerConversation()
    first, second = serve(core, call(1)), serve(core, call("b"))
    assert not first.in_order and first.tracked and second.tracked
    assert sorted(map(str, core.calls)) == ["1", "b"]
    ping = serve(core, envelope("ping", 1))  # an id of a call in flight is still fine for other operations
    assert not ping.tracked
    assert core.ended(1) and not core.ended(1)
    assert core.calls == ["b"]


def test_plain_messages_are_served_in_order_and_never_tracked():
    core = ServerConversation(max_calls=0)
    plain = serve(core, {"package": "math.sqrt", "args": [4]})
    assert plain.in_order and not plain.tracked and plain.request.id is None
    reply = core.reply(plain.request, True, 2.0)
    assert reply.plain and reply.message() == 2.0
    error = core.reply(plain.request, False, {"type": "X", "message": "m", "traceback": ""})
    assert error.message() == {"error": {"type": "X", "message": "m", "traceback": ""}}


def test_a_message_that_is_no_request_is_answered_at_once_with_the_id_it_carried():
    core = ServerConversation()
    reply = refused(core, envelope("nope", 7))
    assert reply.id == 7 and reply.value["type"] == "UnknownOperation"
    assert reply.message()["id"] == 7 and reply.message()["ok"] is False
    assert refused(core, [1, 2]).id is None
    plain = refused(core, {"what": 1})
    assert plain.plain and "error" in plain.message()
    assert refused(core, {"v": 2, "id": 3, "op": "ping"}).value["type"] == "ProtocolMismatch"
    assert core.calls == []


def test_a_duplicate_call_id_is_refused_and_the_call_in_flight_keeps_running():
    core = ServerConversation()
    serve(core, call(5))
    duplicate = refused(core, call(5))
    assert duplicate.id == 5 and duplicate.value["type"] == "MalformedMessage"
    assert "already in flight" in duplicate.value["message"]
    assert core.in_flight(5)
    core.ended(5)
    serve(core, call(5))  # once it has ended, the id may be used again


def test_the_call_limit_counts_calls_in_flight():
    core = ServerConversation(max_calls=2)
    serve(core, call(1))
    serve(core, call(2))
    over = refused(core, call(3))
    assert over.value["type"] == "LimitExceeded" and "--max-calls-per-connection" in over.value["message"]
    serve(core, envelope("ping", 4))  # other operations are not limited
    core.ended(1)
    serve(core, call(3))


def test_every_request_is_answered_once():
    core = ServerConversation()
    request = serve(core, call(1)).request
    assert core.reply(request, True, 2.0).message() == {"v": 1, "id": 1, "ok": True, "result": 2.0}
    assert core.reply(request, False, {"type": "X"}) is None
    assert not core.answering(request)


def test_events_go_before_the_reply_and_never_after_it():
    core = ServerConversation()
    request = serve(core, call(1)).request
    assert core.accepts_event(1)
    assert core.answering(request)
    assert not core.accepts_event(1)  # a late event (a thread the function started) is refused
    assert not core.accepts_event(2)  # a call that does not exist


def test_cancel_before_the_reply_ends_the_call_with_who_cancelled_it():
    core = ServerConversation()
    request = serve(core, call(1)).request
    assert core.cancel({"cached": 1}, by="an operator")
    reply = core.cancelled_reply(request)
    assert reply.value["type"] == "CallCancelled" and "an operator" in reply.value["message"]
    assert core.reply(request, True, 2.0) is None  # the function's late result is dropped


def test_cancel_after_the_reply_or_of_an_unknown_call_does_nothing():
    core = ServerConversation()
    request = serve(core, call(1)).request
    core.reply(request, True, 2.0)
    assert not core.cancel(1)
    assert core.cancelled_reply(request) is None
    assert not core.cancel(99) and not core.cancel([1]) and not core.cancel({"cached": [1]})


def test_a_call_ended_without_cancel_gets_no_cancelled_reply():
    # The connection closing cancels the session's tasks too: nobody is there to answer.
    core = ServerConversation()
    request = serve(core, call(1)).request
    assert core.cancelled_reply(request) is None


def test_callback_invocations_are_matched_to_their_answers():
    core = ServerConversation()
    serve(core, call(1))
    first, second = core.invoke(1), core.invoke(1)
    assert (first.id, second.id) == (1, 2) and core.invocations == [1, 2]
    assert core.answer(second.id, True, "two") is second and second.answered and second.value == "two"
    assert core.answer(second.id, True, "again") is None  # a second answer is ignored
    assert core.answer(99, True, None) is None and core.answer([1], True, None) is None
    assert core.answer(first.id, False, {"type": "ValueError"}) is first and first.ok is False


def test_callbacks_during_callbacks_each_get_their_own_answer():
    # A client callback that calls the server again, whose call invokes another callback.
    core = ServerConversation()
    serve(core, call(1))
    outer = core.invoke(1)
    serve(core, call(2))  # the client's callback makes a call of its own
    inner = core.invoke(2)
    assert core.answer(inner.id, True, "inner") is inner
    core.reply(serve(core, envelope("ping", 3)).request, True, "pong")
    assert core.answer(outer.id, True, "outer") is outer
    assert (outer.value, inner.value, outer.call, inner.call) == ("outer", "inner", 1, 2)


def test_a_forgotten_invocation_takes_no_answer():
    core = ServerConversation()
    invocation = core.invoke(1)
    core.forget(invocation.id)
    assert core.answer(invocation.id, True, None) is None and core.invocations == []


def test_a_connection_lost_mid_call_ends_every_call_and_invocation():
    core = ServerConversation()
    serve(core, call(1))
    serve(core, call(2))
    waiting = core.invoke(1)
    lost = CallbackError("the client has left")
    calls, invocations = core.lost(lost)
    assert sorted(calls) == [1, 2] and invocations == [waiting]
    assert waiting.answered and waiting.lost is lost
    assert core.calls == [] and core.invocations == []
    try:
        core.invoke(2)
    except CallbackError as error:
        assert error is lost
    else:
        raise AssertionError("an invocation after the loss must fail")
    assert core.lost(ValueError("later")) == ([], []) and core.closed is lost
