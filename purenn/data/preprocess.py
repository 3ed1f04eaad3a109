"""A picture of a handwritten digit made to look like an MNIST sample.

MNIST's digits were prepared so (LeCun, Cortes, Burges): each digit was scaled, keeping
its aspect ratio, to fit a 20x20 box, with gray levels from the anti-aliasing; the box was
then placed in a 28x28 field so that the digit's centre of mass sits at the field's centre.
``mnist_style`` does the same to any gray picture (a drawing on a canvas, a photo read
from a file), so that a network trained on MNIST sees what it was trained on:

1. ink: MNIST is light ink (255) on a dark background (0); a picture with a light border
   (dark ink on paper) is inverted first;
2. box: the smallest rectangle holding every pixel brighter than ``threshold``;
3. scale: by s = 20 / max(w, h) to ⌈w·s⌋ x ⌈h·s⌋ pixels; each new pixel is the mean of the
   part of the picture it covers (area averaging, which anti-aliases);
4. centre: the centre of mass (cx, cy) = (Σ x·v, Σ y·v) / Σ v of the scaled digit is put
   as near as whole pixels allow to (13.5, 13.5), the middle of the 28x28 field.

    >>> blank = mnist_style(bytes(100), 10, 10)
    >>> len(blank), max(blank)
    (784, 0)
    >>> square = bytes(255 if 2 <= x < 6 and 2 <= y < 6 else 0
    ...                for y in range(10) for x in range(10))
    >>> image = mnist_style(square, 10, 10)
    >>> [x for x in range(28) if image[14 * 28 + x]] == list(range(4, 24))
    True
"""

import math

SIZE = 28
BOX = 20
CENTRE = (SIZE - 1) / 2


def mnist_style(pixels, width, height, *, ink="auto", threshold=10):
    """784 bytes (28 rows of 28, 0-255, light ink on black) from a gray picture.

    ``pixels`` holds width·height values 0-255, row by row (bytes, or numbers that are
    clipped to 0-255). ``ink`` says which values are
    the digit: ``"light"`` (as in MNIST), ``"dark"`` (ink on paper), or ``"auto"``: dark
    when the picture's border is mostly light. A picture with no pixel brighter than
    ``threshold`` (after inversion) gives an all-black image.
    """
    if width < 1 or height < 1 or len(pixels) != width * height:
        raise ValueError(f"a {width}x{height} picture needs {max(width, 0) * max(height, 0)} "
                         f"pixel values, got {len(pixels)}")
    if ink not in ("auto", "light", "dark"):
        raise ValueError(f"ink must be 'auto', 'light' or 'dark', got {ink!r}")
    if isinstance(pixels, (bytes, bytearray)):
        values = list(pixels)
    else:
        values = [min(255, max(0, int(v))) for v in pixels]
    if ink == "dark" or (ink == "auto" and _border_mean(values, width, height) > 127):
        values = [255 - v for v in values]
    box = _bounding_box(values, width, height, threshold)
    if box is None:
        return bytes(SIZE * SIZE)
    left, top, right, bottom = box
    w, h = right - left, bottom - top
    crop = [values[y * width + left:y * width + right] for y in range(top, bottom)]
    scale = BOX / max(w, h)
    out_w, out_h = max(1, math.floor(w * scale + 0.5)), max(1, math.floor(h * scale + 0.5))
    digit = _resample(crop, w, h, out_w, out_h)
    mass = sum(map(sum, digit))
    cx = sum(x * v for row in digit for x, v in enumerate(row)) / mass
    cy = sum(y * sum(row) for y, row in enumerate(digit)) / mass
    x0 = min(max(math.floor(CENTRE - cx + 0.5), 0), SIZE - out_w)
    y0 = min(max(math.floor(CENTRE - cy + 0.5), 0), SIZE - out_h)
    image = bytearray(SIZE * SIZE)
    for y, row in enumerate(digit):
        start = (y0 + y) * SIZE + x0
        image[start:start + out_w] = bytes(min(255, math.floor(v + 0.5)) for v in row)
    return bytes(image)


def _border_mean(values, width, height):
    border = values[:width] + values[-width:] + [values[y * width] for y in range(height)] \
        + [values[y * width + width - 1] for y in range(height)]
    return sum(border) / len(border)


def _bounding_box(values, width, height, threshold):
    """(left, top, right, bottom), right and bottom exclusive, or None when empty."""
    rows = [y for y in range(height) if max(values[y * width:(y + 1) * width]) > threshold]
    if not rows:
        return None
    cols = [x for x in range(width) if any(values[y * width + x] > threshold for y in rows)]
    return cols[0], rows[0], cols[-1] + 1, rows[-1] + 1


def _weights(n_in, n_out):
    """For each of n_out new pixels, the (old pixel, share) pairs it averages: new pixel i
    covers [i·n_in/n_out, (i+1)·n_in/n_out) of the old ones."""
    ratio = n_in / n_out
    table = []
    for i in range(n_out):
        start, end = i * ratio, (i + 1) * ratio
        pairs = []
        for j in range(math.floor(start), min(math.ceil(end), n_in)):
            overlap = min(end, j + 1) - max(start, j)
            if overlap > 0:
                pairs.append((j, overlap / ratio))
        table.append(pairs)
    return table


def _resample(rows, w, h, out_w, out_h):
    """Area-averaged resize of a list of rows, first along x, then along y."""
    across = _weights(w, out_w)
    narrow = [[sum(row[j] * share for j, share in pairs) for pairs in across] for row in rows]
    down = _weights(h, out_h)
    return [[sum(narrow[j][x] * share for j, share in pairs) for x in range(out_w)]
            for pairs in down]
