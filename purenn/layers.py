"""The built-in layers: Dense, ReLU, Sigmoid, Tanh, Softmax, Dropout, BatchNorm.

A layer maps a batch x of shape (N, features) to y of shape (N, features'), one flat row
per sample. ``forward(x, train)`` keeps what ``backward`` needs; ``backward(dout)`` takes
∂L/∂y and returns ∂L/∂x, storing the parameters' gradients in ``self.grads`` under the
same names as ``self.params``. The products themselves live in ``purenn.linalg``.

Plugin layers follow the same contract: see ``Layer``.
"""

import math

from . import linalg
from .errors import SpecError
from .functions import sigmoid, softmax
from .registry import load_entry


class Layer:
    """Base class and contract of every layer.

    - ``__init__`` takes the layer's spec arguments (the positional ones first); keep the
      arguments in ``self.config`` so a network can write its spec back out.
    - ``build(input_shape, rng)`` creates the parameters for a sample of ``input_shape``
      (a tuple such as ``(784,)`` or ``(1, 28, 28)``) and returns the output sample shape.
    - ``params`` / ``grads``: dicts of nested lists of floats with the same keys;
      ``decay`` names the parameters weight decay applies to (weights, not biases).
    - ``buffers``: a dict of the non-learned state a layer keeps and a model file must
      save (BatchNorm's running statistics), nested lists of floats or floats, updated in
      place; empty for most layers.
    - ``input_grad``: when False (the first layer) ``backward`` may skip computing dx.
    - ``spare_grads``: gradients of an earlier backward pass, by key, handed back after
      the optimizer applied them (``Network.recycle``); a layer may refill these lists
      in its next backward pass instead of making new ones (Dense refills dW).
    - ``takes_sparse``: when True the layer's forward also takes x as
      ``purenn.sparse.SparseRows`` (a batch kept by its nonzero entries), and a trainer
      may hand it its batches so; otherwise the network gives it dense rows (Dense: True).
      Never inherited: each class says it for itself.
    - ``kind``: the name it is registered under, set by whoever made it from a name
      (``purenn.spec``); ``registry.kind_of`` finds it for a layer made otherwise.
    """

    decay = ()
    kind = None
    takes_sparse = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "takes_sparse" not in vars(cls):
            cls.takes_sparse = False    # not inherited: a subclass may read x as rows

    def __init__(self):
        self.config = {}
        self.params = {}
        self.grads = {}
        self.buffers = {}
        self.input_grad = True
        self.spare_grads = {}

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

    The book's example of the bias (section 5.6.2), x·W = [[0, 0, 0], [10, 10, 10]]:

    >>> dense = Dense(3)
    >>> dense.params = {"W": [[1.0, 1.0, 1.0]], "b": [1.0, 2.0, 3.0]}
    >>> dense.forward([[0.0], [10.0]])
    [[1.0, 2.0, 3.0], [11.0, 12.0, 13.0]]
    >>> dense.backward([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    [[6.0], [15.0]]
    >>> dense.grads["b"]
    [5.0, 7.0, 9.0]
    """

    decay = ("W",)
    takes_sparse = True

    def __init__(self, units: int, init: str = "normal", std: float = 0.01):
        super().__init__()
        if units < 1:
            raise SpecError(f"dense needs a positive number of units, got {units!r}")
        self.units = units
        self.init = init
        self.std = std
        self.config = {"units": units, "init": init, "std": std}

    def parameter_count(self, input_shape):
        """Numbers ``build`` will allocate: W and b (checked before building)."""
        return (math.prod(input_shape) + 1) * self.units

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
        if train:
            # x·W, and x by its nonzero entries where the kernel set keeps them (or x came
            # as SparseRows): the terms of xᵀ·dout
            y, self.x_sparse = linalg.matmul_nonzero(x, self.params["W"])
        else:
            # inference takes no backward pass: nothing kept for one
            y, self.x_sparse = linalg.matmul(x, self.params["W"]), None
        return linalg.add_row(y, self.params["b"])

    def backward(self, dout):
        W = self.params["W"]
        x = self.x if self.x_sparse is None else self.x_sparse
        dW = linalg.matmul(x, dout, transpose_a=True,           # xᵀ·dout
                           out=self.spare_grads.pop("W", None))
        self.grads = {"W": dW, "b": linalg.col_sums(dout)}
        if not self.input_grad:
            return None
        return linalg.matmul(dout, W, transpose_b=True)         # dout·Wᵀ


class ReLU(Layer):
    """Rectified linear unit: y = max(0, x), elementwise.

    Backward: dx = dout, except 0 where x ≤ 0. As the book's mask ``x <= 0``, a NaN is
    not ≤ 0: it passes through forward and backward, so a NaN weight cannot hide behind
    a finite loss.

    The book's example (section 5.5.1):

    >>> relu = ReLU()
    >>> relu.forward([[1.0, -0.5], [-2.0, 3.0]])
    [[1.0, 0.0], [0.0, 3.0]]
    >>> relu.backward([[1.0, 1.0], [1.0, 1.0]])
    [[1.0, 0.0], [0.0, 1.0]]
    """

    def forward(self, x, train=False):
        y = [[0.0 if v <= 0.0 else v for v in row] for row in x]
        self.y = y
        return y

    def backward(self, dout):
        return [[0.0 if v <= 0.0 else d for d, v in zip(drow, yrow)]
                for drow, yrow in zip(dout, self.y)]


class Sigmoid(Layer):
    """Logistic sigmoid: y = 1 / (1 + e^-x), elementwise, stable for any x.

    Backward: dx = dout ⊙ y ⊙ (1 − y).

    >>> sig = Sigmoid()
    >>> [round(v, 8) for v in sig.forward([[-1.0, 1.0, 2.0]])[0]]    # the book's ch. 3
    [0.26894142, 0.73105858, 0.88079708]
    >>> [round(v, 8) for v in sig.backward([[1.0, 1.0, 1.0]])[0]]
    [0.19661193, 0.19661193, 0.10499359]
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


class Dropout(Layer):
    """Dropout (Srivastava et al., 2014; the book's section 6.4.3): in training every input
    is zeroed with probability p = ``ratio``, a fresh mask for every forward pass, drawn
    from the network's seeded rng as u ~ U[0, 1), keeping the inputs with u > p.

    Inverted (the default, as PyTorch and Keras): the kept inputs are scaled up at
    training time, so inference is the identity:
        training:   y = x ⊙ mask,   mask = 1/(1 − p) where u > p, else 0
        inference:  y = x
    The book's form (``inverted=false``): a 0/1 mask in training, the scaling at inference:
        training:   y = x ⊙ mask,   mask = 1 where u > p, else 0
        inference:  y = x·(1 − p)
    Either way a unit's expected output is the same in training and at inference.
    Backward: dx = dout ⊙ mask (training); dout, or dout·(1 − p) in the book's form
    (inference).

    ``freeze()`` keeps the current mask for every training pass (one is drawn on the next
    pass if no mask of the batch's size exists) so that the layer is a fixed function, as
    a gradient check needs; ``freeze(False)`` draws a fresh mask per pass again.
    """

    def __init__(self, ratio: float = 0.5, inverted: bool = True):
        super().__init__()
        if not 0.0 <= ratio < 1.0:
            raise SpecError(f"dropout ratio must be in [0, 1), got {ratio!r}")
        self.ratio = ratio
        self.inverted = inverted
        self.config = {"ratio": ratio, "inverted": inverted}
        self.mask = None
        self.frozen = False
        self.train = False
        self.rng = None

    def build(self, input_shape, rng):
        self.rng = rng
        return input_shape

    def freeze(self, frozen=True):
        self.frozen = frozen

    def draw_mask(self, n, d):
        """An (n, d) mask: 1/(1 − p) (inverted) or 1 where u > p, else 0."""
        p, random = self.ratio, self.rng.random
        keep = 1.0 / (1.0 - p) if self.inverted else 1.0
        return [[keep if random() > p else 0.0 for _ in range(d)] for _ in range(n)]

    def forward(self, x, train=False):
        self.train = train
        if not train:
            return x if self.inverted else linalg.scaled(x, 1.0 - self.ratio)
        mask = self.mask
        if not (self.frozen and mask is not None and len(mask) == len(x)
                and len(mask[0]) == len(x[0])):
            self.mask = mask = self.draw_mask(len(x), len(x[0]))
        return linalg.hadamard(x, mask)

    def backward(self, dout):
        if self.train:
            return linalg.hadamard(dout, self.mask)
        return dout if self.inverted else linalg.scaled(dout, 1.0 - self.ratio)


class BatchNorm(Layer):
    """Batch normalization (Ioffe and Szegedy, arXiv:1502.03167; the book's section 6.3):
    each feature normalized over the batch, then scaled by γ and shifted by β (learned).

    Training, for x of shape (N, D):
        μ = (1/N) Σ_n x_n                     (D,)
        xc = x − μ                            (N, D)
        σ² = (1/N) Σ_n xc_n²                  (D,)   the biased variance, as the book
        std = √(σ² + ε)                       (D,)
        x̂ = xc / std                          (N, D)
        y = γ ⊙ x̂ + β                         (N, D)
    and the running statistics that inference uses in place of μ and σ²:
        running_mean ← momentum·running_mean + (1 − momentum)·μ
        running_var  ← momentum·running_var + (1 − momentum)·σ²
    Inference: y = γ ⊙ (x − running_mean) / √(running_var + ε) + β.

    Backward (training), the book's steps back through the graph above, dout = ∂L/∂y:
        dβ = Σ_n dout_n
        dγ = Σ_n x̂_n ⊙ dout_n
        dx̂ = γ ⊙ dout
        dxc = dx̂ / std
        dstd = −Σ_n dx̂_n ⊙ xc_n / std²
        dσ² = ½·dstd / std
        dxc ← dxc + (2/N)·xc ⊙ dσ²
        dμ = Σ_n dxc_n
        dx = dxc − dμ / N
    (after an inference pass: dx = γ ⊙ dout / √(running_var + ε)).

    γ starts at 1 and β at 0, and they are not weight-decayed. The running statistics
    start at 0, as in the book (PyTorch starts the variance at 1), and live in
    ``self.buffers`` = {"running_mean": [...], "running_var": [...]}, updated in place, to
    be saved with the model. A sample of any shape is normalized number by number
    (D = prod(input shape)), as the book's ``x.reshape(N, -1)``. Defaults as the book:
    momentum = 0.9, ε = 1e-6 (its code writes ``10e-7``, which is 1e-6).
    """

    def __init__(self, momentum: float = 0.9, eps: float = 1e-6):
        super().__init__()
        if not 0.0 <= momentum < 1.0:
            raise SpecError(f"batchnorm momentum must be in [0, 1), got {momentum!r}")
        if not eps > 0:
            raise SpecError(f"batchnorm eps must be positive, got {eps!r}")
        self.momentum = momentum
        self.eps = eps
        self.config = {"momentum": momentum, "eps": eps}
        self.train = False

    # a model file's running variance must be ≥ 0 (its square root is taken)
    buffer_minimum = {"running_var": 0.0}

    def parameter_count(self, input_shape):
        """Numbers ``build`` will allocate: γ, β and the two running statistics."""
        return 4 * math.prod(input_shape)

    def build(self, input_shape, rng):
        d = math.prod(input_shape)
        self.params = {"gamma": [1.0] * d, "beta": [0.0] * d}
        self.buffers = {"running_mean": [0.0] * d, "running_var": [0.0] * d}
        return input_shape

    def forward(self, x, train=False):
        gamma, beta = self.params["gamma"], self.params["beta"]
        running_mean, running_var = self.buffers["running_mean"], self.buffers["running_var"]
        eps = self.eps
        self.train = train
        if train:
            n = len(x)
            mu = [s / n for s in linalg.col_sums(x)]
            xc = linalg.sub_row(x, mu)
            var = [s / n for s in linalg.col_sums(linalg.hadamard(xc, xc))]
            std = [math.sqrt(v + eps) for v in var]
            m = self.momentum
            running_mean[:] = [m * r + (1 - m) * u for r, u in zip(running_mean, mu)]
            running_var[:] = [m * r + (1 - m) * v for r, v in zip(running_var, var)]
        else:
            xc = linalg.sub_row(x, running_mean)
            std = [math.sqrt(v + eps) for v in running_var]
        xn = linalg.div_row(xc, std)
        self.xc, self.xn, self.std = xc, xn, std
        return linalg.add_row(linalg.mul_row(xn, gamma), beta)

    def backward(self, dout):
        gamma, xc, xn, std = self.params["gamma"], self.xc, self.xn, self.std
        self.grads = {"gamma": linalg.col_sums(linalg.hadamard(xn, dout)),
                      "beta": linalg.col_sums(dout)}
        dxn = linalg.mul_row(dout, gamma)
        dxc = linalg.div_row(dxn, std)
        if not self.train:
            return dxc
        n = len(dout)
        dstd = [-s / (sd * sd) for s, sd in zip(linalg.col_sums(linalg.hadamard(dxn, xc)), std)]
        dvar = [0.5 * ds / sd for ds, sd in zip(dstd, std)]
        two_dvar_n = [2.0 / n * dv for dv in dvar]
        dxc = [[d + c * w for d, c, w in zip(drow, crow, two_dvar_n)]
               for drow, crow in zip(dxc, xc)]
        dmu_n = [s / n for s in linalg.col_sums(dxc)]
        return linalg.sub_row(dxc, dmu_n)
