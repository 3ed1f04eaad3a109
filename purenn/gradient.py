"""Numerical gradients, the book's ``common/gradient.py`` and chapter 4: central
differences, gradient descent with them, and holding a network fixed while they run.

    numerical_gradient(f, x)                  ∂f/∂x by central differences
    gradient_descent(f, init_x, lr, step_num) x ← x − lr·∇f(x), step_num times

The book's example (section 4.4), f(x0, x1) = x0² + x1²:

>>> def f(x):
...     return x[0] ** 2 + x[1] ** 2
>>> [round(g, 6) for g in numerical_gradient(f, [3.0, 4.0])]
[6.0, 8.0]
>>> [round(v, 6) for v in gradient_descent(f, [-3.0, 4.0], lr=0.1, step_num=100)]
[-0.0, 0.0]
"""

import contextlib

from . import linalg


def central_difference(f, leaf, i, h=1e-4):
    """(f() with leaf[i] + h − f() with leaf[i] − h) / 2h, leaf[i] restored after."""
    saved = leaf[i]
    leaf[i] = saved + h
    plus = f()
    leaf[i] = saved - h
    minus = f()
    leaf[i] = saved
    return (plus - minus) / (2 * h)


def numerical_gradient(f, x, h=1e-4, each=None):
    """∂f/∂x_i ≈ (f(x + h·e_i) − f(x − h·e_i)) / 2h for every entry of x.

    ``x`` is a list of floats or nested lists of them; each entry is nudged in place and
    restored, and f is called with x itself. Returns nested lists shaped like x.
    ``each()``, when given, is called after every entry (progress, a way to stop: an
    exception it raises leaves x as it was).
    """
    grad = linalg.zeros_like(x)
    for leaf, gleaf in zip(linalg.leaves(x), linalg.leaves(grad)):
        for i in range(len(leaf)):
            gleaf[i] = central_difference(lambda: f(x), leaf, i, h)
            if each is not None:
                each()
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


@contextlib.contextmanager
def frozen(layers):
    """Within: every training pass through ``layers`` is one fixed function of the
    parameters (dropout masks stay those last drawn), and their running statistics
    (``buffers``) are put back afterwards. For numerical gradients, which run the same
    batch through the network twice per parameter number."""
    layers = list(layers)
    stochastic = [(layer, layer.frozen) for layer in layers if hasattr(layer, "freeze")]
    saved = [(layer.buffers, {key: linalg.copy_nested(value)
                              for key, value in layer.buffers.items()})
             for layer in layers if layer.buffers]
    for layer, _ in stochastic:
        layer.freeze(True)
    try:
        yield
    finally:
        for layer, was_frozen in stochastic:
            layer.freeze(was_frozen)
        for buffers, copy in saved:
            for key, value in copy.items():
                if not isinstance(value, list):
                    buffers[key] = value
                    continue
                for leaf, saved_leaf in zip(linalg.leaves(buffers[key]), linalg.leaves(value)):
                    leaf[:] = saved_leaf
