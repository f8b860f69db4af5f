"""Input conversions of the components: Rhino-shaped values, .NET lists, trees, kwargs (Python 2.7 safe).

Rhino is not importable here; its types are recognised by class name, so
classes with Rhino's names and attributes stand for them.
"""
from __future__ import absolute_import

import pytest

from gh_harness import DataTree, NetList

from compas_cloud import Reference
from compas_cloud.ghpython.conversions import arguments_from_input, keywords_from_input, to_wire
from compas_cloud.ghpython.fingerprint import fingerprint


class Point3d(object):
    def __init__(self, x, y, z):
        self.X, self.Y, self.Z = x, y, z


class Line(object):
    def __init__(self, a, b):
        self.From, self.To = a, b


def test_rhino_points_and_lines_become_lists_without_compas_rhino():
    assert to_wire(Point3d(1, 2, 3)) == [1.0, 2.0, 3.0]
    assert to_wire(Line(Point3d(0, 0, 0), Point3d(1, 1, 1))) == [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]
    assert to_wire({"p": [Point3d(0, 0, 1)]}) == {"p": [[0.0, 0.0, 1.0]]}
    assert to_wire(NetList([Point3d(1, 0, 0), 2])) == [[1.0, 0.0, 0.0], 2]


def test_references_stay_references():
    wired = to_wire({"cached": "abc"})
    assert isinstance(wired, Reference) and wired.id == "abc"
    assert fingerprint(wired) == "ref:abc"


def test_fingerprints_ignore_key_order_and_see_changes():
    assert fingerprint({"a": 1, "b": [1.0, 2.0]}) == fingerprint(dict([("b", [1.0, 2.0]), ("a", 1)]))
    assert fingerprint([1.0, 2.0]) != fingerprint([1.0, 2.5])
    assert fingerprint(u"caf\u00e9") == fingerprint(u"caf\u00e9")


def test_each_branch_is_one_argument():
    assert arguments_from_input(DataTree([[1, 2, 3], [4], []])) == [[1, 2, 3], 4, []]
    assert arguments_from_input([1, [2]]) == [1, [2]]
    assert arguments_from_input(None) == []
    assert arguments_from_input(7) == [7]


def test_kwargs_forms():
    assert keywords_from_input(None) == {} and keywords_from_input("") == {}
    assert keywords_from_input({"axis": 1}) == {"axis": 1}
    assert keywords_from_input('{"axis": 1}') == {"axis": 1}
    with pytest.raises(ValueError):
        keywords_from_input("[1, 2]")
    with pytest.raises(ValueError):
        keywords_from_input(3)


def test_cache_takes_a_net_list_input(gh, connected):
    _, proxy = connected
    cache, get = gh.load("Cloud_Cache"), gh.load("Cloud_Get")
    single = cache.solve(proxy=proxy, data=NetList([[1.0, 2.0]]))["ref"]
    assert get.solve(proxy=proxy, ref=single)["data"] == [1.0, 2.0]
    several = gh.load("Cloud_Cache").solve(proxy=proxy, data=NetList([Point3d(1, 2, 3), Point3d(4, 5, 6)]))["ref"]
    assert gh.load("Cloud_Get").solve(proxy=proxy, ref=several)["data"] == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
