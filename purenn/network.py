"""A network: layers in a row, a loss on top, and the names learners know from the book.

    net = Network((784,), [("dense1", Dense(50)), ("relu1", ReLU()), ("dense2", Dense(10))],
                  SoftmaxCrossEntropy(), SGD)   # or purenn.build("two_layer") from a spec
    net.params["dense1.W"]                 # nested lists, (784, 50)
    net.predict(x)                         # scores of the last layer, (N, 10)
    net.loss(x, t), net.accuracy(x, t)
    net.gradient(x, t)                     # backprop, same keys as params
    net.numerical_gradient(x, t)           # central differences, h = 1e-4
    net.state_dict(), net.load_state_dict(state)

It knows nothing of specs or files, as the book's ``MultiLayerNetExtend``: ``purenn.spec``
builds networks from spec text and writes them back, ``purenn.model`` saves and loads them.
"""

import math
import random

from . import linalg, losses, registry
from .errors import PluginError, PurennError
from .functions import labels
from .gradient import frozen, numerical_gradient
from .optimizers import SGD


class LayerBuildError(PurennError):
    """A layer refused its input shape; ``index`` is its place in the network's layers."""

    def __init__(self, index, name, cause):
        super().__init__(f"layer {name!r}: {cause}")
        self.index, self.cause = index, cause


class TooManyParameters(PurennError):
    """Building a layer would take the network past ``max_params`` numbers."""

    def __init__(self, message, count, limit):
        super().__init__(message)
        self.count, self.limit = count, limit


def _plugin_origin(part, group):
    """' (plugin 'kind' of distribution 'name' version)' for a part a plugin
    distribution provides, '' for a built-in or a part that is not registered."""
    kind = getattr(part, "kind", None)
    entry = registry.discover(group).get(kind) if kind else None
    if entry is None or entry.builtin:
        return ""
    return f" (plugin {kind!r} of distribution {entry.distribution!r} {entry.version})"


def _check_shape(shape, name, part):
    """The shape a layer's build returned, as a tuple of positive ints, or PluginError."""
    try:
        shape = tuple(shape)
    except TypeError:
        shape = None
    if not shape or not all(type(d) is int and d > 0 for d in shape):
        raise PluginError(f"layer {name!r}{_plugin_origin(part, 'purenn.layers')}: build "
                          f"returned {shape!r}, not a shape of positive sizes")
    return shape


def _count(layer):
    return sum(len(leaf) for part in (layer.params, layer.buffers) for value in part.values()
               for leaf in (linalg.leaves(value) if isinstance(value, list) else [[value]]))


def _call(part, group, name, what, *args):
    """part's method ``what`` called with args; what a plugin raises becomes one
    PluginError naming the plugin and its distribution (a built-in's errors pass)."""
    try:
        return getattr(part, what)(*args)
    except (PurennError, KeyboardInterrupt):
        raise
    except Exception as exc:
        origin = _plugin_origin(part, group)
        if not origin:
            raise
        raise PluginError(f"{registry.KIND[group]} {name!r}{origin} failed in {what}: "
                          f"{type(exc).__name__}: {exc}") from exc


def _check_rows(y, n, width, name, part, what):
    """y must be n rows of ``width`` numbers (what the layer's build declared)."""
    if isinstance(y, list) and len(y) == n and all(
            isinstance(row, list) and len(row) == width for row in y):
        return y
    got = (f"{len(y)} rows of {sorted({len(r) if isinstance(r, list) else -1 for r in y})}"
           if isinstance(y, list) else type(y).__name__)
    raise PluginError(f"layer {name!r}{_plugin_origin(part, 'purenn.layers')}: {what} "
                      f"returned {got} numbers, expected {n} rows of {width}")


class Network:
    """A stack of named layers ending in a loss, and the optimizer that trains them.

    ``layers`` is a list of (name, layer) pairs, ``loss`` a loss object, ``optimizer``
    what makes the optimizer for the network's parameters: an optimizer class (``SGD``)
    or any callable ``make(params) -> Optimizer`` (``functools.partial(Adam, lr=0.002)``);
    by default ``SGD`` with its default lr = 0.01. Parameters are built for
    ``input_shape`` from ``rng`` (one ``random.Random`` for everything).
    ``weight_decay`` λ adds ½·λ·Σ W² over the weight matrices (each layer's ``decay``
    parameters, never biases) to the loss, and λ·W to their gradients (book, CS231n).
    """

    def __init__(self, input_shape, layers, loss, optimizer=SGD, *, weight_decay=0.0,
                 rng=None, max_params=None):
        self.input_shape = tuple(input_shape)
        self.layers = list(layers)
        self.loss_layer = loss
        self.weight_decay = weight_decay
        self.rng = rng if rng is not None else random.Random(0)
        shape = self.input_shape
        self.shapes = [shape]
        held = 0
        for i, (name, layer) in enumerate(self.layers):
            try:
                held = self._check_budget(layer, shape, held, max_params)
                shape = _check_shape(_call(layer, "purenn.layers", name, "build", shape,
                                           self.rng), name, layer)
                held = self._check_budget(layer, shape, held, max_params, built=True)
            except (PurennError, ValueError) as exc:
                origin = _plugin_origin(layer, "purenn.layers")
                if origin and not isinstance(exc, (PluginError, TooManyParameters)):
                    exc = PluginError(f"layer {name!r}{origin} failed in build: {exc}")
                raise LayerBuildError(i, name, exc) from None
            self.shapes.append(shape)
        self.output_shape = shape
        if self.layers:
            self.layers[0][1].input_grad = False
        self.params = {f"{name}.{key}": value
                       for name, layer in self.layers for key, value in layer.params.items()}
        self.decay_keys = [f"{name}.{key}" for name, layer in self.layers for key in layer.decay]
        self.param_sizes = {key: len(linalg.flatten(value))
                            for key, value in self.params.items()}
        self.param_count = sum(self.param_sizes.values())
        self.set_optimizer(optimizer)

    @staticmethod
    def _check_budget(layer, shape, held, limit, built=False):
        """Numbers held so far after ``layer``; TooManyParameters past ``limit``: before
        build from what the layer says it will hold (``parameter_count(input_shape)``,
        when it has one), after build from what it holds. The per-sample activations
        (``shape``) are held to the same limit."""
        if limit is None:
            return held
        size = math.prod(shape) if len(shape) < 64 else limit + 1
        if size > limit:
            raise TooManyParameters(f"its {'output' if built else 'input'} of "
                                    f"{'x'.join(map(str, shape))} = {size:,} numbers per "
                                    f"sample is over the limit of {limit:,}", size, limit)
        if built:
            count = _count(layer)
        else:
            estimate = getattr(layer, "parameter_count", None)
            if estimate is None:
                return held
            count = estimate(shape)
        if held + count > limit:
            before = f", {held + count:,} with the layers before it" if held else ""
            raise TooManyParameters(f"it would hold {count:,} numbers (parameters and "
                                    f"buffers){before}, over the limit of {limit:,}",
                                    held + count, limit)
        return held + count if built else held

    def set_optimizer(self, make):
        """Replace the optimizer by ``make(self.params)`` (an optimizer class, or any
        callable that returns an optimizer for these parameters); returns it."""
        self.optimizer = make(self.params)
        return self.optimizer

    # -- the book's methods -------------------------------------------------------------
    def forward(self, x, train=False):
        """The last layer's output for a batch x (N, features). Each layer's output is
        checked against the shape its build declared (a plugin's wrong shape is an
        error naming it, not rows silently cut short)."""
        n = len(x)
        for (name, layer), shape in zip(self.layers, self.shapes[1:]):
            x = _check_rows(_call(layer, "purenn.layers", name, "forward", x, train), n,
                            math.prod(shape), name, layer, "forward")
        return x

    def predict(self, x):
        """Scores of the last layer in inference mode (before the loss's softmax)."""
        return self.forward(x, train=False)

    def probabilities(self, x):
        """What the scores mean for the loss: class probabilities for softmax losses."""
        return self.loss_layer.output(self.predict(x))

    def loss(self, x, t, train=False):
        """Mean loss over the batch, plus ½·λ·ΣW² when weight decay is set."""
        scores = self.forward(x, train)
        return (_call(self.loss_layer, "purenn.losses", getattr(self.loss_layer, "kind", "loss"),
                      "forward", scores, t) + self.decay_loss())

    def decay_loss(self):
        if not self.weight_decay:
            return 0.0
        total = losses.total(v * v for key in self.decay_keys
                             for leaf in linalg.leaves(self.params[key]) for v in leaf)
        return 0.5 * self.weight_decay * total

    def accuracy(self, x, t):
        """Fraction of samples whose largest score is at the label's index."""
        if not x:
            return 0.0
        scores = self.predict(x)
        hits = sum(1 for row, label in zip(scores, labels(t)) if linalg.argmax(row) == label)
        return hits / len(x)

    def loss_and_gradient(self, x, t):
        """(L, {p: ∂L/∂p}) by one forward and one backward pass in training mode."""
        loss = self.loss(x, t, train=True)
        return loss, self.backward()

    def backward(self, dout=1.0):
        """∂L/∂p for every parameter p, back from the loss of the last training forward
        pass (weight decay's λ·W added); a dict with the keys of params."""
        dout = _call(self.loss_layer, "purenn.losses", getattr(self.loss_layer, "kind", "loss"),
                     "backward", dout)
        n = len(dout) if isinstance(dout, list) else None
        for (name, layer), shape in zip(reversed(self.layers), reversed(self.shapes[:-1])):
            dout = _call(layer, "purenn.layers", name, "backward", dout)
            if dout is not None and layer.input_grad and n is not None:
                _check_rows(dout, n, math.prod(shape), name, layer, "backward")
        grads = {f"{name}.{key}": value
                 for name, layer in self.layers for key, value in layer.grads.items()}
        if self.weight_decay:
            for key in self.decay_keys:
                linalg.axpy_(grads[key], self.weight_decay, self.params[key])
        return grads

    def gradient(self, x, t):
        """∂L/∂p for every parameter p by backpropagation; a dict with the keys of params.
        The loss of that pass is kept as ``last_loss``."""
        self.last_loss, grads = self.loss_and_gradient(x, t)
        return grads

    def numerical_gradient(self, x, t, h=1e-4):
        """∂L/∂p by central differences (L(p+h) − L(p−h)) / 2h, one number at a time.

        Slow by design: two passes over the batch per parameter (the book's chapter 4).
        The loss is taken in training mode, as ``gradient`` takes it, with the dropout
        masks of the last training pass held fixed and running statistics left as they
        were (``gradient.frozen``).
        """
        def loss(_):
            return self.loss(x, t, train=True)

        with frozen(layer for _, layer in self.layers):
            return {key: numerical_gradient(loss, param, h)
                    for key, param in self.params.items()}

    # -- state ----------------------------------------------------------------------------
    def state_dict(self):
        """Copies of every parameter and every buffer (a layer's non-learned state, such as
        BatchNorm's ``running_mean``), by name (``dense1.W``, ``batchnorm1.running_mean``),
        parameters first, each in network order."""
        state = {key: linalg.copy_nested(value) for key, value in self.params.items()}
        for name, layer in self.layers:
            for key, value in layer.buffers.items():
                state[f"{name}.{key}"] = (linalg.copy_nested(value) if isinstance(value, list)
                                          else float(value))
        return state

    def load_state_dict(self, state):
        """Copy ``state`` (as ``state_dict`` gives it) into the network's own lists, in
        place (the lists an optimizer holds stay the same objects). ValueError on a
        missing or unknown name or a shape that differs."""
        slots = {key: (self.params, key) for key in self.params}
        for name, layer in self.layers:
            for key in layer.buffers:
                slots[f"{name}.{key}"] = (layer.buffers, key)
        missing = [k for k in slots if k not in state]
        unknown = [k for k in state if k not in slots]
        if missing or unknown:
            raise ValueError(f"the state does not fit the network: missing "
                             f"{missing or 'nothing'}, unknown {unknown or 'nothing'}")
        for key, (holder, field) in slots.items():
            target, value = holder[field], state[key]
            if not isinstance(target, list):
                holder[field] = float(value)
                continue
            if linalg.shape_of(value) != linalg.shape_of(target):
                raise ValueError(f"{key!r} has shape {linalg.shape_of(value)!r}, the network "
                                 f"{linalg.shape_of(target)!r}")
            for leaf, saved in zip(linalg.leaves(target), linalg.leaves(value)):
                leaf[:] = [float(v) for v in saved]

    # -- description --------------------------------------------------------------------
    def summary(self):
        """One line per layer: name, output shape and parameter count."""
        rows = [f"{'input':<12} {'x'.join(map(str, self.input_shape)):>10}"]
        for (name, layer), shape in zip(self.layers, self.shapes[1:]):
            count = sum(self.param_sizes[f"{name}.{key}"] for key in layer.params)
            rows.append(f"{name:<12} {'x'.join(map(str, shape)):>10} {count:>10,} params")
        return "\n".join(rows)
