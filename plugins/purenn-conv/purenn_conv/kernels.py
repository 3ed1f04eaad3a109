"""The loops of purenn-conv: im2col, col2im and pooling windows, as precomputed indices.

A sample is one flat row of C·H·W numbers in C order (channel, then row, then column).
Everything that depends only on the shapes is computed once, in ``build``:

- ``Grid`` places the input on a zero-padded grid of C × (H+2p) × (W+2p) cells;
- ``im2col_getters``: one ``operator.itemgetter`` per output position, picking the
  C·kh·kw inputs of its window in (c, ky, kx) order (the row order of W reshaped to
  (out, C·kh·kw)); a padding cell reads the 0.0 appended to the sample;
- ``window_slices``: for each window offset (c, ky, kx) and output row oy, the slice of
  the padded grid that holds the inputs seen at that offset by the out_w windows of the
  row; col2im and pooling add or compare whole slices at once.
"""

from dataclasses import dataclass
from itertools import chain
from operator import add, itemgetter

from purenn.errors import SpecError


def out_size(size, window, stride, pad):
    """Windows along one axis: (size + 2·pad − window) // stride + 1."""
    return (size + 2 * pad - window) // stride + 1


def check_image_shape(kind, shape, window, stride, pad):
    """(C, H, W) of an input shape, or SpecError if the layer cannot take it."""
    if len(shape) != 3:
        raise SpecError(f"{kind} needs a CxHxW input (such as 'input 1x28x28'), got "
                        f"{'x'.join(map(str, shape))!r}")
    if window < 1 or stride < 1 or pad < 0:
        raise SpecError(f"{kind} needs window ≥ 1, stride ≥ 1 and pad ≥ 0, got "
                        f"window={window!r}, stride={stride!r}, pad={pad!r}")
    c, h, w = shape
    if out_size(h, window, stride, pad) < 1 or out_size(w, window, stride, pad) < 1:
        raise SpecError(f"{kind} window {window}x{window} with pad {pad} does not fit an "
                        f"input of {'x'.join(map(str, shape))}")
    return c, h, w


@dataclass
class Grid:
    """The padded grid of a (C, H, W) sample for a square window, stride and pad."""

    channels: int
    height: int
    width: int
    window: int
    stride: int
    pad: int

    def __post_init__(self):
        self.hp = self.height + 2 * self.pad
        self.wp = self.width + 2 * self.pad
        self.out_h = out_size(self.height, self.window, self.stride, self.pad)
        self.out_w = out_size(self.width, self.window, self.stride, self.pad)
        self.size = self.channels * self.hp * self.wp

    def source(self, c, y, x):
        """Index into the sample row (plus its trailing 0.0) of padded cell (c, y, x)."""
        y -= self.pad
        x -= self.pad
        if 0 <= y < self.height and 0 <= x < self.width:
            return (c * self.height + y) * self.width + x
        return self.channels * self.height * self.width

    def cell(self, c, y, x):
        return (c * self.hp + y) * self.wp + x

    def padded(self, row):
        """The sample laid on the padded grid (itself when pad is 0)."""
        if not self.pad:
            return row
        grid = [0.0] * self.size
        for c in range(self.channels):
            for y in range(self.height):
                start = self.cell(c, y + self.pad, self.pad)
                offset = (c * self.height + y) * self.width
                grid[start:start + self.width] = row[offset:offset + self.width]
        return grid

    def cropped(self, grid):
        """The inverse of ``padded``: the H×W interior of every channel, one flat row."""
        if not self.pad:
            return grid
        return list(chain.from_iterable(
            grid[self.cell(c, y + self.pad, self.pad):
                 self.cell(c, y + self.pad, self.pad) + self.width]
            for c in range(self.channels) for y in range(self.height)))


def im2col_getters(grid):
    """One getter per output position (oy, ox), row-major: getter(row + [0.0]) is the
    window's C·kh·kw inputs as a tuple, in (c, ky, kx) order."""
    k = grid.window
    getters = []
    for oy in range(grid.out_h):
        for ox in range(grid.out_w):
            y0, x0 = oy * grid.stride, ox * grid.stride
            index = [grid.source(c, y0 + ky, x0 + kx)
                     for c in range(grid.channels) for ky in range(k) for kx in range(k)]
            getters.append(itemgetter(*index) if len(index) > 1
                           else _single_getter(index[0]))
    return getters


def _single_getter(i):
    return lambda row: (row[i],)


def im2col(row, getters):
    """The window inputs of one sample: (out_h·out_w, C·kh·kw), tuples as rows."""
    extended = row + [0.0]
    return [get(extended) for get in getters]


def window_slices(grid):
    """For each window offset (c, ky, kx), in (c, ky, kx) order, the out_h slices of the
    padded grid it covers: slice oy holds the out_w cells (c, oy·s + ky, ox·s + kx)."""
    s, k = grid.stride, grid.window
    span = s * (grid.out_w - 1) + 1
    offsets = []
    for c in range(grid.channels):
        for ky in range(k):
            for kx in range(k):
                starts = (grid.cell(c, oy * s + ky, kx) for oy in range(grid.out_h))
                offsets.append([slice(a, a + span, s) for a in starts])
    return offsets


def col2im(dcol_t, grid, slices):
    """Add every window's gradient back to the input it came from: dcol_t is
    (C·kh·kw, out_h·out_w), one row per window offset; returns dx, one flat sample."""
    dgrid = [0.0] * grid.size
    w = grid.out_w
    for drow, rows in zip(dcol_t, slices):
        for oy, sl in enumerate(rows):
            dgrid[sl] = map(add, dgrid[sl], drow[oy * w:(oy + 1) * w])
    return grid.cropped(dgrid)


def pool_windows(grid):
    """For each channel c and output row oy, the slices of the kh·kw window offsets:
    element ox of slice (ky, kx) is the cell (c, oy·s + ky, ox·s + kx)."""
    per_offset = window_slices(Grid(1, grid.hp, grid.wp, grid.window, grid.stride, 0))
    plane = grid.hp * grid.wp
    windows = []
    for c in range(grid.channels):
        for oy in range(grid.out_h):
            windows.append([slice(rows[oy].start + c * plane, rows[oy].stop + c * plane,
                                  rows[oy].step) for rows in per_offset])
    return windows
