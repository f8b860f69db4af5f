"""The component folders satisfy the COMPAS componentizer's rules (Python 2.7 safe).

The componentizer (compas-dev/compas-actions.ghpython_components) needs
GH_IO.dll and cannot run here; these are the checks it makes before
building, plus what Grasshopper needs to load the result: every folder holds
code.py, metadata.json and icon.png; required metadata keys; exposure in the
accepted set; a fixed, parseable, unique instanceGuid; known type hints,
access and wire-display values; RunScript parameters in metadata order; the
icon a real 24x24 PNG.
"""
from __future__ import absolute_import

import ast
import json
import os
import struct
import uuid
import zlib

import pytest

from gh_harness import COMPONENTS

EXPOSURES = set([-1, 2, 4, 8, 16, 32, 64, 128])
ACCESS = set(["item", "list", "tree", 0, 1, 2])
WIRE_DISPLAY = set(["default", "faint", "hidden", 0, 1, 2])
TYPE_HINTS = set(
    "none ghdoc float bool int complex str datetime guid color point vector plane interval uvinterval box "
    "transform line circle arc polyline rectangle curve mesh surface subd brep geometrybase".split()
)

FOLDERS = sorted(name for name in os.listdir(COMPONENTS) if os.path.isdir(os.path.join(COMPONENTS, name)))


def metadata(name):
    with open(os.path.join(COMPONENTS, name, "metadata.json")) as handle:
        return json.load(handle)


def test_the_components_the_issue_asks_for_exist():
    assert set(["Cloud_Proxy", "Cloud_Call", "Cloud_Cache", "Cloud_Get", "Cloud_Free", "Cloud_Server"]) <= set(FOLDERS)


@pytest.mark.parametrize("name", FOLDERS)
def test_folder_is_a_source_bundle(name):
    assert name.startswith("Cloud_")
    for required in ("code.py", "metadata.json", "icon.png"):
        assert os.path.isfile(os.path.join(COMPONENTS, name, required)), required


@pytest.mark.parametrize("name", FOLDERS)
def test_metadata_follows_the_componentizer_rules(name):
    data = metadata(name)
    for key in ("name", "nickname", "category", "subcategory", "description", "instanceGuid", "ghpython"):
        assert data.get(key), key
    assert data.get("exposure", 2) in EXPOSURES
    assert str(uuid.UUID(data["instanceGuid"])) == data["instanceGuid"].lower()
    ghpython = data["ghpython"]
    assert ghpython["isAdvancedMode"] is True
    assert ghpython.get("iconDisplay", 0) in (0, 1, 2)
    names = []
    for param in ghpython["inputParameters"]:
        assert param["name"] and param["description"]
        assert param.get("typeHintID", "ghdoc") in TYPE_HINTS
        assert param.get("scriptParamAccess", "item") in ACCESS
        assert param.get("wireDisplay", "default") in WIRE_DISPLAY
        assert not (param.get("flatten") and param.get("graft"))
        names.append(param["name"])
    assert len(set(names)) == len(names)
    outputs = [param["name"] for param in ghpython["outputParameters"]]
    assert outputs and len(set(outputs)) == len(outputs)
    assert not set(outputs) & set(names)


def test_instance_guids_are_unique():
    guids = [metadata(name)["instanceGuid"].lower() for name in FOLDERS]
    assert len(set(guids)) == len(guids)


@pytest.mark.parametrize("name", FOLDERS)
def test_code_defines_one_component_with_runscript_in_metadata_order(name):
    with open(os.path.join(COMPONENTS, name, "code.py")) as handle:
        tree = ast.parse(handle.read())
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    assert len(classes) == 1
    assert [getattr(base, "id", None) for base in classes[0].bases] == ["component"]
    methods = dict((node.name, node) for node in classes[0].body if isinstance(node, ast.FunctionDef))
    arguments = methods["RunScript"].args.args
    argument_names = [getattr(arg, "arg", getattr(arg, "id", None)) for arg in arguments]
    expected = ["self"] + [param["name"] for param in metadata(name)["ghpython"]["inputParameters"]]
    assert argument_names == expected
    assert ast.get_docstring(tree)  # shown as the component's help


def read_png(path):
    """Decode a PNG's header and pixels (8-bit RGBA or RGB, filter types 0-4); return (width, height, rows)."""
    with open(path, "rb") as handle:
        data = handle.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks = 8, []
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length:position + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, "bad CRC in " + repr(kind)
        chunks.append((kind, body))
        position += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert depth == 8 and color in (2, 6) and interlace == 0
    channels = 4 if color == 6 else 3
    raw = bytearray(zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT")))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + predictor) & 0xFF
            else:
                assert kind == 0, "unknown filter"
        rows.append([tuple(line[x * channels:(x + 1) * channels]) for x in range(width)])
        previous = line
    return width, height, rows


@pytest.mark.parametrize("name", FOLDERS)
def test_icon_is_a_24x24_png_with_a_drawing(name):
    width, height, rows = read_png(os.path.join(COMPONENTS, name, "icon.png"))
    assert (width, height) == (24, 24)
    pixels = [pixel for row in rows for pixel in row]
    opaque = [pixel for pixel in pixels if len(pixel) == 3 or pixel[3] > 128]
    assert 24 * 24 * 0.15 < len(opaque) < 24 * 24 * 0.95  # something drawn, on a transparent ground
    assert len(set(pixel[:3] for pixel in opaque)) >= 3  # more than a flat blob


def test_icons_differ():
    drawings = set()
    for name in FOLDERS:
        with open(os.path.join(COMPONENTS, name, "icon.png"), "rb") as handle:
            drawings.add(handle.read())
    assert len(drawings) == len(FOLDERS)
