"""Draw the documentation's figures: the packages, the components on a canvas, a typed Cloud Function, a shared model.

    .venv/bin/python -m pip install pillow
    .venv/bin/python tools/draw_docs_figures.py                    # the PNG files of docs/assets/ named in FIGURES
    .venv/bin/python tools/draw_docs_figures.py architecture.png   # only the ones named

Drawn figures, not screenshots: Grasshopper does not run here. Uses the DejaVu fonts when present.
The components on the packages' canvas take their inputs and outputs from ghpython/components/*/metadata.json,
and a figure records what it shows in a PNG text chunk (the component ports, the package names), which
tests/docs/test_figures.py compares with the code: a figure drawn before the code changed fails there.
"""
import json
import os
import sys

from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASSETS = os.path.join(ROOT, "docs", "assets")
COMPONENTS = os.path.join(ROOT, "ghpython", "components")

#: The PNG text keys of what a figure shows (read back by tests/docs/test_figures.py).
PORTS_KEY = "compas_cloud-component-ports"
MODULES_KEY = "compas_cloud-modules"

INK = (40, 44, 52)
GREY = (120, 126, 136)
BLUE = (222, 235, 250)
GREEN = (226, 242, 226)
ORANGE = (252, 236, 214)
CANVAS = (214, 217, 222)
COMPONENT = (238, 238, 238)
WIRE = (70, 70, 70)


def font(size, bold=False):
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in ("/usr/share/fonts/truetype/dejavu", "/Library/Fonts", "C:/Windows/Fonts"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def save(image, path, **shown):
    """Write ``image`` to ``path`` with what it shows (``key=json-able value``) as PNG text chunks."""
    info = PngInfo()
    for key, value in sorted(shown.items()):
        info.add_text(key, json.dumps(value, sort_keys=True))
    image.save(path, optimize=True, pnginfo=info)


def ports(name):
    """The input and output names of the GhPython component ``Cloud_<name>``, from its metadata.json."""
    with open(os.path.join(COMPONENTS, "Cloud_" + name, "metadata.json")) as handle:
        meta = json.load(handle)["ghpython"]
    return [p["name"] for p in meta["inputParameters"]], [p["name"] for p in meta["outputParameters"]]


def box(draw, xy, fill, title, lines=(), radius=10):
    draw.rounded_rectangle(xy, radius=radius, fill=fill, outline=INK, width=2)
    x0, y0, x1, _ = xy
    draw.text(((x0 + x1) / 2, y0 + 10), title, fill=INK, font=font(17, True), anchor="mt")
    for i, line in enumerate(lines):
        draw.text(((x0 + x1) / 2, y0 + 38 + 20 * i), line, fill=INK, font=font(13), anchor="mt")


def arrow(draw, start, end, label=None, both=False):
    draw.line([start, end], fill=INK, width=2)
    for tip, tail in ((end, start),) + (((start, end),) if both else ()):
        dx, dy = tip[0] - tail[0], tip[1] - tail[1]
        length = max((dx * dx + dy * dy) ** 0.5, 1)
        ux, uy = dx / length, dy / length
        left = (tip[0] - 12 * ux + 6 * uy, tip[1] - 12 * uy - 6 * ux)
        right = (tip[0] - 12 * ux - 6 * uy, tip[1] - 12 * uy + 6 * ux)
        draw.polygon([tip, left, right], fill=INK)
    if label:
        mid = ((start[0] + end[0]) / 2 + 8, (start[1] + end[1]) / 2)
        draw.text(mid, label, fill=GREY, font=font(13), anchor="lm")


#: The packages and modules the architecture figure names (paths in the repository).
ARCHITECTURE_PATHS = [
    "compas_cloud/client", "compas_cloud/client/proxy.py", "compas_cloud/client/calling.py",
    "compas_cloud/client/handshake.py", "compas_cloud/client/remote.py", "compas_cloud/client/server_requests.py",
    "compas_cloud/client/local_server.py", "compas_cloud/client/launcher.py", "compas_cloud/client/interpreter.py",
    "compas_cloud/client/connection.py", "compas_cloud/client/transports", "compas_cloud/client/future.py",
    "compas_cloud/client/batch.py", "compas_cloud/client/callbacks.py", "compas_cloud/client/servers.py",
    "compas_cloud/ghpython", "ghpython", "rhino_plugin", "docs/protocol.md", "examples/js", "examples/browser",
    "compas_cloud/protocol", "compas_cloud/protocol/messages.py", "compas_cloud/protocol/codec.py",
    "compas_cloud/protocol/arrays.py", "compas_cloud/protocol/reference.py", "compas_cloud/protocol/address.py",
    "compas_cloud/protocol/walk.py", "compas_cloud/protocol/conversation.py",
    "compas_cloud/protocol/conversation_server.py",
    "compas_cloud/server", "compas_cloud/server/cli.py", "compas_cloud/server/app.py", "compas_cloud/server/http.py",
    "compas_cloud/server/metrics.py", "compas_cloud/server/dashboard", "compas_cloud/server/session.py",
    "compas_cloud/server/ops.py", "compas_cloud/server/calls.py", "compas_cloud/server/extra_ops.py",
    "compas_cloud/server/batch", "compas_cloud/server/context.py", "compas_cloud/server/callbacks.py",
    "compas_cloud/server/progress.py", "compas_cloud/server/output.py", "compas_cloud/server/gate.py",
    "compas_cloud/server/security.py", "compas_cloud/server/risky.py", "compas_cloud/server/store.py",
    "compas_cloud/server/shared.py", "compas_cloud/server/result_cache.py", "compas_cloud/server/memory.py",
    "compas_cloud/server/executors",
]


def architecture(path):
    image = Image.new("RGB", (1100, 715), "white")
    draw = ImageDraw.Draw(image)
    draw.text((550, 18), "compas_cloud: the packages", fill=INK, font=font(22, True), anchor="mt")
    hosts = [
        ("Rhino 7", ["GhPython, IronPython 2.7"]),
        ("Rhino 8", ["CPython 3.9, # r:"]),
        ("Revit / Dynamo", ["pyRevit, Python node"]),
        ("Python 2.7 / 3", ["scripts, notebooks"]),
        ("Node.js / browser", ["any websocket client"]),
    ]
    for i, (title, lines) in enumerate(hosts):
        x = 20 + i * 216
        box(draw, (x, 60, x + 200, 130), ORANGE, title, lines)
    box(draw, (20, 180, 560, 340), BLUE, "compas_cloud.client  (Python 2.7, IronPython, 3)",
        ["proxy.py: Proxy = calling.py (the calls) + handshake.py",
         "remote.py: RemoteFunction; server_requests.py: describe, share, ...",
         "local_server.py, launcher.py, interpreter.py: launch a local server",
         "connection.py, transports/: websocket-client, .NET ClientWebSocket",
         "future.py, batch.py, callbacks.py; servers.py: several servers"])
    box(draw, (580, 180, 820, 340), BLUE, "Grasshopper, Rhino",
        ["ghpython/: Cloud_* components", "rhino_plugin/: CloudStart, ...", "compas_cloud/ghpython:",
         "what they run"])
    box(draw, (840, 180, 1080, 340), ORANGE, "other-language clients",
        ["JSON messages", "(docs/protocol.md)", "examples/js,", "examples/browser"])
    box(draw, (20, 370, 1080, 460), GREEN, "compas_cloud.protocol  (no I/O: shared by client and server)",
        ["messages, codec, arrays (binary), reference, address, walk",
         "conversation (the client's half) and conversation_server (the server's half)"])
    box(draw, (20, 510, 740, 700), BLUE, "compas_cloud.server  (CPython >= 3.9, websockets)",
        ["cli.py, app.py: the process, connections, worker pool, shutdown",
         "http.py, metrics.py, dashboard/: /healthz, /metrics, the status page",
         "session.py: one connection; ops.py: one handler per operation",
         "calls.py, extra_ops.py, batch/: the operations",
         "context.py, callbacks.py, progress.py, output.py: what a function sees",
         "gate.py, security.py, risky.py: who may connect, what may be called",
         "store.py, shared.py, result_cache.py, memory.py: what is kept"])
    box(draw, (780, 510, 1080, 700), GREEN, "executors/",
        ["worker processes:", "a local pool or a Dask cluster", "batch tasks, offloaded calls", "",
         "your functions:", "numpy, scipy, compas, ..."])
    for i in range(4):
        arrow(draw, (120 + i * 216, 130), (290, 180))
    arrow(draw, (20 + 4 * 216 + 100, 130), (960, 180))
    arrow(draw, (580, 260), (560, 260))
    arrow(draw, (290, 340), (290, 370), both=True)
    arrow(draw, (960, 340), (960, 370), both=True)
    arrow(draw, (380, 460), (380, 510), "websocket (127.0.0.1:9009 by default)", both=True)
    arrow(draw, (740, 605), (780, 605), both=True)
    save(image, path, **{MODULES_KEY: ARCHITECTURE_PATHS})


def component(draw, x, y, title, inputs, outputs, width=150, rows=1):
    rows = max(len(inputs), len(outputs), rows)
    height = 24 + 22 * rows
    draw.rounded_rectangle((x, y, x + width, y + height), radius=6, fill=COMPONENT, outline=INK, width=2)
    middle = x + width / 2
    draw.rectangle((middle - 22, y + 3, middle + 22, y + height - 3), fill=(60, 64, 72))
    label = Image.new("RGBA", (height - 8, 40), (0, 0, 0, 0))
    ImageDraw.Draw(label).text(((height - 8) / 2, 20), title, fill="white", font=font(12, True), anchor="mm")
    draw._image.paste(label.rotate(90, expand=True), (int(middle - 20), int(y + 4)), label.rotate(90, expand=True))
    ports = {}
    for i, name in enumerate(inputs):
        py = y + 24 + 22 * i
        draw.text((x + 6, py), name, fill=INK, font=font(12), anchor="lm")
        draw.ellipse((x - 5, py - 5, x + 5, py + 5), fill="white", outline=INK)
        ports[("in", name)] = (x - 5, py)
    for i, name in enumerate(outputs):
        py = y + 24 + 22 * i
        draw.text((x + width - 6, py), name, fill=INK, font=font(12), anchor="rm")
        draw.ellipse((x + width - 5, py - 5, x + width + 5, py + 5), fill="white", outline=INK)
        ports[("out", name)] = (x + width + 5, py)
    return ports


def wire(draw, start, end):
    points = []
    for i in range(31):
        t = i / 30.0
        mx = (start[0] + end[0]) / 2
        x = (1 - t) ** 3 * start[0] + 3 * (1 - t) ** 2 * t * mx + 3 * (1 - t) * t * t * mx + t ** 3 * end[0]
        y = (1 - t) ** 3 * start[1] + 3 * (1 - t) ** 2 * t * start[1] + 3 * (1 - t) * t * t * end[1] + t ** 3 * end[1]
        points.append((x, y))
    draw.line(points, fill=WIRE, width=2)


def canvas(path):
    """A typical definition; the Cloud components' inputs and outputs are those of their metadata.json."""
    width, height = 1180, 560
    image = Image.new("RGB", (width, height), CANVAS)
    draw = ImageDraw.Draw(image)
    grid(draw, width, height)
    draw.text((20, 16), "Grasshopper: COMPAS > Cloud (drawn figure)", fill=INK, font=font(16, True))
    shown = dict((name, ports(name)) for name in ("Proxy", "Server", "Cache", "Call", "Get"))
    run = component(draw, 40, 150, "Toggle", [], ["True"], width=110, rows=3)
    points = component(draw, 40, 280, "Points", [], ["P"], width=110, rows=3)
    slider = component(draw, 40, 420, "Slider", [], ["z"], width=110, rows=3)
    proxy = component(draw, 220, 50, "Proxy", *shown["Proxy"], width=190)
    matrix = component(draw, 240, 420, "Move", ["z"], ["M"], width=120, rows=3)
    panel = component(draw, 470, 120, "Panel", [], ["text"], width=150, rows=3)
    cache = component(draw, 470, 270, "Cache", *shown["Cache"], width=160, rows=3)
    keep = component(draw, 470, 430, "Toggle", [], ["True"], width=110, rows=3)
    call = component(draw, 740, 200, "Call", *shown["Call"], width=200)
    get = component(draw, 1000, 250, "Get", *shown["Get"], width=150, rows=3)
    component(draw, 960, 50, "Server", *shown["Server"], width=190)
    wire(draw, run[("out", "True")], proxy[("in", "run")])
    for target in (cache, call, get):
        wire(draw, proxy[("out", "proxy")], target[("in", "proxy")])
    wire(draw, points[("out", "P")], cache[("in", "data")])
    wire(draw, slider[("out", "z")], matrix[("in", "z")])
    wire(draw, panel[("out", "text")], call[("in", "function")])
    wire(draw, cache[("out", "ref")], call[("in", "args")])
    wire(draw, matrix[("out", "M")], call[("in", "args")])
    wire(draw, keep[("out", "True")], call[("in", "keep")])
    wire(draw, call[("out", "result")], get[("in", "ref")])
    draw.text((470, 100), "compas.geometry.transform_points_numpy", fill=INK, font=font(12))
    draw.text((470, 248), "points sent once, kept on the server", fill=GREY, font=font(12))
    draw.text((740, 390), "args: one branch per argument", fill=GREY, font=font(12))
    draw.text((740, 410), "keep = True: the result stays on the server", fill=GREY, font=font(12))
    draw.text((1000, 350), "fetches the moved points", fill=GREY, font=font(12))
    draw.text((960, 150), "restart or stop the server", fill=GREY, font=font(12))
    save(image, path, **{PORTS_KEY: shown})


def grid(draw, width, height):
    for gx in range(0, width, 40):
        draw.line([(gx, 0), (gx, height)], fill=(205, 208, 213))
    for gy in range(0, height, 40):
        draw.line([(0, gy), (width, gy)], fill=(205, 208, 213))


def function_canvas(path):
    """Cloud Function before and after its inputs were rebuilt from the description of offset_polygon."""
    width, height = 1240, 590
    image = Image.new("RGB", (width, height), CANVAS)
    draw = ImageDraw.Draw(image)
    grid(draw, width, height)
    draw.text((20, 16), "Cloud Function: the inputs come from the server's description (drawn figure)", fill=INK,
              font=font(16, True))
    draw.text((40, 60), "1. given a function name", fill=INK, font=font(14, True))
    name = component(draw, 40, 110, "Panel", [], ["text"], width=150, rows=2)
    before = component(draw, 330, 90, "Function", ["proxy", "function", "cache_result", "background"], ["result"],
                       width=250)
    wire(draw, name[("out", "text")], before[("in", "function")])
    draw.text((40, 190), "compas.geometry.offset_polygon", fill=INK, font=font(12))
    draw.text((40, 260), "2. rebuilt: one input per parameter", fill=INK, font=font(14, True))
    polygon = component(draw, 40, 300, "Polygon", [], ["P"], width=150, rows=2)
    slider = component(draw, 40, 395, "Slider", [], ["0.5"], width=150, rows=2)
    toggle = component(draw, 40, 480, "Toggle", [], ["True"], width=150, rows=2)
    after = component(draw, 330, 290, "Function",
                      ["proxy", "function", "cache_result", "background", "polygon", "distance", "tol"], ["result"],
                      width=250)
    wire(draw, polygon[("out", "P")], after[("in", "polygon")])
    wire(draw, slider[("out", "0.5")], after[("in", "distance")])
    wire(draw, toggle[("out", "True")], after[("in", "cache_result")])
    result = component(draw, 700, 290, "Polyline", ["points"], [], width=150, rows=2)
    wire(draw, after[("out", "result")], result[("in", "points")])
    notes = [
        ("polygon", "list access: its numpydoc type is sequence[point]"),
        ("distance", "item access (float | list: the first type decides); required"),
        ("tol", "optional: it has a default (None), shown in its tooltip"),
        ("cache_result", "True: an equal call made before by any client is"),
        ("", "answered from the server's result cache"),
    ]
    for i, (label, text) in enumerate(notes):
        if label:
            draw.text((700, 400 + 24 * i), label + ":", fill=INK, font=font(12, True))
        draw.text((810, 400 + 24 * i), text, fill=GREY, font=font(12))
    for i, line in enumerate(["describe(function) tells the parameters, their numpydoc",
                              "descriptions and defaults; the component rebuilds its inputs",
                              "after the solution, and a re-solve runs the call"]):
        draw.text((640, 100 + 18 * i), line, fill=GREY, font=font(12))
    arrow(draw, (455, 210), (455, 278))
    image.save(path, optimize=True)


def shared_model(path):
    """A Grasshopper definition and a Rhino script working on one model shared under a name."""
    image = Image.new("RGB", (1100, 560), "white")
    draw = ImageDraw.Draw(image)
    draw.text((550, 18), "One model, two sessions: a shared name on the server", fill=INK, font=font(22, True),
              anchor="mt")
    box(draw, (30, 70, 420, 250), ORANGE, "Grasshopper definition",
        ["Cloud Call compas.datastructures.Mesh.from_obj", "keep = True  ->  ref", "GhPython: proxy.share(ref, 'site model')",
         "Cloud Function: smooth, subdivide ... (ref in)"])
    box(draw, (30, 330, 420, 510), ORANGE, "Rhino script (or pyRevit)",
        ["proxy = Proxy()", "model = proxy.shared('site model')", "proxy.call('my_tools.add_floor', [model, 3])",
         "proxy.call('my_tools.area', [model])"])
    box(draw, (560, 150, 1070, 430), GREEN, "compas_cloud server (one token, or loopback)",
        ["connection 1 (Grasshopper): ref a1f3...", "connection 2 (Rhino): ref 9c07...",
         "", "shared names:  'site model'  ->  one Mesh object", "",
         "both references point to the same object:", "a change through one is seen through the other",
         "lives until unshare() or the server stops;", "counted against --max-total-memory"])
    arrow(draw, (420, 160), (560, 230))
    arrow(draw, (420, 420), (560, 350))
    draw.text((430, 130), "share(ref, 'site model')", fill=GREY, font=font(13))
    draw.text((430, 430), "shared('site model')", fill=GREY, font=font(13))
    image.save(path, optimize=True)


#: The figures this script draws, by file name in docs/assets/.
FIGURES = (
    ("architecture.png", architecture),
    ("components_canvas.png", canvas),
    ("function_component.png", function_canvas),
    ("shared_model.png", shared_model),
)


def main(names=None):
    if not os.path.isdir(ASSETS):
        os.makedirs(ASSETS)
    known = dict(FIGURES)
    unknown = [name for name in names or () if name not in known]
    if unknown:
        raise SystemExit("no such figure: {0}; the figures are {1}".format(", ".join(unknown), ", ".join(known)))
    for name, draw_figure in FIGURES:
        if not names or name in names:
            draw_figure(os.path.join(ASSETS, name))
            print("wrote docs/assets/" + name)


if __name__ == "__main__":
    main(sys.argv[1:])
