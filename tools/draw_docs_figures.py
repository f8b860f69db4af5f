"""Draw the documentation's figures: the packages, the components on a canvas, a typed Cloud Function, a shared model.

    .venv/bin/python -m pip install pillow
    .venv/bin/python tools/draw_docs_figures.py        # writes the four PNG files of docs/assets/ named in FIGURES

Drawn figures, not screenshots: Grasshopper does not run here. Uses the DejaVu fonts when present.
"""
import os

from PIL import Image, ImageDraw, ImageFont

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASSETS = os.path.join(ROOT, "docs", "assets")

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


def architecture(path):
    image = Image.new("RGB", (1000, 620), "white")
    draw = ImageDraw.Draw(image)
    draw.text((500, 18), "compas_cloud: the packages", fill=INK, font=font(22, True), anchor="mt")
    hosts = [
        ("Rhino 7", ["GhPython, IronPython 2.7"]),
        ("Rhino 8", ["CPython 3.9, # r:"]),
        ("Revit / Dynamo", ["pyRevit, Python node"]),
        ("Python 2.7 / 3", ["scripts, notebooks"]),
        ("Node.js / browser", ["any websocket client"]),
    ]
    for i, (title, lines) in enumerate(hosts):
        x = 20 + i * 196
        box(draw, (x, 60, x + 180, 130), ORANGE, title, lines)
    box(draw, (40, 180, 420, 300), BLUE, "compas_cloud.client",
        ["Proxy, RemoteFunction, futures, batches", "transports: websocket-client, .NET ClientWebSocket",
         "launcher (starts a local server)"])
    box(draw, (440, 180, 700, 300), BLUE, "ghpython/, rhino_plugin/",
        ["Grasshopper components (Cloud_*)", "Rhino commands CloudStart/Stop/..."])
    box(draw, (720, 180, 980, 300), ORANGE, "other-language clients",
        ["JSON messages (docs/protocol.md)", "examples/js, examples/browser"])
    box(draw, (40, 330, 980, 400), GREEN, "compas_cloud.protocol",
        ["messages, values, references, binary arrays: shared by client and server, no I/O"])
    box(draw, (40, 450, 640, 600), BLUE, "compas_cloud.server  (CPython >= 3.9, websockets)",
        ["sessions and per-connection reference stores", "calls in a worker pool; callbacks, progress, output",
         "security: origins, tokens, allow/deny lists, limits", "status and shutdown"])
    box(draw, (680, 450, 980, 600), GREEN, "executors",
        ["local process pool (spawn)", "or a Dask cluster", "batches and offloaded calls",
         "your functions: numpy, compas, ..."])
    for i in range(4):
        arrow(draw, (110 + i * 196, 130), (230 if i != 1 else 260, 180))
    arrow(draw, (20 + 4 * 196 + 90, 130), (850, 180))
    arrow(draw, (440, 240), (420, 240))
    arrow(draw, (230, 300), (230, 330), both=True)
    arrow(draw, (850, 300), (850, 330), both=True)
    arrow(draw, (340, 400), (340, 450), "websocket (127.0.0.1:9009 by default)", both=True)
    arrow(draw, (640, 525), (680, 525), both=True)
    image.save(path, optimize=True)


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
    image = Image.new("RGB", (1100, 480), CANVAS)
    draw = ImageDraw.Draw(image)
    for gx in range(0, 1100, 40):
        draw.line([(gx, 0), (gx, 480)], fill=(205, 208, 213))
    for gy in range(0, 480, 40):
        draw.line([(0, gy), (1100, gy)], fill=(205, 208, 213))
    draw.text((20, 16), "Grasshopper: COMPAS > Cloud (drawn figure)", fill=INK, font=font(16, True))
    proxy = component(draw, 60, 70, "Proxy", ["host", "port", "token"], ["proxy", "status"])
    points = component(draw, 60, 230, "Points", [], ["P"], width=110)
    slider = component(draw, 60, 330, "Slider", [], ["z"], width=110)
    cache = component(draw, 330, 150, "Cache", ["proxy", "data"], ["ref"])
    call = component(draw, 600, 200, "Call", ["proxy", "function", "args", "cache"], ["result", "error"], width=170)
    get = component(draw, 880, 220, "Get", ["proxy", "ref"], ["data"])
    component(draw, 330, 50, "Server", ["start", "stop"], ["status"])
    wire(draw, proxy[("out", "proxy")], cache[("in", "proxy")])
    wire(draw, proxy[("out", "proxy")], call[("in", "proxy")])
    wire(draw, proxy[("out", "proxy")], get[("in", "proxy")])
    wire(draw, points[("out", "P")], cache[("in", "data")])
    wire(draw, cache[("out", "ref")], call[("in", "args")])
    wire(draw, slider[("out", "z")], call[("in", "args")])
    wire(draw, call[("out", "result")], get[("in", "ref")])
    draw.text((600, 170), "function = compas.geometry.transform_points_numpy", fill=INK, font=font(12))
    draw.text((330, 250), "points sent once, kept on the server", fill=GREY, font=font(12))
    draw.text((600, 330), "cache = True: result stays on the server", fill=GREY, font=font(12))
    draw.text((880, 300), "fetches the moved points", fill=GREY, font=font(12))
    image.save(path, optimize=True)


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


def main():
    if not os.path.isdir(ASSETS):
        os.makedirs(ASSETS)
    for name, draw_figure in FIGURES:
        draw_figure(os.path.join(ASSETS, name))
        print("wrote docs/assets/" + name)


if __name__ == "__main__":
    main()
