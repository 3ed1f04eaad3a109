"""A network: layers in a row, a loss on top, and the names learners know from the book.

    net = purenn.build("two_layer")        # a shipped spec, a spec file or spec text
    net.params["dense1.W"]                 # nested lists, (784, 50)
    net.predict(x)                         # scores of the last layer, (N, 10)
    net.loss(x, t), net.accuracy(x, t)
    net.gradient(x, t)                     # backprop, same keys as params
    net.numerical_gradient(x, t)           # central differences, h = 1e-4
"""

import math
import os
import random

from . import gradcheck, layers, linalg, registry, spec
from .errors import PurennError, SpecError

SPEC_SUFFIX = ".net"


class Network:
    """A stack of named layers ending in a loss.

    ``layers`` is a list of (name, layer) pairs, ``loss`` a loss object. Parameters are
    built for ``input_shape`` from ``rng`` (one ``random.Random`` for everything).
    ``weight_decay`` λ adds ½·λ·Σ W² over the weight matrices (each layer's ``decay``
    parameters, never biases) to the loss, and λ·W to their gradients (book, CS231n).
    """

    def __init__(self, input_shape, layers, loss, *, weight_decay=0.0, rng=None,
                 optimizer=("sgd", {"lr": 0.01}), lines=None, optimizer_line=None):
        self.input_shape = tuple(input_shape)
        self.layers = list(layers)
        self.loss_layer = loss
        self.weight_decay = weight_decay
        self.rng = rng if rng is not None else random.Random(0)
        self.training = False
        shape = self.input_shape
        self.shapes = [shape]
        for i, (_, layer) in enumerate(self.layers):
            try:
                shape = tuple(layer.build(shape, self.rng))
            except (PurennError, ValueError) as exc:
                if lines is None:
                    raise
                raise lines[i].error(str(exc)) from None
            self.shapes.append(shape)
        self.output_shape = shape
        if self.layers:
            self.layers[0][1].input_grad = False
        self.params = {f"{name}.{key}": value
                       for name, layer in self.layers for key, value in layer.params.items()}
        self.decay_keys = [f"{name}.{key}" for name, layer in self.layers for key in layer.decay]
        try:
            self.set_optimizer(*optimizer)
        except ValueError as exc:
            if optimizer_line is None:
                raise
            raise optimizer_line.error(str(exc)) from None

    def set_optimizer(self, name, args):
        """Replace the optimizer by ``name`` with ``args`` (a dict of its arguments)."""
        opt_cls = registry.load_entry("purenn.optimizers", name)
        self.optimizer = opt_cls(self.params, **args)
        self.optimizer_name, self.optimizer_args = name, dict(args)
        return self.optimizer

    # -- the book's methods -------------------------------------------------------------
    def forward(self, x, train=False):
        """The last layer's output for a batch x (N, features)."""
        self.training = train
        for _, layer in self.layers:
            x = layer.forward(x, train)
        return x

    def predict(self, x):
        """Scores of the last layer in inference mode (before the loss's softmax)."""
        return self.forward(x, train=False)

    def probabilities(self, x):
        """What the scores mean for the loss: class probabilities for softmax losses."""
        return self.loss_layer.output(self.predict(x))

    def loss(self, x, t, train=False):
        """Mean loss over the batch, plus ½·λ·ΣW² when weight decay is set."""
        return self.loss_layer.forward(self.forward(x, train), t) + self.decay_loss()

    def decay_loss(self):
        if not self.weight_decay:
            return 0.0
        total = math.fsum(v * v for key in self.decay_keys
                          for leaf in linalg.leaves(self.params[key]) for v in leaf)
        return 0.5 * self.weight_decay * total

    def accuracy(self, x, t):
        """Fraction of samples whose largest score is at the label's index."""
        if not x:
            return 0.0
        labels = [linalg.argmax(row) for row in t] if t and isinstance(t[0], (list, tuple)) \
            else t
        scores = self.predict(x)
        hits = sum(1 for row, label in zip(scores, labels) if linalg.argmax(row) == label)
        return hits / len(x)

    def gradient(self, x, t):
        """∂L/∂p for every parameter p by backpropagation; a dict with the keys of params."""
        loss = self.loss(x, t, train=True)
        dout = self.loss_layer.backward(1.0)
        for _, layer in reversed(self.layers):
            dout = layer.backward(dout)
        grads = {f"{name}.{key}": value
                 for name, layer in self.layers for key, value in layer.grads.items()}
        if self.weight_decay:
            for key in self.decay_keys:
                linalg.axpy_(grads[key], self.weight_decay, self.params[key])
        self.last_loss = loss
        return grads

    def numerical_gradient(self, x, t, h=1e-4):
        """∂L/∂p by central differences (L(p+h) − L(p−h)) / 2h, one number at a time.

        Slow by design: two passes over the batch per parameter (the book's chapter 4).
        The loss is taken in training mode, as ``gradient`` takes it, with the dropout
        masks of the last training pass held fixed and running statistics left as they
        were (``layers.frozen``).
        """
        def loss(_):
            return self.loss(x, t, train=True)

        with layers.frozen(layer for _, layer in self.layers):
            return {key: gradcheck.numerical_gradient(loss, param, h)
                    for key, param in self.params.items()}

    # -- description --------------------------------------------------------------------
    def spec_text(self):
        """Spec text that builds this same network (same layers, loss and optimizer)."""
        lines = ["input " + "x".join(str(d) for d in self.input_shape)]
        counts = {}
        for name, layer in self.layers:
            kind = layer_kind(layer)
            counts[kind] = counts.get(kind, 0) + 1
            extra = [] if name == f"{kind}{counts[kind]}" else [("name", name)]
            target = registry.load_entry("purenn.layers", kind)
            lines.append(spec.format_line(kind, target, layer.config, 0, extra))
        loss_kind = layer_kind(self.loss_layer, "purenn.losses")
        extra = [("weight_decay", self.weight_decay)] if self.weight_decay else []
        lines.append("loss " + spec.format_line(
            loss_kind, type(self.loss_layer), self.loss_layer.config, 0, extra))
        opt_cls = registry.load_entry("purenn.optimizers", self.optimizer_name)
        lines.append("optimizer " + spec.format_line(
            self.optimizer_name, opt_cls, self.optimizer_args, 1))
        return "\n".join(lines) + "\n"

    def summary(self):
        """One line per layer: name, output shape and parameter count."""
        rows = [f"{'input':<12} {'x'.join(map(str, self.input_shape)):>10}"]
        for (name, layer), shape in zip(self.layers, self.shapes[1:]):
            count = sum(len(linalg.flatten(v)) for v in layer.params.values())
            rows.append(f"{name:<12} {'x'.join(map(str, shape)):>10} {count:>10,} params")
        return "\n".join(rows)


def layer_kind(obj, group="purenn.layers"):
    """The registered name of a layer's (or loss's) class."""
    kind = getattr(obj, "kind", None)
    if kind:
        return kind
    target = f"{type(obj).__module__}:{type(obj).__qualname__}"
    for entry in registry.discover(group).values():
        if entry.value.replace(" ", "") == target:
            return entry.name
    raise SpecError(f"{type(obj).__name__} is not registered under {group!r}")


def shipped_specs():
    """Names of the spec files shipped inside the package (``purenn/specs/*.net``)."""
    from importlib import resources

    folder = resources.files("purenn") / "specs"
    return sorted(p.name[:-len(SPEC_SUFFIX)] for p in folder.iterdir()
                  if p.name.endswith(SPEC_SUFFIX))


def read_spec(spec_ref):
    """(text, source) for spec text, a spec file path, or the name of a shipped spec."""
    if "\n" in spec_ref:
        return spec_ref, "<spec>"
    if os.path.isfile(spec_ref):
        try:
            with open(spec_ref, encoding="utf-8") as f:
                return f.read(), spec_ref
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecError(f"cannot read spec file {spec_ref!r}: {exc}") from None
    name = spec_ref[:-len(SPEC_SUFFIX)] if spec_ref.endswith(SPEC_SUFFIX) else spec_ref
    if name in shipped_specs():
        from importlib import resources

        path = resources.files("purenn") / "specs" / (name + SPEC_SUFFIX)
        return path.read_text(encoding="utf-8"), name + SPEC_SUFFIX
    if " " not in spec_ref.strip():
        raise SpecError(f"no spec file or shipped spec named {spec_ref!r} "
                        f"(shipped: {', '.join(shipped_specs())})")
    return spec_ref, "<spec>"


def build(spec_ref, *, seed=0, rng=None):
    """Build a network from spec text, a spec file path or a shipped spec's name.

    Parameters are drawn from ``rng`` (or ``random.Random(seed)``).
    """
    text, source = read_spec(spec_ref)
    parsed = spec.parse(text, source)
    rng = rng if rng is not None else random.Random(seed)
    layers, seen, counts = [], set(), {}
    for line in parsed.layers:
        cls = spec.load("purenn.layers", line.keyword, line)
        args = spec.bind(cls, line, line.positional, 0, line.keyword, spec.RESERVED_LAYER_ARGS)
        counts[line.keyword] = counts.get(line.keyword, 0) + 1
        name = spec.layer_name(line, f"{line.keyword}{counts[line.keyword]}")
        if name in seen:
            raise line.error(f"layer name {name!r} is used twice")
        seen.add(name)
        try:
            layer = cls(**args)
        except (PurennError, ValueError) as exc:
            raise line.error(str(exc)) from None
        layer.kind = line.keyword
        layers.append((name, layer))
    loss_line = parsed.loss
    loss_cls = spec.load("purenn.losses", loss_line.positional[0], loss_line)
    loss_args = spec.bind(loss_cls, loss_line, loss_line.positional[1:], 0,
                          loss_line.positional[0], spec.RESERVED_LOSS_ARGS)
    weight_decay = loss_line.named.get("weight_decay", 0.0)
    if isinstance(weight_decay, bool) or not isinstance(weight_decay, (int, float)) \
            or weight_decay < 0:
        raise loss_line.error(f"weight_decay must be a number ≥ 0, got {weight_decay!r}")
    try:
        loss = loss_cls(**loss_args)
    except (PurennError, ValueError) as exc:
        raise loss_line.error(str(exc)) from None
    loss.kind = loss_line.positional[0]
    optimizer = ("sgd", {"lr": 0.01})
    if parsed.optimizer is not None:
        line = parsed.optimizer
        opt_cls = spec.load("purenn.optimizers", line.positional[0], line)
        optimizer = (line.positional[0],
                     spec.bind(opt_cls, line, line.positional[1:], 1, line.positional[0]))
    net = Network(parsed.input_shape, layers, loss, weight_decay=weight_decay, rng=rng,
                  optimizer=optimizer, lines=parsed.layers, optimizer_line=parsed.optimizer)
    net.source = source
    return net
