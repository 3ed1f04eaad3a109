"""The built-in layers: Dense, ReLU, Sigmoid, Tanh, Softmax.

A layer maps a batch x of shape (N, features) to y of shape (N, features'), one flat row
per sample. ``forward(x, train)`` keeps what ``backward`` needs; ``backward(dout)`` takes
∂L/∂y and returns ∂L/∂x, storing the parameters' gradients in ``self.grads`` under the
same names as ``self.params``. The products themselves live in ``purenn.linalg``.

Plugin layers follow the same contract: see ``Layer``.
"""

import math

from . import linalg
from .errors import SpecError
from .registry import load_entry


class Layer:
    """Base class and contract of every layer.

    - ``__init__`` takes the layer's spec arguments (the positional ones first); keep the
      arguments in ``self.config`` so a network can write its spec back out.
    - ``build(input_shape, rng)`` creates the parameters for a sample of ``input_shape``
      (a tuple such as ``(784,)`` or ``(1, 28, 28)``) and returns the output sample shape.
    - ``params`` / ``grads``: dicts of nested lists of floats with the same keys;
      ``decay`` names the parameters weight decay applies to (weights, not biases).
    - ``input_grad``: when False (the first layer) ``backward`` may skip computing dx.
    """

    decay = ()

    def __init__(self):
        self.config = {}
        self.params = {}
        self.grads = {}
        self.input_grad = True

    def build(self, input_shape, rng):
        return input_shape

    def forward(self, x, train=False):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError


class Dense(Layer):
    """Affine (fully connected) layer: y = x·W + b.

    Shapes: x (N, n_in), W (n_in, units), b (units,), y (N, units). A sample of any shape
    is read as its n_in = prod(shape) numbers in C order, as the book's ``x.reshape(N, -1)``.

    Backward, with dout = ∂L/∂y of shape (N, units):
        dx = dout·Wᵀ        (N, n_in)
        dW = xᵀ·dout        (n_in, units)
        db = Σ_n dout[n]    (units,)

    ``init`` draws W (``normal`` with ``std``, ``xavier`` or ``he``, see ``purenn.init``
    or any plugin in ``purenn.initializers``); b starts at zero.
    """

    decay = ("W",)

    def __init__(self, units: int, init: str = "normal", std: float = 0.01):
        super().__init__()
        if units < 1:
            raise SpecError(f"dense needs a positive number of units, got {units!r}")
        self.units = units
        self.init = init
        self.std = std
        self.config = {"units": units, "init": init, "std": std}

    def build(self, input_shape, rng):
        n_in = math.prod(input_shape)
        initializer = load_entry("purenn.initializers", self.init)
        self.params = {
            "W": initializer((n_in, self.units), n_in, rng, std=self.std),
            "b": [0.0] * self.units,
        }
        return (self.units,)

    def forward(self, x, train=False):
        self.x = x
        return linalg.add_row(linalg.matmul(x, self.params["W"]), self.params["b"])

    def backward(self, dout):
        W = self.params["W"]
        self.grads = {"W": linalg.matmul_tn(self.x, dout), "b": linalg.col_sums(dout)}
        if not self.input_grad:
            return None
        return linalg.matmul_nt(dout, W)


class ReLU(Layer):
    """Rectified linear unit: y = max(0, x), elementwise.

    Backward: dx = dout where x > 0, else 0 (the book's mask ``x <= 0``).
    """

    def forward(self, x, train=False):
        y = [[v if v > 0.0 else 0.0 for v in row] for row in x]
        self.y = y
        return y

    def backward(self, dout):
        return [[d if v > 0.0 else 0.0 for d, v in zip(drow, yrow)]
                for drow, yrow in zip(dout, self.y)]


def sigmoid(v):
    """σ(v) = 1 / (1 + e^-v), written so that e^x is only taken of x ≤ 0.

    ``math.exp`` overflows past ~709, so for v < 0 the same value is computed as
    e^v / (1 + e^v): no OverflowError at v = -1000, and no cancellation either way.
    """
    if v >= 0.0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


class Sigmoid(Layer):
    """Logistic sigmoid: y = 1 / (1 + e^-x), elementwise, stable for any x.

    Backward: dx = dout ⊙ y ⊙ (1 − y).
    """

    def forward(self, x, train=False):
        y = [list(map(sigmoid, row)) for row in x]
        self.y = y
        return y

    def backward(self, dout):
        return [[d * v * (1.0 - v) for d, v in zip(drow, yrow)]
                for drow, yrow in zip(dout, self.y)]


class Tanh(Layer):
    """Hyperbolic tangent: y = tanh(x), elementwise.

    Backward: dx = dout ⊙ (1 − y²).
    """

    def forward(self, x, train=False):
        y = [list(map(math.tanh, row)) for row in x]
        self.y = y
        return y

    def backward(self, dout):
        return [[d * (1.0 - v * v) for d, v in zip(drow, yrow)]
                for drow, yrow in zip(dout, self.y)]


def softmax(row):
    """softmax(a)_k = e^(a_k − max a) / Σ_j e^(a_j − max a): the max is subtracted so
    that no exponent is positive (no overflow), which leaves the value unchanged."""
    top = max(row)
    e = [math.exp(v - top) for v in row]
    total = math.fsum(e)
    return [v / total for v in e]


def log_softmax(row):
    """log softmax(a)_k = a_k − logsumexp(a), with logsumexp taken stably around max a."""
    top = max(row)
    lse = top + math.log(math.fsum(math.exp(v - top) for v in row))
    return [v - lse for v in row]


class Softmax(Layer):
    """Softmax over each sample's features: y_k = e^(x_k) / Σ_j e^(x_j), computed stably.

    Backward (the Jacobian ∂y_k/∂x_j = y_k(δ_kj − y_j) applied to dout):
        dx = y ⊙ (dout − Σ_j dout_j·y_j)

    As the last layer before ``softmax_cross_entropy`` it is not needed: that loss
    applies softmax itself.
    """

    def forward(self, x, train=False):
        y = [softmax(row) for row in x]
        self.y = y
        return y

    def backward(self, dout):
        out = []
        for drow, yrow in zip(dout, self.y):
            s = linalg.dot(drow, yrow)
            out.append([v * (d - s) for d, v in zip(drow, yrow)])
        return out


