"""A figure as a list of shapes in pixel coordinates, drawn once and rendered twice:
to PNG through ``purenn.viz.raster`` and to SVG through ``purenn.viz.svg``.

Shapes: ``Line``, ``Polyline`` (each with a color, a width and an optional dash pattern
(on, off) in pixels), ``Rect`` (fill and/or stroke), ``Disc`` and ``Text`` (anchored at
its start, middle or end; ``y`` is the middle of the line of text). Colors are (r, g, b).
"""

from dataclasses import dataclass, field

BLACK, GRAY, LIGHT, WHITE = (0, 0, 0), (110, 110, 110), (225, 225, 225), (255, 255, 255)
# matplotlib's tab10, so the pictures look like the book's
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


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
class Text:
    x: float
    y: float
    text: str
    color: tuple = BLACK
    anchor: str = "start"


@dataclass
class Figure:
    width: int
    height: int
    shapes: list = field(default_factory=list)

    def add(self, *shapes):
        self.shapes.extend(shapes)


def render_canvas(figure):
    """The figure drawn on a ``raster.Canvas``."""
    from .raster import Canvas

    canvas = Canvas(figure.width, figure.height)
    for s in figure.shapes:
        if isinstance(s, Rect):
            if s.fill is not None:
                canvas.fill_rect(round(s.x), round(s.y), round(s.w), round(s.h), s.fill)
            if s.stroke is not None:
                canvas.rect(round(s.x), round(s.y), round(s.w), round(s.h), s.stroke)
        elif isinstance(s, Line):
            canvas.line(s.x1, s.y1, s.x2, s.y2, s.color, s.width, s.dash)
        elif isinstance(s, Polyline):
            for (x1, y1), (x2, y2) in zip(s.points, s.points[1:]):
                canvas.line(x1, y1, x2, y2, s.color, s.width, s.dash)
        elif isinstance(s, Disc):
            canvas.disc(s.cx, s.cy, s.r, s.fill)
        elif isinstance(s, Text):
            canvas.text(round(s.x), round(s.y) - 3, s.text, s.color, anchor=s.anchor)
    return canvas


def save(figure, path):
    """Write the figure as PNG or SVG, by the file name's suffix; ValueError otherwise."""
    from .svg import write_svg

    lower = str(path).lower()
    if lower.endswith(".png"):
        render_canvas(figure).save_png(path)
    elif lower.endswith(".svg"):
        write_svg(path, figure)
    else:
        raise ValueError(f"a picture is saved as .png or .svg, got {str(path)!r}")
