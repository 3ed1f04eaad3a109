"""The built-in losses (softmax cross-entropy, mean squared error, multiclass SVM): values,
conventions, stability and gradient checks."""

import math
import random

import pytest
from helpers import random_batch

from purenn import build, spec
from purenn.gradcheck import TOLERANCE, check_loss
from purenn.losses import MeanSquaredError, MulticlassSVM, SoftmaxCrossEntropy, one_hot


def _scores(rng, n=4, k=5):
    return [[rng.uniform(-3, 3) for _ in range(k)] for _ in range(n)]


def test_cross_entropy_value_with_class_indices():
    loss = SoftmaxCrossEntropy().forward([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], [2, 0])
    expected = ((math.log(math.e + math.e ** 2 + math.e ** 3) - 3.0) + math.log(3.0)) / 2
    assert loss == pytest.approx(expected, rel=1e-15)


def test_cross_entropy_one_hot_equals_indices():
    rng = random.Random(0)
    x = _scores(rng)
    labels = [0, 3, 4, 1]
    a, b = SoftmaxCrossEntropy(), SoftmaxCrossEntropy()
    assert a.forward(x, labels) == pytest.approx(b.forward(x, one_hot(labels, 5)), rel=1e-15)
    for ra, rb in zip(a.backward(), b.backward()):
        assert ra == pytest.approx(rb, rel=1e-15, abs=1e-18)


def test_cross_entropy_backward_is_softmax_minus_target_over_n():
    loss = SoftmaxCrossEntropy()
    loss.forward([[0.0, 0.0], [0.0, math.log(3.0)]], [1, 0])
    dx = loss.backward()
    assert dx[0] == pytest.approx([0.25, -0.25])
    assert dx[1] == pytest.approx([(0.25 - 1) / 2, 0.75 / 2])


def test_cross_entropy_is_stable_for_huge_scores():
    loss = SoftmaxCrossEntropy()
    assert loss.forward([[1000.0, -1000.0]], [1]) == 2000.0  # finite, exact
    assert loss.backward() == [[1.0, -1.0]]
    assert loss.forward([[1000.0, -1000.0]], [0]) == 0.0


@pytest.mark.parametrize("labels", ["indices", "one_hot", "soft"])
def test_cross_entropy_gradient(labels):
    rng = random.Random(4)
    x = _scores(rng)
    t = [0, 3, 4, 1]
    if labels == "one_hot":
        t = one_hot(t, 5)
    elif labels == "soft":
        t = [[rng.random() for _ in range(5)] for _ in range(4)]
    assert check_loss(SoftmaxCrossEntropy(), x, t)["x"] <= TOLERANCE


def test_mean_squared_error_is_the_books_half_sum_averaged_over_the_batch():
    # the book's example (chapter 4): 0.5·Σ(y−t)² = 0.0975 for one sample
    y = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
    assert MeanSquaredError().forward([y], [2]) == pytest.approx(0.0975, rel=1e-12)
    # a batch of two: the mean of the per-sample half sums
    loss = MeanSquaredError().forward([[1.0, 0.0], [0.0, 3.0]], [[0.0, 0.0], [0.0, 1.0]])
    assert loss == (0.5 * 1.0 + 0.5 * 4.0) / 2


@pytest.mark.parametrize("labels", ["indices", "rows"])
def test_mean_squared_error_gradient(labels):
    rng = random.Random(6)
    x = _scores(rng)
    t = [1, 2, 0, 4] if labels == "indices" else _scores(rng)
    assert check_loss(MeanSquaredError(), x, t)["x"] <= TOLERANCE


def test_mean_squared_error_backward():
    loss = MeanSquaredError()
    loss.forward([[1.0, 0.0], [0.0, 3.0]], [[0.0, 0.0], [0.0, 1.0]])
    assert loss.backward() == [[0.5, 0.0], [0.0, 1.0]]


def test_softmax_output_gives_probabilities():
    probs = SoftmaxCrossEntropy().output([[0.0, math.log(3.0)]])
    assert probs[0] == pytest.approx([0.25, 0.75], rel=1e-15)


# -- multiclass SVM (hinge) loss ------------------------------------------------------------

def test_hinge_loss_of_cs231n_example():
    # CS231n lecture 3: scores of a cat, a car and a frog image over (cat, car, frog)
    scores = [[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]]
    loss = MulticlassSVM()
    # max(0, 5.1−3.2+1) + max(0, −1.7−3.2+1) = 2.9; car: 0; frog: 6.3 + 6.6 = 12.9
    assert loss.forward(scores, [0, 1, 2]) == pytest.approx((2.9 + 0.0 + 12.9) / 3, rel=1e-15)
    dx = loss.backward()
    assert dx == [[-1 / 3, 1 / 3, 0.0], [0.0, 0.0, 0.0], [1 / 3, 1 / 3, -2 / 3]]
    one_hot = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert loss.forward(scores, one_hot) == pytest.approx(5.266666666666667, rel=1e-15)


def test_hinge_loss_margin():
    # CS231n notes: scores (13, −7, 11), correct class 0, Δ = 10: 0 + max(0, 11−13+10) = 8
    assert MulticlassSVM(margin=10.0).forward([[13.0, -7.0, 11.0]], [0]) == 8.0


def test_hinge_loss_gradient_check():
    x, t = random_batch(6, 5, seed=11, low=-2.0, high=2.0), [0, 4, 2, 2, 1, 3]
    margins = [s - row[label] + 1.0 for row, label in zip(x, t)
               for j, s in enumerate(row) if j != label]
    assert min(abs(m) for m in margins) > 1e-3  # no kink within reach of the step h
    assert sum(m > 0 for m in margins) not in (0, len(margins))
    assert check_loss(MulticlassSVM(), x, t)["x"] <= TOLERANCE


def test_hinge_loss_spec_line():
    net = build("input 3\ndense 4\nloss multiclass_svm margin=2.0\n")
    assert net.loss_layer.margin == 2.0
    assert spec.write(net).splitlines()[-2] == "loss multiclass_svm margin=2.0"


def test_losses_that_overflow_are_infinite_not_an_exception():
    from purenn.losses import MeanSquaredError, MulticlassSVM

    assert MeanSquaredError().forward([[1e200, -1e200]], [0]) == math.inf
    assert MeanSquaredError().forward([[1e154, 1e154, 1e154]], [0]) == math.inf
    assert MulticlassSVM(margin=1e308).forward([[0.0, 1.0, 2.0]], [0]) == math.inf
    assert MulticlassSVM().forward([[0.0, math.inf, -math.inf]], [2]) == math.inf
