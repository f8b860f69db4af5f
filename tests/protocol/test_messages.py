# -*- coding: utf-8 -*-
"""The sans-I/O message layer (runs on CPython 2.7 and 3)."""
from __future__ import absolute_import

import sys

import pytest

from compas_cloud.errors import MalformedMessage, ProtocolError, ProtocolMismatch, UnknownOperation
from compas_cloud.protocol import PROTOCOL_VERSION, parse_reply, parse_request, reply_error, reply_ok, request


def test_envelope_round_trip():
    message = request("call", 7, function="numpy.linalg.norm", args=[[3, 4]], kwargs={}, cache=False)
    parsed = parse_request(message)
    assert (parsed.op, parsed.id, parsed.plain) == ("call", 7, False)
    assert parsed.fields["function"] == "numpy.linalg.norm"
    assert parsed.fields["args"] == [[3, 4]]


def test_call_defaults_are_filled_in():
    parsed = parse_request(request("call", 1, function="builtins.len"))
    assert parsed.fields["args"] == [] and parsed.fields["kwargs"] == {} and parsed.fields["cache"] is False


def test_plain_tutorial_messages():
    call = parse_request({"package": "compas.geometry.transform_points", "args": [1], "kwargs": {}, "cache": False})
    assert call.plain and call.op == "call" and call.fields["function"] == "compas.geometry.transform_points"
    cache = parse_request({"cache": [1, 2, 3]})
    assert cache.plain and cache.op == "cache" and cache.fields["data"] == [1, 2, 3]
    get = parse_request({"get": "abc"})
    assert get.plain and get.op == "get" and get.fields["ref"] == "abc"


@pytest.mark.parametrize(
    "message, error, words",
    [
        ([1, 2], MalformedMessage, "JSON object"),
        ({"hello": 1}, MalformedMessage, "unknown message"),
        ({"v": 1, "op": "ping"}, MalformedMessage, "id"),
        ({"v": 1, "id": 1}, MalformedMessage, "op"),
        ({"v": 1, "id": 1, "op": "explode"}, UnknownOperation, "explode"),
        ({"v": 99, "id": 1, "op": "ping"}, ProtocolMismatch, "99"),
        ({"v": 1, "id": 1, "op": "call"}, MalformedMessage, "function"),
        ({"v": 1, "id": 1, "op": "call", "function": 5}, MalformedMessage, "function"),
        ({"v": 1, "id": 1, "op": "call", "function": "f", "args": {}}, MalformedMessage, "args"),
        ({"v": 1, "id": 1, "op": "call", "function": "f", "cache": "yes"}, MalformedMessage, "cache"),
        ({"v": 1, "id": 1, "op": "call", "function": "f", "bogus": 1}, MalformedMessage, "bogus"),
        ({"v": 1, "id": 1, "op": "get", "ref": [1]}, MalformedMessage, "ref"),
        ({"v": 1, "id": True, "op": "ping"}, MalformedMessage, "id"),
    ],
)
def test_bad_requests_raise_typed_errors_naming_the_problem(message, error, words):
    with pytest.raises(error) as info:
        parse_request(message)
    assert words in str(info.value)


@pytest.mark.parametrize(
    "message, words",
    [
        # Several problems: the first in the operation's own field order is named, whatever the message's order.
        ({"v": 1, "id": 1, "op": "call", "args": 5}, "needs the field 'function'"),
        ({"v": 1, "id": 1, "op": "call", "cache": "yes", "function": 5}, "field 'function' must be a string"),
        ({"v": 1, "id": 1, "op": "share"}, "needs the field 'ref'"),
        ({"v": 1, "id": 1, "op": "call", "function": "f", "zz": 1, "aa": 2}, "unknown fields: aa, zz"),
    ],
)
@pytest.mark.skipif(sys.version_info < (3, 7), reason="the fields' order is the spec dict's, kept from Python 3.7")
def test_the_first_problem_in_field_order_is_named(message, words):
    with pytest.raises(MalformedMessage) as info:
        parse_request(message)
    assert words in str(info.value)


def test_errors_keep_the_request_id_to_echo():
    with pytest.raises(UnknownOperation) as info:
        parse_request({"v": 1, "id": 42, "op": "explode"})
    assert info.value.request_id == 42


def test_parse_reply():
    assert parse_reply(reply_ok(3, [1])) == ("reply", 3, True, [1])
    error = {"type": "ZeroDivisionError", "message": "division by zero", "traceback": ""}
    assert parse_reply(reply_error(4, error)) == ("reply", 4, False, error)
    kind, name, message, _ = parse_reply({"v": PROTOCOL_VERSION, "event": "shutdown"})
    assert (kind, name) == ("event", "shutdown")


@pytest.mark.parametrize("message", [[1], {"cached": "x"}, {"v": 1, "result": 1}, {"v": 2, "id": 1, "ok": True}])
def test_parse_reply_rejects_what_is_not_a_reply(message):
    with pytest.raises(ProtocolError):
        parse_reply(message)
