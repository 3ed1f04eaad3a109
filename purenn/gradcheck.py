"""Numerical gradients: the book's chapter 4 tools, and one-call checks of backprop.

    numerical_gradient(f, x)                  ∂f/∂x by central differences
    gradient_descent(f, init_x, lr, step_num) x ← x − lr·∇f(x), step_num times
    check_layer(layer, input_shape)           backprop of a layer vs numerical, per part
    check_loss(loss, x, t)                    the same for a loss
    check_network(net, x, t)                  the same for every parameter of a network

The checks report CS231n's relative error |a − n| / max(1e-8, |a| + |n|), the largest over
all entries; in float64 a correct backward pass gives ≲ 1e-7.
"""

import random

from . import linalg

TOLERANCE = 1e-7


def central_difference(f, leaf, i, h=1e-4):
    """(f() with leaf[i] + h − f() with leaf[i] − h) / 2h, leaf[i] restored after."""
    saved = leaf[i]
    leaf[i] = saved + h
    plus = f()
    leaf[i] = saved - h
    minus = f()
    leaf[i] = saved
    return (plus - minus) / (2 * h)


def numerical_gradient(f, x, h=1e-4):
    """∂f/∂x_i ≈ (f(x + h·e_i) − f(x − h·e_i)) / 2h for every entry of x.

    ``x`` is a list of floats or nested lists of them; each entry is nudged in place and
    restored, and f is called with x itself. Returns nested lists shaped like x.
    """
    grad = linalg.zeros_like(x)
    for leaf, gleaf in zip(linalg.leaves(x), linalg.leaves(grad)):
        for i in range(len(leaf)):
            gleaf[i] = central_difference(lambda: f(x), leaf, i, h)
    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    """Repeat x ← x − lr·∇f(x) (gradient by ``numerical_gradient``); returns the last x.

    ``init_x`` is not changed. With f(x) = x0² + x1² from (−3, 4), lr = 0.1 and 100
    steps reach about (0, 0); lr = 1e-10 barely moves, lr = 10 diverges (the book's ch. 4).
    """
    x = linalg.copy_nested(init_x)
    for _ in range(step_num):
        linalg.axpy_(x, -lr, numerical_gradient(f, x))
    return x


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
        from .spec import make_part
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
        from .spec import make_part
        loss = make_part("purenn.losses", loss)
    loss.forward(x, t)
    dx = loss.backward(1.0)
    return {"x": relative_error(dx, numerical_gradient(lambda v: loss.forward(v, t), x, h))}


def check_network(net, x, t, *, h=1e-4):
    """Compare ``net.gradient`` with ``net.numerical_gradient`` per parameter."""
    analytic = net.gradient(x, t)
    numeric = net.numerical_gradient(x, t, h)
    return {key: relative_error(analytic[key], numeric[key]) for key in analytic}
