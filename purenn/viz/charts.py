"""The pictures of a training run, as ``purenn.plot`` figures (``.save(path)``):

- ``curves(history)``: the two panels of the book's figures, the training loss of every
  update (chapter 4's loss curve) and the train and test accuracy per epoch (train solid,
  test dashed, accuracy from 0 to 1);
- ``decision_regions(net, dataset)``: for 2-D data such as CS231n's spiral, the class the
  network picks at every point of a grid as a light background (one embedded image, not
  a rectangle per cell), the data points on top in their class's color;
- ``scatter(dataset)``: the points of a 2-D data set in their classes' colors;
- ``grid_canvas(images, captions)``: images (rows of values in [0, 1]) side by side in
  rows, each with a caption (one or more lines) under it, as a ``raster.Canvas``.
"""

from .. import plot
from .figure import BLACK, PALETTE
from .font import HEIGHT


def curves(history):
    """The loss and accuracy panels of a ``History`` side by side."""
    return plot.history(history)


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
    fig = plot.Figure(panel_size=(size + 80, size + 80))
    ax = fig.panel("decision regions", "x1", "x2", legend=None)
    ax.raster(pixels, cells, cells, (xlo, xhi), (ylo, yhi))
    ax.scatter([p[0] for p in x], [p[1] for p in x], classes=labels)
    return fig


def scatter(dataset, title="", margin=0.1):
    """The points of a 2-D data set, each in its class's color, with a legend."""
    _check_2d(dataset, "scatter plots")
    x, labels = _points(dataset)
    (xlo, xhi), (ylo, yhi) = _box(x, margin)
    fig = plot.Figure(panel_size=(432, 428))
    ax = fig.panel(title, "x1", "x2", xlim=(xlo, xhi), ylim=(ylo, yhi))
    for k in sorted(set(labels)):
        ax.scatter([p[0] for p, t in zip(x, labels) if t == k],
                   [p[1] for p, t in zip(x, labels) if t == k], label=f"class {k}",
                   color=PALETTE[k % len(PALETTE)])
    return fig


def grid_canvas(images, captions, shape=(28, 28), cols=10, scale=2, colors=None):
    """A ``raster.Canvas`` of gray images in rows of ``cols``, each ``scale`` times its
    size with its caption under it (lines split at newlines; in ``colors[i]``, default
    black)."""
    from .raster import Canvas

    if len(images) != len(captions):
        raise ValueError(f"{len(images)} images but {len(captions)} captions")
    rows_n, cols_n = shape
    caption_lines = max((len(c.split("\n")) for c in captions), default=1)
    cell_w, cell_h = cols_n * scale + 6, rows_n * scale + 6 + (HEIGHT + 2) * caption_lines
    cols = max(1, min(cols, len(images)))
    lines = max(1, -(-len(images) // cols))
    canvas = Canvas(cols * cell_w + 4, lines * cell_h + 4)
    for i, (image, caption) in enumerate(zip(images, captions)):
        x, y = 5 + (i % cols) * cell_w, 5 + (i // cols) * cell_h
        canvas.gray_image(x, y, image, cols_n, rows_n, scale)
        color = colors[i] if colors else BLACK
        for n, text in enumerate(caption.split("\n")):
            canvas.text(x + cols_n * scale // 2, y + rows_n * scale + 3 + n * (HEIGHT + 2),
                        text, color, anchor="middle")
    return canvas
