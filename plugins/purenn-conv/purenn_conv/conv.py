"""Conv2D and Flatten: the convolution layer of "Deep Learning from Scratch", chapter 7.

A batch is N flat rows; a sample of shape (C, H, W) is its C·H·W numbers in C order, so
the output of a convolution, (F, out_h, out_w), is already channel-major for a dense layer.
"""

import math
from itertools import chain

from purenn import linalg
from purenn.errors import SpecError
from purenn.layers import Layer
from purenn.registry import load_entry

from . import loops
from .kernels import Grid, check_image_shape, col2im, im2col, im2col_getters, window_slices


class Conv2D(Layer):
    """2-D convolution (cross-correlation, as the book and every library compute it):

        y[f, i, j] = b[f] + Σ_c Σ_ky Σ_kx W[f, c, ky, kx] · xp[c, i·s + ky, j·s + kx]

    with xp the input padded by ``pad`` zeros on each side and s the ``stride``.

    Shapes: x (N, C·H·W) for samples (C, H, W); W (F, C, k, k) with F = ``filters`` and
    k = ``kernel``; b (F,); y (N, F·out_h·out_w) with out_h = (H + 2·pad − k) // s + 1,
    out_w likewise.

    Per sample, im2col lays the P = out_h·out_w windows out as col (P, C·k·k), so that
    with W as a matrix Wm (F, C·k·k):
        y = (col · Wmᵀ)ᵀ + b                  (F, P)
        dWm = Σ_n dout_n · col_n              (F, C·k·k)
        db = Σ_n Σ_p dout_n[:, p]             (F,)
        dcolᵀ = Wmᵀ · dout_n                  (C·k·k, P), added back by col2im → dx

    Under purenn's ``loops`` kernel set (PyPy) the same sums run as the indexed loops of
    ``purenn_conv.loops``, over the padded samples instead of col.

    ``init`` draws W as for a dense layer, with fan-in C·k·k (``normal`` with ``std``,
    ``he``, ``xavier`` or any plugin initializer); b starts at zero.
    """

    decay = ("W",)

    def __init__(self, filters: int, kernel: int = 3, stride: int = 1, pad: int = 0,
                 init: str = "normal", std: float = 0.01):
        super().__init__()
        if filters < 1:
            raise SpecError(f"conv2d needs a positive number of filters, got {filters!r}")
        self.filters, self.kernel, self.stride, self.pad = filters, kernel, stride, pad
        self.init, self.std = init, std
        self.config = {"filters": filters, "kernel": kernel, "stride": stride, "pad": pad,
                       "init": init, "std": std}

    def build(self, input_shape, rng):
        channels, height, width = check_image_shape(
            "conv2d", input_shape, self.kernel, self.stride, self.pad)
        self.grid = Grid(channels, height, width, self.kernel, self.stride, self.pad)
        self.getters = im2col_getters(self.grid)
        self.slices = window_slices(self.grid)
        self.starts, self.offsets = loops.window_offsets(self.grid)
        shape = (self.filters, channels, self.kernel, self.kernel)
        initializer = load_entry("purenn.initializers", self.init)
        self.params = {
            "W": initializer(shape, math.prod(shape[1:]), rng, std=self.std),
            "b": [0.0] * self.filters,
        }
        return (self.filters, self.grid.out_h, self.grid.out_w)

    def weight_matrix(self):
        """W (F, C, k, k) as Wm (F, C·k·k), each filter one row."""
        return [linalg.flatten(w) for w in self.params["W"]]

    def forward(self, x, train=False):
        WmT = linalg.transpose(self.weight_matrix())
        b = self.params["b"]
        if linalg.KERNEL == "loops":
            xps = [self.grid.padded(row) for row in x]
            self.cols, self.xps = None, xps if train else None
            return [loops.conv_forward(xp, WmT, b, self.starts, self.offsets) for xp in xps]
        self.xps = None
        cols, out = [], []
        for row in x:
            col = im2col(row, self.getters)
            y = zip(*linalg.matmul(col, WmT))  # (P, F) → (F, P): sparse windows are cheap
            out.append(list(chain.from_iterable(
                map(bf.__add__, yf) for bf, yf in zip(b, y))))
            if train:
                cols.append(col)
        self.cols = cols
        return out

    def backward(self, dout):
        F, P = self.filters, self.grid.out_h * self.grid.out_w
        if self.xps is not None:
            return self._backward_loops(dout, F, P)
        douts = [[drow[f * P:(f + 1) * P] for f in range(F)] for drow in dout]
        dout_all = [list(chain.from_iterable(d[f] for d in douts)) for f in range(F)]
        col_all = list(chain.from_iterable(self.cols))
        dWm = linalg.matmul(dout_all, col_all)
        kernel_shape = tuple(linalg.shape_of(self.params["W"][0]))
        self.grads = {"W": [linalg.reshape(list(row), kernel_shape) for row in dWm],
                      "b": [linalg.fsum_or_sum(row) for row in dout_all]}
        if not self.input_grad:
            return None
        Wm = self.weight_matrix()
        return [col2im(linalg.matmul(Wm, d, transpose_a=True), self.grid, self.slices)
                for d in douts]

    def _backward_loops(self, dout, F, P):
        """backward as the loops of ``purenn_conv.loops``: the same sums, no col."""
        dWm, db = loops.conv_dW(self.xps, dout, F, self.starts, self.offsets)
        kernel_shape = tuple(linalg.shape_of(self.params["W"][0]))
        self.grads = {"W": [linalg.reshape(row, kernel_shape) for row in dWm], "b": db}
        if not self.input_grad:
            return None
        Wm = self.weight_matrix()
        return [loops.conv_dx(drow, Wm, self.grid, self.starts, self.offsets)
                for drow in dout]


class Flatten(Layer):
    """(C, H, W) → (C·H·W,), channel-major, as the book's ``x.reshape(N, -1)``.

    A sample is already one flat row in C order, so the numbers do not move:
        y = x,  dx = dout
    Only the shape that later layers see changes.
    """

    def build(self, input_shape, rng):
        return (math.prod(input_shape),)

    def forward(self, x, train=False):
        return x

    def backward(self, dout):
        return dout
