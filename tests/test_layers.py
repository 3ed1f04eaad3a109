"""The built-in layers (Dense, activations, Dropout, BatchNorm): gradient checks,
stability, the values they compute and their spec lines."""

import math
import random

import pytest
from helpers import random_batch

from purenn import build, init, spec
from purenn.errors import SpecError
from purenn.gradcheck import TOLERANCE, check_layer
from purenn.layers import BatchNorm, Dense, Dropout, ReLU, Sigmoid, Softmax, Tanh, sigmoid, softmax
from purenn.linalg import KERNELS


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


def test_dense_keeps_the_pattern_of_a_sparse_input_for_dw():
    """On the loops set a sparse batch through a wide enough layer keeps where x is
    nonzero from forward to backward; y, dW, db and dx are the reference set's floats."""
    from purenn import linalg
    rng = random.Random(4)
    x = [[rng.uniform(0, 1) if rng.random() < 0.2 else 0.0 for _ in range(120)]
         for _ in range(6)]
    x[3] = [0.0] * 120
    dout = [[rng.uniform(-1, 1) if rng.random() < 0.5 else 0.0 for _ in range(40)]
            for _ in range(6)]
    results = {}
    saved = linalg.KERNEL
    try:
        for name in ("reference", "loops"):
            linalg.use_kernel(name)
            layer = Dense(40)
            layer.build((120,), random.Random(0))
            layer.input_grad = True
            assert layer.forward(x) and layer.x_sparse is None      # inference: no copy
            y = layer.forward(x, train=True)
            kept = layer.x_sparse
            dx = layer.backward(dout)
            results[name] = (y, layer.grads["W"], layer.grads["b"], dx, kept)
    finally:
        linalg.use_kernel(saved)
    kept = results["loops"][4]
    assert kept.columns == [[i for i, v in enumerate(row) if v] for row in x]
    assert kept.values == [[v for v in row if v] for row in x]
    assert results["loops"][:4] == results["reference"][:4]


@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_dense_takes_sparse_rows_with_the_floats_of_dense_ones(kernel):
    """x as SparseRows gives the y, dW, db and dx of the same x as dense rows, bit for
    bit, on every kernel set; the layer keeps the SparseRows for dW."""
    from purenn import linalg
    from purenn.sparse import SparseRows
    rng = random.Random(5)
    x = [[rng.uniform(-1, 1) if rng.random() < 0.3 else 0.0 for _ in range(90)]
         for _ in range(7)]
    x[2] = [0.0] * 90
    x[4][5] = -0.0
    dout = [[rng.uniform(-1, 1) for _ in range(12)] for _ in range(7)]
    saved = linalg.KERNEL
    results = []
    try:
        linalg.use_kernel(kernel)
        for batch in (x, SparseRows.from_rows(x)):
            layer = Dense(12)
            layer.build((90,), random.Random(0))
            layer.input_grad = True
            y = layer.forward(batch, train=True)
            if isinstance(batch, SparseRows):
                assert layer.x_sparse is batch
            dx = layer.backward(dout)
            results.append((y, layer.grads["W"], layer.grads["b"], dx))
    finally:
        linalg.use_kernel(saved)
    assert results[1] == results[0]


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


def test_relu_propagates_nan_as_the_books_mask():
    # the book: mask = (x <= 0); out[mask] = 0; dout[mask] = 0. NaN is not <= 0.
    layer = ReLU()
    y = layer.forward([[float("nan"), -1.0, 3.0]])
    assert math.isnan(y[0][0]) and y[0][1:] == [0.0, 3.0]
    assert layer.backward([[5.0, 5.0, 5.0]]) == [[5.0, 0.0, 5.0]]


def test_relu_gives_the_same_numbers_as_before_on_everything_but_nan():
    # every other value, signed zeros and infinities included, as the old `v > 0` form
    rng = random.Random(3)
    values = [0.0, -0.0, 5e-324, -5e-324, math.inf, -math.inf, 1.0, -1.0]
    values += [rng.uniform(-1e3, 1e3) for _ in range(200)]
    layer = ReLU()
    y = layer.forward([values])
    dx = layer.backward([[rng.uniform(-1, 1) for _ in values]])
    old_y = [v if v > 0.0 else 0.0 for v in values]
    assert [repr(v) for v in y[0]] == [repr(v) for v in old_y]
    assert all((d == 0.0) == (v <= 0.0) for d, v in zip(dx[0], values))


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


# -- Dropout ------------------------------------------------------------------------------

@pytest.mark.parametrize("inverted", [True, False])
def test_dropout_gradient_check_with_frozen_mask(inverted):
    layer = Dropout(0.5, inverted=inverted)
    layer.build((6,), random.Random(1))
    layer.freeze()
    errors = check_layer(layer, (6,), batch=4)
    assert errors["x"] <= TOLERANCE
    kept = 2.0 if inverted else 1.0
    values = {v for row in layer.mask for v in row}
    assert values == {0.0, kept}  # a real mask: some dropped, some kept


def test_dropout_inverted_scales_in_training_and_is_identity_at_inference():
    layer = Dropout(0.25)
    layer.build((40,), random.Random(7))
    x = [[1.0] * 40 for _ in range(50)]
    y = layer.forward(x, train=True)
    assert {v for row in y for v in row} == {0.0, 4.0 / 3.0}
    dropped = sum(v == 0.0 for row in y for v in row) / 2000
    assert dropped == pytest.approx(0.25, abs=0.03)  # 3 standard deviations of 2000 draws
    dout = random_batch(50, 40, seed=8)
    assert layer.backward(dout) == [[d * m for d, m in zip(drow, mrow)]
                                    for drow, mrow in zip(dout, layer.mask)]
    assert layer.forward(x, train=False) == x
    assert layer.backward(dout) == dout


def test_dropout_book_form_masks_zero_one_and_scales_at_inference():
    layer = Dropout(0.25, inverted=False)
    layer.build((40,), random.Random(7))
    x = [[2.0] * 40 for _ in range(50)]
    y = layer.forward(x, train=True)
    assert {v for row in y for v in row} == {0.0, 2.0}
    assert layer.forward(x, train=False) == [[1.5] * 40 for _ in range(50)]
    assert layer.backward([[1.0] * 40 for _ in range(50)]) == [[0.75] * 40 for _ in range(50)]


def test_dropout_draws_a_fresh_mask_per_pass_unless_frozen():
    layer = Dropout(0.5)
    layer.build((10,), random.Random(2))
    x = [[1.0] * 10 for _ in range(10)]
    first, second = layer.forward(x, True), layer.forward(x, True)
    assert first != second
    layer.freeze()
    assert layer.forward(x, True) == second == layer.forward(x, True)
    layer.freeze(False)
    assert layer.forward(x, True) != second


DROPOUT_SPEC = "input 8\ndense 8\nrelu\ndropout {args}\ndense 3\nloss softmax_cross_entropy\n"


def test_dropout_masks_come_from_the_networks_seeded_rng():
    x = random_batch(4, 8, seed=9)
    a = build(DROPOUT_SPEC.format(args="0.5"), seed=3)
    b = build(DROPOUT_SPEC.format(args="0.5"), seed=3)
    c = build(DROPOUT_SPEC.format(args="0.5"), seed=4)
    c.params["dense1.W"][:] = [list(row) for row in a.params["dense1.W"]]
    c.params["dense2.W"][:] = [list(row) for row in a.params["dense2.W"]]
    assert a.forward(x, train=True) == b.forward(x, train=True)
    assert a.forward(x, train=True) != c.forward(x, train=True)
    assert a.predict(x) == a.predict(x) == c.predict(x)  # predict is inference: no mask


def test_dropout_spec_lines():
    net = build(DROPOUT_SPEC.format(args="0.2 inverted=false"))
    layer = dict(net.layers)["dropout1"]
    assert (layer.ratio, layer.inverted) == (0.2, False)
    assert "dropout ratio=0.2 inverted=false" in spec.write(net).splitlines()
    assert "dropout" in spec.write(build(DROPOUT_SPEC.format(args=""))).splitlines()
    with pytest.raises(SpecError) as info:
        build(DROPOUT_SPEC.format(args="1.0"))
    assert str(info.value) == "<spec>:4: dropout ratio must be in [0, 1), got 1.0"


# -- BatchNorm ----------------------------------------------------------------------------

def test_batchnorm_training_normalizes_each_feature_over_the_batch():
    layer = BatchNorm()
    layer.build((3,), random.Random(0))
    x = random_batch(6, 3, seed=5, low=-4.0, high=9.0)
    y = layer.forward(x, train=True)
    for j, column in enumerate(zip(*y)):
        xs = [row[j] for row in x]
        mu = math.fsum(xs) / 6
        var = math.fsum((v - mu) ** 2 for v in xs) / 6
        assert math.fsum(column) / 6 == pytest.approx(0.0, abs=1e-14)
        assert math.fsum(v * v for v in column) / 6 == pytest.approx(var / (var + 1e-6),
                                                                    rel=1e-13)
        # running statistics start at 0 (the book) and move with momentum 0.9
        assert layer.buffers["running_mean"][j] == pytest.approx(0.1 * mu, rel=1e-14)
        assert layer.buffers["running_var"][j] == pytest.approx(0.1 * var, rel=1e-14)


def test_batchnorm_running_statistics_move_in_place_and_serve_inference():
    layer = BatchNorm()
    layer.build((2,), random.Random(0))
    running_mean, running_var = layer.buffers["running_mean"], layer.buffers["running_var"]
    x = [[1.0, 10.0], [3.0, 10.0]]  # μ = (2, 10), σ² = (1, 0)
    layer.forward(x, train=True)
    layer.forward(x, train=True)
    assert layer.buffers["running_mean"] is running_mean  # the same lists, updated
    assert running_mean == pytest.approx([0.19 * 2.0, 0.19 * 10.0], rel=1e-15)
    assert running_var == pytest.approx([0.19, 0.0], rel=1e-15)

    running_mean[:], running_var[:] = [0.5, -1.0], [4.0, 0.25]
    layer.params["gamma"][:], layer.params["beta"][:] = [2.0, 1.0], [1.0, 0.0]
    y = layer.forward([[2.5, 0.0]], train=False)
    # y = γ·(x − running_mean)/√(running_var + ε) + β
    assert y[0] == pytest.approx([2.0 * 2.0 / math.sqrt(4.000001) + 1.0,
                                  1.0 / math.sqrt(0.250001)], rel=1e-15)
    assert running_mean == [0.5, -1.0]  # inference leaves them alone


@pytest.mark.parametrize("batch", [5, 8])
def test_batchnorm_gradient_check_in_training_mode(batch):
    layer = BatchNorm()
    layer.build((4,), random.Random(0))
    rng = random.Random(3)
    layer.params["gamma"][:] = [rng.uniform(0.5, 1.5) for _ in range(4)]
    layer.params["beta"][:] = [rng.uniform(-1.0, 1.0) for _ in range(4)]
    # x̂ depends on the whole batch through σ, so L curves strongly in x: a smaller step
    # keeps the central differences' truncation error (∝ h²) below the tolerance
    errors = check_layer(layer, (4,), batch=batch, h=1e-5)
    assert max(errors.values()) <= TOLERANCE, errors


def test_batchnorm_gradient_check_at_inference():
    layer = BatchNorm()
    layer.build((4,), random.Random(0))
    layer.buffers["running_mean"][:] = [0.1, -0.2, 0.3, 0.0]
    layer.buffers["running_var"][:] = [1.5, 0.5, 2.0, 1.0]
    errors = check_layer(layer, (4,), batch=3, train=False)
    assert max(errors.values()) <= TOLERANCE, errors


def test_batchnorm_spec_lines_and_no_decay():
    net = build("input 5\ndense 4\nbatchnorm momentum=0.99\nrelu\ndense 2\n"
                "loss softmax_cross_entropy weight_decay=0.1\n")
    layer = dict(net.layers)["batchnorm1"]
    assert (layer.momentum, layer.eps) == (0.99, 1e-6)
    assert net.params["batchnorm1.gamma"] == [1.0] * 4
    assert net.params["batchnorm1.beta"] == [0.0] * 4
    assert net.decay_keys == ["dense1.W", "dense2.W"]
    assert "batchnorm momentum=0.99" in spec.write(net).splitlines()
    with pytest.raises(SpecError) as info:
        build("input 5\nbatchnorm momentum=1.0\nloss softmax_cross_entropy\n")
    assert str(info.value) == "<spec>:2: batchnorm momentum must be in [0, 1), got 1.0"


def test_a_nan_weight_before_relu_makes_the_loss_nan():
    from purenn import build

    net = build("input 2\ndense 2\nrelu\ndense 2\nloss softmax_cross_entropy\n")
    net.params["dense1.W"][0][0] = float("nan")  # its unit's input is NaN for any x
    net.params["dense1.W"][1][0] = -100.0        # ... and would be negative without it
    assert math.isnan(net.loss([[1.0, 1.0]], [0]))
