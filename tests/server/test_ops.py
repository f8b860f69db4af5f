"""The operation table: one handler per operation the protocol declares, no more, no less."""
import inspect

import pytest

from compas_cloud.protocol.messages import OPERATIONS
from compas_cloud.server.ops import OPS, operation


def test_every_declared_operation_has_one_handler_and_nothing_else_does():
    assert sorted(OPS) == sorted(OPERATIONS)


def test_each_handler_is_a_coroutine_function_that_says_what_it_answers():
    for name, entry in OPS.items():
        assert entry.name == name
        assert inspect.iscoroutinefunction(entry.handler), name
        assert entry.fields is OPERATIONS[name]
    for name in ("cache", "free", "cancel", "callback_reply", "hello", "batch_free"):
        assert OPS[name].handler.__doc__, name


def test_handlers_that_encode_their_own_reply_are_the_ones_with_large_values():
    assert sorted(name for name, entry in OPS.items() if entry.encoded) == ["batch_results", "call", "get"]


def test_an_operation_the_protocol_does_not_declare_cannot_be_registered():
    with pytest.raises(ValueError, match="not an operation"):
        operation("format_disk")(lambda session, request, decoded: None)
    assert "format_disk" not in OPS
