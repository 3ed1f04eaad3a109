"""Plots for learners, with the standard library alone: lines with legends and axis labels,
scatter points, histograms, contour lines and image grids, saved as PNG or SVG and shown
inline by Jupyter.

The book's chapter 3 figure of step, sigmoid and ReLU::

    from purenn import plot
    x = plot.linspace(-5, 5, 201)
    plot.lines(x, {"step": [float(v > 0) for v in x], "sigmoid": [1 / (1 + math.exp(-v))
               for v in x], "ReLU": [max(0.0, v) for v in x]}, ylim=(-0.1, 1.1)).save("f.png")

For more control, a ``Figure`` holds panels in rows of ``cols``, and each ``Panel`` is drawn
on like a matplotlib Axes::

    fig = plot.Figure(cols=2, title="two panels")
    ax = fig.panel(title="loss", xlabel="iterations", ylabel="loss")
    ax.line(range(100), losses, label="SGD", marker="disc", markevery=10)
    counts = fig.panel(title="activations").hist(values, bins=30, range=(0, 1))
    fig.save("fig.png", scale=2)        # or .svg; scale makes a larger PNG

A figure in a Jupyter cell shows itself (``_repr_png_``/``_repr_svg_``). Coordinates given
to panels are data coordinates; axes, ticks (whole numbers on an axis of whole numbers,
such as epochs), the legend (in the corner that covers the fewest points of the
curves, as matplotlib's ``loc="best"``) and colors (matplotlib's tab10) are chosen when the
figure is drawn.
"""

import math

from .viz import clip as cut
from .viz import render
from .viz.contour import marching_squares
from .viz.figure import (
    BLACK,
    LIGHT,
    MARKERS,
    PALETTE,
    WHITE,
    Image,
    Line,
    Marker,
    Polyline,
    Rect,
    Text,
    shifted,
)
from .viz.figure import Figure as Drawing
from .viz.ticks import envelope, nice_ticks, tick_label

__all__ = ["Figure", "Panel", "Column", "lines", "histograms", "image_grid", "linspace", "smooth",
           "history", "decision_regions", "scatter", "save"]

LEFT, RIGHT, TOP, BOTTOM = 58, 14, 26, 42
DASHES = {None: None, "-": None, "solid": None, "--": (6, 4), "dashed": (6, 4),
          ":": (2, 3), "dotted": (2, 3), "-.": (6, 3, 2, 3)}
# matplotlib's viridis at eight points, for contour levels and the "viridis" color map
VIRIDIS = [(68, 1, 84), (70, 50, 127), (54, 92, 141), (39, 127, 142), (31, 161, 135),
           (74, 194, 109), (159, 218, 58), (253, 231, 37)]


def linspace(start, stop, num=50):
    """``num`` evenly spaced numbers from ``start`` to ``stop`` inclusive (NumPy's)."""
    if num < 2:
        return [float(start)][:num]
    step = (stop - start) / (num - 1)
    return [start + i * step for i in range(num - 1)] + [float(stop)]


def _bessel_i0(x):
    total, term, k = 1.0, 1.0, 1
    while term > 1e-17 * total:
        term *= (x / (2 * k)) ** 2
        total += term
        k += 1
    return total


def smooth(values, window=11, beta=2.0):
    """The book's ``smooth_curve``: a Kaiser window (β = 2) of ``window`` points slid over
    the values, the ends mirrored; as many values out as in."""
    values = list(values)
    n = len(values)
    if n < window:
        return values
    m = window - 1
    weights = [_bessel_i0(beta * math.sqrt(max(0.0, 1 - (2 * i / m - 1) ** 2)))
               for i in range(window)]
    total = math.fsum(weights)
    weights = [w / total for w in weights]
    padded = values[m:0:-1] + values + values[-1:-window:-1]
    half = m // 2
    return [math.fsum(w * padded[i + j] for j, w in enumerate(weights))
            for i in range(half, half + n)]


def _color_map(name, fraction):
    fraction = min(1.0, max(0.0, fraction))
    if name == "gray":
        v = round(255 * fraction)
        return (v, v, v)
    if name == "gray_r":
        v = round(255 * (1 - fraction))
        return (v, v, v)
    if name == "viridis":
        pos = fraction * (len(VIRIDIS) - 1)
        i = min(int(pos), len(VIRIDIS) - 2)
        a, b, t = VIRIDIS[i], VIRIDIS[i + 1], pos - i
        return tuple(round(p + (q - p) * t) for p, q in zip(a, b))
    raise ValueError(f"unknown color map {name!r} (gray, gray_r, viridis)")


class Panel:
    """One plot area: call ``line``, ``scatter``, ``hist``, ``contour``, ``image`` on it;
    ``xlim``/``ylim`` fix the ranges (else they fit the data)."""

    def __init__(self, title="", xlabel="", ylabel="", xlim=None, ylim=None, axes=True,
                 legend="best", xticks=None, yticks=True, heading="", pad_top=0):
        self.title, self.xlabel, self.ylabel = title, xlabel, ylabel
        self.xlim, self.ylim = xlim, ylim
        self.axes, self.legend_loc = axes, legend
        self.xticks, self.yticks = xticks, yticks
        self.series = []      # (kind, data) in drawing order
        self.title_anchor = "middle"   # "start": a heading that may run over the next panels
        # ``heading``: a line of text at the panel's top left, above its title, that may run
        # on over the next panels (a row's label); ``pad_top`` pixels of room for it
        self.heading, self.pad_top = heading, pad_top

    # -- what can be drawn ---------------------------------------------------------------
    def line(self, x, y=None, *, label=None, color=None, dash=None, width=2, marker=None,
             markevery=None):
        """A line through (x[i], y[i]) (``line(y)``: x = 0, 1, 2...). ``dash``: "--", ":"
        or an (on, off) pair; ``marker``: disc, square, triangle, diamond or cross, drawn
        every ``markevery`` points (all when None). Non-finite points are left out."""
        if y is None:
            x, y = None, list(x)
            x = list(range(len(y)))
        x, y = list(x), list(y)
        if len(x) != len(y):
            raise ValueError(f"x has {len(x)} values but y has {len(y)}")
        if marker is not None and marker not in MARKERS:
            raise ValueError(f"unknown marker {marker!r} ({', '.join(MARKERS)})")
        dash = DASHES[dash] if dash is None or isinstance(dash, str) else tuple(dash)
        self.series.append(("line", dict(x=x, y=y, label=label, color=color, dash=dash,
                                         width=width, marker=marker, markevery=markevery)))
        return self

    def scatter(self, x, y, *, colors=None, classes=None, label=None, color=None, r=3,
                marker="disc", edge=BLACK):
        """Points at (x[i], y[i]); ``classes`` (ints) color each point by class."""
        x, y = list(x), list(y)
        if len(x) != len(y):
            raise ValueError(f"x has {len(x)} values but y has {len(y)}")
        self.series.append(("scatter", dict(x=x, y=y, classes=classes, colors=colors,
                                            label=label, color=color, r=r, marker=marker,
                                            edge=edge)))
        return self

    def hist(self, values, bins=30, range=None, *, label=None, color=None):
        """A histogram of ``values`` in ``bins`` equal bins over ``range`` (default: the
        values' own); values outside it are not counted, the last bin includes its right
        edge (as NumPy's). Returns the counts."""
        values = [v for v in values if math.isfinite(v)]
        lo, hi = range if range is not None else (min(values, default=0.0),
                                                  max(values, default=1.0))
        if hi <= lo:
            hi = lo + 1.0
        counts = [0] * bins
        width = (hi - lo) / bins
        for v in values:
            if lo <= v <= hi:
                counts[min(bins - 1, int((v - lo) / width))] += 1
        self.series.append(("hist", dict(lo=lo, hi=hi, counts=counts, label=label,
                                         color=color)))
        return counts

    def contour(self, f, xlim, ylim, levels=8, *, resolution=(160, 120), cmap="viridis",
                width=1):
        """Contour lines of ``f(x, y)`` over the box ``xlim`` x ``ylim``: ``levels`` round
        values between the smallest and largest of f there, or a list of values."""
        nx, ny = resolution
        xs, ys = linspace(*xlim, nx), linspace(*ylim, ny)
        grid = [[f(x, y) for x in xs] for y in ys]
        if isinstance(levels, int):
            finite = [v for row in grid for v in row if math.isfinite(v)]
            lo, hi = min(finite), max(finite)
            levels = [v for v in nice_ticks(lo, hi, levels) if lo < v < hi]
        self.series.append(("contour", dict(xs=xs, ys=ys, grid=grid, levels=list(levels),
                                            cmap=cmap, width=width)))
        if self.xlim is None:
            self.xlim = tuple(xlim)
        if self.ylim is None:
            self.ylim = tuple(ylim)
        return self

    def image(self, values, shape, *, cmap="gray", vmin=None, vmax=None):
        """A gray image filling the panel: ``values`` in rows (``shape`` = (rows, cols)),
        mapped from [vmin, vmax] (default: their range) through ``cmap`` (gray, gray_r
        as the book's filter pictures, viridis)."""
        rows, cols = shape
        values = list(values)
        if len(values) != rows * cols:
            raise ValueError(f"{len(values)} values do not fill an image of {rows}x{cols}")
        lo = min(values) if vmin is None else vmin
        hi = max(values) if vmax is None else vmax
        span = (hi - lo) or 1.0
        pixels = b"".join(bytes(_color_map(cmap, (v - lo) / span)) for v in values)
        self.series.append(("image", dict(pixels=pixels, width=cols, height=rows)))
        self.axes = False
        return self

    def raster(self, pixels, width, height, xlim, ylim):
        """RGB ``pixels`` (``width`` x ``height``, top row first) covering the data box
        ``xlim`` x ``ylim`` under the axes (a decision-region background)."""
        if len(pixels) != 3 * width * height:
            raise ValueError(f"{len(pixels)} bytes do not fill {width}x{height} RGB pixels")
        self.series.append(("raster", dict(pixels=bytes(pixels), width=width, height=height,
                                           xlim=tuple(xlim), ylim=tuple(ylim))))
        self.xlim = self.xlim or tuple(xlim)
        self.ylim = self.ylim or tuple(ylim)
        return self

    # -- drawing -------------------------------------------------------------------------
    def _limits(self):
        xs, ys = [], []
        for kind, d in self.series:
            if kind in ("line", "scatter"):
                pairs = [(a, b) for a, b in zip(d["x"], d["y"])
                         if math.isfinite(a) and math.isfinite(b)]
                xs += [a for a, _ in pairs]
                ys += [b for _, b in pairs]
            elif kind == "hist":
                xs += [d["lo"], d["hi"]]
                ys += [0, max(d["counts"], default=1) * 1.05]
        xlim = self.xlim or ((min(xs), max(xs)) if xs else (0.0, 1.0))
        ylim = self.ylim
        if ylim is None:
            lo, hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
            pad = (hi - lo) * 0.05
            ylim = (lo if lo == 0 and hi > 0 else lo - pad, hi + pad)
        xlim = xlim if xlim[1] > xlim[0] else (xlim[0] - 0.5, xlim[0] + 0.5)
        ylim = ylim if ylim[1] > ylim[0] else (ylim[0] - 0.5, ylim[0] + 0.5)
        return xlim, ylim

    def _integer_x(self):
        if self.xticks is not None:
            return self.xticks == "integer"
        xs = [v for kind, d in self.series if kind in ("line", "scatter") for v in d["x"]]
        return bool(xs) and all(isinstance(v, int) for v in xs)

    def draw(self, drawing, x0, y0, w, h, font=1):
        """Add this panel's shapes to ``drawing`` in the box (x0, y0, w, h)."""
        if not self.axes:
            return self._draw_bare(drawing, x0, y0, w, h, font)
        f = font
        (xlo, xhi), (ylo, yhi) = self._limits()
        # the room for tick labels is kept when they are hidden, so that panels in a row
        # have plot areas of one size
        labels = [tick_label(v) for v in nice_ticks(ylo, yhi)]
        margin = max(LEFT - 24, 14 + 6 * max(map(len, labels), default=0))
        margin += 24 if self.ylabel else 0
        if self.heading:
            drawing.add(Text(x0 + 6 * f, y0 + 8 * f, self.heading, BLACK, "start", f))
        y0, h = y0 + self.pad_top * f, h - self.pad_top * f
        left, top = x0 + margin * f, y0 + TOP * f
        pw, ph = w - (margin + RIGHT) * f, h - (TOP + BOTTOM) * f

        def px(v):
            return left + (v - xlo) / (xhi - xlo) * pw

        def py(v):
            return top + ph - (v - ylo) / (yhi - ylo) * ph

        add = drawing.add
        first = len(drawing.shapes)
        for kind, d in self.series:
            if kind == "raster":
                (a, b), (c, e) = d["xlim"], d["ylim"]
                image = _cropped(Image(px(a), py(e), px(b) - px(a), py(c) - py(e),
                                       d["pixels"], d["width"], d["height"]),
                                 (left, top, left + pw, top + ph))
                if image is not None:
                    add(image)
        for v in nice_ticks(ylo, yhi):
            add(Line(left, py(v), left + pw, py(v), LIGHT))
            if self.yticks:
                add(Line(left - 4, py(v), left, py(v), BLACK),
                    Text(left - 7, py(v), tick_label(v), BLACK, "end", f))
        integer = self._integer_x()
        # about one tick label per 60 pixels, so that labels of narrow panels stay apart
        for v in nice_ticks(xlo, xhi, max(2, min(6, int(pw / 60))), integer=integer):
            add(Line(px(v), top + ph, px(v), top + ph + 4, BLACK),
                Text(px(v), top + ph + 13 * f, tick_label(v), BLACK, "middle", f))
        clip = (left, top, pw, ph)
        box = (left, top, left + pw, top + ph)
        legend = []
        n_colored = 0
        for kind, d in self.series:
            color = d.get("color")
            if kind in ("line", "scatter", "hist") and color is None and not (
                    kind == "scatter" and (d["classes"] is not None or d["colors"])):
                color = PALETTE[n_colored % len(PALETTE)]
                n_colored += 1
            if kind == "line":
                self._draw_line(drawing, d, color, px, py, clip)
                if d["label"]:
                    legend.append((d["label"], "line", color, d["dash"], d["marker"]))
            elif kind == "scatter":
                for i, (a, b) in enumerate(zip(d["x"], d["y"])):
                    c = (d["colors"][i] if d["colors"] else
                         PALETTE[d["classes"][i] % len(PALETTE)] if d["classes"] is not None
                         else color)
                    if not (math.isfinite(a) and math.isfinite(b)) or not cut.inside(
                            px(a), py(b), box):
                        continue   # outside the limits: not drawn, as matplotlib
                    if d["edge"] is not None and d["marker"] == "disc":
                        add(Marker(px(a), py(b), "disc", d["r"] + 1, d["edge"]))
                    add(Marker(px(a), py(b), d["marker"], d["r"], c))
                if d["label"]:
                    legend.append((d["label"], "point", color or BLACK, None, d["marker"]))
            elif kind == "hist":
                step = (d["hi"] - d["lo"]) / len(d["counts"])
                for i, count in enumerate(d["counts"]):
                    if count:
                        a, b = px(d["lo"] + i * step), px(d["lo"] + (i + 1) * step)
                        bar = cut.rect(a, py(count), max(1.0, b - a), py(0) - py(count),
                                       box)
                        if bar is not None:
                            add(Rect(*bar, fill=color))
                if d["label"]:
                    legend.append((d["label"], "box", color, None, None))
            elif kind == "contour":
                self._draw_contour(drawing, d, px, py, box)
        add(Rect(left, top, pw + 1, ph + 1, stroke=BLACK),
            Text(left + pw / 2, y0 + 12 * f, self.title, BLACK, "middle", f),
            Text(left + pw / 2, top + ph + 30 * f, self.xlabel, BLACK, "middle", f),
            Text(x0 + 12 * f, top + ph / 2, self.ylabel, BLACK, "middle", f, rotate=90))
        if legend and self.legend_loc:
            self._draw_legend(drawing, legend, clip, f, first)

    def _draw_bare(self, drawing, x0, y0, w, h, font):
        title_h = 14 * font if self.title else 0
        for kind, d in self.series:
            if kind == "image":
                side_w, side_h = w - 4, h - 4 - title_h
                ratio = min(side_w / d["width"], side_h / d["height"])
                iw, ih = d["width"] * ratio, d["height"] * ratio
                drawing.add(Image(x0 + (w - iw) / 2, y0 + title_h + 2 + (side_h - ih) / 2,
                                  iw, ih, d["pixels"], d["width"], d["height"]))
        if self.title:
            x = x0 + 2 if self.title_anchor == "start" else x0 + w / 2
            drawing.add(Text(x, y0 + 7 * font, self.title, BLACK, self.title_anchor, font))

    def _draw_line(self, drawing, d, color, px, py, clip):
        left, top, pw, ph = clip
        pairs = [(a, b) for a, b in zip(d["x"], d["y"]) if math.isfinite(a) and
                 math.isfinite(b)]
        if not pairs:
            return
        ys = [b for _, b in pairs]
        points = [(px(pairs[i][0]), py(v)) for i, v in envelope(ys, int(pw))]
        # cut where the line leaves the plot area, as matplotlib clips at its limits
        box = (left, top, left + pw, top + ph)
        for piece in cut.polyline(points, box):
            drawing.add(Polyline(piece, color, d["width"], d["dash"]))
        if d["marker"]:
            every = d["markevery"] or 1
            for a, b in pairs[::every]:
                if cut.inside(px(a), py(b), box):
                    drawing.add(Marker(px(a), py(b), d["marker"], 3, color))

    def _draw_contour(self, drawing, d, px, py, box):
        xs, ys, grid, levels = d["xs"], d["ys"], d["grid"], d["levels"]
        for n, level in enumerate(levels):
            color = _color_map(d["cmap"], n / max(1, len(levels) - 1))
            for (a, b), (c, e) in marching_squares(xs, ys, grid, level):
                seen = cut.segment(px(a), py(b), px(c), py(e), box)
                if seen is not None:
                    drawing.add(Line(*seen, color, d["width"]))

    def _draw_legend(self, drawing, entries, clip, f, first=0):
        """The legend box at ``legend_loc``, or ("best") where it covers the fewest
        points of what this panel drew (its shapes from ``drawing.shapes[first]`` on)."""
        left, top, pw, ph = clip
        line_h = 15 * f
        text_w = max(len(label) for label, *_ in entries) * 6 * f
        w, h = 36 * f + text_w + 8 * f, line_h * len(entries) + 8 * f
        x_left, x_mid, x_right = left + 6, left + (pw - w) / 2, left + pw - w - 6
        y_up, y_mid, y_low = top + 6, top + (ph - h) / 2, top + ph - h - 6
        # matplotlib's places, in its order of preference
        corners = {"upper right": (x_right, y_up), "upper left": (x_left, y_up),
                   "lower left": (x_left, y_low), "lower right": (x_right, y_low),
                   "center right": (x_right, y_mid), "center left": (x_left, y_mid),
                   "lower center": (x_mid, y_low), "upper center": (x_mid, y_up),
                   "center": (x_mid, y_mid)}
        if self.legend_loc in corners:
            lx, ly = corners[self.legend_loc]
        else:
            inked = _inked(drawing.shapes[first:], (left, top, left + pw, top + ph))
            pad = 3

            def covered(corner):
                cx, cy = corner
                return sum(1 for a, b in inked if cx - pad <= a <= cx + w + pad
                           and cy - pad <= b <= cy + h + pad)
            lx, ly = min(corners.values(), key=covered)
        drawing.add(Rect(lx, ly, w, h, fill=WHITE, stroke=LIGHT))
        for i, (label, kind, color, dash, marker) in enumerate(entries):
            y = ly + 4 * f + line_h * i + line_h / 2
            if kind == "line":
                drawing.add(Line(lx + 6 * f, y, lx + 30 * f, y, color, 2, dash))
                if marker:
                    drawing.add(Marker(lx + 18 * f, y, marker, 3, color))
            elif kind == "box":
                drawing.add(Rect(lx + 10 * f, y - 5 * f, 16 * f, 10 * f, fill=color))
            else:
                drawing.add(Marker(lx + 18 * f, y, marker or "disc", 3, color))
            drawing.add(Text(lx + 36 * f, y, label, BLACK, "start", f))


def _cropped(image, box):
    """The part of an ``Image`` inside ``box``: the source pixels that show, stretched
    over their part of the box (a pixel cut by the frame is drawn whole but squeezed)."""
    seen = cut.rect(image.x, image.y, image.w, image.h, box)
    if seen is None or seen[2] <= 0 or seen[3] <= 0:
        return None
    if seen == (image.x, image.y, image.w, image.h):
        return image
    x, y, w, h = seen
    c0 = min(image.width - 1, int((x - image.x) / image.w * image.width))
    c1 = max(c0 + 1, math.ceil((x + w - image.x) / image.w * image.width - 1e-9))
    r0 = min(image.height - 1, int((y - image.y) / image.h * image.height))
    r1 = max(r0 + 1, math.ceil((y + h - image.y) / image.h * image.height - 1e-9))
    stride = 3 * image.width
    pixels = b"".join(image.pixels[r * stride + 3 * c0:r * stride + 3 * c1]
                      for r in range(r0, r1))
    return Image(x, y, w, h, pixels, c1 - c0, r1 - r0)


def _inked(shapes, box, spacing=4.0):
    """Points every ``spacing`` pixels along what ``shapes`` draw inside ``box``: curves,
    markers, contour lines and bars (not the grid, the frame or the ticks)."""
    points = []
    for s in shapes:
        if isinstance(s, Polyline):
            points += _dense(s.points, spacing)
        elif isinstance(s, Marker):
            points.append((s.cx, s.cy))
        elif isinstance(s, Line) and s.color not in (LIGHT, BLACK):
            points += _dense([(s.x1, s.y1), (s.x2, s.y2)], spacing)
        elif isinstance(s, Rect) and s.fill not in (None, WHITE):
            nx, ny = max(1, int(s.w / spacing)), max(1, int(s.h / spacing))
            points += [(s.x + s.w * (i + 0.5) / nx, s.y + s.h * (j + 0.5) / ny)
                       for i in range(nx) for j in range(ny)]
    return [(a, b) for a, b in points if cut.inside(a, b, box)]


def _dense(points, spacing=4.0):
    """The points of a polyline with more in between, so a legend box that a long
    segment crosses is seen as covering it."""
    out = list(points[:1])
    for (a, b), (c, d) in zip(points, points[1:]):
        steps = max(1, int(math.hypot(c - a, d - b) / spacing))
        out.extend((a + (c - a) * k / steps, b + (d - b) * k / steps)
                   for k in range(1, steps + 1))
    return out


class Figure:
    """Panels in rows of ``cols``, each ``panel_size`` pixels (width, height) at
    ``font`` 1; ``font=2`` doubles text and margins. ``title`` goes above them all."""

    def __init__(self, cols=1, panel_size=(420, 330), title="", font=1):
        if cols < 1:
            raise ValueError(f"cols must be at least 1, got {cols!r}")
        self.cols, self.panel_size, self.title, self.font = cols, tuple(panel_size), title, font
        self.panels = []

    def panel(self, title="", xlabel="", ylabel="", **options):
        """A new panel after the others (see ``Panel`` for the options)."""
        p = Panel(title, xlabel, ylabel, **options)
        self.panels.append(p)
        return p

    @property
    def size(self):
        cols = min(self.cols, max(1, len(self.panels)))
        rows = max(1, -(-len(self.panels) // self.cols))
        w, h = self.panel_size
        return cols * w, rows * h + self._title_h()

    def _title_h(self):
        return 22 * self.font if self.title else 0

    def draw(self):
        """The figure as shapes in pixels (a ``purenn.viz.figure.Figure``)."""
        width, height = self.size
        drawing = Drawing(width, height)
        w, h = self.panel_size
        offset = self._title_h()
        if self.title:
            drawing.add(Text(width / 2, 12 * self.font, self.title, BLACK, "middle",
                             self.font))
        for n, p in enumerate(self.panels):
            p.draw(drawing, (n % self.cols) * w, offset + (n // self.cols) * h, w, h,
                   self.font)
        return drawing

    def save(self, path, scale=1):
        """Write the figure as .png (``scale`` times larger) or .svg, atomically."""
        render.save(self.draw(), path, scale)
        return path

    def png(self, scale=1):
        return render.png_bytes(self.draw(), scale)

    def svg(self):
        return render.svg_text(self.draw())

    def _repr_png_(self):
        return self.png()

    def _repr_svg_(self):
        return self.svg()


class Column(Figure):
    """Figures one above the other, each under an optional heading (``parts``: a list of
    (heading, Figure)); saved and shown like a Figure."""

    def __init__(self, parts, title="", font=1):
        super().__init__(title=title, font=font)
        self.parts = list(parts)

    def _heading_h(self, heading):
        return 18 * self.font if heading else 0

    @property
    def size(self):
        width = max((f.size[0] for _, f in self.parts), default=1)
        height = sum(f.size[1] + self._heading_h(h) for h, f in self.parts)
        return width, height + self._title_h()

    def draw(self):
        width, height = self.size
        drawing = Drawing(width, height)
        y = self._title_h()
        if self.title:
            drawing.add(Text(width / 2, 12 * self.font, self.title, BLACK, "middle",
                             self.font))
        for heading, fig in self.parts:
            if heading:
                drawing.add(Text(6 * self.font, y + 10 * self.font, heading, BLACK, "start",
                                 self.font))
                y += self._heading_h(heading)
            drawing.add(*(shifted(s, 0, y) for s in fig.draw().shapes))
            y += fig.size[1]
        return drawing


def save(figure, path, scale=1):
    """Save a ``Figure`` or a drawn ``purenn.viz.figure.Figure`` as PNG or SVG."""
    if isinstance(figure, Figure):
        return figure.save(path, scale)
    render.save(figure, path, scale)
    return path


def lines(x, series, *, title="", xlabel="x", ylabel="y", xlim=None, ylim=None,
          dashes=True, legend="best"):
    """A one-panel figure of several lines over the same x: ``series`` maps a label to
    its y values; the second and later lines are dashed differently when ``dashes``."""
    fig = Figure()
    ax = fig.panel(title, xlabel, ylabel, xlim=xlim, ylim=ylim, legend=legend)
    styles = [None, "--", ":", "-."]
    for n, (label, ys) in enumerate(series.items()):
        ax.line(x, ys, label=label, dash=styles[n % len(styles)] if dashes else None)
    return fig


def histograms(groups, bins=30, range=None, *, title="", cols=None, panel_size=(180, 200),
               xlabel="", color=None):
    """One histogram panel per entry of ``groups`` (title -> values) side by side, over
    one shared range (the book's activation figures). Returns (figure, counts per panel)."""
    groups = dict(groups)
    if range is None:
        every = [v for values in groups.values() for v in values if math.isfinite(v)]
        lo, hi = min(every, default=0.0), max(every, default=1.0)
        range = (0.0, 1.0) if lo >= 0 and hi <= 1 else (-1.0, 1.0) if lo >= -1 and hi <= 1 \
            else (lo, hi)
    fig = Figure(cols=cols or max(1, len(groups)), panel_size=panel_size, title=title)
    counts = []
    for n, (name, values) in enumerate(groups.items()):
        p = fig.panel(name, xlabel, xticks=None, yticks=n % fig.cols == 0)
        counts.append(p.hist(values, bins, range, color=color))
    top = max((max(c, default=0) for c in counts), default=1) * 1.05 or 1
    for p in fig.panels:
        p.ylim = (0, top)
    return fig, counts


def image_grid(images, shape, *, cols=8, captions=None, cmap="gray", title="", cell=64,
               shared_range=False):
    """Images (rows of values, each ``shape`` = (rows, cols)) in a grid of ``cols`` with
    optional captions; each image scaled to its own range unless ``shared_range``."""
    images = [list(v) for v in images]
    lo = min((min(v) for v in images), default=0.0) if shared_range else None
    hi = max((max(v) for v in images), default=1.0) if shared_range else None
    caption_h = 14 if captions else 0
    fig = Figure(cols=max(1, min(cols, len(images) or 1)),
                 panel_size=(cell, cell + caption_h), title=title)
    for n, values in enumerate(images):
        p = fig.panel(captions[n] if captions else "", axes=False)
        p.image(values, shape, cmap=cmap, vmin=lo, vmax=hi)
    return fig


def history(h, *, title="", smooth_loss=False, regression=None):
    """The two panels of a training run, as the book draws them: the loss of every
    update (smoothed as the book's ``smooth_curve`` when asked; the axis says whether it
    is the loss before or after the update, ``h.loss_at``) and the train (solid) and
    test (dashed) accuracy from 0 to 1, each point at the epoch it was measured at
    (``History.epochs_at``: fractional in the book's schedule), the axis from epoch 0.
    For a regression run (``h.metric`` "loss", or ``regression`` True) the second panel
    is the train and test loss, what it records where the accuracy would be, from 0 to
    its largest value."""
    if regression is None:
        regression = getattr(h, "metric", "accuracy") == "loss"
    when = getattr(h, "loss_at", "before-update").replace("-", " the ")
    fig = Figure(cols=2, title=title)
    losses = list(h.iteration_loss)
    ax = fig.panel("training loss per iteration", "iterations", f"batch loss {when}",
                   ylim=(0.0, max([v for v in losses if math.isfinite(v)], default=1.0)
                         * 1.05))
    ax.line(range(len(losses)), smooth(losses) if smooth_loss else losses, width=1)
    at = h.epochs_at()
    measure, short = ("loss", "loss") if regression else ("accuracy", "acc")
    top = 1.0
    if regression:
        top = 1.05 * max([v for v in h.train_acc + h.test_acc if math.isfinite(v)],
                         default=1.0) or 1.0
    acc = fig.panel(f"{measure} per epoch", "epochs", f"{measure} on the whole set"
                    if regression else measure, ylim=(0.0, top), xlim=epoch_range(at))
    acc.line(at, h.train_acc, label=f"train {short}", marker="disc")
    if any(math.isfinite(v) for v in h.test_acc):
        acc.line(at, h.test_acc, label=f"test {short}", dash="--", marker="square")
    return fig


def epoch_range(at):
    """An epoch axis from 0 (where the book's figures start) to the last point."""
    last = max(at, default=1)
    return (0, last if last > 0 else 1)


def _light(color, amount=0.65):
    return tuple(round(c + (255 - c) * amount) for c in color)


def _points(dataset):
    x, labels = dataset.batch(range(len(dataset)))
    labels = [label if isinstance(label, int) else
              max(range(len(label)), key=label.__getitem__) for label in labels]
    return x, labels


def _box(x, margin):
    xs, ys = [p[0] for p in x], [p[1] for p in x]
    return (min(xs) - margin, max(xs) + margin), (min(ys) - margin, max(ys) + margin)


def _check_2d(dataset, what):
    if dataset.features_per_sample != 2:
        raise ValueError(f"{what} need 2-D data, this data set has "
                         f"{dataset.features_per_sample} features per sample")


def decision_regions(net, dataset, size=360, margin=0.25, cells=120):
    """A figure of the class ``net`` predicts over the plane around a 2-D ``dataset``,
    with the data points on top (CS231n's "Putting it together" picture)."""
    _check_2d(dataset, "decision regions")
    x, labels = _points(dataset)
    (xlo, xhi), (ylo, yhi) = _box(x, margin)
    pixels = bytearray()
    for row in range(cells):
        yv = yhi - (row + 0.5) / cells * (yhi - ylo)
        grid = [[xlo + (col + 0.5) / cells * (xhi - xlo), yv] for col in range(cells)]
        for scores in net.predict(grid):
            k = max(range(len(scores)), key=scores.__getitem__)
            pixels += bytes(_light(PALETTE[k % len(PALETTE)]))
    fig = Figure(panel_size=(size + 80, size + 80))
    ax = fig.panel("decision regions", "x1", "x2", legend=None)
    ax.raster(pixels, cells, cells, (xlo, xhi), (ylo, yhi))
    ax.scatter([p[0] for p in x], [p[1] for p in x], classes=labels)
    return fig


def scatter(dataset, title="", margin=0.1):
    """The points of a 2-D data set, each in its class's color, with a legend."""
    _check_2d(dataset, "scatter plots")
    x, labels = _points(dataset)
    (xlo, xhi), (ylo, yhi) = _box(x, margin)
    fig = Figure(panel_size=(432, 428))
    ax = fig.panel(title, "x1", "x2", xlim=(xlo, xhi), ylim=(ylo, yhi))
    for k in sorted(set(labels)):
        ax.scatter([p[0] for p, t in zip(x, labels) if t == k],
                   [p[1] for p, t in zip(x, labels) if t == k], label=f"class {k}",
                   color=PALETTE[k % len(PALETTE)])
    return fig
