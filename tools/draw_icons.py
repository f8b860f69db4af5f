"""Draw the 24x24 icons of the Cloud_* Grasshopper components (pure Python: zlib + struct).

Run ``python tools/draw_icons.py`` after changing a drawing; it writes
``ghpython/components/<Component>/icon.png``. The PNGs are committed as
source assets (the componentizer embeds them in the .ghuser files).
"""
from __future__ import absolute_import, division

import math
import os
import struct
import zlib

SIZE = 24
SAMPLES = 4  # supersampling per axis, for smooth edges

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPONENTS = os.path.join(ROOT, "ghpython", "components")

CLOUD = (66, 133, 214)
CLOUD_EDGE = (28, 76, 150)
WHITE = (255, 255, 255)
GREEN = (46, 160, 67)
RED = (215, 48, 39)
ORANGE = (240, 140, 20)
DARK = (60, 60, 60)
GREY = (150, 150, 150)


# -- shapes: functions (x, y) -> bool, in pixel coordinates ------------------------------


def circle(cx, cy, r):
    return lambda x, y: (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def rect(x0, y0, x1, y1):
    return lambda x, y: x0 <= x <= x1 and y0 <= y <= y1


def union(*shapes):
    return lambda x, y: any(shape(x, y) for shape in shapes)


def minus(shape, hole):
    return lambda x, y: shape(x, y) and not hole(x, y)


def segment(x0, y0, x1, y1, width):
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy

    def inside(x, y):
        t = max(0.0, min(1.0, ((x - x0) * dx + (y - y0) * dy) / length2))
        px, py = x0 + t * dx, y0 + t * dy
        return (x - px) ** 2 + (y - py) ** 2 <= (width / 2.0) ** 2

    return inside


def polygon(points):
    def inside(x, y):
        result = False
        j = len(points) - 1
        for i in range(len(points)):
            xi, yi = points[i]
            xj, yj = points[j]
            if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
                result = not result
            j = i
        return result

    return inside


def cloud(dx=0.0, dy=0.0, scale=1.0):
    def s(v):
        return v * scale

    return union(
        circle(dx + s(7), dy + s(12.5), s(4.5)),
        circle(dx + s(12.5), dy + s(9), s(6)),
        circle(dx + s(18), dy + s(12.5), s(4.5)),
        rect(dx + s(7), dy + s(11), dx + s(18), dy + s(17)),
    )


def outlined(shape, width):
    """The outline of a shape: points of the shape within ``width`` of its edge."""
    offsets = [(width * math.cos(a), width * math.sin(a)) for a in [i * math.pi / 4 for i in range(8)]]
    return lambda x, y: shape(x, y) and not all(shape(x + ox, y + oy) for ox, oy in offsets)


# -- rendering --------------------------------------------------------------------------


def render(layers):
    """Render ``[(shape, rgb), ...]`` (painted in order) to rows of RGBA bytes."""
    rows = []
    step = 1.0 / SAMPLES
    for py in range(SIZE):
        row = bytearray()
        for px in range(SIZE):
            r = g = b = a = 0.0
            for shape, color in layers:
                hits = 0
                for sy in range(SAMPLES):
                    for sx in range(SAMPLES):
                        if shape(px + (sx + 0.5) * step, py + (sy + 0.5) * step):
                            hits += 1
                coverage = hits / float(SAMPLES * SAMPLES)
                if coverage:
                    # "over" compositing with straight alpha
                    out_a = coverage + a * (1 - coverage)
                    r = (color[0] * coverage + r * a * (1 - coverage)) / out_a
                    g = (color[1] * coverage + g * a * (1 - coverage)) / out_a
                    b = (color[2] * coverage + b * a * (1 - coverage)) / out_a
                    a = out_a
            row.extend([int(round(r)), int(round(g)), int(round(b)), int(round(a * 255))])
        rows.append(bytes(row))
    return rows


def png(rows):
    """Encode RGBA rows as a PNG file's bytes."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)  # 8-bit RGBA
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 per row
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


# -- the icons --------------------------------------------------------------------------


def base_cloud(dy=0.0):
    shape = cloud(0, dy)
    return [(shape, CLOUD), (outlined(shape, 1.0), CLOUD_EDGE)]


def icon_proxy():
    # a cloud with a plug hanging from it: connect to a server
    layers = base_cloud(-3)
    layers += [
        (segment(12.5, 14, 12.5, 18.5, 1.6), DARK),
        (rect(9.5, 18, 15.5, 21), DARK),
        (rect(10.5, 21, 11.5, 23.5), DARK),
        (rect(13.5, 21, 14.5, 23.5), DARK),
    ]
    return layers


def icon_call():
    # a cloud running something: a white "play" triangle in it
    layers = base_cloud(1)
    layers += [(polygon([(10, 9.5), (10, 17.5), (16.5, 13.5)]), WHITE)]
    return layers


def arrow(x, y0, y1, color, head=4.0, width=2.4):
    direction = 1 if y1 > y0 else -1
    shaft = segment(x, y0, x, y1 - direction * head * 0.8, width)
    tip = polygon([(x - head, y1 - direction * head), (x + head, y1 - direction * head), (x, y1)])
    return [(union(shaft, tip), color)]


def icon_cache():
    # an arrow going up into the cloud: send once, keep there
    layers = base_cloud(-3)
    layers += arrow(12.5, 23.5, 10, GREEN)
    return layers


def icon_get():
    # an arrow coming down out of the cloud: fetch the value
    layers = base_cloud(-3)
    layers += arrow(12.5, 9, 23, ORANGE, head=3.6)
    return layers


def icon_free():
    # a cloud with a red cross: delete from the server
    layers = base_cloud(-2)
    halo = union(segment(13, 13, 21, 21, 5.0), segment(21, 13, 13, 21, 5.0))
    cross = union(segment(13, 13, 21, 21, 2.6), segment(21, 13, 13, 21, 2.6))
    layers += [(halo, WHITE), (cross, RED)]
    return layers


def icon_server():
    # a server rack with status lights, under a small cloud
    layers = [(cloud(4, -3.2, 0.65), CLOUD)]
    for top in (7.5, 12.5, 17.5):
        unit = rect(3.5, top, 20.5, top + 4)
        layers += [(unit, DARK), (rect(5.5, top + 1.5, 13.5, top + 2.5), GREY), (circle(17.5, top + 2, 1.2), GREEN)]
    return layers


def icon_function():
    # a cloud fed by three typed inputs (white bars of three lengths) and running them (a triangle)
    layers = base_cloud(1)
    for top, right in ((9.5, 11.5), (13, 10), (16.5, 11.5)):
        layers += [(rect(5.5, top, right, top + 1.6), WHITE)]
    layers += [(polygon([(13, 10), (13, 18), (19, 14)]), WHITE)]
    return layers


ICONS = {
    "Cloud_Proxy": icon_proxy,
    "Cloud_Call": icon_call,
    "Cloud_Cache": icon_cache,
    "Cloud_Get": icon_get,
    "Cloud_Free": icon_free,
    "Cloud_Server": icon_server,
    "Cloud_Function": icon_function,
}


def main():
    for name, draw in sorted(ICONS.items()):
        data = png(render(draw()))
        # the Rhino 8 CPython set (components_cpython/) has the same icons
        for folder in (COMPONENTS, COMPONENTS + "_cpython"):
            path = os.path.join(folder, name, "icon.png")
            if not os.path.isdir(os.path.dirname(path)):
                continue
            with open(path, "wb") as handle:
                handle.write(data)
            print("wrote " + os.path.relpath(path, ROOT))


if __name__ == "__main__":
    main()
