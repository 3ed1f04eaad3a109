"""purenn-extras: formulas by hand, numerical gradient checks, and use from a spec."""

import math
import os
import random

import pytest
from purenn_extras.activations import ELU, GELU, LeakyReLU
from purenn_extras.init import lecun_uniform
from purenn_extras.losses import Huber
from purenn_extras.optimizers import Lion

from purenn import build, registry, spec
from purenn.gradcheck import TOLERANCE, check_layer, check_loss

INSTALLED = "gelu" in registry.discover("purenn.layers")
# tox's plugins env sets PURENN_PLUGINS_INSTALLED: there these tests must run, not skip
needs_installed = pytest.mark.skipif(
    not INSTALLED and not os.environ.get("PURENN_PLUGINS_INSTALLED"),
    reason="purenn-extras is not installed (python -m pip install plugins/purenn-extras)")

# inputs kept away from 0 (the kinks) and from GELU's flat point near -0.75
X = [[-2.0, -0.9, -0.3, 0.2, 0.7, 1.5], [3.0, -1.4, 0.45, -0.05, 0.1, -3.5]]


def test_leaky_relu_and_elu_by_hand():
    x = [[-2.0, 0.0, 3.0]]
    assert LeakyReLU(0.1).forward(x) == [[-0.2, 0.0, 3.0]]
    elu = ELU(2.0)
    assert elu.forward(x) == [[2.0 * math.expm1(-2.0), 0.0, 3.0]]
    assert elu.backward([[1.0, 1.0, 1.0]]) == [[2.0 * math.exp(-2.0), 2.0, 1.0]]


def test_gelu_by_hand():
    y = GELU().forward([[-1.0, 0.0, 1.0]])[0]
    assert y == pytest.approx([-0.15865525393145707, 0.0, 0.8413447460685429], rel=1e-15)


def test_elu_does_not_overflow():
    assert ELU().forward([[-1000.0, 1000.0]]) == [[-1.0, 1000.0]]


@pytest.mark.parametrize("layer", [LeakyReLU(), LeakyReLU(0.3), ELU(), ELU(0.5), GELU()],
                         ids=["leaky", "leaky0.3", "elu", "elu0.5", "gelu"])
def test_activation_gradients_match_numerical(layer):
    errors = check_layer(layer, (6,), x=[list(row) for row in X], h=1e-5)
    assert max(errors.values()) <= TOLERANCE, errors


@pytest.mark.parametrize("t", [[2, 5], [[0.0, 1.5, -1.0, 0.2, 0.0, 0.9],
                                        [1.0, 0.0, 0.0, 0.0, 2.0, -2.8]]],
                         ids=["labels", "targets"])
def test_huber_gradient_matches_numerical(t):
    errors = check_loss(Huber(0.5), [list(row) for row in X], t)
    assert errors["x"] <= TOLERANCE, errors


def test_huber_by_hand():
    loss = Huber(1.0)
    # e = 0.5 (squared part) and e = -3 (linear part: 1·(3 − 0.5)), one sample
    assert loss.forward([[1.5, -3.0]], [[1.0, 0.0]]) == 0.125 + 2.5
    assert loss.backward() == [[0.5, -1.0]]


def test_huber_rejects_a_bad_delta():
    with pytest.raises(ValueError) as info:
        Huber(0.0)
    assert str(info.value) == "huber needs delta > 0, got delta=0.0"


def test_lion_first_steps_by_hand():
    params = {"w": [1.0, -2.0]}
    opt = Lion(params, lr=0.1, beta1=0.9, beta2=0.99, weight_decay=0.5)
    opt.step({"w": [0.3, -0.2]})
    # c = 0.1·g → sign (+, −); W ← W − 0.1·(sign(c) + 0.5·W); m = 0.01·g
    assert params["w"] == pytest.approx([1.0 - 0.1 * (1 + 0.5), -2.0 - 0.1 * (-1 - 1.0)])
    assert opt.m["w"] == pytest.approx([0.003, -0.002])
    opt.step({"w": [-0.01, 0.0]})
    # c = 0.9·m + 0.1·g = (0.0027 − 0.001, −0.0018): the momentum decides the sign
    assert params["w"] == pytest.approx([0.85 - 0.1 * (1 + 0.425), -1.8 - 0.1 * (-1 - 0.9)])
    assert opt.state_dict() == {"m": {"w": pytest.approx([0.99 * 0.003 - 0.0001,
                                                          0.99 * -0.002])}}


def test_lecun_uniform_stays_in_its_bounds_with_variance_one_over_n():
    w = lecun_uniform((200, 50), 200, random.Random(0))
    values = [v for row in w for v in row]
    limit = math.sqrt(3 / 200)
    assert max(map(abs, values)) <= limit
    assert sum(v * v for v in values) / len(values) == pytest.approx(1 / 200, rel=0.03)


SPEC = """\
input 2
dense 16 init=lecun_uniform
gelu
dense 16 init=lecun_uniform
leaky_relu alpha=0.1
dense 8
elu
dense 3
loss huber delta=0.5
optimizer lion lr=0.003
"""


@needs_installed
def test_every_group_works_from_a_spec():
    net = build(SPEC, seed=0)
    assert [type(layer).__name__ for _, layer in net.layers] == [
        "Dense", "GELU", "Dense", "LeakyReLU", "Dense", "ELU", "Dense"]
    assert (type(net.loss_layer).__name__, type(net.optimizer).__name__) == ("Huber", "Lion")
    rng = random.Random(1)
    x = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(30)]
    t = [int(a > 0) + int(b > 0) for a, b in x]
    first = net.loss(x, t)
    for _ in range(40):
        net.optimizer.step(net.gradient(x, t))
    assert net.loss(x, t) < 0.7 * first
    assert spec.write(build(spec.write(net), seed=0)) == spec.write(net) == SPEC
