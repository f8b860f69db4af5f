"""Rhino geometry in, Rhino geometry out, where that is natural.

Inputs: Rhino points, vectors, planes, lines, polylines, transforms and meshes
become COMPAS objects when ``compas_rhino`` is importable (inside Rhino), and
plain lists/dicts otherwise (``[x, y, z]``, ``{"vertices": ..., "faces": ...}``).
.NET lists become Python lists, .NET dictionaries (``IDictionary``) dicts,
``Guid`` its text and ``DateTime`` (or Python's) ISO 8601 text. COMPAS objects
pass unchanged. Anything else (a Brep, a curve, any .NET object without a
conversion) is an :class:`~compas_cloud.errors.UnsupportedInput` naming the
input, its type and what is supported.

Outputs: COMPAS geometry coming back from the server becomes Rhino geometry
when ``compas_rhino`` is importable; nested lists become a Grasshopper data
tree when ``ghpythonlib.treehelpers`` is importable.

Rhino is recognised by class name, so this module imports neither Rhino
nor compas until it meets one of their objects.
"""
from __future__ import absolute_import

from compas_cloud._compat import integer_types, string_types
from compas_cloud.errors import UnsupportedInput
from compas_cloud.protocol.reference import Reference, is_reference

#: What an input may hold, for the error message of an unsupported one.
SUPPORTED = ("numbers, text, booleans, lists, dicts (also .NET lists and dictionaries), references, COMPAS "
             "objects, Guid, DateTime, and Rhino points, vectors, planes, lines, polylines, meshes and transforms")

_SCALARS = (bool, float, type(None)) + integer_types + string_types

# Rhino class name -> compas_rhino.conversions function that turns it into COMPAS.
_TO_COMPAS = {
    "Point3d": "point_to_compas",
    "Point3f": "point_to_compas",
    "Vector3d": "vector_to_compas",
    "Vector3f": "vector_to_compas",
    "Plane": "plane_to_compas_frame",
    "Line": "line_to_compas",
    "Polyline": "polyline_to_compas",
    "Mesh": "mesh_to_compas",
    "Transform": "transformation_to_compas",
}

# COMPAS class name -> compas_rhino.conversions function that turns it into Rhino.
_TO_RHINO = {
    "Point": "point_to_rhino",
    "Vector": "vector_to_rhino",
    "Frame": "frame_to_rhino_plane",
    "Plane": "plane_to_rhino",
    "Line": "line_to_rhino",
    "Polyline": "polyline_to_rhino",
    "Mesh": "mesh_to_rhino",
    "Transformation": "transformation_to_rhino",
    "Translation": "transformation_to_rhino",
    "Rotation": "transformation_to_rhino",
    "Scale": "transformation_to_rhino",
}


def _rhino_conversions():
    try:
        import Rhino  # noqa: F401  (compas_rhino.conversions needs the real Rhino)
        from compas_rhino import conversions
    except Exception:
        return None
    return conversions


def _xyz(value):
    return [float(value.X), float(value.Y), float(value.Z)]


def _plain_rhino(value, name):
    """Plain-Python form of a Rhino object, or None when ``value`` is not one we know."""
    if name in ("Point3d", "Point3f", "Vector3d", "Vector3f"):
        return _xyz(value)
    if name == "Point" and hasattr(value, "Location"):
        return _xyz(value.Location)
    if name == "Line":
        return [_xyz(value.From), _xyz(value.To)]
    if name == "Plane":
        return [_xyz(value.Origin), _xyz(value.XAxis), _xyz(value.YAxis)]
    if name == "Polyline":
        return [_xyz(point) for point in value]
    if name == "Transform":
        return [[float(value[i, j]) for j in range(4)] for i in range(4)]
    if name == "Mesh" and hasattr(value, "Vertices") and hasattr(value, "Faces"):
        vertices = [_xyz(vertex) for vertex in value.Vertices]
        faces = []
        for face in value.Faces:
            corners = [face.A, face.B, face.C] if face.IsTriangle else [face.A, face.B, face.C, face.D]
            faces.append([int(index) for index in corners])
        return {"vertices": vertices, "faces": faces}
    return None


def type_name(value):
    """Return the full name of ``value``'s type: the .NET one (``Rhino.Geometry.Brep``) when it has one."""
    try:
        return str(value.GetType().FullName)
    except Exception:
        cls = type(value)
        module = getattr(cls, "__module__", None)
        return cls.__name__ if module in (None, "builtins", "__builtin__") else "{0}.{1}".format(module, cls.__name__)


def is_dotnet_dictionary(value):
    """Return True for a .NET ``IDictionary`` (recognised by its members)."""
    return hasattr(value, "Keys") and hasattr(value, "ContainsKey") and hasattr(value, "Count")


def _is_compas_data(value):
    return hasattr(value, "__data__") or hasattr(value, "__jsondump__") or hasattr(value, "to_data")


def to_wire(value, where="input"):
    """Return ``value`` in a form the server can receive.

    Parameters
    ----------
    value : object
        A Grasshopper input: numbers, text, lists, dicts, Rhino geometry, .NET
        lists and dictionaries, ``Guid``, ``DateTime``, COMPAS objects.
    where : str, optional
        The input it came from, for the error message (``"input 'args'"``).

    Returns
    -------
    object

    Raises
    ------
    UnsupportedInput
        ``value`` (or something inside it) cannot be sent.
    """
    if isinstance(value, _SCALARS):
        return value
    if is_reference(value):
        return Reference(value["cached"])
    if isinstance(value, dict):
        return dict((key, to_wire(item, where)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [to_wire(item, where) for item in value]
    name = type(value).__name__
    if name == "Guid":
        return str(value)
    if name == "DateTime":
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return str(value.ToString("o"))
    if name in ("date", "datetime") and hasattr(value, "isoformat"):
        return value.isoformat()
    if name in _TO_COMPAS:
        conversions = _rhino_conversions()
        if conversions is not None:
            try:
                return getattr(conversions, _TO_COMPAS[name])(value)
            except Exception:
                pass
    plain = _plain_rhino(value, name)
    if plain is not None:
        return plain
    if _is_compas_data(value) or hasattr(value, "tolist"):  # COMPAS objects and numpy values: the codec knows them
        return value
    if is_dotnet_dictionary(value):
        return dict((_key(key, where), to_wire(value[key], where)) for key in value.Keys)
    if hasattr(value, "GetEnumerator"):
        return [to_wire(item, where) for item in value]
    raise UnsupportedInput(
        "{0} holds a {1} ({2}), which cannot be sent to the server. Supported: {3}".format(
            where, name, type_name(value), SUPPORTED))


def _key(key, where):
    key = to_wire(key, where)
    if not isinstance(key, string_types):
        key = str(key)
    return key


def from_wire(value):
    """Return a result from the server in the form Grasshopper shows best.

    COMPAS geometry becomes Rhino geometry when ``compas_rhino`` is importable;
    everything else is returned unchanged.
    """
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, list):
        return [from_wire(item) for item in value]
    if isinstance(value, dict):
        return value
    name = type(value).__name__
    if name in _TO_RHINO and hasattr(value, "__jsondump__"):
        conversions = _rhino_conversions()
        if conversions is not None:
            try:
                return getattr(conversions, _TO_RHINO[name])(value)
            except Exception:
                pass
    return value


def to_output(value):
    """Return ``value`` ready for a Grasshopper output: nested lists become a data tree when possible."""
    value = from_wire(value)
    if isinstance(value, list) and value and all(isinstance(item, list) for item in value):
        try:
            from ghpythonlib import treehelpers
        except ImportError:
            return value
        return treehelpers.list_to_tree(value)
    return value


def arguments_from_input(value):
    """Return the positional arguments given to a component's tree-access ``args`` input.

    Each branch of a Grasshopper data tree is one argument: a branch with one
    item is that item, a branch with several items is a list. A Python list
    (from a script) is one argument per item; None is no argument.
    """
    if value is None:
        return []
    if hasattr(value, "BranchCount"):
        arguments = []
        for index in range(value.BranchCount):
            branch = list(value.Branch(index))
            arguments.append(branch[0] if len(branch) == 1 else branch)
        return arguments
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def keywords_from_input(value):
    """Return the keyword arguments given to a component's ``kwargs`` input.

    Accepts a dict, JSON text of an object, or None.

    Raises
    ------
    ValueError
        The input is neither.
    """
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, string_types):
        import json

        try:
            decoded = json.loads(value)
        except ValueError:
            raise ValueError("kwargs is not valid JSON: {0!r}".format(value))
        if isinstance(decoded, dict):
            return decoded
    raise ValueError("kwargs must be a dict or JSON text of an object, got {0}".format(type(value).__name__))
