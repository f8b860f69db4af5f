"""Real .NET values (pythonnet on Mono, the dotnet stage) through the components' input conversion.

Grasshopper hands a component .NET objects: a ``Dictionary[str, object]``, a ``Guid``, a
``DateTime``, or objects nothing converts. Skipped where pythonnet cannot load a .NET runtime.
"""
from __future__ import absolute_import

import pytest

clr = pytest.importorskip("clr", reason="needs pythonnet with a .NET runtime (tools/runtimes/dotnet.sh)")

import System  # noqa: E402
from System.Collections.Generic import Dictionary, List  # noqa: E402

from compas_cloud.errors import UnsupportedInput  # noqa: E402
from compas_cloud.ghpython.conversions import to_wire  # noqa: E402


def test_a_dictionary_becomes_a_dict_a_guid_text_and_a_datetime_iso_text():
    guid = System.Guid("3f2504e0-4f89-11d3-9a0c-0305e82c3301")
    table = Dictionary[System.String, System.Object]()
    table["id"] = guid
    table["when"] = System.DateTime(2024, 5, 6, 7, 8, 9, System.DateTimeKind.Utc)
    table["width"] = 2.5
    numbers = List[System.Object]()
    numbers.Add(1)
    numbers.Add(2)
    table["numbers"] = numbers
    wired = to_wire(table, "input 'args'")
    assert wired == {"id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "when": "2024-05-06T07:08:09.0000000Z",
                     "width": 2.5, "numbers": [1, 2]}
    assert to_wire(guid) == "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


def test_a_dotnet_object_without_a_conversion_is_named():
    with pytest.raises(UnsupportedInput) as info:
        to_wire([System.Text.StringBuilder("x")], "input 'args'")
    message = str(info.value)
    assert "input 'args'" in message and "System.Text.StringBuilder" in message and "Supported:" in message
