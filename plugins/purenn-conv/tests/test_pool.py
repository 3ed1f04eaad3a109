"""MaxPool2D and AvgPool2D against the formulas written as plain loops, and their gradients."""

import random

import pytest
from purenn_conv import AvgPool2D, MaxPool2D

from purenn.errors import SpecError
from purenn.gradcheck import TOLERANCE, check_layer


def pool_by_loops(x, shape, size, stride, pad, reduce):
    C, H, W = shape
    out_h = (H + 2 * pad - size) // stride + 1
    out_w = (W + 2 * pad - size) // stride + 1

    def xp(c, y, z):
        y, z = y - pad, z - pad
        return x[(c * H + y) * W + z] if 0 <= y < H and 0 <= z < W else 0.0

    return [reduce([xp(c, i * stride + ky, j * stride + kx)
                    for ky in range(size) for kx in range(size)])
            for c in range(C) for i in range(out_h) for j in range(out_w)]


def mean(values):
    return sum(values) / len(values)


CASES = [((2, 4, 4), 2, None, 0, (2, 2, 2)),
         ((1, 5, 5), 3, 2, 1, (1, 3, 3)),
         ((3, 5, 4), 2, 1, 0, (3, 4, 3)),
         ((2, 6, 6), 2, 2, 1, (2, 4, 4))]


@pytest.mark.parametrize("cls, reduce", [(MaxPool2D, max), (AvgPool2D, mean)])
@pytest.mark.parametrize("shape, size, stride, pad, out", CASES)
def test_forward_is_the_formula(cls, reduce, shape, size, stride, pad, out):
    rng = random.Random(2)
    layer = cls(size, stride=stride, pad=pad)
    assert layer.build(shape, rng) == out
    x = [[rng.uniform(-1, 1) for _ in range(shape[0] * shape[1] * shape[2])]
         for _ in range(2)]
    y = layer.forward(x)
    for row, yrow in zip(x, y):
        expected = pool_by_loops(row, shape, size, stride or size, pad, reduce)
        assert yrow == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_a_hand_computed_max_pool():
    layer = MaxPool2D(2, stride=2)
    layer.build((1, 4, 4), None)
    x = [[1.0, 2.0, 5.0, 0.0,
          3.0, 4.0, 1.0, 1.0,
          0.0, 0.0, 9.0, 9.0,
          -1.0, 0.0, 9.0, 2.0]]
    assert layer.forward(x, train=True) == [[4.0, 5.0, 0.0, 9.0]]
    dx = layer.backward([[1.0, 2.0, 3.0, 4.0]])
    # a tie (the 0s, the 9s) sends the gradient to the first maximum only, as NumPy's argmax
    assert dx == [[0.0, 0.0, 2.0, 0.0,
                   0.0, 1.0, 0.0, 0.0,
                   3.0, 0.0, 4.0, 0.0,
                   0.0, 0.0, 0.0, 0.0]]


def test_a_hand_computed_average_pool():
    layer = AvgPool2D(2)
    layer.build((1, 2, 4), None)
    x = [[1.0, 2.0, 5.0, 0.0,
          3.0, 4.0, 1.0, 2.0]]
    assert layer.forward(x) == [[2.5, 2.0]]
    assert layer.backward([[4.0, 8.0]]) == [[1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0]]


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize("shape, size, stride, pad, out", CASES)
def test_gradients_match_numerical(cls, shape, size, stride, pad, out):
    layer = cls(size, stride=stride, pad=pad)
    errors = check_layer(layer, shape, batch=2, rng=random.Random(7))
    assert max(errors.values()) <= TOLERANCE, errors


def test_stride_defaults_to_the_window_and_stays_unwritten():
    layer = MaxPool2D(2)
    assert (layer.stride, layer.config) == (2, {"size": 2, "stride": None, "pad": 0})


@pytest.mark.parametrize("cls, kind", [(MaxPool2D, "maxpool2d"), (AvgPool2D, "avgpool2d")])
def test_shape_errors_name_the_layer(cls, kind):
    with pytest.raises(SpecError) as info:
        cls(2).build((10,), None)
    assert str(info.value) == (f"{kind} needs a CxHxW input (such as 'input 1x28x28'), "
                               f"got '10'")
    with pytest.raises(SpecError) as info:
        cls(3).build((1, 2, 2), None)
    assert str(info.value) == f"{kind} window 3x3 with pad 0 does not fit an input of 1x2x2"
