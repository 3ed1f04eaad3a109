"""Parts that are not purenn's own, held to the plugin contract (``plugins/README.md``).

What a plugin's layer, loss or optimizer raises, or a layer's output of the wrong shape,
becomes one PluginError naming the plugin and its distribution, instead of a traceback
deep in someone else's code or rows silently cut short. ``Network`` wraps each such layer
and loss once, when it is built (``layer``, ``loss``), and calls its optimizer through
``step``; purenn's own parts are used as they are.
"""

import math

from . import registry
from .errors import PluginError, PurennError

LAYERS, LOSSES, OPTIMIZERS = "purenn.layers", "purenn.losses", "purenn.optimizers"


def is_builtin(part, group):
    entry = registry.discover(group).get(registry.kind_of(part, group) or "")
    return entry is not None and entry.builtin


def origin(part, group):
    """' (plugin 'kind' of distribution 'name' version)' for a part a plugin
    distribution provides, '' for a built-in or a part that is not registered."""
    kind = registry.kind_of(part, group)
    entry = registry.discover(group).get(kind) if kind else None
    if entry is None or entry.builtin:
        return ""
    return f" (plugin {kind!r} of distribution {entry.distribution!r} {entry.version})"


def call(part, group, name, what, *args):
    """part's method ``what`` called with args; what a plugin raises becomes one
    PluginError naming the plugin and its distribution (a built-in's errors pass, and so
    does a ValueError from build: the plugin contract's way to refuse its input shape or
    arguments, reported at the spec's line like a built-in's)."""
    try:
        return getattr(part, what)(*args)
    except (PurennError, KeyboardInterrupt):
        raise
    except Exception as exc:
        if what == "build" and isinstance(exc, ValueError):
            raise
        where = origin(part, group)
        if not where:
            raise
        raise PluginError(f"{registry.KIND[group]} {name!r}{where} failed in {what}: "
                          f"{type(exc).__name__}: {exc}") from exc


def build(layer, name, shape, rng):
    """The output shape ``layer.build`` returns, as a tuple of positive ints, or
    PluginError."""
    shape = call(layer, LAYERS, name, "build", shape, rng)
    try:
        shape = tuple(shape)
    except TypeError:
        shape = None
    if not shape or not all(type(d) is int and d > 0 for d in shape):
        raise PluginError(f"layer {name!r}{origin(layer, LAYERS)}: build "
                          f"returned {shape!r}, not a shape of positive sizes")
    return shape


def check_rows(y, n, width, name, part, what):
    """y must be n rows of ``width`` numbers (what the layer's build declared)."""
    if isinstance(y, list) and len(y) == n and all(
            isinstance(row, list) and len(row) == width for row in y):
        return y
    got = (f"{len(y)} rows of {sorted({len(r) if isinstance(r, list) else -1 for r in y})}"
           if isinstance(y, list) else type(y).__name__)
    raise PluginError(f"layer {name!r}{origin(part, LAYERS)}: {what} "
                      f"returned {got} numbers, expected {n} rows of {width}")


class GuardedLayer:
    """A layer that is not purenn's own: its failures name it, and its outputs are
    checked against the shapes its build declared."""

    def __init__(self, name, layer, input_shape, output_shape):
        self.name, self.layer = name, layer
        self.input_width = math.prod(input_shape)
        self.output_width = math.prod(output_shape)

    @property
    def takes_sparse(self):
        """What the layer says (``Layer.takes_sparse``): whether it gets SparseRows."""
        return getattr(self.layer, "takes_sparse", False) is True

    def forward(self, x, train=False):
        y = call(self.layer, LAYERS, self.name, "forward", x, train)
        return check_rows(y, len(x), self.output_width, self.name, self.layer, "forward")

    def backward(self, dout):
        n = len(dout) if isinstance(dout, list) else None
        dx = call(self.layer, LAYERS, self.name, "backward", dout)
        if dx is not None and self.layer.input_grad and n is not None:
            check_rows(dx, n, self.input_width, self.name, self.layer, "backward")
        return dx


class GuardedLoss:
    """A loss that is not purenn's own: its failures name it."""

    def __init__(self, loss):
        self.loss = loss
        self.name = registry.kind_of(loss, LOSSES) or "loss"

    def forward(self, scores, t):
        return call(self.loss, LOSSES, self.name, "forward", scores, t)

    def backward(self, dout=1.0):
        return call(self.loss, LOSSES, self.name, "backward", dout)


def layer(name, part, input_shape, output_shape):
    """``part`` itself when it is purenn's own, else it wrapped in a GuardedLayer."""
    if is_builtin(part, LAYERS):
        return part
    return GuardedLayer(name, part, input_shape, output_shape)


def loss(part):
    """``part`` itself when it is purenn's own, else it wrapped in a GuardedLoss."""
    return part if is_builtin(part, LOSSES) else GuardedLoss(part)


def step(optimizer, grads):
    """``optimizer.step(grads)``; what a plugin optimizer raises becomes one PluginError
    naming it."""
    try:
        return optimizer.step(grads)
    except PurennError:
        raise
    except Exception as exc:
        kind = registry.kind_of(optimizer, OPTIMIZERS)
        entry = registry.discover(OPTIMIZERS).get(kind) if kind else None
        if entry is None or entry.builtin:
            raise
        raise PluginError(f"optimizer {kind!r} from distribution {entry.origin} failed "
                          f"in step: {type(exc).__name__}: {exc}") from exc
