"""Optimizers: how parameters move, given their gradients.

An optimizer is created for a network's ``params`` (a dict of nested lists) and updates
them in place on every ``step(grads)``; the lists a network holds stay the same objects.
Its per-parameter state is created with it, and ``state_dict()`` /
``load_state_dict(state)`` save and restore it exactly.

The update rules and defaults are those of "Deep Learning from Scratch"
(``common/optimizer.py``), written in the same order of operations so that the numbers
agree bit for bit; AdamW is PyTorch's. In the formulas W is any parameter and
g = ∂L/∂W its gradient; products, squares, roots and quotients are elementwise.
"""

import math

from . import linalg
from .errors import ModelFileError


def zeros_for(params):
    """One nested list of zeros per parameter, shaped like it: per-parameter state."""
    return {key: linalg.zeros_like(value) for key, value in params.items()}


def each_leaf(*values):
    """The innermost lists of equally shaped nested lists, side by side (their lengths
    checked here, so the update loops can zip numbers without checking)."""
    groups = [list(linalg.leaves(value)) for value in values]
    lengths = [list(map(len, group)) for group in groups]
    if any(other != lengths[0] for other in lengths[1:]):
        raise ValueError("parameter, state and gradient shapes do not match")
    return zip(*groups)


def check_fraction(name, value):
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {name}={value!r}")


def check_positive(name, value):
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {name}={value!r}")


class Optimizer:
    """Base class and contract of every optimizer.

    - ``__init__(params, **hyperparameters)``: the hyperparameters (with type annotations,
      so a spec line can set them) are kept in ``self.config``, all of them, so that the
      same optimizer can be made again (``type(opt)(params, **opt.config)``); all state is
      created here. ``kind`` is the registered name, set by whoever made it from a name
      (``purenn.spec``), as for layers; ``registry.kind_of`` finds it for one made
      otherwise.
    - ``step(grads)``: update every parameter in place, leaf by leaf.
    - ``state_names``: the attributes that are state, either a step count (int) or a dict
      of per-parameter nested lists; ``state_dict`` / ``load_state_dict`` copy them.
    - ``keeps_grads``: False when ``step`` keeps no reference to ``grads`` or its lists
      once it returns. A trainer then hands them back to the layers, which refill them in
      the next backward pass (``Network.recycle``). Each class says it for itself: one
      that does not (a subclass of SGD that remembers the last gradient, say) is True,
      which is always safe.
    """

    kind = None
    keeps_grads = True
    state_names = ()
    nonnegative_state = ()  # state whose square root is taken: a file's must be ≥ 0

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "keeps_grads" not in vars(cls):
            cls.keeps_grads = True      # not inherited: a subclass may keep what its base did not

    def __init__(self, params, lr):
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, got lr={lr!r}")
        self.params = params
        self.lr = lr
        self.config = {"lr": lr}

    def step(self, grads):
        raise NotImplementedError

    def state_dict(self):
        """The state as plain values (copies): {name: step count or {key: nested lists}}."""
        state = {}
        for name in self.state_names:
            value = getattr(self, name)
            if isinstance(value, dict):
                value = {key: linalg.copy_nested(v) for key, v in value.items()}
            state[name] = value
        return state

    def load_state_dict(self, state):
        """Restore what ``state_dict`` returned; values are copied into the optimizer's
        own lists, so the state given stays the caller's."""
        kind = type(self).__name__
        if set(state) != set(self.state_names):
            raise ModelFileError(f"{kind} state needs the fields {sorted(self.state_names)!r}, "
                                 f"got {sorted(state)!r}")
        for name in self.state_names:
            value, current = state[name], getattr(self, name)
            if not isinstance(current, dict):
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ModelFileError(f"{kind} state field {name!r} must be a count ≥ 0, "
                                         f"got {value!r}")
                setattr(self, name, value)
                continue
            if not isinstance(value, dict) or set(value) != set(current):
                got = sorted(value) if isinstance(value, dict) else value
                raise ModelFileError(f"{kind} state field {name!r} must hold the parameters "
                                     f"{sorted(current)!r}, got {got!r}")
            for key, slot in current.items():
                shape = linalg.shape_of(value[key])
                if shape != linalg.shape_of(slot):
                    raise ModelFileError(f"{kind} state {name}[{key!r}] has shape {shape!r}, "
                                         f"the parameter {linalg.shape_of(slot)!r}")
                for leaf, saved in each_leaf(slot, value[key]):
                    leaf[:] = map(float, saved)
                    bad = next((v for v in leaf if not (math.isfinite(v) and (
                        v >= 0.0 or name not in self.nonnegative_state))), None)
                    if bad is not None:
                        need = "≥ 0" if name in self.nonnegative_state else "finite"
                        raise ModelFileError(f"{kind} state {name}[{key!r}] holds {bad!r}; "
                                             f"it must be {need}")


class SGD(Optimizer):
    """Stochastic gradient descent: W ← W − lr·∂L/∂W for every parameter W.

    >>> params = {"W": [1.0, 2.0]}
    >>> SGD(params, lr=0.1).step({"W": [0.5, -1.0]})
    >>> params["W"]
    [0.95, 2.1]
    """

    keeps_grads = False

    def __init__(self, params, lr: float = 0.01):
        super().__init__(params, lr)

    def step(self, grads):
        for key, param in self.params.items():
            linalg.axpy_(param, -self.lr, grads[key])


class Momentum(Optimizer):
    """SGD with momentum: a velocity v that gradients accelerate and friction μ slows.

        v ← μ·v − lr·g
        W ← W + v

    v starts at zero. Defaults as the book: lr = 0.01, μ = 0.9.

    Two steps with the same gradient: the second moves further (v = −0.1, then −0.19).

    >>> params = {"W": [1.0]}
    >>> opt = Momentum(params, lr=0.1)
    >>> opt.step({"W": [1.0]}); opt.step({"W": [1.0]})
    >>> [round(w, 10) for w in params["W"]], [round(v, 10) for v in opt.v["W"]]
    ([0.71], [-0.19])
    """

    keeps_grads = False
    state_names = ("v",)

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.9):
        super().__init__(params, lr)
        check_fraction("momentum", momentum)
        self.momentum = momentum
        self.config["momentum"] = momentum
        self.v = zeros_for(params)

    def step(self, grads):
        mu, lr = self.momentum, self.lr
        for key, param in self.params.items():
            for W, v, g in each_leaf(param, self.v[key], grads[key]):
                for i in range(len(W)):
                    v[i] = mu * v[i] - lr * g[i]
                    W[i] += v[i]


class Nesterov(Momentum):
    """Nesterov's accelerated gradient in the form of Bengio et al. (arXiv:1212.0901),
    as CS231n and the book's current ``common/optimizer.py`` write it: it needs the
    gradient at W only, not at a look-ahead point. With v the velocity before the step:

        W ← W + μ²·v − (1 + μ)·lr·g
        v ← μ·v − lr·g

    (the book fixed its code to this in 2021; before, W moved by the new v.) The
    operations run in the book's NumPy order, (W + μ²·v) − ((1 + μ)·lr)·g, then
    v·μ − lr·g, so the numbers agree bit for bit. v starts at zero. Defaults as the
    book: lr = 0.01, μ = 0.9.

    The first step has no velocity yet and moves by (1 + μ)·lr·g; the second adds μ²
    of the first's velocity (0.81·(−0.05) here) to −1.9·0.1·(−1):

    >>> params = {"W": [1.0]}
    >>> opt = Nesterov(params, lr=0.1)
    >>> opt.step({"W": [0.5]}); [round(w, 10) for w in params["W"]]
    [0.905]
    >>> opt.step({"W": [-1.0]}); [round(w, 10) for w in params["W"]]
    [1.0545]
    """

    keeps_grads = False

    def step(self, grads):
        mu, lr = self.momentum, self.lr
        mu2, lr_g = mu * mu, (1 + mu) * lr
        for key, param in self.params.items():
            for W, v, g in each_leaf(param, self.v[key], grads[key]):
                for i in range(len(W)):
                    g_i, v_i = g[i], v[i]
                    W[i] = W[i] + mu2 * v_i - lr_g * g_i
                    v[i] = v_i * mu - lr * g_i


class AdaGrad(Optimizer):
    """AdaGrad: each parameter's step shrinks with the sum of its squared gradients.

        h ← h + g·g
        W ← W − lr·g / (√h + ε)

    h starts at zero; ε = 1e-7 keeps the first division finite. Default lr = 0.01.

    The first step moves every parameter by about lr, whatever the gradient's size:

    >>> params = {"W": [1.0, 1.0]}
    >>> AdaGrad(params, lr=0.1).step({"W": [100.0, 0.01]})
    >>> [round(w, 6) for w in params["W"]]
    [0.9, 0.900001]
    """

    keeps_grads = False
    state_names = ("h",)
    nonnegative_state = ("h",)

    def __init__(self, params, lr: float = 0.01, eps: float = 1e-7):
        super().__init__(params, lr)
        check_positive("eps", eps)
        self.eps = eps
        self.config["eps"] = eps
        self.h = zeros_for(params)

    def step(self, grads):
        lr, eps, sqrt = self.lr, self.eps, math.sqrt
        for key, param in self.params.items():
            for W, h, g in each_leaf(param, self.h[key], grads[key]):
                for i in range(len(W)):
                    g_i = g[i]
                    h[i] += g_i * g_i
                    W[i] -= lr * g_i / (sqrt(h[i]) + eps)


class RMSprop(Optimizer):
    """RMSprop: AdaGrad with a decaying (exponential moving) average of squared gradients,
    so old gradients are forgotten at rate ρ.

        h ← ρ·h + (1 − ρ)·g·g
        W ← W − lr·g / (√h + ε)

    h starts at zero. Defaults as the book: lr = 0.01, ρ = decay_rate = 0.99, ε = 1e-7.
    """

    keeps_grads = False
    state_names = ("h",)
    nonnegative_state = ("h",)

    def __init__(self, params, lr: float = 0.01, decay_rate: float = 0.99,
                 eps: float = 1e-7):
        super().__init__(params, lr)
        check_fraction("decay_rate", decay_rate)
        check_positive("eps", eps)
        self.decay_rate = decay_rate
        self.eps = eps
        self.config.update(decay_rate=decay_rate, eps=eps)
        self.h = zeros_for(params)

    def step(self, grads):
        lr, eps, sqrt = self.lr, self.eps, math.sqrt
        rho = self.decay_rate
        one_minus_rho = 1 - rho
        for key, param in self.params.items():
            for W, h, g in each_leaf(param, self.h[key], grads[key]):
                for i in range(len(W)):
                    g_i = g[i]
                    h[i] = rho * h[i] + one_minus_rho * g_i * g_i
                    W[i] -= lr * g_i / (sqrt(h[i]) + eps)


class Adam(Optimizer):
    """Adam (Kingma and Ba, arXiv:1412.6980): momentum (m) and RMSprop (v) together,
    with the bias of their zero start corrected, in the book's form. At step t = 1, 2, ...:

        lr_t = lr·√(1 − β2^t) / (1 − β1^t)
        m ← m + (1 − β1)·(g − m)          (= β1·m + (1 − β1)·g)
        v ← v + (1 − β2)·(g·g − v)        (= β2·v + (1 − β2)·g²)
        W ← W − lr_t·m / (√v + ε)

    which is the paper's W ← W − lr·m̂ / (√v̂ + ε̂) with m̂ = m/(1 − β1^t),
    v̂ = v/(1 − β2^t) and ε̂ = ε/√(1 − β2^t). m, v start at zero, t at 0.
    Defaults as the book: lr = 0.001, β1 = 0.9, β2 = 0.999, ε = 1e-7.
    """

    keeps_grads = False
    state_names = ("t", "m", "v")
    nonnegative_state = ("v",)

    def __init__(self, params, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-7):
        super().__init__(params, lr)
        check_fraction("beta1", beta1)
        check_fraction("beta2", beta2)
        check_positive("eps", eps)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.config.update(beta1=beta1, beta2=beta2, eps=eps)
        self.t = 0
        self.m = zeros_for(params)
        self.v = zeros_for(params)

    def step(self, grads):
        self.t += 1
        b1, b2, eps, sqrt = self.beta1, self.beta2, self.eps, math.sqrt
        lr_t = self.lr * sqrt(1.0 - b2 ** self.t) / (1.0 - b1 ** self.t)
        one_minus_b1, one_minus_b2 = 1 - b1, 1 - b2
        for key, param in self.params.items():
            for W, m, v, g in each_leaf(param, self.m[key], self.v[key], grads[key]):
                for i in range(len(W)):
                    g_i = g[i]
                    m[i] += one_minus_b1 * (g_i - m[i])
                    v[i] += one_minus_b2 * (g_i * g_i - v[i])
                    W[i] -= lr_t * m[i] / (sqrt(v[i]) + eps)


class AdamW(Optimizer):
    """AdamW (Loshchilov and Hutter, arXiv:1711.05101): Adam with decoupled weight decay,
    in PyTorch's formulation (``torch.optim.AdamW``). At step t = 1, 2, ...:

        W ← W·(1 − lr·λ)                  the decay, apart from the gradient
        m ← β1·m + (1 − β1)·g             (computed as m + (1 − β1)·(g − m), as PyTorch)
        v ← β2·v + (1 − β2)·g·g
        m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)
        W ← W − lr·m̂ / (√v̂ + ε)

    Unlike the loss's ``weight_decay`` (½·λ·ΣW² added to the loss, so λ·W passes through
    Adam's scaling), the decay here shrinks every parameter by the same factor, biases
    included, as PyTorch does for a single parameter group. m, v start at zero, t at 0.
    Defaults as PyTorch: lr = 0.001, β1 = 0.9, β2 = 0.999, ε = 1e-8, λ = weight_decay = 0.01.
    """

    keeps_grads = False
    state_names = ("t", "m", "v")
    nonnegative_state = ("v",)

    def __init__(self, params, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.01):
        super().__init__(params, lr)
        check_fraction("beta1", beta1)
        check_fraction("beta2", beta2)
        check_positive("eps", eps)
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be ≥ 0, got weight_decay={weight_decay!r}")
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.weight_decay = weight_decay
        self.config.update(beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay)
        self.t = 0
        self.m = zeros_for(params)
        self.v = zeros_for(params)

    def step(self, grads):
        self.t += 1
        b1, b2, eps, sqrt = self.beta1, self.beta2, self.eps, math.sqrt
        shrink = 1 - self.lr * self.weight_decay
        step_size = self.lr / (1 - b1 ** self.t)
        sqrt_correction2 = sqrt(1 - b2 ** self.t)
        one_minus_b1, one_minus_b2 = 1 - b1, 1 - b2
        for key, param in self.params.items():
            for W, m, v, g in each_leaf(param, self.m[key], self.v[key], grads[key]):
                for i in range(len(W)):
                    g_i = g[i]
                    m[i] += one_minus_b1 * (g_i - m[i])
                    v[i] = b2 * v[i] + one_minus_b2 * g_i * g_i
                    root_v_hat = sqrt(v[i]) / sqrt_correction2          # √v̂
                    W[i] = W[i] * shrink - step_size * m[i] / (root_v_hat + eps)
