"""The built-in layers: gradient checks, stability, and the values they compute."""

import math
import random

import pytest

from purenn import init
from purenn.gradcheck import TOLERANCE, check_layer
from purenn.layers import Dense, ReLU, Sigmoid, Softmax, Tanh, sigmoid, softmax


@pytest.mark.parametrize("make", [ReLU, Sigmoid, Tanh, Softmax])
def test_activation_gradients(make):
    errors = check_layer(make(), (7,), batch=4, rng=random.Random(1))
    assert errors["x"] <= TOLERANCE, errors


@pytest.mark.parametrize("init_name", ["normal", "xavier", "he"])
def test_dense_gradients(init_name):
    layer = Dense(5, init=init_name)
    errors = check_layer(layer, (6,), batch=3, rng=random.Random(2))
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) <= TOLERANCE, errors


def test_dense_gradients_with_sparse_input():
    # the kernels take a different path for rows that are mostly zero (MNIST pixels)
    rng = random.Random(3)
    x = [[rng.uniform(-1, 1) if rng.random() < 0.2 else 0.0 for _ in range(20)]
         for _ in range(4)]
    x[2] = [0.0] * 20
    errors = check_layer(Dense(3, init="he"), (20,), x=x, rng=rng)
    assert max(errors.values()) <= TOLERANCE, errors


def test_dense_computes_x_w_plus_b():
    layer = Dense(2)
    layer.build((3,), random.Random(0))
    layer.params["W"][:] = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    layer.params["b"][:] = [0.5, -0.5]
    y = layer.forward([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    assert y == [[1 - 5 + 0.5, 2 - 6 - 0.5], [2 + 3 + 0.5, 4 + 4 - 0.5]]
    dx = layer.backward([[1.0, 1.0], [0.0, 2.0]])
    assert dx == [[3.0, 7.0, 11.0], [4.0, 8.0, 12.0]]
    assert layer.grads["W"] == [[1.0, 5.0], [0.0, 2.0], [-1.0, -1.0]]
    assert layer.grads["b"] == [1.0, 3.0]


def test_dense_takes_any_sample_shape_as_flat():
    layer = Dense(4)
    assert layer.build((1, 2, 3), random.Random(0)) == (4,)
    assert len(layer.params["W"]) == 6 and len(layer.params["W"][0]) == 4


def test_relu_values_and_mask():
    layer = ReLU()
    assert layer.forward([[-1.0, 0.0, 2.5]]) == [[0.0, 0.0, 2.5]]
    assert layer.backward([[7.0, 7.0, 7.0]]) == [[0.0, 0.0, 7.0]]


def test_sigmoid_is_stable_at_extremes():
    assert sigmoid(-1000.0) == 0.0
    assert sigmoid(1000.0) == 1.0
    assert sigmoid(0.0) == 0.5
    assert sigmoid(-745.0) > 0.0  # e^-745 is still a (subnormal) float
    layer = Sigmoid()
    y = layer.forward([[-1000.0, 1000.0, 2.0]])
    assert y[0][:2] == [0.0, 1.0]
    assert y[0][2] == pytest.approx(1 / (1 + math.exp(-2.0)), abs=0, rel=1e-15)


def test_tanh_values():
    assert Tanh().forward([[0.0, 1.0]]) == [[0.0, math.tanh(1.0)]]


def test_softmax_is_stable_and_sums_to_one():
    y = softmax([1000.0, 1000.0, -1000.0])
    assert y == [0.5, 0.5, 0.0]
    y = softmax([0.3, 2.9, 4.0])  # the book's example
    assert [round(v, 8) for v in y] == [0.01821127, 0.24519181, 0.73659691]
    assert math.fsum(y) == pytest.approx(1.0, abs=1e-15)


def _std(values):
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))


@pytest.mark.parametrize("name,expected", [("normal", 0.01), ("xavier", math.sqrt(1 / 400)),
                                           ("he", math.sqrt(2 / 400))])
def test_initializer_spread(name, expected):
    w = getattr(init, name)((400, 50), 400, random.Random(5))
    flat = [v for row in w for v in row]
    assert len(w) == 400 and len(w[0]) == 50
    assert _std(flat) == pytest.approx(expected, rel=0.03)


def test_normal_initializer_takes_std():
    w = init.normal((200, 100), 200, random.Random(5), std=0.5)
    assert _std([v for row in w for v in row]) == pytest.approx(0.5, rel=0.03)


def test_initializers_are_seeded():
    assert init.he((3, 2), 3, random.Random(9)) == init.he((3, 2), 3, random.Random(9))
