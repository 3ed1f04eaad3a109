"""A figure as a list of shapes in pixel coordinates (x right, y down), made once and
rendered twice by ``purenn.viz.render``: to PNG through ``purenn.viz.raster`` and to SVG
through ``purenn.viz.svg``. This module only describes; it draws nothing.

Shapes: ``Line``, ``Polyline`` (each with a color, a width and an optional dash pattern
(on, off) in pixels), ``Rect`` (fill and/or stroke), ``Disc``, ``Marker`` (a small square,
triangle, diamond or cross, as matplotlib's markers), ``Text`` (anchored at its start,
middle or end; ``y`` is the middle of its capitals; ``size`` multiplies the 7-pixel
capital height; ``rotate=90`` reads upwards, for a y-axis label) and ``Image`` (RGB
pixels stretched over a box, nearest neighbour). Colors are (r, g, b).
"""

from dataclasses import dataclass, field

BLACK, GRAY, LIGHT, WHITE = (0, 0, 0), (110, 110, 110), (225, 225, 225), (255, 255, 255)
# matplotlib's tab10, so the pictures look like the book's
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
MARKERS = ("disc", "square", "triangle", "diamond", "cross")


@dataclass
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    color: tuple = BLACK
    width: int = 1
    dash: tuple = None


@dataclass
class Polyline:
    points: list
    color: tuple = BLACK
    width: int = 1
    dash: tuple = None


@dataclass
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: tuple = None
    stroke: tuple = None


@dataclass
class Disc:
    cx: float
    cy: float
    r: float
    fill: tuple = BLACK


@dataclass
class Marker:
    cx: float
    cy: float
    kind: str = "square"
    r: float = 3
    color: tuple = BLACK


@dataclass
class Text:
    x: float
    y: float
    text: str
    color: tuple = BLACK
    anchor: str = "start"
    size: int = 1
    rotate: int = 0


@dataclass
class Image:
    """``pixels``: ``width`` x ``height`` RGB bytes, rows top to bottom, drawn over the
    box (x, y, w, h)."""

    x: float
    y: float
    w: float
    h: float
    pixels: bytes
    width: int
    height: int


@dataclass
class Figure:
    width: int
    height: int
    shapes: list = field(default_factory=list)

    def add(self, *shapes):
        self.shapes.extend(shapes)


def shifted(shape, dx, dy):
    """A copy of ``shape`` moved by (dx, dy) pixels."""
    from dataclasses import replace

    if isinstance(shape, Line):
        return replace(shape, x1=shape.x1 + dx, y1=shape.y1 + dy, x2=shape.x2 + dx,
                       y2=shape.y2 + dy)
    if isinstance(shape, Polyline):
        return replace(shape, points=[(x + dx, y + dy) for x, y in shape.points])
    if isinstance(shape, (Disc, Marker)):
        return replace(shape, cx=shape.cx + dx, cy=shape.cy + dy)
    return replace(shape, x=shape.x + dx, y=shape.y + dy)
