"""SVG text of a ``purenn.viz.figure.Figure``: plain SVG 1.1, one element per shape.

Text is placed by its baseline alone (no ``dominant-baseline``, which rsvg and Inkscape
do not honour): a ``Text``'s ``y`` is the middle of its capitals, and capitals are about
0.7 em tall, so the baseline is 0.35 em lower. An ``Image`` is embedded as a PNG
(``data:`` URI) and drawn without smoothing, so a decision region or a filter stays crisp.
"""

import base64
from xml.sax.saxutils import escape, quoteattr

from .figure import Disc, Image, Line, Marker, Polyline, Rect, Text
from .png import encode_png

FONT_SIZE = 10  # px at Text.size 1: capitals about 7 px tall, as in the bitmap font
ANCHORS = {"start": "start", "middle": "middle", "end": "end"}


def _color(rgb):
    return "none" if rgb is None else "#{:02x}{:02x}{:02x}".format(*rgb)


def _num(v):
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _stroke(shape):
    dash = f' stroke-dasharray="{shape.dash[0]},{shape.dash[1]}"' if shape.dash else ""
    return f'stroke="{_color(shape.color)}" stroke-width="{shape.width}"{dash}'


def _marker(m):
    r, x, y, fill = m.r, m.cx, m.cy, _color(m.color)
    if m.kind == "disc":
        return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(r)}" fill="{fill}"/>'
    if m.kind == "square":
        return (f'<rect x="{_num(x - r)}" y="{_num(y - r)}" width="{_num(2 * r + 1)}" '
                f'height="{_num(2 * r + 1)}" fill="{fill}"/>')
    if m.kind == "cross":
        return (f'<path d="M{_num(x - r)},{_num(y - r)}L{_num(x + r)},{_num(y + r)}'
                f'M{_num(x - r)},{_num(y + r)}L{_num(x + r)},{_num(y - r)}" '
                f'stroke="{fill}" stroke-width="2"/>')
    if m.kind == "diamond":
        points = [(x, y - r - 1), (x + r + 1, y), (x, y + r + 1), (x - r - 1, y)]
    else:
        points = [(x, y - r - 1), (x + r + 1, y + r), (x - r - 1, y + r)]
    text = " ".join(f"{_num(a)},{_num(b)}" for a, b in points)
    return f'<polygon points="{text}" fill="{fill}"/>'


def _text(s):
    size = FONT_SIZE * s.size
    x, y = s.x, s.y
    if s.rotate == 90:  # translate then rotate: the form every renderer knows
        transform = f' transform="translate({_num(x + 0.35 * size)},{_num(y)}) rotate(-90)"'
        x = y = 0
    else:
        y += 0.35 * size
        transform = ""
    return (f'<text x="{_num(x)}" y="{_num(y)}" fill="{_color(s.color)}" '
            f'font-size="{_num(size)}" text-anchor={quoteattr(ANCHORS[s.anchor])}'
            f'{transform}>{escape(s.text)}</text>')


def _image(s):
    data = base64.b64encode(encode_png(s.width, s.height, s.pixels, channels=3))
    return (f'<image x="{_num(s.x)}" y="{_num(s.y)}" width="{_num(s.w)}" '
            f'height="{_num(s.h)}" preserveAspectRatio="none" '
            f'style="image-rendering:pixelated;image-rendering:crisp-edges" '
            f'xlink:href="data:image/png;base64,{data.decode("ascii")}"/>')


def render_svg(figure):
    """The SVG document of ``figure`` as a string."""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" '
           f'xmlns:xlink="http://www.w3.org/1999/xlink" width="{figure.width}" '
           f'height="{figure.height}" viewBox="0 0 {figure.width} {figure.height}" '
           f'font-family="DejaVu Sans, Verdana, sans-serif" font-size="{FONT_SIZE}">',
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
        elif isinstance(s, Marker):
            out.append(_marker(s))
        elif isinstance(s, Text):
            if s.text:
                out.append(_text(s))
        elif isinstance(s, Image):
            out.append(_image(s))
    out.append("</svg>")
    return "\n".join(out) + "\n"
