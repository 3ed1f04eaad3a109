"""Pooling layers: MaxPool2D and AvgPool2D over square windows ("Deep Learning from
Scratch", chapter 7). Each channel is pooled on its own, so C stays C."""

from operator import add
from typing import Optional

from purenn import linalg
from purenn.layers import Layer

from . import loops
from .kernels import Grid, check_image_shape, pool_windows


class Pool2D(Layer):
    """What both pooling layers share: the window ``size``, the ``stride`` (default: the
    size, so windows tile the input) and ``pad`` zeros on each side, as the book's im2col
    pads. Shapes: x (N, C·H·W), y (N, C·out_h·out_w), out_h = (H + 2·pad − size) // stride
    + 1, out_w likewise. Under purenn's ``loops`` kernel set (PyPy) both run as the indexed
    loops of ``purenn_conv.loops``, with the same terms in the same order."""

    kind = None

    def __init__(self, size: int, stride: Optional[int] = None, pad: int = 0):
        super().__init__()
        self.size, self.pad = size, pad
        self.stride = size if stride is None else stride
        self.config = {"size": size, "stride": stride, "pad": pad}

    def build(self, input_shape, rng):
        channels, height, width = check_image_shape(
            self.kind, input_shape, self.size, self.stride, self.pad)
        self.grid = Grid(channels, height, width, self.size, self.stride, self.pad)
        self.windows = pool_windows(self.grid)
        self.rows, self.offsets, self.step = loops.pool_offsets(self.grid)
        return (channels, self.grid.out_h, self.grid.out_w)


class MaxPool2D(Pool2D):
    """Max pooling: y[c, i, j] = max over the window (c, i·s .. i·s+size−1, j·s ..).

    Backward: each window's dout goes to the input that was the max (the first one on a
    tie, as NumPy's argmax in the book), and nowhere else:
        dx[c, i·s + ky, j·s + kx] += dout[c, i, j]   for the winning (ky, kx)
    """

    kind = "maxpool2d"

    def forward(self, x, train=False):
        if linalg.KERNEL == "loops":     # backward needs only each window's winner
            out_w = self.grid.out_w
            pairs = [loops.maxpool_forward(self.grid.padded(row), self.rows, self.offsets,
                                           self.step, out_w) for row in x]
            self.x = self.y = None
            self.winners = [winner for _, winner in pairs]
            return [y for y, _ in pairs]
        self.winners = None
        self.x = [self.grid.padded(row) for row in x]
        self.y = []
        for xp in self.x:
            y = []
            for offsets in self.windows:
                y.extend(map(max, *[xp[sl] for sl in offsets]))
            self.y.append(y)
        return self.y

    def backward(self, dout):
        w = self.grid.out_w
        if self.winners is not None:
            return [self.grid.cropped(loops.maxpool_backward(
                drow, winner, self.rows, self.offsets, self.step, w, self.grid.size))
                for drow, winner in zip(dout, self.winners)]
        dx = []
        for xp, y, drow in zip(self.x, self.y, dout):
            dgrid = [0.0] * self.grid.size
            for r, offsets in enumerate(self.windows):
                top, left = y[r * w:(r + 1) * w], drow[r * w:(r + 1) * w]
                for sl in offsets:
                    seen = xp[sl]
                    dgrid[sl] = [g + (d if v == t else 0.0)
                                 for g, d, v, t in zip(dgrid[sl], left, seen, top)]
                    left = [0.0 if v == t else d for d, v, t in zip(left, seen, top)]
            dx.append(self.grid.cropped(dgrid))
        return dx


class AvgPool2D(Pool2D):
    """Average pooling: y[c, i, j] = (1/size²) Σ over the window (padding counts as 0).

    Backward: every input of a window gets an equal share of its gradient:
        dx[c, i·s + ky, j·s + kx] += dout[c, i, j] / size²   for every (ky, kx)
    """

    kind = "avgpool2d"

    def forward(self, x, train=False):
        if linalg.KERNEL == "loops":
            scale = 1.0 / (self.size * self.size)
            return [loops.avgpool_forward(self.grid.padded(row), self.rows, self.offsets,
                                          self.step, self.grid.out_w, scale) for row in x]
        scale = (1.0 / (self.size * self.size)).__mul__
        out = []
        for row in x:
            xp = self.grid.padded(row)
            y = []
            for offsets in self.windows:
                total = xp[offsets[0]]
                for sl in offsets[1:]:
                    total = list(map(add, total, xp[sl]))
                y.extend(map(scale, total))
            out.append(y)
        return out

    def backward(self, dout):
        w = self.grid.out_w
        if linalg.KERNEL == "loops":
            scale = 1.0 / (self.size * self.size)
            return [self.grid.cropped(loops.avgpool_backward(
                drow, self.rows, self.offsets, self.step, w, self.grid.size, scale))
                for drow in dout]
        scale = (1.0 / (self.size * self.size)).__mul__
        dx = []
        for drow in dout:
            dgrid = [0.0] * self.grid.size
            for r, offsets in enumerate(self.windows):
                share = list(map(scale, drow[r * w:(r + 1) * w]))
                for sl in offsets:
                    dgrid[sl] = map(add, dgrid[sl], share)
            dx.append(self.grid.cropped(dgrid))
        return dx
