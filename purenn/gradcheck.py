"""Gradient checks: backprop against numerical gradients, in one call.

    check_layer(layer, input_shape)           backprop of a layer vs numerical, per part
    check_loss(loss, x, t)                    the same for a loss
    check_network(net, x, t)                  the same for every parameter of a network
                                              (a copy, weights redrawn at order one)
    errors(net, x, t, entries, rng)           per parameter: relative and absolute errors,
                                              every entry or sampled (the policy below)
    full_errors(net, x, t)                    the same over every entry
    sampled_errors(net, x, t, entries, rng)   the same over random entries of each
    redraw(net, rng)                          weights of order one for a meaningful check

The checks report CS231n's relative error |a − n| / max(1e-8, |a| + |n|), the largest over
all entries; in float64 a correct backward pass gives ≲ 1e-7. The numerical gradients
themselves (the book's chapter 4) are in ``purenn.gradient``, and are also importable
from here.
"""

import copy
import math
import random
import warnings

from . import linalg
from .gradient import central_difference, frozen, gradient_descent, numerical_gradient
from .registry import kind_of
from .spec import make_part

__all__ = ["TOLERANCE", "central_difference", "check_layer", "check_loss", "check_network",
           "errors", "frozen", "full_errors", "gradient_descent", "kinks", "max_abs_difference",
           "numerical_gradient", "redraw", "relative_error", "sampled_errors"]

TOLERANCE = 1e-7
FULL_CHECK_LIMIT = 2000   # networks with at most this many parameters are checked in full
SAMPLED_ENTRIES = 30      # entries per parameter checked in larger ones
KINKED_LAYERS = ("relu", "leaky_relu")


def relative_error(analytic, numeric):
    """The largest |a − n| / max(1e-8, |a| + |n|) over two equally shaped nested lists."""
    worst = 0.0
    for la, ln in zip(linalg.leaves(analytic), linalg.leaves(numeric)):
        for a, n in zip(la, ln):
            worst = max(worst, abs(a - n) / max(1e-8, abs(a) + abs(n)))
    return worst


def _random_matrix(rows, cols, rng):
    return [[rng.uniform(-1.0, 1.0) for _ in range(cols)] for _ in range(rows)]


def check_layer(layer, input_shape, *, batch=3, rng=None, h=1e-4, x=None, train=True):
    """Compare a layer's backward pass with numerical gradients; returns
    {"x": error, "<param>": error, ...} (see ``relative_error``).

    The layer is built for ``input_shape`` if it has no parameters yet. The scalar
    checked is L = Σ y ⊙ R for a fixed random R, so ∂L/∂y = R. ``layer`` may also be a
    spec line, ``check_layer("conv2d 4 kernel=3 pad=1", (2, 6, 6))``: the layer is then
    made through the registry, as a network would make it.
    """
    rng = rng or random.Random(0)
    if isinstance(layer, str):
        layer = make_part("purenn.layers", layer)
    if not layer.params:
        layer.build(tuple(input_shape), rng)
    features = 1
    for d in input_shape:
        features *= d
    if x is None:
        x = _random_matrix(batch, features, rng)
    y = layer.forward(x, train)
    r = _random_matrix(len(y), len(y[0]), rng)

    def scalar(_=None):
        return sum(linalg.dot(row, rrow) for row, rrow in zip(layer.forward(x, train), r))

    layer.forward(x, train)
    saved = getattr(layer, "input_grad", True)
    layer.input_grad = True
    dx = layer.backward(r)
    layer.input_grad = saved
    grads = {key: linalg.copy_nested(value) for key, value in layer.grads.items()}
    errors = {"x": relative_error(dx, numerical_gradient(scalar, x, h))}
    for key, param in layer.params.items():
        errors[key] = relative_error(grads[key], numerical_gradient(scalar, param, h))
    return errors


def check_loss(loss, x, t, *, h=1e-4):
    """Compare a loss's backward pass with numerical gradients: {"x": error}.

    ``loss`` may also be the words of a spec's loss line, ``check_loss("huber delta=0.5",
    x, t)``: the loss is then made through the registry.
    """
    if isinstance(loss, str):
        loss = make_part("purenn.losses", loss)
    loss.forward(x, t)
    dx = loss.backward(1.0)
    return {"x": relative_error(dx, numerical_gradient(lambda v: loss.forward(v, t), x, h))}


def check_network(net, x, t, *, h=1e-4, redraw_weights=True, entries=None, rng=None,
                  warn=None):
    """Compare backprop with numerical gradients per parameter: {key: the largest
    relative error}, as the ``gradcheck`` command does.

    By default the check runs on a copy of ``net`` whose weights are redrawn at order
    one (``redraw``): at a spec's small initial weights the gradients are tiny and many
    ReLU inputs lie within h of their kink, where central differences are wrong although
    backprop is right (relative errors near 1 for a correct network). The network itself
    is never changed; ``redraw_weights=False`` checks it at its own weights. Which
    entries are checked is ``errors``'s policy (``entries``: an int, or ``"all"``). When
    a ReLU input lies within h of 0 (``kinks``), ``warn`` (default: ``warnings.warn``,
    RuntimeWarning) says that large errors there are the kink's.
    """
    rng = rng or random.Random(0)
    net = copy.deepcopy(net)
    if redraw_weights:
        redraw(net, rng)
    results = errors(net, x, t, entries, rng, h)
    message = kink_warning(net, x, h, "" if redraw_weights
                           else " (redraw_weights=True avoids most)")
    if message:
        (warn or (lambda m: warnings.warn(m, RuntimeWarning, stacklevel=3)))(message)
    return {key: error for key, (error, _, _) in results.items()}


def errors(net, x, t, entries=None, rng=None, h=1e-4):
    """{param: (max relative error, max absolute difference, entries checked)}: every
    entry when the network has at most ``FULL_CHECK_LIMIT`` parameters or ``entries`` is
    ``"all"``, else ``entries`` (default ``SAMPLED_ENTRIES``) random entries of each
    parameter, drawn from ``rng``."""
    if entries == "all" or net.param_count <= FULL_CHECK_LIMIT:
        return full_errors(net, x, t, h)
    return sampled_errors(net, x, t, entries or SAMPLED_ENTRIES, rng or random.Random(0), h)


def kink_warning(net, x, h=1e-4, remedy=""):
    """What to say when ReLU inputs lie within h of their kink (``kinks``), or ''."""
    near, total = kinks(net, x, h)
    if not near:
        return ""
    return (f"{near} of {total} ReLU inputs lie within h = {h:g} of the kink at 0, where "
            f"central differences are wrong although backprop is right; large errors may "
            f"come from there{remedy}")


def kinks(net, x, h=1e-4):
    """(near, total): how many inputs of the network's ReLU layers (``KINKED_LAYERS``)
    lie within h·max(1, max |input of the layer before|) of 0 in a training pass over x
    (dropout masks held as last drawn), out of how many."""
    near = total = 0
    with frozen(layer for _, layer in net.layers):
        previous = value = x
        for _, layer in net.layers:
            if kind_of(layer, "purenn.layers") in KINKED_LAYERS:
                margin = h * max(1.0, max((abs(v) for row in previous for v in row),
                                          default=1.0))
                near += sum(1 for row in value for v in row if abs(v) < margin)
                total += sum(map(len, value))
            previous, value = value, layer.forward(value, True)
    return near, total


def redraw(net, rng):
    """Give every parameter values of order one: uniform in ±sqrt(3/fan_in) for matrices
    (fan_in = size / last dimension), ±1 for vectors. A spec's small initial weights make
    gradients tiny and put many ReLU inputs within h of their kink, where central
    differences are wrong although backprop is right."""
    for param in net.params.values():
        shape = linalg.shape_of(param)
        scale = 1.0 if len(shape) == 1 else math.sqrt(3.0 * shape[-1] / math.prod(shape))
        for leaf in linalg.leaves(param):
            leaf[:] = [rng.uniform(-scale, scale) for _ in leaf]


def max_abs_difference(a, b):
    """The largest |a − b| over two equally shaped nested lists."""
    return max((abs(u - v) for la, lb in zip(linalg.leaves(a), linalg.leaves(b))
                for u, v in zip(la, lb)), default=0.0)


def full_errors(net, x, t, h=1e-4):
    """{param: (max relative error, max absolute difference, entries)}, every entry."""
    analytic = net.gradient(x, t)
    numeric = net.numerical_gradient(x, t, h)
    return {key: (relative_error(analytic[key], numeric[key]),
                  max_abs_difference(analytic[key], numeric[key]),
                  len(linalg.flatten(analytic[key]))) for key in analytic}


def sampled_errors(net, x, t, entries, rng, h=1e-4):
    """{param: (max relative error, max absolute difference, entries checked)} over
    ``entries`` random entries of each parameter (all of a smaller one)."""
    analytic = net.gradient(x, t)
    results = {}
    with frozen(layer for _, layer in net.layers):
        for key, param in net.params.items():
            slots = [(leaf, i) for leaf in linalg.leaves(param) for i in range(len(leaf))]
            grads = [g for leaf in linalg.leaves(analytic[key]) for g in leaf]
            picks = range(len(slots)) if len(slots) <= entries else \
                sorted(rng.sample(range(len(slots)), entries))
            worst = worst_abs = 0.0
            for n in picks:
                leaf, i = slots[n]
                numeric = central_difference(lambda: net.loss(x, t, train=True), leaf, i, h)
                worst = max(worst, relative_error([grads[n]], [numeric]))
                worst_abs = max(worst_abs, abs(grads[n] - numeric))
            results[key] = (worst, worst_abs, len(picks))
    return results
