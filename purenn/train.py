"""Training: mini-batches, updates, and a record of how it went.

Two schedules, both driven by one seeded ``random.Random``:

- epochs (default): each epoch shuffles the training set and walks through it in
  mini-batches of ``batch_size`` (the last one may be smaller), as PyTorch and Keras do;
- the book's (``iterations=K``): K updates, each on ``batch_size`` indices drawn with
  replacement (``np.random.choice(train_size, batch_size)``), with an evaluation after
  update i whenever i % iter_per_epoch == 0, iter_per_epoch = max(train_size // batch_size, 1).

After each epoch (or every ``eval_every``-th, and always the last) the history records the
mean training loss over the updates since the last record, the accuracy on the whole
training set and on the test set (as the book's figures do).

Hooks, for progress display and checkpoints (each optional):

- ``on_update(trainer, loss)`` after every update; ``trainer.progress()`` says where it is;
- ``on_record(trainer)`` after every history record (the epoch line is logged first).

Stopping and resuming: setting ``trainer.stop_requested = True`` (a SIGINT handler may do
it) makes training stop at the next safe point (after an update, or between evaluation
batches) by raising ``TrainingInterrupted``. At such a point ``state_dict()`` captures
everything training still depends on (position in the schedule, this epoch's order, the
losses not yet recorded, the history, the optimizer's state and the RNG's state); a new
Trainer for the same network, data and settings given ``load_state_dict(state)`` (and the
same weights) continues exactly as the uninterrupted run would have, bit for bit.
"""

import math
import time
from dataclasses import asdict, dataclass, field, fields

from .errors import TrainingError

STATE_VERSION = 1


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped at a safe point because ``stop_requested`` was set."""


@dataclass
class History:
    """Per-epoch records (lists of equal length) and the loss of every update."""

    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    iteration_loss: list = field(default_factory=list)

    def as_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        """The History of ``as_dict()``'s output; ValueError on missing or extra fields."""
        names = [f.name for f in fields(cls)]
        if not isinstance(data, dict) or sorted(data) != sorted(names) or not all(
                isinstance(data[n], list) for n in names):
            raise ValueError(f"history must have the list fields {names!r}, got "
                             f"{sorted(data) if isinstance(data, dict) else data!r}")
        return cls(**{n: list(data[n]) for n in names})


def evaluate(net, dataset, batch_size=1000, check=None):
    """Accuracy of ``net`` over a whole data set, a batch at a time (bounded memory).

    ``check`` (optional) is called before each batch; it may raise to abandon the pass.
    """
    if dataset is None or len(dataset) == 0:
        return float("nan")
    hits = 0
    for x, t in dataset.batches(batch_size):
        if check is not None:
            check()
        hits += round(net.accuracy(x, t) * len(x))
    return hits / len(dataset)


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


class Trainer:
    """Train ``net`` on ``train_set``, evaluating on ``test_set`` after every epoch.

    ``gradient`` is ``"backprop"`` or ``"numerical"`` (central differences, the book's
    first and very slow method). ``log`` receives one line of text per epoch.
    """

    def __init__(self, net, train_set, test_set=None, *, epochs=5, batch_size=100,
                 rng=None, optimizer=None, gradient="backprop", iterations=None,
                 log=print, eval_batch_size=1000, eval_every=1, on_update=None,
                 on_record=None):
        if gradient not in ("backprop", "numerical"):
            raise ValueError(f"gradient must be 'backprop' or 'numerical', got {gradient!r}")
        if batch_size < 1:
            raise ValueError(f"batch size must be at least 1, got {batch_size!r}")
        if len(train_set) == 0:
            raise ValueError("the training set is empty")
        self.net = net
        self.train_set = train_set
        self.test_set = test_set
        self.epochs = epochs
        self.batch_size = batch_size
        self.rng = rng if rng is not None else net.rng
        self.optimizer = optimizer if optimizer is not None else net.optimizer
        self.gradient = gradient
        self.iterations = iterations
        self.log = log or (lambda line: None)
        self.eval_batch_size = eval_batch_size
        self.eval_every = eval_every
        self.on_update = on_update
        self.on_record = on_record
        self.history = History()
        self.stop_requested = False
        # where training stands (see state_dict)
        self.epoch = 0              # epochs done (epochs schedule) or recorded (book's)
        self.position = 0           # samples of this epoch's order already used
        self.order = None           # this epoch's shuffled order, None between epochs
        self.updates = 0            # updates done in all
        self.pending = []           # losses of the updates since the last record
        self.eval_pending = False   # book's schedule: an evaluation is due
        self._started = time.perf_counter()

    # -- one update, one record -----------------------------------------------------------
    def step(self, indices):
        """One update on the samples at ``indices``; returns the batch's loss."""
        x, t = self.train_set.batch(indices)
        if self.gradient == "numerical":
            loss = self.net.loss(x, t, train=True)
            grads = self.net.numerical_gradient(x, t)
        else:
            grads = self.net.gradient(x, t)
            loss = self.net.last_loss
        if not math.isfinite(loss):
            raise TrainingError(
                f"the loss became {loss!r} at update {len(self.history.iteration_loss) + 1}; "
                f"the learning rate (lr={self.optimizer.lr!r}) is probably too large")
        self.optimizer.step(grads)
        self.history.iteration_loss.append(loss)
        self.pending.append(loss)
        self.updates += 1
        return loss

    def check_stop(self):
        """Raise TrainingInterrupted if a stop was requested (call only at safe points)."""
        if self.stop_requested:
            raise TrainingInterrupted("training stopped on request")

    def _after_update(self, loss):
        if self.on_update is not None:
            self.on_update(self, loss)
        self.check_stop()

    def measure(self):
        """(train accuracy, test accuracy) now; may raise TrainingInterrupted."""
        return (evaluate(self.net, self.train_set, self.eval_batch_size, self.check_stop),
                evaluate(self.net, self.test_set, self.eval_batch_size, self.check_stop))

    def record(self, epoch, accuracies):
        """Append a history record for ``epoch`` from the pending losses, log it, and
        call ``on_record``."""
        h = self.history
        h.epoch.append(epoch)
        h.train_loss.append(math.fsum(self.pending) / len(self.pending))
        h.train_acc.append(accuracies[0])
        h.test_acc.append(accuracies[1])
        h.seconds.append(time.perf_counter() - self._started)
        self.pending = []
        self._started = time.perf_counter()
        self.log(f"epoch {epoch:>3}/{self.total_epochs}  loss {h.train_loss[-1]:.4f}  "
                 f"train acc {h.train_acc[-1]:.4f}  test acc {h.test_acc[-1]:.4f}  "
                 f"({h.seconds[-1]:.1f} s)")
        if self.on_record is not None:
            self.on_record(self)

    def end_epoch(self, epoch, losses, started):
        """Record ``epoch`` with ``losses`` as its updates' losses, timed from ``started``."""
        self.pending, self._started = list(losses), started
        self.record(epoch, self.measure())

    # -- where training stands ------------------------------------------------------------
    @property
    def iter_per_epoch(self):
        return max(len(self.train_set) // self.batch_size, 1)

    @property
    def batches_per_epoch(self):
        return -(-len(self.train_set) // self.batch_size)

    @property
    def total_epochs(self):
        if self.iterations is not None:
            return (self.iterations - 1) // self.iter_per_epoch + 1
        return self.epochs

    @property
    def total_updates(self):
        if self.iterations is not None:
            return self.iterations
        return self.epochs * self.batches_per_epoch

    def progress(self):
        """(label, done, total) of the current epoch, e.g. ("epoch 2/5", 40, 100); in the
        book's schedule an "epoch" is the iter_per_epoch updates up to an evaluation."""
        if self.iterations is not None:
            per = self.iter_per_epoch
            done = (self.updates - 1) % per + 1 if self.updates else 0
            current = min(self.epoch + 1, self.total_epochs)
            return f"epoch {current}/{self.total_epochs}", done, per
        current = min(self.epoch + 1, self.epochs)
        done = -(-self.position // self.batch_size)
        return f"epoch {current}/{self.epochs}", done, self.batches_per_epoch

    # -- the schedules --------------------------------------------------------------------
    def fit(self):
        """Run the schedule (or what is left of it after ``load_state_dict``); returns the
        History (also kept as ``self.history``)."""
        self._started = time.perf_counter()
        if self.iterations is not None:
            self._fit_book()
        else:
            self._fit_epochs()
        return self.history

    def _fit_epochs(self):
        n = len(self.train_set)
        while self.epoch < self.epochs:
            if self.order is None:
                order = list(range(n))
                self.rng.shuffle(order)
                self.order, self.position = order, 0
            while self.position < n:
                batch = self.order[self.position:self.position + self.batch_size]
                loss = self.step(batch)
                self.position += len(batch)
                self._after_update(loss)
            epoch = self.epoch + 1
            due = epoch % self.eval_every == 0 or epoch == self.epochs
            accuracies = self.measure() if due else None
            self.epoch, self.order, self.position = epoch, None, 0
            if due:
                self.record(epoch, accuracies)

    def _fit_book(self):
        n = len(self.train_set)
        randrange = self.rng.randrange
        while True:
            if self.eval_pending:
                accuracies = self.measure()
                self.epoch += 1
                self.eval_pending = False
                self.record(self.epoch, accuracies)
            if self.updates >= self.iterations:
                break
            i = self.updates
            loss = self.step([randrange(n) for _ in range(self.batch_size)])
            self.eval_pending = i % self.iter_per_epoch == 0
            self._after_update(loss)

    # -- checkpoints ----------------------------------------------------------------------
    def state_dict(self):
        """Everything but the weights that training depends on, as JSON values (the
        optimizer's state as its ``state_dict()`` gives it)."""
        state = {
            "version": STATE_VERSION,
            "schedule": "iterations" if self.iterations is not None else "epochs",
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
        schedule = "iterations" if self.iterations is not None else "epochs"
        for key, mine in (("schedule", schedule), ("train_size", len(self.train_set)),
                          ("batch_size", self.batch_size)):
            if state.get(key) != mine:
                raise ValueError(f"the state was saved with {key} {state.get(key)!r}, "
                                 f"this trainer has {mine!r}")
        order = state["order"]
        if order is not None and sorted(order) != list(range(len(self.train_set))):
            raise ValueError("the saved order is not a permutation of the training set")
        history = History.from_dict(state["history"])
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
