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
"""

import math
import time
from dataclasses import asdict, dataclass, field

from .errors import TrainingError


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


def evaluate(net, dataset, batch_size=1000):
    """Accuracy of ``net`` over a whole data set, a batch at a time (bounded memory)."""
    if dataset is None or len(dataset) == 0:
        return float("nan")
    hits = 0
    for x, t in dataset.batches(batch_size):
        hits += round(net.accuracy(x, t) * len(x))
    return hits / len(dataset)


class Trainer:
    """Train ``net`` on ``train_set``, evaluating on ``test_set`` after every epoch.

    ``gradient`` is ``"backprop"`` or ``"numerical"`` (central differences, the book's
    first and very slow method). ``log`` receives one line of text per epoch.
    """

    def __init__(self, net, train_set, test_set=None, *, epochs=5, batch_size=100,
                 rng=None, optimizer=None, gradient="backprop", iterations=None,
                 log=print, eval_batch_size=1000, eval_every=1):
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
        self.history = History()

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
        return loss

    def end_epoch(self, epoch, losses, started):
        h = self.history
        h.epoch.append(epoch)
        h.train_loss.append(math.fsum(losses) / len(losses))
        h.train_acc.append(evaluate(self.net, self.train_set, self.eval_batch_size))
        h.test_acc.append(evaluate(self.net, self.test_set, self.eval_batch_size))
        h.seconds.append(time.perf_counter() - started)
        total = self.iterations and (self.iterations - 1) // self.iter_per_epoch + 1
        self.log(f"epoch {epoch:>3}/{total or self.epochs}  loss {h.train_loss[-1]:.4f}  "
                 f"train acc {h.train_acc[-1]:.4f}  test acc {h.test_acc[-1]:.4f}  "
                 f"({h.seconds[-1]:.1f} s)")

    @property
    def iter_per_epoch(self):
        return max(len(self.train_set) // self.batch_size, 1)

    def fit(self):
        """Run the schedule; returns the History (also kept as ``self.history``)."""
        if self.iterations is not None:
            self._fit_book()
        else:
            self._fit_epochs()
        return self.history

    def _fit_epochs(self):
        n = len(self.train_set)
        losses, started = [], time.perf_counter()
        for epoch in range(1, self.epochs + 1):
            order = list(range(n))
            self.rng.shuffle(order)
            losses.extend(self.step(order[i:i + self.batch_size])
                          for i in range(0, n, self.batch_size))
            if epoch % self.eval_every == 0 or epoch == self.epochs:
                self.end_epoch(epoch, losses, started)
                losses, started = [], time.perf_counter()

    def _fit_book(self):
        n = len(self.train_set)
        randrange = self.rng.randrange
        losses, started, epoch = [], time.perf_counter(), 0
        for i in range(self.iterations):
            losses.append(self.step([randrange(n) for _ in range(self.batch_size)]))
            if i % self.iter_per_epoch == 0:
                epoch += 1
                self.end_epoch(epoch, losses, started)
                losses, started = [], time.perf_counter()
