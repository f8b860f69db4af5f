"""The components as a designer meets them: the token input, the real version, inputs that cannot be sent,
and the .NET values Grasshopper hands over (Python 2.7 safe).

.NET types are recognised by name and shape, so classes with .NET's names and members stand for them
here; tests/ghpython/test_dotnet_values.py passes the real ones through pythonnet (dotnet stage).
"""
from __future__ import absolute_import

import pytest

from helpers import ServerProcess

from compas_cloud import __version__, auth
from compas_cloud.errors import UnsupportedInput
from compas_cloud.ghpython.conversions import to_wire


class _DotNetType(object):
    def __init__(self, full_name):
        self.FullName = full_name


class Guid(object):
    def __init__(self, text):
        self.text = text

    def __str__(self):
        return self.text

    def GetType(self):
        return _DotNetType("System.Guid")


class DateTime(object):
    def ToString(self, fmt):
        assert fmt == "o"
        return "2024-05-06T07:08:09.0000000Z"


class Dictionary(object):
    """The members of System.Collections.Generic.Dictionary the conversion uses; iterating gives pairs, as .NET does."""

    def __init__(self, items):
        self._items = list(items)
        self.Keys = [key for key, _ in self._items]
        self.Count = len(self._items)

    def ContainsKey(self, key):
        return key in self.Keys

    def __getitem__(self, key):
        return dict(self._items)[key]

    def GetEnumerator(self):
        return iter(("KeyValuePair", key, value) for key, value in self._items)

    def __iter__(self):
        return self.GetEnumerator()


class Brep(object):
    def GetType(self):
        return _DotNetType("Rhino.Geometry.Brep")


def test_dotnet_values_become_what_python_code_expects():
    guid = Guid("3f2504e0-4f89-11d3-9a0c-0305e82c3301")
    wired = to_wire(Dictionary([("id", guid), ("when", DateTime()), ("n", 3), ("nested", Dictionary([("a", [1, 2])]))]))
    assert wired == {"id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "when": "2024-05-06T07:08:09.0000000Z", "n": 3,
                     "nested": {"a": [1, 2]}}


def test_an_unsupported_value_names_the_input_the_type_and_what_is_supported():
    with pytest.raises(UnsupportedInput) as info:
        to_wire([1, Brep()], "input 'args'")
    message = str(info.value)
    assert "input 'args'" in message and "Brep" in message and "Rhino.Geometry.Brep" in message
    assert "Supported: numbers" in message


def test_call_component_shows_an_unsupported_input_as_an_error_balloon(gh, connected):
    _, proxy = connected
    call = gh.load("Cloud_Call")
    outputs = call.solve(proxy=proxy, function="builtins.len", args=[[Brep()]])
    assert outputs["result"] is None
    errors = call.messages("Error")
    assert len(errors) == 1
    assert "input 'args'" in errors[0] and "Rhino.Geometry.Brep" in errors[0] and "Traceback" not in errors[0]
    assert proxy.check()  # the connection stays usable
    assert call.solve(proxy=proxy, function="builtins.len", args=[[1, 2, 3]])["result"] == 3


def test_call_component_sends_dotnet_dictionaries_as_dicts(gh, connected):
    _, proxy = connected
    call = gh.load("Cloud_Call")
    table = Dictionary([("width", 2.5), ("id", Guid("00000000-0000-0000-0000-000000000001"))])
    result = call.solve(proxy=proxy, function="builtins.sorted", args=[table])["result"]
    assert result == ["id", "width"], call.messages()
    cache = gh.load("Cloud_Cache", call.document)
    reference = cache.solve(proxy=proxy, data=[table])  # a list-access input: a list holding the dictionary
    assert cache.messages("Error") == []
    assert proxy.get(list(reference.values())[0]) == {"width": 2.5, "id": "00000000-0000-0000-0000-000000000001"}


def test_proxy_component_shows_the_real_server_version(gh, server):
    component = gh.load("Cloud_Proxy")
    outputs = component.solve(host=server.host, port=server.port, autolaunch=False)
    assert "compas_cloud {0}".format(__version__) in outputs["status"]
    assert "compas_cloud ?" not in outputs["status"]


def test_proxy_component_token_input(gh, tmpdir, monkeypatch):
    monkeypatch.setenv(auth.CONFIG_DIR_ENV, str(tmpdir.join("config")))  # no token files for this user
    monkeypatch.delenv(auth.TOKEN_ENV, raising=False)
    guarded = ServerProcess("--token", "open-sesame")
    try:
        component = gh.load("Cloud_Proxy")
        refused = component.solve(host="127.0.0.1", port=guarded.port, autolaunch=False)
        assert refused["proxy"] is None
        errors = component.messages("Error")
        assert len(errors) == 1 and "'token' input" in errors[0]
        assert "Authorization" not in errors[0] and "Bearer" not in errors[0] and "header" not in errors[0].lower()
        accepted = component.solve(host="127.0.0.1", port=guarded.port, autolaunch=False, token="open-sesame")
        assert accepted["proxy"] is not None, component.messages()
        assert component.messages("Error") == []
        # empty token input: the per-user token file is used
        component.solve(run=False)
        auth.write_token(auth.default_token_file(), "open-sesame")
        again = component.solve(host="127.0.0.1", port=guarded.port, autolaunch=False, token="")
        assert again["proxy"] is not None, component.messages()
    finally:
        gh.close_proxies()
        guarded.stop()


def test_cache_and_function_components_show_an_unsupported_input_as_an_error_balloon(gh, connected):
    _, proxy = connected
    cache = gh.load("Cloud_Cache")
    assert cache.solve(proxy=proxy, data=[1, Brep()])["ref"] is None
    errors = cache.messages("Error")
    assert len(errors) == 1 and "input 'data'" in errors[0] and "Rhino.Geometry.Brep" in errors[0], cache.messages()
    assert "Traceback" not in errors[0]
    function = gh.load("Cloud_Function", cache.document)
    function.solve(proxy=proxy, function="builtins.len")
    function.document.run_scheduled()  # its inputs rebuilt from the description
    names = [param.NickName for param in function.instance.Params.Input]
    extra = names[4]
    assert function.solve(**{"proxy": proxy, "function": "builtins.len", extra: Brep()})["result"] is None
    errors = function.messages("Error")
    assert len(errors) == 1 and "Rhino.Geometry.Brep" in errors[0] and "Traceback" not in errors[0], function.messages()
    assert "'{0}'".format(extra) in errors[0], errors
    assert proxy.check()
    assert function.solve(**{"proxy": proxy, "function": "builtins.len", extra: [1, 2]})["result"] == 2
