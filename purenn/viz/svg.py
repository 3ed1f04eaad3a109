"""SVG output of a ``purenn.viz.figure.Figure``: plain SVG 1.1 text, one element per
shape, written atomically."""

from xml.sax.saxutils import escape, quoteattr

from ..fileio import atomic_write
from .figure import Disc, Line, Polyline, Rect, Text

ANCHORS = {"start": "start", "middle": "middle", "end": "end"}


def _color(rgb):
    return "none" if rgb is None else "#{:02x}{:02x}{:02x}".format(*rgb)


def _num(v):
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _stroke(shape):
    dash = f' stroke-dasharray="{shape.dash[0]},{shape.dash[1]}"' if shape.dash else ""
    return f'stroke="{_color(shape.color)}" stroke-width="{shape.width}"{dash}'


def render_svg(figure):
    """The SVG document of ``figure`` as a string."""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{figure.width}" '
           f'height="{figure.height}" viewBox="0 0 {figure.width} {figure.height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect x="0" y="0" width="{figure.width}" height="{figure.height}" '
           f'fill="#ffffff"/>']
    for s in figure.shapes:
        if isinstance(s, Rect):
            out.append(f'<rect x="{_num(s.x)}" y="{_num(s.y)}" width="{_num(s.w)}" '
                       f'height="{_num(s.h)}" fill="{_color(s.fill)}" '
                       f'stroke="{_color(s.stroke)}"/>')
        elif isinstance(s, Line):
            out.append(f'<line x1="{_num(s.x1)}" y1="{_num(s.y1)}" x2="{_num(s.x2)}" '
                       f'y2="{_num(s.y2)}" {_stroke(s)}/>')
        elif isinstance(s, Polyline):
            points = " ".join(f"{_num(x)},{_num(y)}" for x, y in s.points)
            out.append(f'<polyline points="{points}" fill="none" {_stroke(s)}/>')
        elif isinstance(s, Disc):
            out.append(f'<circle cx="{_num(s.cx)}" cy="{_num(s.cy)}" r="{_num(s.r)}" '
                       f'fill="{_color(s.fill)}"/>')
        elif isinstance(s, Text):
            out.append(f'<text x="{_num(s.x)}" y="{_num(s.y)}" fill="{_color(s.color)}" '
                       f'text-anchor={quoteattr(ANCHORS[s.anchor])} '
                       f'dominant-baseline="central">{escape(s.text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_svg(path, figure):
    """Write ``figure`` as an SVG file atomically."""
    blob = render_svg(figure).encode("utf-8")
    with atomic_write(path) as f:
        f.write(blob)
