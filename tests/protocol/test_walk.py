"""The one walk over nested data: same object when nothing changed, iterative, depth-limited."""
import pytest

from compas_cloud.protocol.walk import TooDeep, walk


class Marked(object):
    pass


def swap(item):
    return "swapped" if isinstance(item, Marked) else item


def test_unchanged_value_is_the_same_object():
    value = {"a": [1, (2, 3), {"b": [None, "x", 1.5]}], "c": Marked.__name__}
    assert walk(value, swap) is value


def test_only_the_path_to_a_change_is_new():
    untouched = [1, 2, 3]
    value = {"a": untouched, "b": (4, [Marked()]), "c": {"d": 1}}
    out = walk(value, swap)
    assert out == {"a": [1, 2, 3], "b": (4, ["swapped"]), "c": {"d": 1}}
    assert out is not value and out["a"] is untouched and out["c"] is value["c"]
    assert isinstance(out["b"], tuple)
    assert value["b"][1][0] != "swapped"  # the input is not modified


def test_a_lone_item_is_visited():
    assert walk(Marked(), swap) == "swapped"
    assert walk(5, swap) == 5


def test_skip_keeps_a_container_unlooked_at():
    inner = [Marked()]
    value = [inner]
    assert walk(value, swap, skip=lambda c: c is inner) is value


def test_deep_values_raise_a_typed_error_instead_of_recursing():
    value = []
    for _ in range(5000):
        value = [value]
    with pytest.raises(TooDeep) as info:
        walk(value, swap, max_depth=1000)
    assert "1000" in str(info.value)
    assert walk(value, swap, max_depth=10000) is value
