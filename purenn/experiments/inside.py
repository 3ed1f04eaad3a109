"""Looking inside a network: each layer's activations for a batch, the first conv layer's
filters, and an optimizer's path over a function of two variables.

Like ``runner``, this is one of the two modules that reach into a network: here through
``net.layers`` (the (name, layer) pairs) and each layer's ``forward``, ``kind`` and
``params``.
"""

import math

from ..losses import total
from ..registry import kind_of

# layers whose output is not "an activation" in the book's sense (figures 6-10 to 6-14)
NOT_ACTIVATIONS = {"dense", "conv2d", "dropout", "batchnorm", "flatten", "maxpool2d",
                   "avgpool2d"}


def layer_kind(layer):
    """The layer's registered name (``registry.kind_of``), else its class's name."""
    return kind_of(layer, "purenn.layers") or type(layer).__name__.lower()


def layer_outputs(net, x, every_layer=False):
    """[(name, kind, values)] for a batch ``x`` in inference mode: the output of every
    activation function (sigmoid, relu, tanh, ... : the layers without parameters that
    are not dropout, batch norm, pooling or flatten), or of every layer. ``values`` is
    all N·D numbers of that output, row by row."""
    out = []
    for name, layer in net.layers:
        x = layer.forward(x, False)
        kind = layer_kind(layer)
        if every_layer or (not getattr(layer, "params", None) and kind not in NOT_ACTIVATIONS):
            out.append((name, kind, [v for row in x for v in row]))
    return out


def summary(values):
    """(mean, std, fraction ≤ 0.01 in magnitude, fraction ≥ 0.99) of activations: the
    numbers that say "vanishing" (all near 0 or 1 for a sigmoid) or "no diversity"."""
    n = len(values)
    if not n:
        return (math.nan,) * 4
    mean = total(values) / n  # inf or NaN, not OverflowError, for activations ~1e308
    std = math.sqrt(total((v - mean) * (v - mean) for v in values) / n)
    small = sum(1 for v in values if abs(v) <= 0.01) / n
    large = sum(1 for v in values if v >= 0.99) / n
    return mean, std, small, large


def first_conv(net):
    """(name, W) of the first layer registered as ``conv2d``; W is (F, C, k, k) nested
    lists. None when the network has no convolution."""
    for name, layer in net.layers:
        if layer_kind(layer) == "conv2d":
            return name, layer.params["W"]
    return None


def book_function(x, y):
    """The book's f(x, y) = x²/20 + y² (chapter 6, optimizer_compare_naive.py)."""
    return x * x / 20.0 + y * y


def book_gradient(x, y):
    """∂f/∂x = x/10, ∂f/∂y = 2y."""
    return x / 10.0, 2.0 * y


def optimizer_path(make_optimizer, start=(-7.0, 2.0), steps=30, gradient=book_gradient):
    """The points an optimizer visits from ``start``: ``steps + 1`` (x, y) pairs.
    ``make_optimizer(params)`` makes purenn's own optimizer (as a spec's optimizer line
    does, ``spec.make_part``), given the point as its one parameter."""
    point = [float(start[0]), float(start[1])]
    params = {"p": point}
    optimizer = make_optimizer(params)
    path = [tuple(point)]
    for _ in range(steps):
        dx, dy = gradient(point[0], point[1])
        optimizer.step({"p": [dx, dy]})
        path.append(tuple(point))
    return path
