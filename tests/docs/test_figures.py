"""The drawn figures of the docs site still show the code as it is.

tools/draw_docs_figures.py records in each PNG what it drew (a text chunk): the Grasshopper components'
inputs and outputs, the packages and modules of the architecture figure. Here those records are read
back (plain PNG chunks, no imaging library needed) and compared with the code today: a component whose
inputs changed, or a module that moved, fails until the figure is drawn again
(``.venv/bin/python tools/draw_docs_figures.py architecture.png components_canvas.png``).
"""
import io
import json
import os
import struct
import zlib

from helpers import ROOT

ASSETS = os.path.join(ROOT, "docs", "assets")


def png_texts(path):
    """The tEXt/zTXt/iTXt chunks of a PNG file, as a dict."""
    texts = {}
    with io.open(path, "rb") as handle:
        data = handle.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    offset = 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        offset += 12 + length
        if kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            texts[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"zTXt":
            key, _, value = body.partition(b"\0")
            texts[key.decode("latin-1")] = zlib.decompress(value[1:]).decode("latin-1")
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\0")
            compressed, rest = rest[0], rest[2:]
            rest = rest.split(b"\0", 2)[2]
            texts[key.decode("latin-1")] = (zlib.decompress(rest) if compressed else rest).decode("utf-8")
    return texts


def metadata_ports(name):
    with io.open(os.path.join(ROOT, "ghpython", "components", "Cloud_" + name, "metadata.json"), encoding="utf-8") as handle:
        meta = json.load(handle)["ghpython"]
    return [[p["name"] for p in meta["inputParameters"]], [p["name"] for p in meta["outputParameters"]]]


def test_the_canvas_shows_the_components_inputs_and_outputs_of_today():
    shown = json.loads(png_texts(os.path.join(ASSETS, "components_canvas.png"))["compas_cloud-component-ports"])
    assert {"Proxy", "Call", "Cache", "Get", "Server"} <= set(shown)
    stale = [name for name, drawn in sorted(shown.items()) if drawn != metadata_ports(name)]
    assert not stale, "components_canvas.png shows old inputs/outputs of %s: draw it again" % ", ".join(stale)


def test_the_architecture_names_modules_that_exist():
    shown = json.loads(png_texts(os.path.join(ASSETS, "architecture.png"))["compas_cloud-modules"])
    assert "compas_cloud/server" in shown and "compas_cloud/client" in shown
    missing = [path for path in shown if not os.path.exists(os.path.join(ROOT, path))]
    assert not missing, "architecture.png names what is gone: %s: draw it again" % ", ".join(missing)


def test_every_figure_a_page_shows_is_in_the_repository():
    # mkdocs --strict checks the links; this checks the pictures the issue asks for are among them.
    for name in ("assets/architecture.png", "assets/components_canvas.png", "images/dashboard.png", "benchmark.png"):
        assert os.path.isfile(os.path.join(ROOT, "docs", name)), name
