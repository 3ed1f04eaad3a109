"""Conv2D and Flatten against the formulas written as plain loops, and their gradients."""

import os
import random

import pytest
from purenn_conv import Conv2D, Flatten

from purenn import build, registry, spec
from purenn.errors import SpecError
from purenn.gradcheck import TOLERANCE, check_layer

INSTALLED = "conv2d" in registry.discover("purenn.layers")
# tox's plugins env sets PURENN_PLUGINS_INSTALLED: there these tests must run, not skip
needs_installed = pytest.mark.skipif(
    not INSTALLED and not os.environ.get("PURENN_PLUGINS_INSTALLED"),
    reason="purenn-conv is not installed (python -m pip install plugins/purenn-conv)")


def conv_by_loops(x, shape, W, b, stride, pad):
    """y[f, i, j] = b[f] + Σ_c Σ_ky Σ_kx W[f][c][ky][kx] · xp[c, i·s + ky, j·s + kx]."""
    C, H, Wd = shape
    k = len(W[0][0])
    out_h = (H + 2 * pad - k) // stride + 1
    out_w = (Wd + 2 * pad - k) // stride + 1

    def xp(c, y, z):
        y, z = y - pad, z - pad
        return x[(c * H + y) * Wd + z] if 0 <= y < H and 0 <= z < Wd else 0.0

    return [b[f] + sum(W[f][c][ky][kx] * xp(c, i * stride + ky, j * stride + kx)
                       for c in range(C) for ky in range(k) for kx in range(k))
            for f in range(len(W)) for i in range(out_h) for j in range(out_w)]


@pytest.mark.parametrize("filters, kernel, stride, pad, shape, out", [
    (3, 3, 1, 0, (2, 5, 5), (3, 3, 3)),
    (2, 3, 1, 1, (1, 4, 6), (2, 4, 6)),
    (2, 2, 2, 1, (3, 5, 4), (2, 3, 3)),
    (4, 1, 1, 0, (1, 3, 3), (4, 3, 3)),
    (1, 3, 2, 2, (2, 6, 5), (1, 4, 4)),
])
def test_forward_is_the_cross_correlation_formula(filters, kernel, stride, pad, shape, out):
    rng = random.Random(1)
    layer = Conv2D(filters, kernel=kernel, stride=stride, pad=pad)
    assert layer.build(shape, rng) == out
    layer.params["b"] = [rng.uniform(-1, 1) for _ in range(filters)]
    x = [[rng.uniform(-1, 1) for _ in range(shape[0] * shape[1] * shape[2])]
         for _ in range(2)]
    y = layer.forward(x)
    for row, yrow in zip(x, y):
        expected = conv_by_loops(row, shape, layer.params["W"], layer.params["b"], stride, pad)
        assert yrow == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_a_hand_computed_convolution():
    layer = Conv2D(1, kernel=2)
    layer.build((1, 3, 3), random.Random(0))
    layer.params["W"] = [[[[1.0, 0.0], [0.0, -1.0]]]]
    layer.params["b"] = [0.5]
    x = [[1.0, 2.0, 3.0,
          4.0, 5.0, 6.0,
          7.0, 8.0, 9.0]]
    assert layer.forward(x) == [[1 - 5 + 0.5, 2 - 6 + 0.5, 4 - 8 + 0.5, 5 - 9 + 0.5]]


def test_parameter_shapes_are_out_in_kh_kw_and_out():
    layer = Conv2D(30, kernel=5)
    assert layer.build((1, 28, 28), random.Random(0)) == (30, 24, 24)
    W = layer.params["W"]
    assert (len(W), len(W[0]), len(W[0][0]), len(W[0][0][0])) == (30, 1, 5, 5)
    assert layer.params["b"] == [0.0] * 30


def test_he_init_uses_the_fan_in_of_a_filter():
    layer = Conv2D(64, kernel=3, init="he")
    layer.build((16, 8, 8), random.Random(0))
    values = [v for f in layer.params["W"] for c in f for r in c for v in r]
    std = (sum(v * v for v in values) / len(values)) ** 0.5
    assert std == pytest.approx((2 / (16 * 9)) ** 0.5, rel=0.03)


@pytest.mark.parametrize("layer, shape", [
    (Conv2D(3, kernel=3), (2, 5, 5)),
    (Conv2D(2, kernel=3, pad=1), (3, 4, 4)),
    (Conv2D(2, kernel=2, stride=2, pad=1), (2, 5, 4)),
    (Conv2D(2, kernel=3, stride=2, pad=2), (1, 5, 6)),
    (Conv2D(3, kernel=1), (2, 3, 3)),
    (Flatten(), (2, 3, 3)),
])
def test_gradients_match_numerical(layer, shape):
    errors = check_layer(layer, shape, batch=2, rng=random.Random(3))
    assert max(errors.values()) <= TOLERANCE, errors


def test_the_first_layer_skips_dx():
    layer = Conv2D(2, kernel=3)
    layer.build((1, 4, 4), random.Random(0))
    layer.input_grad = False
    layer.forward([[0.5] * 16], train=True)
    assert layer.backward([[1.0] * 8]) is None
    assert layer.grads["b"] == [4.0, 4.0]


def test_flatten_keeps_the_numbers_in_channel_major_order():
    layer = Flatten()
    assert layer.build((2, 3, 4), None) == (24,)
    x = [list(map(float, range(24)))]
    assert layer.forward(x) == x
    assert layer.backward(x) == x


@pytest.mark.parametrize("layer, shape, message", [
    (Conv2D(4, kernel=3), (784,),
     "conv2d needs a CxHxW input (such as 'input 1x28x28'), got '784'"),
    (Conv2D(4, kernel=5), (1, 4, 4),
     "conv2d window 5x5 with pad 0 does not fit an input of 1x4x4"),
    (Conv2D(4, kernel=3, stride=0), (1, 4, 4),
     "conv2d needs window ≥ 1, stride ≥ 1 and pad ≥ 0, got window=3, stride=0, pad=0"),
])
def test_shape_errors(layer, shape, message):
    with pytest.raises(SpecError) as info:
        layer.build(shape, random.Random(0))
    assert str(info.value) == message


def test_zero_filters_is_an_error():
    with pytest.raises(SpecError) as info:
        Conv2D(0)
    assert str(info.value) == "conv2d needs a positive number of filters, got 0"


@needs_installed
def test_a_spec_line_with_a_wrong_shape_names_the_line():
    with pytest.raises(SpecError) as info:
        build("input 784\nconv2d 30 kernel=5\nrelu\ndense 10\nloss softmax_cross_entropy\n")
    assert str(info.value) == ("<spec>:2: conv2d needs a CxHxW input (such as "
                               "'input 1x28x28'), got '784'")


@needs_installed
def test_simple_convnet_has_the_shapes_of_the_books_weights():
    net = build("simple_convnet")
    shapes = {key: tuple(_shape(v)) for key, v in net.params.items()}
    assert shapes == {"conv2d1.W": (30, 1, 5, 5), "conv2d1.b": (30,),
                      "dense1.W": (4320, 100), "dense1.b": (100,),
                      "dense2.W": (100, 10), "dense2.b": (10,)}
    assert net.shapes[1:] == [(30, 24, 24), (30, 24, 24), (30, 12, 12), (4320,), (100,),
                              (100,), (10,)]


@needs_installed
def test_deep_convnet_has_the_shapes_of_the_books_weights():
    net = build("deep_convnet")
    weights = [tuple(_shape(v)) for key, v in net.params.items() if key.endswith(".W")]
    assert weights == [(16, 1, 3, 3), (16, 16, 3, 3), (32, 16, 3, 3), (32, 32, 3, 3),
                       (64, 32, 3, 3), (64, 64, 3, 3), (1024, 50), (50, 10)]
    assert net.output_shape == (10,)


@needs_installed
def test_a_conv_spec_round_trips():
    net = build("simple_convnet", seed=4)
    again = build(spec.write(net), seed=4)
    assert spec.write(again) == spec.write(net)
    assert again.params == net.params
    x = [[random.Random(5).random() for _ in range(784)]]
    assert again.predict(x) == net.predict(x)


def _shape(value):
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0]
    return shape
