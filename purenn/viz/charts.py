"""The pictures of a training run, as ``Figure``s (save them with ``figure.save``):

- ``curves(history)``: the two panels of the book's figures, the training loss of every
  update (chapter 4's loss curve) and the train and test accuracy per epoch (train solid,
  test dashed, accuracy from 0 to 1);
- ``decision_regions(net, dataset)``: for 2-D data such as CS231n's spiral, the class the
  network picks at every point of a grid as a light background, the data points on top
  in their class's color.
- ``digit_grid(images, captions)``: images (rows of values in [0, 1]) side by side in
  rows, each with a caption under it (see ``grid_canvas``).
"""

import math

from .figure import BLACK, GRAY, LIGHT, PALETTE, Disc, Figure, Line, Polyline, Rect, Text

PANEL_W, PANEL_H = 420, 330
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 36, 44


def nice_ticks(lo, hi, count=5):
    """About ``count`` round tick values (1, 2 or 5 times a power of ten) in [lo, hi]."""
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9)
    ticks, k = [], first
    while k * step <= hi + step * 1e-9:
        ticks.append(round(k * step, 12))
        k += 1
    return ticks


def tick_label(value):
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.4g}"


class Axes:
    """A plot area at (x0, y0) in a figure mapping data [xlo, xhi] x [ylo, yhi] to it."""

    def __init__(self, figure, x0, y0, title, xlabel, ylabel, xlim, ylim):
        self.figure = figure
        self.x0, self.y0 = x0 + LEFT, y0 + TOP
        self.w, self.h = PANEL_W - LEFT - RIGHT, PANEL_H - TOP - BOTTOM
        self.xlo, self.xhi = xlim if xlim[1] > xlim[0] else (xlim[0], xlim[0] + 1)
        self.ylo, self.yhi = ylim if ylim[1] > ylim[0] else (ylim[0], ylim[0] + 1)
        add = figure.add
        for v in nice_ticks(self.ylo, self.yhi):
            y = self.py(v)
            add(Line(self.x0, y, self.x0 + self.w, y, LIGHT),
                Line(self.x0 - 4, y, self.x0, y, BLACK),
                Text(self.x0 - 7, y, tick_label(v), BLACK, "end"))
        for v in nice_ticks(self.xlo, self.xhi, 6):
            x = self.px(v)
            add(Line(x, self.y0 + self.h, x, self.y0 + self.h + 4, BLACK),
                Text(x, self.y0 + self.h + 12, tick_label(v), BLACK, "middle"))
        add(Rect(self.x0, self.y0, self.w + 1, self.h + 1, stroke=BLACK),
            Text(self.x0 + self.w / 2, y0 + 14, title, BLACK, "middle"),
            Text(self.x0 + self.w / 2, self.y0 + self.h + 30, xlabel, GRAY, "middle"),
            Text(self.x0 - 7, y0 + 26, ylabel, GRAY, "end"))

    def px(self, x):
        return self.x0 + (x - self.xlo) / (self.xhi - self.xlo) * self.w

    def py(self, y):
        return self.y0 + self.h - (y - self.ylo) / (self.yhi - self.ylo) * self.h


def envelope(values, columns):
    """(index, value) points that draw like all of ``values`` on ``columns`` pixels: every
    point when they fit, else the first, max and min of each column's share, in order."""
    n = len(values)
    if n <= 2 * columns:
        return list(enumerate(values))
    points = []
    for c in range(columns):
        lo, hi = c * n // columns, (c + 1) * n // columns
        chunk = values[lo:hi]
        top, bottom = max(chunk), min(chunk)
        i_top, i_bottom = lo + chunk.index(top), lo + chunk.index(bottom)
        points.extend(sorted([(i_top, top), (i_bottom, bottom)]))
    return points


def curves(history):
    """The loss and accuracy panels of a ``History`` side by side."""
    figure = Figure(2 * PANEL_W, PANEL_H)
    losses = [v for v in history.iteration_loss if math.isfinite(v)]
    top = max(losses) * 1.05 if losses else 1.0
    loss_axes = Axes(figure, 0, 0, "training loss per iteration", "iteration", "loss",
                     (0, max(len(losses) - 1, 1)), (0.0, top))
    figure.add(Polyline([(loss_axes.px(i), loss_axes.py(v))
                         for i, v in envelope(losses, loss_axes.w)], PALETTE[0]))
    epochs = history.epoch
    acc_axes = Axes(figure, PANEL_W, 0, "accuracy per epoch", "epochs", "accuracy",
                    (min(epochs, default=0), max(epochs, default=1)), (0.0, 1.0))
    series = (("train acc", history.train_acc, PALETTE[0], None),
              ("test acc", history.test_acc, PALETTE[1], (6, 4)))
    for n, (label, values, color, dash) in enumerate(series):
        points = [(acc_axes.px(e), acc_axes.py(v)) for e, v in zip(epochs, values)
                  if math.isfinite(v)]
        if not points:
            continue
        figure.add(Polyline(points, color, 2, dash))
        for x, y in points:
            if dash is None:
                figure.add(Disc(x, y, 3, color))
            else:
                figure.add(Rect(x - 3, y - 3, 6, 6, fill=color))
        ly = acc_axes.y0 + acc_axes.h - 36 + 16 * n
        lx = acc_axes.x0 + acc_axes.w - 110
        figure.add(Line(lx, ly, lx + 26, ly, color, 2, dash),
                   Text(lx + 34, ly, label, BLACK))
    return figure


def _light(color, amount=0.65):
    return tuple(round(c + (255 - c) * amount) for c in color)


def decision_regions(net, dataset, size=360, margin=0.25):
    """A Figure of the class ``net`` predicts over the plane around a 2-D ``dataset``,
    with the data points on top (CS231n's "Putting it together" picture)."""
    if dataset.features_per_sample != 2:
        raise ValueError(f"decision regions need 2-D data, this data set has "
                         f"{dataset.features_per_sample} features per sample")
    x, labels = dataset.batch(range(len(dataset)))
    xs, ys = [p[0] for p in x], [p[1] for p in x]
    xlo, xhi = min(xs) - margin, max(xs) + margin
    ylo, yhi = min(ys) - margin, max(ys) + margin
    figure = Figure(size + LEFT + RIGHT, size + TOP + BOTTOM)
    axes = Axes.__new__(Axes)
    axes.figure, axes.x0, axes.y0, axes.w, axes.h = figure, LEFT, TOP, size, size
    axes.xlo, axes.xhi, axes.ylo, axes.yhi = xlo, xhi, ylo, yhi
    cell = 3
    cells = size // cell
    for row in range(cells):
        yv = yhi - (row + 0.5) / cells * (yhi - ylo)
        grid = [[xlo + (col + 0.5) / cells * (xhi - xlo), yv] for col in range(cells)]
        for col, scores in enumerate(net.predict(grid)):
            k = max(range(len(scores)), key=scores.__getitem__)
            figure.add(Rect(LEFT + col * cell, TOP + row * cell, cell, cell,
                            fill=_light(PALETTE[k % len(PALETTE)])))
    for (px, py), label in zip(x, labels):
        label = label if isinstance(label, int) else max(range(len(label)),
                                                          key=label.__getitem__)
        figure.add(Disc(axes.px(px), axes.py(py), 4, BLACK),
                   Disc(axes.px(px), axes.py(py), 3, PALETTE[label % len(PALETTE)]))
    for v in nice_ticks(xlo, xhi):
        figure.add(Text(axes.px(v), TOP + size + 12, tick_label(v), BLACK, "middle"))
    for v in nice_ticks(ylo, yhi):
        figure.add(Text(LEFT - 7, axes.py(v), tick_label(v), BLACK, "end"))
    figure.add(Rect(LEFT, TOP, size + 1, size + 1, stroke=BLACK),
               Text(LEFT + size / 2, 14, "decision regions", BLACK, "middle"))
    return figure


def grid_canvas(images, captions, shape=(28, 28), cols=10, scale=2, colors=None):
    """A ``raster.Canvas`` of gray images in rows of ``cols``, each ``scale`` times its
    size with its caption (in ``colors[i]``, default black) under it."""
    from .raster import Canvas

    rows_n, cols_n = shape
    cell_w, cell_h = cols_n * scale + 6, rows_n * scale + 16
    cols = max(1, min(cols, len(images)))
    lines = max(1, -(-len(images) // cols))
    canvas = Canvas(cols * cell_w + 4, lines * cell_h + 4)
    for i, (image, caption) in enumerate(zip(images, captions)):
        x, y = 5 + (i % cols) * cell_w, 5 + (i // cols) * cell_h
        canvas.gray_image(x, y, image, cols_n, rows_n, scale)
        color = colors[i] if colors else BLACK
        canvas.text(x + cols_n * scale // 2, y + rows_n * scale + 3, caption, color,
                    anchor="middle")
    return canvas
