"""Weight decay, Dropout, BatchNorm and the multiclass SVM loss: values by hand, gradient
checks, spec lines, and the MNIST spec that uses them trained from the CLI."""

import configparser
import math
import os
import random

import pytest
from conftest import run_purenn

from purenn import build, registry
from purenn.errors import SpecError
from purenn.gradcheck import TOLERANCE, check_layer, check_loss, check_network
from purenn.layers import BatchNorm, Dropout
from purenn.losses import MulticlassSVM


def random_batch(rows, cols, seed, low=-1.0, high=1.0):
    rng = random.Random(seed)
    return [[rng.uniform(low, high) for _ in range(cols)] for _ in range(rows)]


# -- weight decay -------------------------------------------------------------------------

DECAY_SPEC = """\
input 2
dense 2
relu
dense 2
loss mean_squared_error weight_decay={lam}
"""


def set_weights(net):
    net.params["dense1.W"][:] = [[1.0, 2.0], [3.0, 4.0]]
    net.params["dense1.b"][:] = [0.5, -0.5]
    net.params["dense2.W"][:] = [[0.5, -1.0], [2.0, 0.0]]
    net.params["dense2.b"][:] = [10.0, 20.0]


def test_weight_decay_adds_half_lambda_sum_of_squared_weights_not_biases():
    x, t = [[1.0, -1.0], [0.5, 2.0]], [[0.0, 1.0], [1.0, 0.0]]
    plain, decayed = build(DECAY_SPEC.format(lam=0.0)), build(DECAY_SPEC.format(lam=0.5))
    set_weights(plain)
    set_weights(decayed)
    # ΣW² = (1 + 4 + 9 + 16) + (0.25 + 1 + 4 + 0) = 35.25; ½·0.5·35.25 = 8.8125
    assert decayed.decay_keys == ["dense1.W", "dense2.W"]
    assert decayed.decay_loss() == 8.8125
    assert decayed.loss(x, t) == pytest.approx(plain.loss(x, t) + 8.8125, rel=1e-15)


def test_weight_decay_adds_lambda_w_to_weight_gradients_only():
    x, t = [[1.0, -1.0], [0.5, 2.0]], [[0.0, 1.0], [1.0, 0.0]]
    plain, decayed = build(DECAY_SPEC.format(lam=0.0)), build(DECAY_SPEC.format(lam=0.5))
    set_weights(plain)
    set_weights(decayed)
    g0, g1 = plain.gradient(x, t), decayed.gradient(x, t)
    for key in ("dense1.W", "dense2.W"):
        for row0, row1, wrow in zip(g0[key], g1[key], decayed.params[key]):
            assert row1 == pytest.approx([a + 0.5 * w for a, w in zip(row0, wrow)],
                                         rel=1e-15, abs=1e-15)
    assert g1["dense1.b"] == g0["dense1.b"] and g1["dense2.b"] == g0["dense2.b"]


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "multiclass_svm"])
def test_weight_decay_gradient_check(loss):
    # Xavier weights (std √(1/n)): the decay term is a fair part of loss and gradients
    net = build(f"input 4\ndense 6 init=xavier\ntanh\ndense 3 init=xavier\n"
                f"loss {loss} weight_decay=0.5\n", seed=3)
    assert net.decay_loss() > 1.0
    x, t = random_batch(5, 4, seed=4), [0, 2, 1, 1, 0]
    errors = check_network(net, x, t)
    assert max(errors.values()) <= TOLERANCE, errors


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
    assert "dropout ratio=0.2 inverted=false" in net.spec_text().splitlines()
    assert "dropout" in build(DROPOUT_SPEC.format(args="")).spec_text().splitlines()
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
    assert "batchnorm momentum=0.99" in net.spec_text().splitlines()
    with pytest.raises(SpecError) as info:
        build("input 5\nbatchnorm momentum=1.0\nloss softmax_cross_entropy\n")
    assert str(info.value) == "<spec>:2: batchnorm momentum must be in [0, 1), got 1.0"


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
    assert net.spec_text().splitlines()[-2] == "loss multiclass_svm margin=2.0"


# -- all of it in one network ---------------------------------------------------------------

TOOLBOX_SPEC = """\
input 4
dense 6 init=he
batchnorm
relu
dropout 0.3
dense 3
loss {loss} weight_decay=0.1
"""


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "multiclass_svm"])
def test_network_gradient_check_with_batchnorm_dropout_and_decay(loss):
    net = build(TOOLBOX_SPEC.format(loss=loss), seed=0)
    x, t = random_batch(8, 4, seed=10), [0, 1, 2, 0, 1, 2, 2, 1]
    errors = check_network(net, x, t)
    assert max(errors.values()) <= TOLERANCE, errors


def test_numerical_gradient_leaves_masks_and_running_statistics_as_they_were():
    net = build(TOOLBOX_SPEC.format(loss="softmax_cross_entropy"), seed=0)
    layers = dict(net.layers)
    x, t = random_batch(8, 4, seed=10), [0, 1, 2, 0, 1, 2, 2, 1]
    net.gradient(x, t)
    mask = layers["dropout1"].mask
    buffers = {k: list(v) for k, v in layers["batchnorm1"].buffers.items()}
    net.numerical_gradient(x, t)
    assert layers["dropout1"].mask is mask and not layers["dropout1"].frozen
    assert layers["batchnorm1"].buffers == buffers
    layers["dropout1"].freeze()
    net.numerical_gradient(x, t)
    assert layers["dropout1"].frozen  # a mask the user froze stays frozen


def test_registered_in_builtins_and_setup_cfg():
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(os.path.dirname(__file__), os.pardir, "setup.cfg"), encoding="utf-8")
    points = cfg["options.entry_points"]
    for group, name, target in [("purenn.layers", "dropout", "purenn.layers:Dropout"),
                                ("purenn.layers", "batchnorm", "purenn.layers:BatchNorm"),
                                ("purenn.losses", "multiclass_svm",
                                 "purenn.losses:MulticlassSVM")]:
        assert registry.BUILTINS[group][name] == target
        assert f"{name} = {target}" in points[group].strip().splitlines()


def test_mnist_adam_bn_spec_trains_from_the_cli():
    result = run_purenn("train", "--spec", "mnist_adam_bn", "--train-size", "300",
                        "--epochs", "1")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "300 training, 2000 test samples" in out
    assert "mnist_adam_bn.net, 90,010 parameters; optimizer adam lr=0.001" in out
    assert "epoch   1/1" in out
    accuracy = float(out.split("test accuracy ")[-1].split()[0])
    assert 0.0 <= accuracy <= 1.0
