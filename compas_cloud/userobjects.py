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
The layout lives in :mod:`compas_cloud.userobject_layout`, finding and loading
GH_IO in :mod:`compas_cloud.gh_io`; this module writes, verifies and builds (and
offers their names too). Python 2.7 and IronPython safe; .NET is imported only
when building.
"""
from __future__ import absolute_import

import base64
import glob
import os

from compas_cloud.gh_io import (  # noqa: F401
    GH_IO_NAME, _major, _search, find_gh_io, gh_io_candidates, load_gh_io, rhino_installations,
)
from compas_cloud.userobject_layout import (  # noqa: F401
    ACCESS, BASE_IDS, KINDS, PARAMETER_IDS, TYPE_HINTS, Chunk, UserObjectBuildError, _parameters, _stable_guid,
    _type_hint, read_component, userobject_layout,
)


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
