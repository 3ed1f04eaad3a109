"""CS231n's spiral case study: the data set, a linear classifier, a 100-unit ReLU net."""

import math
import random

import pytest

import purenn
from purenn.data.spiral import make_spiral
from purenn.train import Trainer


def test_spiral_points_follow_the_case_study_formula():
    data = make_spiral(100, 3, noise=0.0)
    assert len(data) == 300 and data.sample_shape == (2,) and data.num_classes == 3
    assert list(data.labels[:3]) == [0, 0, 0] and list(data.labels[-1:]) == [2]
    x = data.x([0, 99, 150])
    assert x[0] == [0.0, 0.0]
    assert x[1] == pytest.approx([math.sin(4.0), math.cos(4.0)], rel=1e-15)  # r = 1, θ = 4
    r, theta = 50 / 99, 4.0 + 4.0 * 50 / 99
    assert x[2] == pytest.approx([r * math.sin(theta), r * math.cos(theta)], rel=1e-15)


def test_spiral_noise_is_seeded():
    assert make_spiral(seed=3).x(range(300)) == make_spiral(seed=3).x(range(300))
    assert make_spiral(seed=3).x(range(300)) != make_spiral(seed=4).x(range(300))


def _case_study(spec, steps):
    rng = random.Random(0)
    data = make_spiral(100, 3, rng=rng)
    net = purenn.build(spec, rng=rng)
    history = Trainer(net, data, None, epochs=steps, batch_size=300, rng=rng,
                      eval_every=steps, log=None).fit()
    return history.train_acc[-1]


def test_linear_classifier_cannot_separate_the_arms():
    # the case study: "training accuracy: 0.49" after 200 full-batch steps
    assert 0.45 <= _case_study("spiral_linear", 200) <= 0.56


def test_relu_network_learns_the_arms():
    # 400 full-batch steps give 0.86 (the linear classifier stays below 0.56)
    assert _case_study("spiral_net", 400) >= 0.85


@pytest.mark.slow
def test_relu_network_separates_the_arms():
    # the case study reaches 0.98 in 10,000 steps; 2,000 give 0.95 in ~2.5 minutes
    assert _case_study("spiral_net", 2000) >= 0.95
