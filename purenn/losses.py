"""The built-in losses: softmax cross-entropy (fused with softmax) and mean squared error.

A loss takes the last layer's output x of shape (N, K) and the labels t, either N class
indices or N one-hot (or any target) rows of K numbers. ``forward(x, t)`` returns the
loss averaged over the batch; ``backward()`` returns ∂L/∂x, shape (N, K).
``output(x)`` is what the network's scores mean to a user (probabilities for softmax).
"""

import math

from . import linalg
from .functions import is_one_hot, labels, one_hot, softmax, softmax_and_log

# the sum of a loss's terms: exactly rounded, ±inf or NaN past the largest float (by the
# active kernel set: linalg.fsum_or_sum looks it up at each call)
total = linalg.fsum_or_sum


class Loss:
    """Base class and contract of every loss: ``forward(x, t) -> float`` averaged over the
    batch, ``backward() -> dx`` for that same batch, ``output(x)`` for display. ``kind``
    is the name it is registered under, set by whoever made it from a name
    (``purenn.spec``); ``registry.kind_of`` finds it for one made otherwise."""

    kind = None

    def __init__(self):
        self.config = {}

    def output(self, x):
        return x


class SoftmaxCrossEntropy(Loss):
    """Softmax followed by cross-entropy, fused so that it is stable and exact.

        y = softmax(x)                      (N, K)
        L = −(1/N) Σ_n Σ_k t_nk · log y_nk  (one-hot t; class index t_n picks one term)
        ∂L/∂x = (y·Σ_k t_nk − t) / N        = (y − t) / N for one-hot labels

    log y is computed as log_softmax(x) = x − logsumexp(x), never as log of a rounded
    probability, so a confidently wrong prediction gives a large finite loss, not inf.
    The book writes −Σ t·log(y + 1e-7) instead; the two differ by at most ~1e-7/y.

    >>> loss = SoftmaxCrossEntropy()
    >>> round(loss.forward([[0.3, 2.9, 4.0]], [2]), 6)            # −log 0.73659691
    0.305714
    >>> [round(v, 8) for v in loss.backward()[0]]                 # y − t
    [0.01821127, 0.24519181, -0.26340309]
    """

    def forward(self, x, t):
        self.x = x
        self.t = t
        self.y = []         # softmax(x), kept for backward as the book's SoftmaxWithLoss
        total = 0.0
        one_hot_rows = is_one_hot(t)
        for row, target in zip(x, t):
            y, log_y = softmax_and_log(row)
            self.y.append(y)
            total -= linalg.dot(target, log_y) if one_hot_rows else log_y[target]
        return total / len(x)

    def backward(self, dout=1.0):
        n = len(self.x)
        scale = dout / n
        dx = []
        if is_one_hot(self.t):
            for y_row, target in zip(self.y, self.t):
                mass = math.fsum(target)
                dx.append([(y * mass - tk) * scale for y, tk in zip(y_row, target)])
        else:
            for y_row, label in zip(self.y, self.t):
                grad = list(y_row)
                grad[label] -= 1.0
                dx.append([g * scale for g in grad])
        return dx

    def output(self, x):
        return [softmax(row) for row in x]


class MeanSquaredError(Loss):
    """Half the squared error, summed over the K outputs and averaged over the batch:

        L = (1/N) Σ_n ½ Σ_k (y_nk − t_nk)²
        ∂L/∂y = (y − t) / N

    This is the book's ``0.5 * np.sum((y - t)**2)`` divided by the batch size N (the book
    leaves a single sample's sum undivided; for a batch of one they agree). Class-index
    labels are compared as one-hot rows.

    The book's example (section 4.2.1), the "2" predicted with probability 0.6:

    >>> y = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
    >>> round(MeanSquaredError().forward([y], [2]), 10)
    0.0975

    It also fits numbers (``regression``): a one-output network to targets rows [t].
    """

    regression = True

    def forward(self, y, t):
        if not is_one_hot(t):
            t = one_hot(t, len(y[0]))
        self.y = y
        self.t = t
        squares = total((a - b) * (a - b) for row, target in zip(y, t)
                        for a, b in zip(row, target))
        return 0.5 * squares / len(y)

    def backward(self, dout=1.0):
        scale = dout / len(self.y)
        return [[(a - b) * scale for a, b in zip(row, target)]
                for row, target in zip(self.y, self.t)]


class MulticlassSVM(Loss):
    """CS231n's multiclass SVM (hinge) loss: the score of the right class s_t should beat
    every other score s_j by at least the margin Δ (default 1), averaged over the batch:

        L_n = Σ_{j ≠ t_n} max(0, s_nj − s_nt_n + Δ)
        L = (1/N) Σ_n L_n
        ∂L/∂s_nj = 1[s_nj − s_nt_n + Δ > 0] / N              for j ≠ t_n
        ∂L/∂s_nt_n = −(number of j ≠ t_n with a positive margin) / N

    At a margin of exactly 0 the (sub)gradient taken is 0, as CS231n's ``margins > 0``.
    One-hot label rows are read as the index of their largest entry. The scores are the
    output as they are (there are no probabilities).
    """

    def __init__(self, margin: float = 1.0):
        super().__init__()
        if not margin > 0:
            raise ValueError(f"multiclass_svm margin must be positive, got {margin!r}")
        self.margin = margin
        self.config = {"margin": margin}

    def forward(self, x, t):
        indices = labels(t)
        delta = self.margin
        self.x, self.labels, self.positive = x, indices, []
        hinges = []
        for s, label in zip(x, indices):
            margins = [sj - s[label] + delta for sj in s]
            margins[label] = 0.0
            self.positive.append([m > 0.0 for m in margins])
            hinges.extend(m for m in margins if m > 0.0)
        return total(hinges) / len(x)

    def backward(self, dout=1.0):
        scale = dout / len(self.x)
        dx = []
        for positive, label in zip(self.positive, self.labels):
            row = [scale if p else 0.0 for p in positive]
            row[label] = -scale * sum(positive)
            dx.append(row)
        return dx
