"""Build the ``Cloud_*.ghuser`` files on a user's machine, with the GH_IO assembly of the Rhino installed there.

A ``.ghuser`` file is a GH_IO archive: a chunk ``UserObject`` naming the
component type it instantiates (``BaseID``), its name, category, icon and
instance id, and the serialized script component itself (``Object``: its code,
options and parameters). Only Grasshopper's own ``GH_IO.dll`` writes that
format, so this module does it in two halves:

* :func:`userobject_layout` turns one component folder (``code.py``,
  ``metadata.json``, ``icon.png``) into a plain-Python :class:`Chunk` tree: what
  goes where, with which type. Pure Python, so tests check it everywhere.
* :func:`write_userobject` replays such a tree through ``GH_IO``'s
  ``GH_LooseChunk`` (pythonnet, or IronPython's ``clr``) and writes the file.

Two layouts, one per component set:

* ``"ironpython"``: the GhPython script component of Rhino 6/7 (IronPython 2.7),
  code in ``CodeInput``;
* ``"cpython"``: Rhino 8's script component, running CPython 3 (code as
  base64 text in a ``Script`` chunk with its language).

:func:`build_userobjects` finds ``GH_IO.dll`` (:func:`find_gh_io`), loads it,
builds a whole set into a folder and reads every file back through GH_IO
(:func:`verify_userobject`) before calling it built; every reason it cannot is a
:class:`UserObjectBuildError` that says what is missing and what to do.
Python 2.7 and IronPython safe; .NET is imported only when building.
"""
from __future__ import absolute_import

import base64
import glob
import hashlib
import io
import json
import os
import sys
import uuid

GH_IO_NAME = "GH_IO.dll"

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


# -- finding and loading GH_IO -------------------------------------------------------------------


def _major(version):
    return str(version).split(".")[0]


def rhino_installations(version, environ=None, platform=None):
    """Return ``[(installation folder, where its GH_IO.dll usually is)]`` for Rhino ``version`` on this system.

    Windows: ``%ProgramFiles%\\Rhino 7`` (``Plug-ins\\Grasshopper\\GH_IO.dll``); macOS: ``/Applications/Rhino 7.app``
    and ``~/Applications/Rhino 7.app`` (inside ``GrasshopperPlugin.rhp``). None of them need exist.
    """
    environ = os.environ if environ is None else environ
    platform = platform or sys.platform
    major = _major(version)
    found = []
    if platform.startswith("win"):
        for variable in ("ProgramW6432", "ProgramFiles"):
            root = environ.get(variable)
            if root:
                folder = os.path.join(root, "Rhino " + major)
                entry = (folder, os.path.join(folder, "Plug-ins", "Grasshopper", GH_IO_NAME))
                if entry not in found:
                    found.append(entry)
    elif platform == "darwin":
        for applications in ("/Applications", os.path.join(os.path.expanduser("~"), "Applications")):
            folder = os.path.join(applications, "Rhino {0}.app".format(major))
            found.append((folder, os.path.join(folder, "Contents", "Frameworks", "RhCore.framework", "Versions", "A",
                                               "Resources", "ManagedPlugIns", "GrasshopperPlugin.rhp", GH_IO_NAME)))
    return found


def gh_io_candidates(version, environ=None, platform=None):
    """Return where the Rhino ``version`` installation keeps ``GH_IO.dll`` on this system (paths, may not exist)."""
    return [path for _, path in rhino_installations(version, environ, platform)]


def _search(folder):
    # A Rhino installation (or any folder) given by the user: the shallowest GH_IO.dll under it.
    found = []
    for directory, subfolders, names in os.walk(folder):
        subfolders.sort()
        for name in names:
            if name.lower() == GH_IO_NAME.lower():
                found.append(os.path.join(directory, name))
    found.sort(key=lambda path: (path.count(os.sep), path))
    return found[0] if found else None


def find_gh_io(version, gh_io=None, environ=None, platform=None):
    """Return the path of ``GH_IO.dll`` to build with, or raise UserObjectBuildError naming where it looked.

    Parameters
    ----------
    version : str
        The Rhino version (``"7.0"``): its installation is searched.
    gh_io : str, optional
        ``GH_IO.dll`` itself, or a folder to search (a Rhino installation such as
        ``C:\\Program Files\\Rhino 7`` or ``/Applications/Rhino 7.app``). Default:
        ``$COMPAS_CLOUD_GH_IO``, else the standard installation folders.
    """
    environ = os.environ if environ is None else environ
    given = gh_io or environ.get("COMPAS_CLOUD_GH_IO")
    if given:
        if os.path.isfile(given):
            return os.path.abspath(given)
        if os.path.isdir(given):
            found = _search(given)
            if found:
                return found
        raise UserObjectBuildError("no {0} at {1}: give the file itself or the Rhino installation holding it".format(
            GH_IO_NAME, given))
    installations = rhino_installations(version, environ, platform)
    candidates = [path for _, path in installations]
    for path in candidates:
        if os.path.isfile(path):
            return path
    for folder, _ in installations:  # an installation laid out otherwise (another Rhino release): search it
        if os.path.isdir(folder):
            found = _search(folder)
            if found:
                return found
    where = ", ".join(candidates) if candidates else "nowhere on this system (Rhino runs on Windows and macOS)"
    raise UserObjectBuildError("no Rhino {0} installation with {1} found (looked in {2}); pass --gh-io with the "
                               "Rhino installation folder or the file".format(_major(version), GH_IO_NAME, where))


def load_gh_io(path):
    """Load ``GH_IO.dll`` into .NET and return its ``GH_LooseChunk`` class."""
    if sys.platform != "win32" and "PYTHONNET_RUNTIME" not in os.environ:
        os.environ["PYTHONNET_RUNTIME"] = "mono"  # the .NET Framework assemblies of Rhino load on Mono
    try:
        import clr
    except ImportError as error:
        raise UserObjectBuildError(
            "building user objects needs pythonnet in {0} ({1}): {0} -m pip install \"compas_cloud[dotnet]\"".format(
                sys.executable, error))
    except Exception as error:  # pythonnet present, but no .NET runtime it can start
        raise UserObjectBuildError("pythonnet could not start a .NET runtime ({0}: {1}){2}".format(
            type(error).__name__, error, "" if sys.platform == "win32" else ": install Mono"))
    try:
        clr.AddReference(os.path.abspath(path))
        from GH_IO.Serialization import GH_LooseChunk
    except Exception as error:
        raise UserObjectBuildError("{0} could not be loaded as Grasshopper's GH_IO assembly ({1}: {2})".format(
            path, type(error).__name__, str(error).splitlines()[0] if str(error) else ""))
    return GH_LooseChunk


def _bitmap(png):
    try:
        import System.Drawing
        import System.IO
        return System.Drawing.Bitmap(System.IO.MemoryStream(_net_bytes(png)))
    except Exception:
        return None  # no drawing library (Mono without libgdiplus): the root chunk's Icon still holds the PNG


def _net_bytes(data):
    import System
    return System.Convert.FromBase64String(base64.b64encode(data).decode("ascii"))


def _apply(chunk, target):
    import System
    for kind, key, index, value in chunk.items:
        extra = () if index is None else (index,)
        if kind == "guid":
            target.SetGuid(key, *(extra + (System.Guid.Parse(value),)))
        elif kind == "string":
            target.SetString(key, *(extra + (value,)))
        elif kind == "int32":
            target.SetInt32(key, *(extra + (int(value),)))
        elif kind == "boolean":
            target.SetBoolean(key, *(extra + (bool(value),)))
        elif kind == "bytes":
            target.SetByteArray(key, *(extra + (_net_bytes(value),)))
        elif kind == "bitmap":
            bitmap = _bitmap(value)
            if bitmap is not None:
                target.SetDrawingBitmap(key, *(extra + (bitmap,)))
        elif kind == "chunk":
            target.SetByteArray(key, *(extra + (_serialize(value),)))
        else:
            raise ValueError("unknown item kind {0!r}".format(kind))
    for name, index, child in chunk.chunks:
        _apply(child, target.CreateChunk(name) if index is None else target.CreateChunk(name, index))


_LOOSE_CHUNK = []


def _serialize(chunk):
    loose = _LOOSE_CHUNK[0](chunk.name)
    _apply(chunk, loose)
    return loose.Serialize_Binary()


def write_userobject(chunk, target, loose_chunk):
    """Write the :class:`Chunk` tree ``chunk`` as a ``.ghuser`` file with GH_IO's ``GH_LooseChunk`` class."""
    import System.IO
    _LOOSE_CHUNK[:] = [loose_chunk]
    System.IO.File.WriteAllBytes(target, _serialize(chunk))
    return target


def _read_chunk(loose_chunk, data):
    chunk = loose_chunk("UserObject")
    if chunk.Deserialize_Binary(data) is False:  # (a bool in the GH_IO versions that return one)
        raise ValueError("GH_IO could not read the chunk back")
    return chunk


def _compare(layout, chunk, loose_chunk, where):
    differences = []
    for kind, key, index, value in layout.items:
        extra = () if index is None else (index,)
        label = "{0}/{1}{2}".format(where, key, "" if index is None else "[{0}]".format(index))
        if kind == "bitmap":
            continue  # drawn by .NET (or left out without a drawing library): only its presence varies
        if not chunk.ItemExists(key, *extra):
            differences.append(label + " is missing")
            continue
        if kind == "guid":
            found, expected = str(chunk.GetGuid(key, *extra)).lower(), value.lower()
        elif kind == "string":
            found, expected = chunk.GetString(key, *extra), value
        elif kind == "int32":
            found, expected = int(chunk.GetInt32(key, *extra)), int(value)
        elif kind == "boolean":
            found, expected = bool(chunk.GetBoolean(key, *extra)), bool(value)
        elif kind == "bytes":
            found, expected = bytes(bytearray(chunk.GetByteArray(key, *extra))), bytes(bytearray(value))
        else:  # "chunk"
            inner = _read_chunk(loose_chunk, chunk.GetByteArray(key, *extra))
            differences.extend(_compare(value, inner, loose_chunk, label))
            continue
        if found != expected:
            differences.append("{0} is {1!r}, expected {2!r}".format(label, found, expected))
    for name, index, child in layout.chunks:
        found = chunk.FindChunk(name) if index is None else chunk.FindChunk(name, index)
        label = "{0}/{1}{2}".format(where, name, "" if index is None else "[{0}]".format(index))
        if found is None:
            differences.append(label + " (chunk) is missing")
        else:
            differences.extend(_compare(child, found, loose_chunk, label))
    return differences


def verify_userobject(path, layout, loose_chunk):
    """Read the ``.ghuser`` file at ``path`` back with GH_IO; return how it differs from ``layout`` (empty: not at all)."""
    import System.IO
    try:
        chunk = _read_chunk(loose_chunk, System.IO.File.ReadAllBytes(path))
        return _compare(layout, chunk, loose_chunk, os.path.basename(path))
    except Exception as error:
        return ["{0} cannot be read back ({1}: {2})".format(os.path.basename(path), type(error).__name__, error)]


def component_folders(source):
    """Return the ``Cloud_*`` component folders under ``source``, sorted."""
    return sorted(path for path in glob.glob(os.path.join(source, "Cloud_*")) if os.path.isdir(path))


def build_userobjects(source, target, kind, version, gh_io=None):
    """Build one component set into ``target``; return the written ``.ghuser`` files.

    Parameters
    ----------
    source : str
        The set's source folder (``ghpython/components`` or ``ghpython/components_cpython``).
    target : str
        The folder to write into (created).
    kind : str
        ``"ironpython"`` or ``"cpython"``.
    version : str
        The Rhino version whose ``GH_IO.dll`` is used (see :func:`find_gh_io`).
    gh_io : str, optional
        ``GH_IO.dll`` or a folder holding it.

    Raises
    ------
    UserObjectBuildError
        When the sources, ``GH_IO.dll``, pythonnet or .NET are missing, or GH_IO fails.
    """
    folders = component_folders(source) if source else []
    if not folders:
        raise UserObjectBuildError("no component sources (Cloud_*/code.py) in {0}".format(source))
    layouts = [(os.path.basename(folder), userobject_layout(folder, kind)) for folder in folders]
    loose_chunk = load_gh_io(find_gh_io(version, gh_io))
    if not os.path.isdir(target):
        os.makedirs(target)
    written = []
    for name, layout in layouts:
        path = os.path.join(target, name + ".ghuser")
        try:
            write_userobject(layout, path, loose_chunk)
        except Exception as error:
            raise UserObjectBuildError("GH_IO could not write {0} ({1}: {2})".format(path, type(error).__name__, error))
        differences = verify_userobject(path, layout, loose_chunk)
        if differences:
            raise UserObjectBuildError("{0} reads back differently from what was written: {1}".format(
                path, "; ".join(differences[:5])))
        written.append(path)
    return written
