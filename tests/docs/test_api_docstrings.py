"""The API reference shows numpydoc docstrings: every object it renders documents what it takes.

The reference pages (docs/api/*.md) render objects with mkdocstrings (``::: dotted.name``), which hides
members without a docstring and lays a ``Parameters`` section out as a table. Here griffe, the library
mkdocstrings reads the code with, parses every public function, method and class those pages render,
as the numpy style: each must have a docstring, and each of its parameters must be in its
``Parameters`` section (a class's constructor parameters in the class docstring, as the site merges
them). Whether the Python stays importable on IronPython is not griffe's business: it reads the source.
"""
import glob
import io
import os
import re

import pytest

from helpers import ROOT

griffe = pytest.importorskip("griffe", reason="griffe comes with the [docs] extra (tools/test.sh installs it)")

TARGET = re.compile(r"^::: ([\w.]+)\s*\n((?:[ \t]+\S.*\n)*)", re.M)

#: Classes whose instances users get from compas_cloud rather than construct: their constructor's
#: parameters are not part of the API (the reference documents their attributes and methods).
MADE_FOR_USERS = {
    "compas_cloud.client.remote.RemoteFunction": "Proxy.function",
    "compas_cloud.client.batch.Batch": "Proxy.batch",
    "compas_cloud.client.future.CallFuture": "Proxy.submit",
}


def rendered():
    """(dotted name, whether its members are rendered too) of every ``:::`` block of the reference."""
    found = []
    for page in sorted(glob.glob(os.path.join(ROOT, "docs", "api", "*.md"))):
        with io.open(page, encoding="utf-8") as handle:
            for name, options in TARGET.findall(handle.read() + "\n"):
                found.append((name, not re.search(r"^\s*members:\s*false\s*$", options, re.M)))
    return found


def targets():
    return [name for name, _ in rendered()]


def documented_names(docstring):
    names = set()
    for section in docstring.parse(griffe.Parser.numpy):
        if section.kind.value in ("parameters", "other parameters"):
            for parameter in section.value:
                names.update(name.strip().lstrip("*") for name in parameter.name.split(","))
    return names


def wanted_names(function):
    return [parameter.name for parameter in function.parameters if parameter.name not in ("self", "cls")]


def problems(obj, path, members=True):
    found = []
    if obj.is_alias or obj.name.startswith("_"):
        return found
    if obj.is_function:
        if obj.docstring is None:
            return ["%s: no docstring (the reference leaves it out)" % path]
        missing = [name for name in wanted_names(obj) if name not in documented_names(obj.docstring)]
        if missing:
            found.append("%s: parameters not in its Parameters section: %s" % (path, ", ".join(missing)))
    elif obj.is_class:
        if obj.docstring is None:
            return ["%s: no docstring" % path]
        init = obj.members.get("__init__")
        raised_by_compas_cloud = path.startswith("compas_cloud.errors.")  # exceptions: their attributes are documented
        if path not in MADE_FOR_USERS and not raised_by_compas_cloud and init is not None and not init.is_alias \
                and init.docstring is None:
            missing = [name for name in wanted_names(init) if name not in documented_names(obj.docstring)]
            if missing:
                found.append("%s: constructor parameters not in the class's Parameters section: %s" % (path, ", ".join(missing)))
        for name, member in obj.members.items() if members else ():
            found.extend(problems(member, path + "." + name))
    elif obj.is_module:
        if obj.docstring is None:
            found.append("%s: no module docstring" % path)
        for name, member in obj.members.items() if members else ():
            found.extend(problems(member, path + "." + name))
    return found


def test_the_reference_renders_the_objects_the_issue_names():
    names = targets()
    for expected in ("compas_cloud.client.proxy.Proxy", "compas_cloud.client.remote.RemoteFunction",
                     "compas_cloud.protocol.reference", "compas_cloud.client.future.CallFuture",
                     "compas_cloud.client.batch.Batch", "compas_cloud.errors", "compas_cloud.server.config.ServerConfig"):
        assert expected in names


def test_every_rendered_object_has_numpydoc_parameters():
    package = griffe.GriffeLoader(docstring_parser=griffe.Parser.numpy, search_paths=[ROOT]).load("compas_cloud")
    found = []
    for target, members in rendered():
        found.extend(problems(package[target[len("compas_cloud."):]], target, members))
    assert not found, "\n".join(found)
