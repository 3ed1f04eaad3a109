"""The functions of the book's ``common/functions.py``, one sample (a list of floats) at a
time: activations, softmax and the label helpers that layers, losses and data share.

    >>> [round(v, 8) for v in map(sigmoid, [-1.0, 1.0, 2.0])]     # the book's ch. 3
    [0.26894142, 0.73105858, 0.88079708]
    >>> [round(v, 8) for v in softmax([0.3, 2.9, 4.0])]
    [0.01821127, 0.24519181, 0.73659691]
    >>> one_hot([2, 0], 3)
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    >>> labels([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    [2, 0]
"""

import math

from . import linalg


def sigmoid(v):
    """σ(v) = 1 / (1 + e^-v), written so that e^x is only taken of x ≤ 0.

    ``math.exp`` overflows past ~709, so for v < 0 the same value is computed as
    e^v / (1 + e^v): no OverflowError at v = -1000, and no cancellation either way.

    >>> sigmoid(0.0), sigmoid(-1000.0), sigmoid(1000.0)
    (0.5, 0.0, 1.0)
    """
    if v >= 0.0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def softmax(row):
    """softmax(a)_k = e^(a_k − max a) / Σ_j e^(a_j − max a): the max is subtracted so
    that no exponent is positive (no overflow), which leaves the value unchanged.

    The book's overflow example (section 3.5.2) gives nan in NumPy without the max:

    >>> [f"{v:.3g}" for v in softmax([1010.0, 1000.0, 990.0])]
    ['1', '4.54e-05', '2.06e-09']
    """
    return softmax_and_log(row)[0]


def log_softmax(row):
    """log softmax(a)_k = a_k − logsumexp(a), with logsumexp taken stably around max a.

    >>> [round(v, 6) for v in log_softmax([0.3, 2.9, 4.0])]
    [-4.005714, -1.405714, -0.305714]
    """
    return softmax_and_log(row)[1]


def softmax_and_log(row):
    """(softmax(a), log softmax(a)) from one set of exponentials e_k = e^(a_k − max a):

        softmax(a)_k     = e_k / Σ_j e_j
        log softmax(a)_k = a_k − (max a + log Σ_j e_j)

    the one place both are computed (``softmax`` and ``log_softmax`` are its halves); the
    loss needs log y for L and y for ∂L/∂x.

    >>> y, log_y = softmax_and_log([0.3, 2.9, 4.0])
    >>> [round(v, 8) for v in y], [round(v, 6) for v in log_y]
    ([0.01821127, 0.24519181, 0.73659691], [-4.005714, -1.405714, -0.305714])
    """
    top = max(row)
    e = [math.exp(v - top) for v in row]
    total = linalg.fsum_or_sum(e)
    lse = top + math.log(total)
    return [v / total for v in e], [v - lse for v in row]


def is_one_hot(t):
    """True when the labels are rows (one-hot or target vectors), False for class indices.

    >>> is_one_hot([[0.0, 1.0]]), is_one_hot([1]), is_one_hot([])
    (True, False, False)
    """
    return bool(t) and isinstance(t[0], (list, tuple))


def one_hot(labels, num_classes):
    """Rows of K numbers with 1.0 at each label's index (the book's ``one_hot_label``)."""
    rows = []
    for label in labels:
        row = [0.0] * num_classes
        row[label] = 1.0
        rows.append(row)
    return rows


def labels(t):
    """Class indices from labels: one-hot (or score) rows give the index of their largest
    entry (the book's ``np.argmax(t, axis=1)``), class indices stay as they are.

    >>> labels([[0.1, 0.7, 0.2], [0.9, 0.0, 0.1]]), labels([1, 0])
    ([1, 0], [1, 0])
    """
    return [linalg.argmax(row) for row in t] if is_one_hot(t) else t
