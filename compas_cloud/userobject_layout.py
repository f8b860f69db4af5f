"""The layout of a ``.ghuser`` file as plain Python: a :class:`Chunk` tree built from one component folder.

:func:`userobject_layout` reads a component folder (``code.py``, ``metadata.json``, ``icon.png``) and
says what goes where, with which type, for either component set (``"ironpython"`` or ``"cpython"``);
:mod:`compas_cloud.userobjects` writes such a tree through GH_IO. Pure Python (2.7 and IronPython too).
"""
from __future__ import absolute_import

import base64
import hashlib
import io
import json
import os
import uuid

#: The component type a user object instantiates (``BaseID``), per component set.
BASE_IDS = {
    "ironpython": "410755b1-224a-4c1e-a407-bf32fb45ea7e",  # GhPython Script (ZuiPythonComponent)
    "cpython": "c9b2d725-6f87-4b07-af90-bd9aefef68eb",  # Rhino 8 script component
}

#: Parameter type ids of the variable-parameter script components (``InputId`` / ``OutputId``).
PARAMETER_IDS = {
    "ironpython": ("84fa917c-1ed8-4db3-8be1-7bdc4a6495a2", "8ec86459-bf01-4409-baee-174d0d2b13d0"),
    "cpython": ("08908df5-fa14-4982-9ab2-1aa0927566aa", "08908df5-fa14-4982-9ab2-1aa0927566aa"),
}

#: Type hints (``typeHintID`` in metadata.json) and their ids in each component set.
TYPE_HINTS = {
    "ironpython": {
        "none": "35915213-5534-4277-81b8-1bdc9e7383d2",
        "ghdoc": "87f87f55-5b71-41f4-8aea-21d494016f81",
        "float": "39fbc626-7a01-46ab-a18e-ec1c0c41685b",
        "bool": "d60527f5-b5af-4ef6-8970-5f96fe412559",
        "int": "48d01794-d3d8-4aef-990e-127168822244",
        "str": "37261734-eec7-4f50-b6a8-b8d1f3c4396b",
        "guid": "5325b8e1-51d7-4d36-837a-d98394626c35",
        "point": "e1937b56-b1da-4c12-8bd8-e34ee81746ef",
        "vector": "15a50725-e3d3-4075-9f7c-142ba5f40747",
        "plane": "3897522d-58e9-4d60-b38c-978ddacfedd8",
        "line": "f802a8cd-e699-4a94-97ea-83b5406271de",
        "mesh": "794a1f9d-21d5-4379-b987-9e8bbf433912",
    },
    "cpython": {
        "none": "6a184b65-baa3-42d1-a548-3915b401de53",
        "ghdoc": "1c282eeb-dd16-439f-94e4-7d92b542fe8b",
        "float": "9d51e32e-c038-4352-9554-f4137ca91b9a",
        "bool": "d60527f5-b5af-4ef6-8970-5f96fe412559",
        "int": "48d01794-d3d8-4aef-990e-127168822244",
        "str": "3aceb454-6dbd-4c5b-9b6b-e71f8c1cdf88",
        "guid": "5325b8e1-51d7-4d36-837a-d98394626c35",
        "point": "e1937b56-b1da-4c12-8bd8-e34ee81746ef",
        "vector": "15a50725-e3d3-4075-9f7c-142ba5f40747",
        "plane": "3897522d-58e9-4d60-b38c-978ddacfedd8",
        "line": "f802a8cd-e699-4a94-97ea-83b5406271de",
        "mesh": "794a1f9d-21d5-4379-b987-9e8bbf433912",
    },
}

ACCESS = {"item": 0, "list": 1, "tree": 2}
KINDS = ("ironpython", "cpython")


class UserObjectBuildError(Exception):
    """The user objects cannot be built here; the message says what is missing and what to do."""


class Chunk(object):
    """One GH_IO chunk as plain data: typed items and child chunks, in the order they are written.

    ``items`` holds ``(kind, key, index, value)``: kind is one of ``"guid"``
    (text), ``"string"``, ``"int32"``, ``"boolean"``, ``"bytes"``, ``"bitmap"``
    (PNG bytes drawn as a bitmap where .NET can draw) and ``"chunk"`` (a
    :class:`Chunk` stored serialized, as a byte array); index is None or the
    item's index. ``chunks`` holds ``(name, index, Chunk)``.
    """

    def __init__(self, name):
        self.name = name
        self.items = []
        self.chunks = []

    def set(self, kind, key, value, index=None):
        self.items.append((kind, key, index, value))
        return self

    def child(self, name, index=None):
        chunk = Chunk(name)
        self.chunks.append((name, index, chunk))
        return chunk

    def get(self, key, index=None):
        """Return the value of item ``key`` (at ``index``); KeyError when absent."""
        for _, name, at, value in self.items:
            if name == key and at == index:
                return value
        raise KeyError(key if index is None else (key, index))

    def find(self, name, index=None):
        """Return the child chunk ``name`` (at ``index``); KeyError when absent."""
        for child_name, at, chunk in self.chunks:
            if child_name == name and at == index:
                return chunk
        raise KeyError(name if index is None else (name, index))


# -- the layout ----------------------------------------------------------------------------------


def read_component(folder):
    """Return ``(metadata, code text, icon bytes)`` of a component folder; UserObjectBuildError when incomplete."""
    paths = dict((name, os.path.join(folder, name)) for name in ("metadata.json", "code.py", "icon.png"))
    missing = [name for name, path in sorted(paths.items()) if not os.path.isfile(path)]
    if missing:
        raise UserObjectBuildError("the component folder {0} has no {1}".format(folder, ", ".join(missing)))
    with io.open(paths["metadata.json"], encoding="utf-8") as handle:
        metadata = json.load(handle)
    with io.open(paths["code.py"], encoding="utf-8") as handle:
        code = handle.read()
    with open(paths["icon.png"], "rb") as handle:
        icon = handle.read()
    return metadata, code, icon


def _stable_guid(*parts):
    # Parameters get ids derived from the component's: the same sources build the same file.
    # (a name-based, version 5 UUID, computed here: uuid.uuid5 takes text on Python 3 and bytes on 2.7)
    text = u"compas_cloud:" + u"/".join(parts)
    digest = hashlib.sha1(uuid.NAMESPACE_URL.bytes + text.encode("utf-8")).digest()
    return str(uuid.UUID(bytes=digest[:16], version=5))


def _type_hint(kind, hint, component, parameter):
    hints = TYPE_HINTS[kind]
    hint = hint or "ghdoc"
    if hint in hints:
        return hints[hint]
    try:
        return str(uuid.UUID(hint))
    except ValueError:
        raise UserObjectBuildError("{0}, input {1}: unknown typeHintID '{2}' (known: {3})".format(
            component, parameter, hint, ", ".join(sorted(hints))))


def _parameters(kind, chunk, metadata):
    name = metadata["name"]
    options = metadata.get("ghpython", {})
    inputs = options.get("inputParameters", [])
    outputs = options.get("outputParameters", [])
    input_id, output_id = PARAMETER_IDS[kind]
    data = chunk.child("ParameterData")
    data.set("int32", "InputCount", len(inputs))
    for index in range(len(inputs)):
        data.set("guid", "InputId", input_id, index)
    data.set("int32", "OutputCount", len(outputs))
    for index in range(len(outputs)):
        data.set("guid", "OutputId", output_id, index)
    for index, parameter in enumerate(inputs):
        access = parameter.get("scriptParamAccess", "item")
        if access not in ACCESS and access not in ACCESS.values():
            raise UserObjectBuildError("{0}, input {1}: scriptParamAccess must be item, list or tree, not '{2}'".format(
                name, parameter["name"], access))
        item = data.child("InputParam", index)
        item.set("string", "Name", parameter["name"])
        item.set("string", "NickName", parameter.get("nickname") or parameter["name"])
        item.set("string", "Description", parameter.get("description", ""))
        item.set("boolean", "Optional", bool(parameter.get("optional", True)))
        item.set("boolean", "AllowTreeAccess", bool(parameter.get("allowTreeAccess", True)))
        item.set("boolean", "ShowTypeHints", bool(parameter.get("showTypeHints", True)))
        item.set("int32", "ScriptParamAccess", ACCESS.get(access, access))
        item.set("int32", "SourceCount", 0)
        item.set("guid", "InstanceGuid", _stable_guid(metadata.get("instanceGuid", name), "input", parameter["name"]))
        item.set("guid", "TypeHintID", _type_hint(kind, parameter.get("typeHintID"), name, parameter["name"]))
    for index, parameter in enumerate(outputs):
        item = data.child("OutputParam", index)
        item.set("string", "Name", parameter["name"])
        item.set("string", "NickName", parameter.get("nickname") or parameter["name"])
        item.set("string", "Description", parameter.get("description", ""))
        item.set("boolean", "Optional", bool(parameter.get("optional", False)))
        item.set("int32", "SourceCount", 0)
        item.set("guid", "InstanceGuid", _stable_guid(metadata.get("instanceGuid", name), "output", parameter["name"]))


def userobject_layout(folder, kind):
    """Return the :class:`Chunk` tree of the user object for the component in ``folder``.

    Parameters
    ----------
    folder : str
        A component folder (``code.py``, ``metadata.json``, ``icon.png``).
    kind : str
        ``"ironpython"`` (GhPython, Rhino 6/7) or ``"cpython"`` (Rhino 8 script component).
    """
    if kind not in KINDS:
        raise UserObjectBuildError("unknown component set {0!r}: use one of {1}".format(kind, ", ".join(KINDS)))
    metadata, code, icon = read_component(folder)
    for key in ("name", "nickname", "category", "subcategory"):
        if not metadata.get(key):
            raise UserObjectBuildError("{0}: metadata.json has no '{1}'".format(folder, key))
    name = metadata["name"]
    description = metadata.get("description", "")
    instance = metadata.get("instanceGuid") or _stable_guid(name)
    options = metadata.get("ghpython", {})

    root = Chunk("UserObject")
    root.set("guid", "BaseID", BASE_IDS[kind])
    root.set("string", "Name", name)
    root.set("string", "NickName", metadata["nickname"])
    root.set("string", "Description", description)
    root.set("int32", "Exposure", int(metadata.get("exposure", 2)))
    root.set("string", "Category", metadata["category"])
    root.set("string", "SubCategory", metadata["subcategory"])
    root.set("guid", "InstanceGuid", instance)
    root.set("bytes", "Icon", icon)

    component = Chunk("UserObject")
    component.set("string", "Description", description)
    component.set("string", "Name", name)
    component.set("string", "NickName", metadata["nickname"])
    component.set("int32", "IconDisplay", int(options.get("iconDisplay", 0)))
    if kind == "ironpython":
        component.set("boolean", "HideOutput", bool(options.get("hideOutput", True)))
        component.set("boolean", "HideInput", bool(options.get("hideInput", True)))
        component.set("boolean", "IsAdvancedMode", bool(options.get("isAdvancedMode", False)))
        component.set("boolean", "MarshalOutGuids", bool(options.get("marshalOutGuids", True)))
        component.set("string", "CodeInput", code)
        _parameters(kind, component, metadata)
    else:
        component.set("bitmap", "IconOverride", icon)
        component.set("boolean", "UsingLibraryInputParam", False)
        component.set("boolean", "UsingScriptInputParam", False)
        component.set("boolean", "UsingStandardOutputParam", False)
        component.set("boolean", "MarshalGuids", bool(options.get("marshalOutGuids", True)))
        _parameters(kind, component, metadata)
        script = component.child("Script")
        script.set("string", "Text", base64.b64encode(code.encode("utf-8")).decode("ascii"))
        script.set("string", "Title", metadata["nickname"])
        language = script.child("LanguageSpec")
        language.set("string", "Taxon", "*.*.python")
        language.set("string", "Version", "3.-1")  # what Rhino 8 writes for "any CPython 3"
    root.set("chunk", "Object", component)
    return root
