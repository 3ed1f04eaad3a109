"""Training: mini-batches, updates, and a record of how it went.

Two schedules (``EpochSchedule``, ``BookSchedule``), both driven by one seeded
``random.Random``:

- epochs (default): each epoch shuffles the training set and walks through it in
  mini-batches of ``batch_size`` (the last one may be smaller), as PyTorch and Keras do;
- the book's (``iterations=K``): K updates, each on ``batch_size`` indices drawn with
  replacement (``np.random.choice(train_size, batch_size)``), with an evaluation after
  update i whenever i % iter_per_epoch == 0, iter_per_epoch = max(train_size // batch_size, 1).

After each epoch (or every ``eval_every``-th, and always the last) the history records the
mean training loss over the updates of that epoch alone (in the book's schedule: the
updates since the previous evaluation was due), whatever ``eval_every`` is, and the
accuracy on the whole training set and on the test set (as the book's figures do). With
one batch per epoch (CS231n's full-batch spiral) it is the loss of that epoch's update.
For a regression set (``num_classes`` None: float targets, no classes) there is no
accuracy: ``train_acc`` and ``test_acc`` hold the mean loss over each whole set in
inference mode (weight decay included, as in the loss of an update), and the epoch lines
say "train loss", "test loss".

One update is ``step(indices)``: ``batch(indices)`` gives (x, t), ``compute_gradients(x,
t)`` the loss and the gradients, ``check_loss`` stops on a loss that is not finite, and
``update(grads)`` has the optimizer step (``ParallelTrainer`` overrides ``batch``,
``compute_gradients`` and ``update``).

Hooks, for progress display and checkpoints (each optional):

- ``on_update(trainer, loss)`` after every update; ``trainer.progress()`` says where it is;
- ``on_record(trainer)`` after every history record (the epoch line is logged first);
- ``on_gradient(trainer, done, total)`` within an update by numerical gradients, at most
  ten times a second: ``done`` of the ``total`` parameter numbers are differentiated.

Stopping and resuming: setting ``trainer.stop_requested = True`` (a SIGINT handler may do
it) makes training stop at the next safe point (after an update, between evaluation
batches, or between two numbers of a numerical gradient, the update then abandoned and
the random generators put back as they were before it) by raising
``TrainingInterrupted``. At such a point ``state_dict()`` captures everything training
still depends on (position in the schedule, this epoch's order, the losses not yet
recorded, the history, the optimizer's state and the RNG's state); a new
Trainer for the same network, data and settings given ``load_state_dict(state)`` (and the
same weights) continues exactly as the uninterrupted run would have, bit for bit.
"""

import math
import time
import warnings
from dataclasses import asdict, dataclass, field, fields

from . import linalg
from .data.dataset import Dataset
from .errors import TrainingError
from .functions import labels
from .losses import total
from .spec import LIMIT_ENV, parameter_limit

STATE_VERSION = 1
DIVERGENCE_FACTOR = 10.0
METRICS = ("accuracy", "loss")            # what History.train_acc/test_acc hold
LOSS_AT = ("before-update", "after-update")  # which loss History.iteration_loss holds


def first_non_accuracy(values):
    """(index, value) of the first value that is no accuracy, outside [0, 1], or None
    (NaN passes: the accuracy of a run without a test set)."""
    for i, value in enumerate(values):
        if not 0.0 <= value <= 1.0 and value == value:
            return i, value
    return None


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped at a safe point because ``stop_requested`` was set."""


@dataclass
class History:
    """Per-epoch records (lists of equal length) and the loss of every update.

    ``update`` holds how many updates were done when each record was measured and
    ``updates_per_epoch`` what the schedule calls an epoch, so that a record can be drawn
    at the epoch it was measured at, ``update / updates_per_epoch``: the book's schedule
    measures after update 1, 469, 937... of 468 an epoch, at epochs 0.002, 1.002, 2.002
    (the book's figures put them at 0, 1, 2).

    ``metric`` says what ``train_acc`` and ``test_acc`` hold: "accuracy", or "loss" for a
    regression set (float targets: no classes to count); ``loss_at`` which loss
    ``iteration_loss`` holds: the batch's loss in the forward pass that made the gradient
    ("before-update") or computed again after the optimizer's step ("after-update")."""

    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    iteration_loss: list = field(default_factory=list)
    update: list = field(default_factory=list)
    updates_per_epoch: int = None
    metric: str = "accuracy"
    loss_at: str = "before-update"

    def as_dict(self):
        return asdict(self)

    def epochs_at(self):
        """The epoch (fractional) at which each record was measured; the record's epoch
        number where the updates are not known (a history made by hand)."""
        if self.updates_per_epoch and len(self.update) == len(self.epoch):
            return [u / self.updates_per_epoch for u in self.update]
        return list(self.epoch)

    def _repr_png_(self):
        """The loss and accuracy panels, for Jupyter (as ``purenn.plot.history``)."""
        from .plot import history
        return history(self).png()

    def _repr_svg_(self):
        from .plot import history
        return history(self).svg()

    @classmethod
    def from_dict(cls, data):
        """The History of ``as_dict()``'s output; ValueError on missing or extra fields
        (``update``, ``updates_per_epoch``, ``metric`` and ``loss_at`` may be missing:
        older checkpoints)."""
        words = {"metric": METRICS, "loss_at": LOSS_AT}
        scalars = {"updates_per_epoch", *words}
        lists = [f.name for f in fields(cls) if f.name not in scalars]
        optional = {"update"} | scalars
        keys = set(data) if isinstance(data, dict) else set()
        per = data.get("updates_per_epoch") if keys else None
        if (not set(lists) - optional <= keys or not keys <= set(lists) | optional
                or not all(isinstance(data[n], list) for n in lists if n in keys)
                or not (per is None or (type(per) is int and per > 0))):
            raise ValueError(f"history must have the list fields {lists!r} and "
                             f"updates_per_epoch, got "
                             f"{sorted(data) if isinstance(data, dict) else data!r}")
        for name, allowed in words.items():
            if name in keys and data[name] not in allowed:
                raise ValueError(f"history {name} must be one of {', '.join(allowed)}, got "
                                 f"{data[name]!r}")
        return cls(**{n: list(data[n]) for n in lists if n in keys}, updates_per_epoch=per,
                   **{n: data[n] for n in words if n in keys})


def evaluate(net, dataset, batch_size=1000, check=None, on_batch=None):
    """Accuracy of ``net`` over a whole data set, a batch at a time (bounded memory); for
    a regression set (``num_classes`` None) the mean loss of its loss layer instead.

    ``check`` (optional) is called before each batch; it may raise to abandon the pass.
    ``on_batch(n)`` (optional) is called after each batch of ``n`` samples. The batches
    go as ``SparseRows`` where ``sparse_batches`` says so, as a trainer's do.
    """
    if dataset is None or len(dataset) == 0:
        return float("nan")
    if dataset.num_classes is None:
        return evaluate_loss(net, dataset, batch_size, check, on_batch)
    hits = 0
    for x, t in _batches(net, dataset, batch_size):
        if check is not None:
            check()
        hits += round(net.accuracy(x, t) * len(x))
        if on_batch is not None:
            on_batch(len(x))
    return hits / len(dataset)


def evaluate_loss(net, dataset, batch_size=1000, check=None, on_batch=None):
    """Mean loss of ``net`` over a whole data set in inference mode, weight decay included
    (``Network.loss``), L = (1/N) Σ_batches N_b·L_b, a batch at a time; ``check`` and
    ``on_batch`` as ``evaluate``."""
    losses = []
    for x, t in _batches(net, dataset, batch_size):
        if check is not None:
            check()
        losses.append(net.loss(x, t) * len(x))
        if on_batch is not None:
            on_batch(len(x))
    return total(losses) / len(dataset)


def confusion_matrix(net, dataset, batch_size=1000, on_batch=None):
    """(matrix, mean loss, wrong) over ``dataset``: matrix[true][predicted] counts, the
    loss of the network's loss layer (without weight decay), and the (index, true,
    predicted) of every mistake. ``on_batch(done, total)``, if given, is called after
    each batch with the samples done so far."""
    k = dataset.num_classes
    matrix = [[0] * k for _ in range(k)]
    total_loss, wrong, start = 0.0, [], 0
    for x, t in dataset.batches(batch_size):
        scores = net.predict(x)
        total_loss += net.loss_layer.forward(scores, t) * len(x)
        for offset, (row, label) in enumerate(zip(scores, labels(t))):
            predicted = linalg.argmax(row)
            matrix[label][predicted] += 1
            if predicted != label:
                wrong.append((start + offset, label, predicted))
        start += len(x)
        if on_batch is not None:
            on_batch(start, len(dataset))
    return matrix, total_loss / len(dataset), wrong


def rng_state(rng):
    """A ``random.Random``'s state as JSON values: [version, [625 ints], gauss_next]."""
    version, internal, gauss_next = rng.getstate()
    return [version, list(internal), gauss_next]


def set_rng_state(rng, state):
    """Restore what ``rng_state`` returned; ValueError if it is not such a state."""
    try:
        version, internal, gauss_next = state
        rng.setstate((version, tuple(internal), gauss_next))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a random.Random state: {exc}") from None


def _plain(data):
    """Whether data makes its batches as purenn's Dataset does, so that one may be refilled
    or handed over as SparseRows: a subclass's own row() (augmentation, say) or a batch()
    replaced on the instance makes new rows as it always did."""
    kind = type(data)
    return (isinstance(data, Dataset) and kind.batch is Dataset.batch and kind.x is Dataset.x
            and kind.row is Dataset.row and kind.batches is Dataset.batches
            and not {"batch", "x", "row", "batches"} & vars(data).keys())


def _batches(net, dataset, size):
    if sparse_batches(net, dataset):
        return dataset.batches(size, sparse=True)
    return dataset.batches(size)


def sparse_batches(net, data):
    """Whether batches of ``data`` go to ``net`` as ``SparseRows``: where the network's
    first layer takes them and ``sparse_input_pays(data)``. Training and evaluation
    decide alike, so the first layer's search for zeros is never taken on such a set (on
    PyPy a search that runs only in evaluations was also measured slower)."""
    return net.takes_sparse_at(0) and sparse_input_pays(data)


def sparse_input_pays(data):
    """Whether ``data`` makes its rows as ``Dataset`` does and its samples are sparse
    enough for ``SparseRows`` to pay on the kernel set (``linalg.sparse_pays``: on PyPy
    for MNIST, never on CPython)."""
    return (_plain(data)
            and linalg.sparse_pays(0.0)         # at all: else no need to look at the data
            and linalg.sparse_pays(data.nonzero_share()))


def _check_batch_memory(net, batch_size):
    """TrainingError when one batch of ``batch_size`` samples would hold more numbers, in
    the input and the layers' outputs, than a spec may (``spec.parameter_limit()``): the
    book's schedule draws that many samples however small the training set is."""
    per_sample = sum(math.prod(shape) for shape in net.shapes)
    limit = parameter_limit()
    if batch_size * per_sample > limit:
        raise TrainingError(
            f"batch size {batch_size:,}: one batch would hold {batch_size * per_sample:,} "
            f"numbers ({per_sample:,} per sample in the input and the layers' outputs), "
            f"over the limit of {limit:,} ({LIMIT_ENV} sets another)")


class Trainer:
    """Train ``net`` on ``train_set``, evaluating on ``test_set`` after every epoch.

    ``gradient`` is ``"backprop"`` or ``"numerical"`` (central differences, the book's
    first and very slow method). ``log`` receives one line of text per epoch when given,
    or with ``verbose=True`` (print); by default nothing is printed. ``warn`` receives
    the divergence warning (default: ``warnings.warn`` with RuntimeWarning);
    ``stop_on_divergence`` makes it an error instead. Without a test set the lines show
    no test accuracy (the history holds NaN).

    ``loss_after_update``: the loss recorded for an update is the batch's loss computed
    again, in inference mode, after the optimizer's step, as the book's
    ``optimizer_compare_mnist.py``, ``weight_init_compare.py`` and ``Trainer`` record it
    (``network.loss(x_batch, t_batch)`` after ``optimizer.update``); by default it is the
    loss of the forward pass that made the gradient (CS231n's, PyTorch's). It costs one
    more forward pass per update.

    ``keep_going_on_nan``: a loss that is not finite does not stop training (as the book's
    loops go on); ``diverged_at`` says at which update the loss first exploded (see
    ``check_loss``) or stopped being finite (else None). From a NaN on, the weights are
    NaN and every prediction is class 0, as NumPy's argmax says.
    """

    def __init__(self, net, train_set, test_set=None, *, epochs=5, batch_size=100,
                 rng=None, gradient="backprop", iterations=None,
                 log=None, verbose=False, eval_batch_size=1000, eval_every=1,
                 on_update=None, on_record=None, warn=None, stop_on_divergence=False,
                 on_gradient=None, eval_size=None, on_evaluate=None,
                 loss_after_update=False, keep_going_on_nan=False):
        if gradient not in ("backprop", "numerical"):
            raise ValueError(f"gradient must be 'backprop' or 'numerical', got {gradient!r}")
        if batch_size < 1:
            raise ValueError(f"batch size must be at least 1, got {batch_size!r}")
        if len(train_set) == 0:
            raise ValueError("the training set is empty")
        _check_batch_memory(net, batch_size if iterations is not None
                            else min(batch_size, len(train_set)))
        self.net = net
        self.train_set = train_set
        self.test_set = test_set
        self.batch_size = batch_size
        self.rng = rng if rng is not None else net.rng
        self.gradient = gradient
        self.schedule = (BookSchedule(iterations) if iterations is not None
                         else EpochSchedule(epochs))
        self.log = log or (print if verbose else (lambda line: None))
        self.warn = warn or (lambda message: warnings.warn(message, RuntimeWarning,
                                                           stacklevel=4))
        self.stop_on_divergence = stop_on_divergence
        self.diverged = False
        self.loss_after_update = loss_after_update
        self.keep_going_on_nan = keep_going_on_nan
        self.diverged_at = None     # the first update whose loss was not finite
        self.eval_batch_size = eval_batch_size
        self.eval_every = eval_every
        self.eval_size = eval_size
        self.on_update = on_update
        self.on_record = on_record
        self.on_gradient = on_gradient
        self.on_evaluate = on_evaluate
        self.gradient_interval = 0.1   # seconds between two on_gradient calls
        self.history = History(
            updates_per_epoch=self.updates_per_epoch,
            metric="loss" if train_set.num_classes is None else "accuracy",
            loss_at="after-update" if loss_after_update else "before-update")
        self.stop_requested = False
        self.rng_before = None
        self._rows = None           # the last batch's x, refilled by the next one
        self._sparse = None         # whether batches go as SparseRows (at the first batch)
        self._spent = None          # the last update's gradients, refilled by the next
        # where training stands (see state_dict)
        self.epoch = 0              # epochs done (epochs schedule) or recorded (book's)
        self.position = 0           # samples of this epoch's order already used
        self.order = None           # this epoch's shuffled order, None between epochs
        self.updates = 0            # updates done in all
        self.pending = []           # losses of this epoch's updates so far
        self.eval_pending = False   # book's schedule: an evaluation is due
        self._started = time.perf_counter()

    @property
    def optimizer(self):
        return self.net.optimizer

    # -- one update, one record -----------------------------------------------------------
    def batch(self, indices):
        """(x, t) of the samples at ``indices``. x is ``SparseRows`` where
        ``sparse_batches`` says so (decided at the first batch). Otherwise x's rows are
        the trainer's own: where the kernel set refills rows (``linalg.refills()``), the
        next batch refills them (an update is done with its x when the next one is
        drawn)."""
        plain = _plain(self.train_set)
        if self._sparse_batches() and plain:
            return self.train_set.batch(indices, sparse=True)
        if not (linalg.refills() and plain):
            return self.train_set.batch(indices)
        x, t = self.train_set.batch(indices, into=self._rows)
        self._rows = x
        return x, t

    def _sparse_batches(self):
        """``sparse_batches`` for this trainer's network and training set, decided once."""
        if self._sparse is None:
            self._sparse = sparse_batches(self.net, self.train_set)
        return self._sparse

    def compute_gradients(self, x, t):
        """(loss, grads) of the batch: by backprop, or numerically when asked."""
        if self.gradient == "numerical":
            loss = self.net.loss(x, t, train=True)
            return loss, self.net.numerical_gradient(x, t, each=self._numerical_tick())
        return self.net.loss_and_gradient(x, t)

    def update(self, grads):
        """The optimizer's step on the network's parameters (``Network.update``)."""
        self.net.update(grads)

    def loss_after(self, x, t):
        """The batch's loss with the weights just updated (``loss_after_update``)."""
        return self.net.loss(x, t)

    def _numerical_tick(self):
        """``each()`` for a numerical gradient: reports progress, honours a stop request
        between two numbers (the parameters are whole again at that point)."""
        total, done = self.net.param_count, 0
        clock, last = time.perf_counter, time.perf_counter()

        def each():
            nonlocal done, last
            done += 1
            if self.stop_requested:
                raise TrainingInterrupted("training stopped on request")
            if self.on_gradient is not None and (clock() - last >= self.gradient_interval
                                                 or done == total):
                last = clock()
                self.on_gradient(self, done, total)
        return each

    def check_loss(self, loss):
        """TrainingError if the loss of the coming update is not a finite number; a loss
        that exploded (see the module's docstring) is warned about once, or with
        ``stop_on_divergence`` is a TrainingError too."""
        update = self.updates + 1
        lr = getattr(self.optimizer, "lr", None)
        if not math.isfinite(loss):
            if self.keep_going_on_nan:
                if self.diverged_at is None:
                    self.diverged_at = update
                return
            raise TrainingError(
                f"the loss became {loss!r} at update {update}; "
                f"the learning rate (lr={lr!r}) is probably too large")
        if self.diverged and not self.stop_on_divergence:
            return
        losses = self.history.iteration_loss
        first = losses[0] if losses else loss
        classes = math.prod(getattr(self.net, "output_shape", ())) or 2
        limit = DIVERGENCE_FACTOR * max(first, math.log(max(classes, 2)))
        if loss <= limit:
            return
        message = (f"the loss exploded to {loss:.4g} at update {update} (first update: "
                   f"{first:.4g}, more than {DIVERGENCE_FACTOR:g}x); training diverges, "
                   f"the learning rate (lr={lr!r}) is probably too large")
        if self.stop_on_divergence:
            raise TrainingError(message)
        self.diverged = True
        if self.keep_going_on_nan and self.diverged_at is None:
            self.diverged_at = update
        self.warn(message)

    def step(self, indices):
        """One update on the samples at ``indices``; returns the batch's loss."""
        if self.gradient == "numerical":
            try:
                return self._step(indices)
            except TrainingInterrupted:
                if self.rng_before is not None:     # the update is abandoned: as before it
                    self.rng.setstate(self.rng_before[0])
                    self.net.rng.setstate(self.rng_before[1])
                raise
        return self._step(indices)

    def before_draw(self):
        """Called by a schedule before it draws a batch: keep the generators' states, to
        put back if a numerical update is abandoned."""
        if self.gradient == "numerical":
            self.rng_before = (self.rng.getstate(), self.net.rng.getstate())

    def _step(self, indices):
        x, t = self.batch(indices)
        # the last update's gradients, applied, are lent to the layers for this backward
        # pass only (refilled there): nothing is left for a gradient taken by hand
        spent, self._spent = self._spent, None
        if spent is not None:
            self.net.recycle(spent)
        try:
            loss, grads = self.compute_gradients(x, t)
        finally:
            if spent is not None:
                self.net.recycle({})
        self.check_loss(loss)
        self.update(grads)
        if linalg.refills() and not getattr(self.optimizer, "keeps_grads", True):
            self._spent = grads
        if self.loss_after_update:
            loss = self.loss_after(x, t)
            if not math.isfinite(loss):
                self.check_loss(loss)
        self.history.iteration_loss.append(loss)
        self.pending.append(loss)
        self.updates += 1
        return loss

    def check_stop(self):
        """Raise TrainingInterrupted if a stop was requested (call only at safe points)."""
        if self.stop_requested:
            raise TrainingInterrupted("training stopped on request")

    def after_update(self, loss):
        if self.on_update is not None:
            self.on_update(self, loss)
        self.check_stop()

    def measure(self):
        """(train accuracy, test accuracy) now, on the first ``eval_size`` samples of each
        set when it is given (the book's ``evaluate_sample_num_per_epoch``), else on all;
        may raise TrainingInterrupted. Calls ``on_evaluate(trainer, done, total)`` after
        each batch, counting the samples of both sets (a whole MNIST takes a minute)."""
        n = self.eval_size
        sets = [d if n is None or d is None else d.head(min(n, len(d)))
                for d in (self.train_set, self.test_set)]
        on_batch = None
        if self.on_evaluate is not None:
            done = [0]
            total = sum(len(d) for d in sets if d is not None)

            def on_batch(count):
                done[0] += count
                self.on_evaluate(self, done[0], total)
        return tuple(evaluate(self.net, d, self.eval_batch_size, self.check_stop, on_batch)
                     for d in sets)

    def record(self, epoch, accuracies):
        """Append a history record for ``epoch`` from the pending losses, log it, and
        call ``on_record``."""
        h = self.history
        h.epoch.append(epoch)
        h.update.append(self.updates)
        h.train_loss.append(total(self.pending) / len(self.pending))
        h.train_acc.append(accuracies[0])
        h.test_acc.append(accuracies[1])
        h.seconds.append(time.perf_counter() - self._started)
        self.pending = []
        self._started = time.perf_counter()
        measure = "acc" if h.metric == "accuracy" else "loss"
        test = f"  test {measure} {h.test_acc[-1]:.4f}" if self.has_test_set else ""
        self.log(f"epoch {epoch:>3}/{self.total_epochs}  loss {h.train_loss[-1]:.4f}  "
                 f"train {measure} {h.train_acc[-1]:.4f}{test}  ({h.seconds[-1]:.1f} s)")
        if self.on_record is not None:
            self.on_record(self)

    # -- where training stands ------------------------------------------------------------
    @property
    def has_test_set(self):
        return self.test_set is not None and len(self.test_set) > 0

    @property
    def iter_per_epoch(self):
        return max(len(self.train_set) // self.batch_size, 1)

    @property
    def updates_per_epoch(self):
        """What the schedule calls an epoch: a pass over the training set (epochs), or
        iter_per_epoch updates (the book's)."""
        return self.schedule.updates_per_epoch(self)

    @property
    def batches_per_epoch(self):
        return -(-len(self.train_set) // self.batch_size)

    @property
    def total_epochs(self):
        return self.schedule.total_epochs(self)

    @property
    def total_updates(self):
        return self.schedule.total_updates(self)

    def progress(self):
        """(label, done, total) of the current epoch, e.g. ("epoch 2/5", 40, 100); in the
        book's schedule an "epoch" is the iter_per_epoch updates up to an evaluation."""
        return self.schedule.progress(self)

    def fit(self):
        """Run the schedule (or what is left of it after ``load_state_dict``); returns the
        History (also kept as ``self.history``)."""
        self._started = time.perf_counter()
        self.schedule.run(self)
        return self.history

    # -- checkpoints ----------------------------------------------------------------------
    def state_dict(self):
        """Everything but the weights that training depends on, as JSON values (the
        optimizer's state as its ``state_dict()`` gives it)."""
        state = {
            "version": STATE_VERSION,
            "schedule": self.schedule.name,
            "train_size": len(self.train_set),
            "batch_size": self.batch_size,
            "epoch": self.epoch,
            "position": self.position,
            "order": self.order,
            "updates": self.updates,
            "pending": list(self.pending),
            "eval_pending": self.eval_pending,
            "history": self.history.as_dict(),
            "rng": rng_state(self.rng),
            "optimizer": self.optimizer.state_dict(),
        }
        if self.net.rng is not self.rng:
            state["net_rng"] = rng_state(self.net.rng)
        return state

    def load_state_dict(self, state):
        """Continue from what ``state_dict`` returned; ValueError if it does not fit this
        trainer (another schedule, batch size or training-set size)."""
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise ValueError(f"not a trainer state of version {STATE_VERSION}")
        for key, mine in (("schedule", self.schedule.name), ("train_size", len(self.train_set)),
                          ("batch_size", self.batch_size)):
            if state.get(key) != mine:
                raise ValueError(f"the state was saved with {key} {state.get(key)!r}, "
                                 f"this trainer has {mine!r}")
        order = state["order"]
        if order is not None and sorted(order) != list(range(len(self.train_set))):
            raise ValueError("the saved order is not a permutation of the training set")
        history = History.from_dict(state["history"])
        history.updates_per_epoch = self.updates_per_epoch
        metric = self.history.metric               # what this trainer's data measures
        if "metric" in state["history"] and history.metric != metric:
            raise ValueError(f"the state's history holds {history.metric} values, this "
                             f"trainer's data measures {metric}")
        if metric == "accuracy":
            for name in ("train_acc", "test_acc"):
                bad = first_non_accuracy(getattr(history, name))
                if bad is not None:
                    raise ValueError(f"the state's history.{name} holds {bad[1]!r}, not an "
                                     f"accuracy from 0 to 1")
        history.metric = metric                    # older states do not say
        history.loss_at = self.history.loss_at     # this run's, from here on
        if len(history.update) != len(history.epoch):  # saved before updates were kept
            history.update = [self.schedule.update_of(self, e) for e in history.epoch]
        self.optimizer.load_state_dict(state["optimizer"])
        set_rng_state(self.rng, state["rng"])
        if "net_rng" in state:
            set_rng_state(self.net.rng, state["net_rng"])
        self.epoch = int(state["epoch"])
        self.position = int(state["position"])
        self.order = order
        self.updates = int(state["updates"])
        self.pending = [float(v) for v in state["pending"]]
        self.eval_pending = bool(state["eval_pending"])
        self.history = history


@dataclass
class NumericalCost:
    """What training by numerical gradients will cost, from ``numerical_cost``."""

    loss_seconds: float     # one loss on a training batch, once warmed up
    losses_per_update: int  # 2 per parameter number (plus and minus h), plus one
    updates: int            # updates left
    eval_seconds: float     # the accuracy measurements left

    @property
    def per_update(self):
        return self.losses_per_update * self.loss_seconds

    @property
    def total(self):
        """Seconds for the whole run left: its updates and its evaluations."""
        return self.updates * self.per_update + self.eval_seconds


def evaluations_left(trainer):
    """How many records (accuracy measurements) the schedule has still to make."""
    every, last = trainer.eval_every or 1, trainer.total_epochs
    return sum(1 for e in range(trainer.epoch + 1, last + 1) if e % every == 0 or e == last)


def _entries(params):
    """(leaf, index) of every parameter number, round and round."""
    while True:
        for param in params.values():
            for leaf in linalg.leaves(param):
                for i in range(len(leaf)):
                    yield leaf, i


def numerical_cost(trainer, clock=time.perf_counter, budget=2.0, minimum=4):
    """The cost of the rest of ``trainer``'s run by numerical gradients, measured as it
    will be spent: central differences of the training loss on the first training
    batch, the network frozen as ``Network.numerical_gradient`` freezes it, one
    parameter number after another (each restored at once), for ``budget`` seconds (at
    least ``minimum`` numbers); the mean time of the later half is taken, so that a JIT
    (PyPy) has warmed up as it will have during the long run, and its garbage
    collector's pauses are counted. An evaluation of the accuracies is costed per
    sample from the same time. Training is not changed: the random generators are put
    back (a dropout mask may be drawn) and ``frozen`` puts back running statistics."""
    from .gradient import central_difference, frozen

    net = trainer.net
    size = min(trainer.batch_size, len(trainer.train_set))
    x, t = trainer.train_set.batch(range(size))
    net.loss(x, t)      # checks the batch once, as Network.numerical_gradient does
    states = [(rng, rng.getstate()) for rng in {id(r): r for r in (trainer.rng, net.rng)
                                                 if r is not None}.values()]

    def loss():
        return net._loss(x, t, True)

    times, begin = [], clock()
    try:
        with frozen(layer for _, layer in net.layers):
            for leaf, i in _entries(net.params):
                start = clock()
                central_difference(loss, leaf, i)
                end = clock()
                times.append(end - start)
                if len(times) >= minimum and end - begin >= budget:
                    break
    finally:
        for rng, state in states:
            rng.setstate(state)
    later = times[len(times) // 2:]
    one = math.fsum(later) / len(later) / 2
    samples = len(trainer.train_set) + (len(trainer.test_set) if trainer.has_test_set else 0)
    return NumericalCost(one, 2 * net.param_count + 1, trainer.total_updates - trainer.updates,
                         evaluations_left(trainer) * samples / size * one)


class EpochSchedule:
    """Epochs, as PyTorch and Keras train: each shuffles the training set and walks through
    it in mini-batches of ``batch_size`` (the last one may be smaller)."""

    name = "epochs"

    def __init__(self, epochs):
        self.epochs = epochs

    def total_epochs(self, trainer):
        return self.epochs

    def total_updates(self, trainer):
        return self.epochs * trainer.batches_per_epoch

    def updates_per_epoch(self, trainer):
        return trainer.batches_per_epoch

    def update_of(self, trainer, epoch):
        """The updates done when ``epoch`` was recorded."""
        return epoch * trainer.batches_per_epoch

    def progress(self, trainer):
        current = min(trainer.epoch + 1, self.epochs)
        done = -(-trainer.position // trainer.batch_size)
        return f"epoch {current}/{self.epochs}", done, trainer.batches_per_epoch

    def run(self, trainer):
        n = len(trainer.train_set)
        while trainer.epoch < self.epochs:
            if trainer.order is None:
                order = list(range(n))
                trainer.rng.shuffle(order)
                trainer.order, trainer.position = order, 0
            while trainer.position < n:
                trainer.before_draw()
                batch = trainer.order[trainer.position:trainer.position + trainer.batch_size]
                loss = trainer.step(batch)
                trainer.position += len(batch)
                trainer.after_update(loss)
            epoch = trainer.epoch + 1
            due = epoch % trainer.eval_every == 0 or epoch == self.epochs
            accuracies = trainer.measure() if due else None
            trainer.epoch, trainer.order, trainer.position = epoch, None, 0
            if due:
                trainer.record(epoch, accuracies)
            else:   # a record holds its own epoch's losses only, whatever eval_every is
                trainer.pending = []


class BookSchedule:
    """The book's: ``iterations`` updates, each on ``batch_size`` indices drawn with
    replacement, with an evaluation after update i whenever i % iter_per_epoch == 0 (only
    every ``eval_every``-th of them, and always the last, is measured and recorded)."""

    name = "iterations"

    def __init__(self, iterations):
        self.iterations = iterations

    def total_epochs(self, trainer):
        return (self.iterations - 1) // trainer.iter_per_epoch + 1

    def total_updates(self, trainer):
        return self.iterations

    def updates_per_epoch(self, trainer):
        return trainer.iter_per_epoch

    def update_of(self, trainer, epoch):
        """The updates done when ``epoch`` was recorded (after update 1, per + 1...)."""
        return min((epoch - 1) * trainer.iter_per_epoch + 1, self.iterations)

    def progress(self, trainer):
        """The updates of the current block of iter_per_epoch (1 to iter_per_epoch, then
        on); the last block holds only what is left of ``iterations``: a run of 20
        updates of a 312-update epoch stands at "20/20" when it ends."""
        per = trainer.iter_per_epoch
        block = (trainer.updates - 1) // per if trainer.updates else 0
        done = trainer.updates - block * per
        epochs = self.total_epochs(trainer)
        return (f"epoch {min(trainer.epoch + 1, epochs)}/{epochs}", done,
                min(per, self.iterations - block * per))

    def run(self, trainer):
        n = len(trainer.train_set)
        randrange = trainer.rng.randrange
        while True:
            if trainer.eval_pending:
                epoch = trainer.epoch + 1
                due = epoch % trainer.eval_every == 0 or epoch == self.total_epochs(trainer)
                accuracies = trainer.measure() if due else None
                trainer.epoch = epoch
                trainer.eval_pending = False
                if due:
                    trainer.record(epoch, accuracies)
                else:
                    trainer.pending = []
            if trainer.updates >= self.iterations:
                break
            i = trainer.updates
            trainer.before_draw()
            loss = trainer.step([randrange(n) for _ in range(trainer.batch_size)])
            trainer.eval_pending = i % trainer.iter_per_epoch == 0
            trainer.after_update(loss)
