"""``grid_canvas(images, captions)``: images (rows of values in [0, 1]) side by side in
rows, each with a caption (one or more lines) under it, as a ``raster.Canvas``.

The pictures of a training run that are ``purenn.plot`` figures (the curves, decision
regions, scatter plots of 2-D data) are in ``purenn.plot``: ``viz`` is what ``plot`` draws
with, and imports nothing from it.
"""

from .figure import BLACK
from .font import HEIGHT


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
