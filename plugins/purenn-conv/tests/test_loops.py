"""The loops of purenn_conv.loops give the same floats, bit for bit, as the im2col path
under the kernel set that sums left to right as they do (``sum(map(operator.mul))``):
the same terms in the same order."""

import random
import sys

import pytest
from purenn_conv import AvgPool2D, Conv2D, MaxPool2D

from purenn import linalg

LEFT_TO_RIGHT = "sum(map(operator.mul))"
# CPython 3.12+'s sum compensates its rounding, so no C-level set adds left to right
# there (see purenn.linalg); the other CPythons and PyPy check the sums
SUM_IS_LEFT_TO_RIGHT = sys.version_info < (3, 12) or sys.implementation.name == "pypy"


@pytest.fixture(autouse=True)
def kernel():
    """These tests choose their kernel sets themselves (conftest runs the others under
    each set)."""
    yield


def batch(rng, n, size, zeros=0.5, ties=False):
    """Rows with many exact zeros (as ReLU outputs and MNIST pixels have), and, with
    ties, values from a small set so that pooling windows have equal maxima."""
    def value():
        if rng.random() < zeros:
            return 0.0
        return float(rng.choice([-1, 1, 2])) if ties else rng.uniform(-2.0, 2.0)
    return [[value() for _ in range(size)] for _ in range(n)]


def run(layer, shape, x, dout, kernel, params=None):
    """forward (train) and backward of ``layer`` built for ``shape`` under ``kernel``;
    ``params`` replace the drawn ones."""
    saved = linalg.KERNEL
    linalg.use_kernel(kernel)
    try:
        layer.build(shape, random.Random(3))
        layer.params.update(params or {})
        layer.input_grad = True
        y = layer.forward(x, train=True)
        dx = layer.backward(dout)
        return y, dx, getattr(layer, "grads", None)
    finally:
        linalg.use_kernel(saved)


def same(a, b):
    """Equal as floats and as bits (the sign of a zero, NaN where NaN)."""
    return repr(a) == repr(b)


@pytest.mark.parametrize("filters, k, stride, pad, shape", [
    (4, 3, 1, 0, (1, 7, 7)),
    (3, 3, 1, 1, (2, 6, 5)),
    (2, 2, 2, 1, (3, 5, 4)),
    (5, 5, 1, 0, (1, 12, 12)),
    (2, 3, 2, 2, (2, 5, 6)),
])
@pytest.mark.skipif(not SUM_IS_LEFT_TO_RIGHT, reason="sum is compensated on 3.12+")
def test_conv_loops_are_the_im2col_sums_bit_for_bit(filters, k, stride, pad, shape):
    rng = random.Random(filters * 100 + k)
    c, h, w = shape
    out = ((h + 2 * pad - k) // stride + 1) * ((w + 2 * pad - k) // stride + 1) * filters
    x, dout = batch(rng, 3, c * h * w), batch(rng, 3, out)
    W = [[[[0.0 if rng.random() < 0.2 else rng.gauss(0.0, 1.0) for _ in range(k)]
           for _ in range(k)] for _ in range(c)] for _ in range(filters)]
    params = {"W": W, "b": [rng.uniform(-1.0, 1.0) for _ in range(filters)]}
    first = run(Conv2D(filters, kernel=k, stride=stride, pad=pad), shape, x, dout,
                LEFT_TO_RIGHT, params)
    second = run(Conv2D(filters, kernel=k, stride=stride, pad=pad), shape, x, dout,
                 "loops", params)
    assert same(first, second)


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize("size, stride, pad, shape", [
    (2, 2, 0, (3, 6, 6)),
    (2, 2, 0, (2, 5, 7)),
    (3, 1, 0, (2, 6, 5)),
    (3, 2, 1, (1, 7, 7)),
    (2, 1, 1, (2, 4, 4)),
])
def test_pool_loops_are_the_slice_path_bit_for_bit(cls, size, stride, pad, shape):
    rng = random.Random(size * 10 + stride)
    c, h, w = shape
    out = c * ((h + 2 * pad - size) // stride + 1) * ((w + 2 * pad - size) // stride + 1)
    x = batch(rng, 3, c * h * w, zeros=0.3, ties=cls is MaxPool2D)
    x[0][0] = float("nan")
    dout = batch(rng, 3, out, zeros=0.2)
    first = run(cls(size, stride=stride, pad=pad), shape, x, dout, LEFT_TO_RIGHT)
    second = run(cls(size, stride=stride, pad=pad), shape, x, dout, "loops")
    assert same(first, second)
