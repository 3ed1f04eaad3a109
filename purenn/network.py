"""A network: layers in a row, a loss on top, and the names learners know from the book.

    net = Network((784,), [("dense1", Dense(50)), ("relu1", ReLU()), ("dense2", Dense(10))],
                  SoftmaxCrossEntropy(), SGD)   # or purenn.build("two_layer") from a spec
    net.params["dense1.W"]                 # nested lists, (784, 50)
    net.params["dense1.W"] = new_W         # copied into the network's lists (shape checked)
    net.predict(x)                         # scores of the last layer, (N, 10)
    net.loss(x, t), net.accuracy(x, t)
    net.gradient(x, t)                     # backprop, same keys as params
    net.update(grads)                      # one step of the optimizer
    net.numerical_gradient(x, t)           # central differences, h = 1e-4
    net.state_dict(), net.load_state_dict(state)

It knows nothing of specs or files, as the book's ``MultiLayerNetExtend``: ``purenn.spec``
builds networks from spec text and writes them back, ``purenn.model`` saves and loads them.
"""

import math
import random

from . import guard, linalg, losses
from .booknames import Named, book_gradients, unknown_name_message
from .errors import PurennError
from .functions import labels
from .gradient import frozen, numerical_gradient
from .optimizers import SGD
from .sparse import SparseRows


class LayerBuildError(PurennError):
    """A layer refused its input shape; ``index`` is its place in the network's layers."""

    def __init__(self, index, name, cause):
        super().__init__(f"layer {name!r}: {cause}")
        self.index, self.cause = index, cause


def nested_shape(value):
    """Shape of nested lists or tuples of numbers, ``None`` when ragged or not numbers:
    nested_shape([[1, 2], [3, 4]]) == (2, 2), nested_shape([[1], [2, 3]]) is None."""
    if not isinstance(value, (list, tuple)):
        return () if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if not value:
        return (0,)
    if not isinstance(value[0], (list, tuple)):
        ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        return (len(value),) if ok else None
    inner = {nested_shape(item) for item in value}
    if len(inner) != 1 or None in inner:
        return None
    return (len(value),) + inner.pop()


def shape_text(shape):
    return "(" + ", ".join(map(str, shape)) + ")"


class Parameters(Named):
    """A network's parameters by name, as nested lists of floats (``dense1.W``).

    Reading gives the network's own lists: the layers compute with them and the optimizer
    updates them in place, so changing their numbers (``W[i][j] -= lr * dW[i][j]``) is seen
    everywhere. Assigning a whole parameter, as the book does (``params[key] = new``),
    copies the new numbers into those same lists after checking the shape, so the layers,
    the optimizer's state and ``purenn.save`` all see the new values; a new name, a
    removal or another shape is a PurennError.
    """

    def __setitem__(self, key, value):
        if key not in self:
            raise PurennError(self._unknown(key))
        target = dict.__getitem__(self, key)
        expected, got = linalg.shape_of(target), nested_shape(value)
        if got != expected:
            what = (shape_text(got) if got is not None
                    else f"a {type(value).__name__}" if not isinstance(value, (list, tuple))
                    else "ragged rows or values that are not numbers")
            raise PurennError(f"params[{key!r}] must have shape {shape_text(expected)}, "
                              f"got {what}")
        if not expected:
            return
        new_leaves = [[float(v) for v in leaf] for leaf in _leaves_of(value)]
        for leaf, new in zip(linalg.leaves(target), new_leaves):
            leaf[:] = new

    def update(self, other=(), **more):
        for key, value in dict(other, **more).items():
            self[key] = value

    def _unknown(self, key):
        return unknown_name_message(key, self)

    def _refuse(self, *args, **kwargs):
        raise PurennError("a network's parameters cannot be added or removed; assign new "
                          "values to an existing one (params[key] = value)")

    __delitem__ = pop = popitem = clear = setdefault = _refuse

    def __reduce__(self):
        return (type(self), (dict(self),))


def _leaves_of(value):
    """The innermost sequences of nested lists or tuples (of a checked shape)."""
    if value and isinstance(value[0], (list, tuple)):
        for item in value:
            yield from _leaves_of(item)
    else:
        yield value


class TooManyParameters(PurennError):
    """Building a layer would take the network past ``max_params`` numbers."""

    def __init__(self, message, count, limit):
        super().__init__(message)
        self.count, self.limit = count, limit


def _count(layer):
    return sum(len(leaf) for part in (layer.params, layer.buffers) for value in part.values()
               for leaf in (linalg.leaves(value) if isinstance(value, list) else [[value]]))


class Network:
    """A stack of named layers ending in a loss, and the optimizer that trains them.

    ``layers`` is a list of (name, layer) pairs, ``loss`` a loss object, ``optimizer``
    what makes the optimizer for the network's parameters: an optimizer class (``SGD``)
    or any callable ``make(params) -> Optimizer`` (``functools.partial(Adam, lr=0.002)``);
    by default ``SGD`` with its default lr = 0.01. Parameters are built for
    ``input_shape`` from ``rng`` (one ``random.Random`` for everything).
    ``weight_decay`` λ adds ½·λ·Σ W² over the weight matrices (each layer's ``decay``
    parameters, never biases) to the loss, and λ·W to their gradients (book, CS231n).

    Where it came from, set by whoever read it (``purenn.spec.build``,
    ``purenn.model.load``), for messages; a network made here has none of it:

    - ``source``: what it was read from: a spec file's path, a shipped spec's file name,
      ``"<spec>"`` for spec text, or the model file's path;
    - ``spec_warnings``: the messages of what its spec probably did not mean;
    - ``training``: a model file's training summary (epochs, accuracy, data set, ...).
    """

    def __init__(self, input_shape, layers, loss, optimizer=SGD, *, weight_decay=0.0,
                 rng=None, max_params=None, source=None, spec_warnings=()):
        self.input_shape = tuple(input_shape)
        self.layers = list(layers)
        self.loss_layer = loss
        self.weight_decay = weight_decay
        self.rng = rng if rng is not None else random.Random(0)
        self.source = source
        self.spec_warnings = list(spec_warnings)
        self.training = {}
        self.last_loss = None      # the loss of the last ``gradient`` call
        shape = self.input_shape
        self.shapes = [shape]
        held = 0
        for i, (name, layer) in enumerate(self.layers):
            try:
                held = self._check_budget(layer, shape, held, max_params)
                shape = guard.build(layer, name, shape, self.rng)
                held = self._check_budget(layer, shape, held, max_params, built=True)
            except (PurennError, ValueError) as exc:
                raise LayerBuildError(i, name, exc) from None
            self.shapes.append(shape)
        self.output_shape = shape
        # what forward and backward run: purenn's own parts as they are, a plugin's
        # wrapped once so that its failures name it (see purenn.guard)
        self._run = [guard.layer(name, layer, before, after) for (name, layer), before, after
                     in zip(self.layers, self.shapes, self.shapes[1:])]
        self._run_loss = guard.loss(loss)
        if self.layers:
            self.layers[0][1].input_grad = False
        self._params = Parameters(
            (f"{name}.{key}", value)
            for name, layer in self.layers for key, value in layer.params.items())
        self.decay_keys = [f"{name}.{key}" for name, layer in self.layers for key in layer.decay]
        self.param_sizes = {key: len(linalg.flatten(value))
                            for key, value in self.params.items()}
        self.param_count = sum(self.param_sizes.values())
        self.input_size = math.prod(self.input_shape)
        self.output_size = math.prod(self.output_shape)
        self.set_optimizer(optimizer)

    @property
    def params(self):
        """The parameters by name (see ``Parameters``): ``net.params["dense1.W"]``."""
        return self._params

    @params.setter
    def params(self, values):
        missing = [key for key in self._params if key not in values]
        if missing:
            raise PurennError(f"net.params = ... needs every parameter; missing {missing!r}")
        self._params.update(values)

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

    def update(self, grads):
        """One step of the optimizer: every parameter updated in place from ``grads``
        (a plugin optimizer's failure names it)."""
        guard.step(self.optimizer, grads)

    def takes_sparse_at(self, index=0):
        """Whether layer ``index`` of the run takes its input as ``SparseRows``: a trainer
        hands the first one its batches so where it does (and it pays)."""
        layers = self._run[index:index + 1]
        return bool(layers) and getattr(layers[0], "takes_sparse", False) is True

    # -- checks of what the book's methods are given ---------------------------------
    def check_batch(self, x):
        """PurennError unless x is a batch (N, features) this network takes."""
        n = self.input_size
        expected = f"(N, {n})"
        if isinstance(x, SparseRows):
            if not x.checked:
                try:
                    x.check()
                except ValueError as exc:
                    raise PurennError(f"x is not a batch: {exc}") from None
            if x.width != n:
                raise PurennError(f"x has shape (N, {x.width}) (SparseRows) but the network "
                                  f"takes {expected}")
            return
        if not isinstance(x, (list, tuple)):
            raise PurennError(f"x must be a batch of shape {expected}: a list of rows, "
                              f"got {type(x).__name__}")
        if x and not isinstance(x[0], (list, tuple)):
            one = " (one sample? pass [x])" if len(x) == n else ""
            raise PurennError(f"x must be a batch of shape {expected}: a list of rows, got "
                              f"a flat list of {len(x)} numbers{one}")
        if any(len(row) != n for row in x):
            lengths = sorted({len(row) for row in x})
            got = f"(N, {lengths[0]})" if len(lengths) == 1 else \
                f"rows of {', '.join(map(str, lengths))} numbers"
            raise PurennError(f"x has shape {got} but the network takes {expected} "
                              f"(input {'x'.join(map(str, self.input_shape))})")

    def check_labels(self, x, t):
        """PurennError unless t holds one label per row of x: class indices in 0..K-1 or
        rows of K numbers, K the network's outputs."""
        k = self.output_size
        if not isinstance(t, (list, tuple)) and not hasattr(t, "__len__"):
            raise PurennError(f"t must be labels: a list of class indices or of rows, got "
                              f"{type(t).__name__}")
        if len(t) != len(x):
            raise PurennError(f"t has {len(t)} labels but x has {len(x)} rows")
        if not t:
            return
        if isinstance(t[0], (list, tuple)):
            if any(not isinstance(row, (list, tuple)) or len(row) != k for row in t):
                raise PurennError(f"t must be class indices or rows of shape (N, {k}), got "
                                  f"rows of {sorted({len(r) for r in t if hasattr(r, '__len__')})}"
                                  f" numbers")
            return
        for i, label in enumerate(t):
            if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < k:
                raise PurennError(f"label t[{i}] is {label!r}; the network has {k} classes, "
                                  f"so labels are class indices 0..{k - 1} or rows of {k} "
                                  f"numbers")

    # -- the book's methods -------------------------------------------------------------
    def forward(self, x, train=False, start=0):
        """The last layer's output for a batch x (N, features), from layer ``start`` on
        (x then being the output of the layer before it). x may be ``SparseRows``: the
        layer gets it so if it ``takes_sparse``, else as dense rows."""
        if isinstance(x, SparseRows) and not self.takes_sparse_at(start):
            x = x.dense()
        for layer in self._run[start:]:
            x = layer.forward(x, train)
        return x

    def predict(self, x):
        """Scores of the last layer in inference mode (before the loss's softmax)."""
        self.check_batch(x)
        return self.forward(x, train=False)

    def probabilities(self, x):
        """What the scores mean for the loss: class probabilities for softmax losses."""
        return self.loss_layer.output(self.predict(x))

    def loss(self, x, t, train=False):
        """Mean loss over the batch, plus ½·λ·ΣW² when weight decay is set."""
        self.check_batch(x)
        self.check_labels(x, t)
        return self._loss(x, t, train)

    def _loss(self, x, t, train):
        return self.loss_of(self.forward(x, train), t)

    def loss_of(self, scores, t):
        """The loss of the last layer's scores for labels t, plus ½·λ·ΣW²."""
        return self._run_loss.forward(scores, t) + self.decay_loss()

    def decay_loss(self):
        if not self.weight_decay:
            return 0.0
        total = losses.total(v * v for key in self.decay_keys
                             for leaf in linalg.leaves(self.params[key]) for v in leaf)
        return 0.5 * self.weight_decay * total

    def accuracy(self, x, t):
        """Fraction of samples whose largest score is at the label's index."""
        self.check_batch(x)
        self.check_labels(x, t)
        if not x:
            return 0.0
        scores = self.forward(x, train=False)
        hits = sum(1 for row, label in zip(scores, labels(t)) if linalg.argmax(row) == label)
        return hits / len(x)

    def loss_and_gradient(self, x, t):
        """(L, {p: ∂L/∂p}) by one forward and one backward pass in training mode."""
        loss = self.loss(x, t, train=True)
        return loss, self.backward()

    def backward(self, dout=1.0):
        """∂L/∂p for every parameter p, back from the loss of the last training forward
        pass (weight decay's λ·W added); a dict with the keys of params."""
        self.backward_to(0, dout)
        return self.grads()

    def backward_to(self, stop, dout=1.0):
        """Back from the loss through the layers down to layer ``stop``; returns ∂L/∂x of
        that layer's input (each layer keeps its parameters' gradients)."""
        dout = self._run_loss.backward(dout)
        for layer in reversed(self._run[stop:]):
            dout = layer.backward(dout)
        return dout

    def recycle(self, grads):
        """Hand back gradients as ``backward`` returned them, once they are applied and
        nobody keeps them: each layer may refill its own in the next backward pass
        instead of making new lists (``Layer.spare_grads``); ``recycle({})`` takes them
        back. A trainer lends the last update's gradients this way for its next backward
        pass only, when its optimizer keeps no gradient (``Optimizer.keeps_grads``)."""
        for name, layer in self.layers:
            prefix = name + "."
            layer.spare_grads = {key[len(prefix):]: value for key, value in grads.items()
                                 if key.startswith(prefix)}

    def grads(self, start=0):
        """The gradients the last backward pass left in the layers from ``start`` on, by
        parameter name, weight decay's λ·W added."""
        grads = {f"{name}.{key}": value
                 for name, layer in self.layers[start:] for key, value in layer.grads.items()}
        if self.weight_decay:
            for key in self.decay_keys:
                if key in grads:
                    linalg.axpy_(grads[key], self.weight_decay, self.params[key])
        return grads

    def gradient(self, x, t):
        """∂L/∂p for every parameter p by backpropagation; a dict with the keys of params
        (whose values the book's ``params[key] -= lr * grads[key]`` can use, see
        ``purenn.booknames``). The loss of that pass is kept as ``last_loss``."""
        self.last_loss, grads = self.loss_and_gradient(x, t)
        return book_gradients(grads)

    def numerical_gradient(self, x, t, h=1e-4, each=None):
        """∂L/∂p by central differences (L(p+h) − L(p−h)) / 2h, one number at a time.

        Slow by design: two passes over the batch per parameter (the book's chapter 4).
        The loss is taken in training mode, as ``gradient`` takes it, with the dropout
        masks of the last training pass held fixed and running statistics left as they
        were (``gradient.frozen``). ``each()`` is called after every number (see
        ``gradient.numerical_gradient``).
        """
        self.check_batch(x)
        self.check_labels(x, t)

        def loss(_):
            return self._loss(x, t, True)

        with frozen(layer for _, layer in self.layers):
            return book_gradients({key: numerical_gradient(loss, param, h, each)
                                   for key, param in self.params.items()})

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
    def __repr__(self):
        """As PyTorch prints a module: each layer with its arguments, output shape and
        parameter count, then the loss, the optimizer and the totals."""
        def call(obj, config):
            args = ", ".join(f"{k}={v!r}" for k, v in config.items())
            return f"{type(obj).__name__}({args})"

        rows = []
        for (name, layer), shape in zip(self.layers, self.shapes[1:]):
            count = sum(self.param_sizes[f"{name}.{key}"] for key in layer.params)
            size = f"{count:,} params" if count else ""
            rows.append((f"({name}): {call(layer, getattr(layer, 'config', {}))}",
                         "x".join(map(str, shape)), size))
        rows.append((f"(loss): {call(self.loss_layer, getattr(self.loss_layer, 'config', {}))}"
                     + (f" + weight decay {self.weight_decay!r}" if self.weight_decay else ""),
                     "", ""))
        optimizer = call(self.optimizer, getattr(self.optimizer, "config", {}))
        rows.append((f"(optimizer): {optimizer}", "", ""))
        width = max((len(text) for text, shape, _ in rows if shape), default=0)
        shape_width = max(len(shape) for _, shape, _ in rows)
        size_width = max(len(size) for _, _, size in rows)
        lines = [f"Network(input {'x'.join(map(str, self.input_shape))}, "
                 f"{self.param_count:,} parameters"]
        for text, shape, size in rows:
            line = f"  {text:<{width}}"
            if shape:
                line += f"  -> {shape:<{shape_width}}  {size:>{size_width}}"
            lines.append(line.rstrip())
        return "\n".join(lines) + "\n)"

    def summary(self):
        """One line per layer: name, output shape and parameter count."""
        rows = [f"{'input':<12} {'x'.join(map(str, self.input_shape)):>10}"]
        for (name, layer), shape in zip(self.layers, self.shapes[1:]):
            count = sum(self.param_sizes[f"{name}.{key}"] for key in layer.params)
            rows.append(f"{name:<12} {'x'.join(map(str, shape)):>10} {count:>10,} params")
        return "\n".join(rows)
