"""A ``figure.Figure`` drawn: on a ``raster.Canvas`` (then PNG) or as SVG text, and saved
by the file name's suffix.

``scale`` draws a PNG that many times larger (thicker lines, larger text), as a higher
dpi does in matplotlib; an SVG scales itself.
"""

import os

from . import svg
from .figure import Disc, Image, Line, Marker, Polyline, Rect, Text
from .png import encode_png
from .raster import Canvas

SUFFIXES = (".png", ".svg")


def to_canvas(figure, scale=1):
    """The figure drawn on a ``raster.Canvas`` of ``scale`` times its size."""
    s = scale
    canvas = Canvas(round(figure.width * s), round(figure.height * s))
    for shape in figure.shapes:
        if isinstance(shape, Rect):
            x, y = round(shape.x * s), round(shape.y * s)
            w, h = round((shape.x + shape.w) * s) - x, round((shape.y + shape.h) * s) - y
            if shape.fill is not None:
                canvas.fill_rect(x, y, w, h, shape.fill)
            if shape.stroke is not None:
                canvas.rect(x, y, w, h, shape.stroke)
        elif isinstance(shape, Line):
            canvas.line(shape.x1 * s, shape.y1 * s, shape.x2 * s, shape.y2 * s, shape.color,
                        round(shape.width * s), _dash(shape.dash, s))
        elif isinstance(shape, Polyline):
            canvas.polyline([(x * s, y * s) for x, y in shape.points], shape.color,
                            round(shape.width * s), _dash(shape.dash, s))
        elif isinstance(shape, Disc):
            canvas.disc(shape.cx * s, shape.cy * s, shape.r * s, shape.fill)
        elif isinstance(shape, Marker):
            canvas.marker(shape.cx * s, shape.cy * s, shape.kind, shape.r * s, shape.color)
        elif isinstance(shape, Text):
            canvas.text(round(shape.x * s), round(shape.y * s), shape.text, shape.color,
                        scale=max(1, round(shape.size * s)), anchor=shape.anchor,
                        rotate=shape.rotate, middle=True)
        elif isinstance(shape, Image):
            canvas.image(round(shape.x * s), round(shape.y * s), round(shape.w * s),
                         round(shape.h * s), shape.pixels, shape.width, shape.height)
    return canvas


def _dash(dash, scale):
    return None if dash is None else tuple(max(1, round(d * scale)) for d in dash)


def png_bytes(figure, scale=1):
    canvas = to_canvas(figure, scale)
    return encode_png(canvas.width, canvas.height, bytes(canvas.pixels), channels=3)


def svg_text(figure):
    return svg.render_svg(figure)


def check_suffix(path, what="a picture"):
    """ValueError unless ``path`` ends in .png or .svg."""
    if not str(os.fspath(path)).lower().endswith(SUFFIXES):
        raise ValueError(f"{what} is saved as .png or .svg, got {str(path)!r}")


def save(figure, path, scale=1):
    """Write the figure atomically as PNG or SVG, by the file name's suffix."""
    check_suffix(path)
    from ..fileio import write_bytes

    if str(os.fspath(path)).lower().endswith(".png"):
        blob = png_bytes(figure, scale)
    else:
        blob = svg_text(figure).encode("utf-8")
    write_bytes(path, blob)
