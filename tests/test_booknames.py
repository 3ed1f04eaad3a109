"""The book's names on purenn's networks: ``params['W1']`` says its purenn name, and the
book's SGD line ``params[key] -= lr * grads[key]`` works on nested lists."""

import random

import pytest

import purenn
from purenn.booknames import Gradient, ParameterNameError


def two_layer():
    return purenn.build("two_layer", rng=random.Random(0))


def batch():
    rng = random.Random(1)
    return [[rng.random() for _ in range(784)] for _ in range(3)], [1, 7, 3]


@pytest.mark.parametrize("key, name", [("W1", "dense1.W"), ("b1", "dense1.b"),
                                       ("W2", "dense2.W"), ("b2", "dense2.b")])
def test_a_book_name_says_its_purenn_name(key, name):
    net = two_layer()
    with pytest.raises(KeyError) as info:
        net.params[key]
    assert isinstance(info.value, ParameterNameError)
    assert str(info.value) == (f"no parameter {key!r}: the book's {key} is {name!r} here "
                               f"(purenn names a parameter by its layer) (parameters: "
                               f"dense1.W, dense1.b, dense2.W, dense2.b)")
    grads = net.gradient(*batch())
    with pytest.raises(KeyError, match=f"the book's {key} is {name!r} here"):
        grads[key]


def test_batch_norm_names_and_names_the_network_does_not_have():
    net = purenn.build("mnist_adam_bn", rng=random.Random(0))
    with pytest.raises(KeyError, match="the book's gamma2 is 'batchnorm2.gamma' here"):
        net.params["gamma2"]
    with pytest.raises(KeyError) as info:
        net.params["W9"]
    assert str(info.value).startswith("no parameter 'W9' (parameters: dense1.W, ")
    with pytest.raises(KeyError, match="did you mean 'dense1.W'"):
        net.params["Dense1.w"]


def test_the_books_sgd_line_is_the_sgd_optimizers_step_bit_for_bit():
    x, t = batch()
    mine, reference = two_layer(), two_layer()
    lr = mine.optimizer.config["lr"]
    grads = mine.gradient(x, t)
    for key in mine.params:
        mine.params[key] -= lr * grads[key]
    reference.optimizer.step(reference.gradient(x, t))
    assert mine.params == reference.params
    assert mine.state_dict() == reference.state_dict()


def test_a_gradient_scales_by_a_number_and_not_by_repetition():
    g = Gradient([[1.0, -2.0], [0.5, 4.0]])
    assert 2 * g == [[2.0, -4.0], [1.0, 8.0]] and g * 0.5 == [[0.5, -1.0], [0.25, 2.0]]
    assert [[1.0, 1.0], [1.0, 1.0]] - 0.5 * g == [[0.5, 2.0], [0.75, -1.0]]
    with pytest.raises(purenn.PurennError, match="cannot subtract a gradient of shape"):
        [1.0, 2.0] - g
