"""Networks built from specs: the book's names, backprop against numerical gradients."""

import random

import pytest

import purenn
from purenn.gradcheck import TOLERANCE, check_network, relative_error
from purenn.optimizers import SGD

SMALL = """\
# a small net with every built-in layer
input 6
dense 5 init=he
relu
dense 4 init=xavier
sigmoid
dense 4 init=xavier
tanh
dense 3
loss softmax_cross_entropy
"""


def _batch(rng, n=5, d=6, k=3):
    return [[rng.uniform(-1, 1) for _ in range(d)] for _ in range(n)], \
        [rng.randrange(k) for _ in range(n)]


def test_build_from_text_file_and_name(tmp_path):
    path = tmp_path / "small.net"
    path.write_text(SMALL)
    a = purenn.build(SMALL, seed=3)
    b = purenn.build(str(path), seed=3)
    assert a.params == b.params
    assert b.source == str(path)
    c = purenn.build("two_layer")
    assert c.source == "two_layer.net"
    assert "two_layer" in purenn.shipped_specs()


def test_params_use_dotted_names_and_book_shapes():
    net = purenn.build("two_layer")
    assert list(net.params) == ["dense1.W", "dense1.b", "dense2.W", "dense2.b"]
    assert (len(net.params["dense1.W"]), len(net.params["dense1.W"][0])) == (784, 50)
    assert net.params["dense1.b"] == [0.0] * 50
    assert (len(net.params["dense2.W"]), len(net.params["dense2.W"][0])) == (50, 10)
    assert net.input_shape == (784,) and net.output_shape == (10,)


def test_same_seed_same_network_other_seed_other():
    assert purenn.build(SMALL, seed=1).params == purenn.build(SMALL, seed=1).params
    assert purenn.build(SMALL, seed=1).params != purenn.build(SMALL, seed=2).params


def test_predict_loss_accuracy():
    net = purenn.build("input 2\ndense 2\nloss softmax_cross_entropy\n")
    net.params["dense1.W"][:] = [[1.0, 0.0], [0.0, 1.0]]
    x = [[2.0, 1.0], [0.0, 3.0], [5.0, 4.0]]
    assert net.predict(x) == x
    assert net.accuracy(x, [0, 1, 1]) == pytest.approx(2 / 3)
    assert net.accuracy(x, [[1, 0], [0, 1], [0, 1]]) == pytest.approx(2 / 3)
    assert net.loss([[0.0, 0.0]], [1]) == pytest.approx(0.6931471805599453, rel=1e-15)
    assert net.probabilities([[0.0, 0.0]]) == [[0.5, 0.5]]


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "mean_squared_error"])
def test_whole_network_gradient_check(loss):
    net = purenn.build(SMALL.replace("softmax_cross_entropy", loss), seed=7)
    x, t = _batch(random.Random(8))
    errors = check_network(net, x, t)
    assert set(errors) == set(net.params)
    assert max(errors.values()) <= TOLERANCE, errors


def test_two_layer_network_gradient_check_on_mnist_sized_input():
    # the book's gradient_check.py: the chapter 5 network on 3 images
    net = purenn.build("input 784\ndense 4 init=he\nrelu\ndense 10\n"
                       "loss softmax_cross_entropy\n", seed=0)
    from purenn.data import mnist
    train, _ = mnist.load()
    x, t = train.batch(range(3))
    grad = net.gradient(x, t)
    numeric = net.numerical_gradient(x, t)  # the book's h = 1e-4
    for key in grad:
        assert relative_error(grad[key], numeric[key]) <= TOLERANCE, key


def test_weight_decay_adds_half_lambda_w_squared_and_lambda_w():
    text = "input 2\ndense 2\nloss softmax_cross_entropy weight_decay=0.1\n"
    net = purenn.build(text)
    plain = purenn.build(text.replace(" weight_decay=0.1", ""))
    for n in (net, plain):
        n.params["dense1.W"][:] = [[1.0, 2.0], [3.0, 4.0]]
        n.params["dense1.b"][:] = [5.0, 6.0]  # biases are not decayed
    x, t = [[0.5, -0.5]], [1]
    assert net.loss(x, t) == pytest.approx(plain.loss(x, t) + 0.5 * 0.1 * 30.0, rel=1e-15)
    g, gp = net.gradient(x, t), plain.gradient(x, t)
    assert g["dense1.b"] == gp["dense1.b"]
    assert g["dense1.W"] == [[a + 0.1 * w for a, w in zip(ra, rw)]
                             for ra, rw in zip(gp["dense1.W"], [[1.0, 2.0], [3.0, 4.0]])]
    errors = check_network(net, x, t)
    assert max(errors.values()) <= TOLERANCE


def test_sgd_updates_by_hand():
    w = [[1.0, -2.0], [0.5, 0.0]]
    b = [0.25, -0.75]
    params = {"W": w, "b": b}
    opt = SGD(params, lr=0.1)
    opt.step({"W": [[10.0, 0.0], [-5.0, 1.0]], "b": [1.0, 2.0]})
    assert w == [[0.0, -2.0], [1.0, -0.1]]
    assert b == [0.15, -0.95]
    assert params["W"] is w  # updated in place
    opt.step({"W": [[0.0, 1.0], [0.0, 0.0]], "b": [0.5, 0.5]})
    assert w == [[0.0, -2.1], [1.0, -0.1]]
    assert b == [0.15 - 0.05, -0.95 - 0.05]


def test_sgd_rejects_a_bad_learning_rate():
    with pytest.raises(ValueError, match=r"learning rate must be positive, got lr=0"):
        SGD({}, lr=0)


def test_spec_text_round_trip():
    net = purenn.build(SMALL + "optimizer sgd lr=0.05\n", seed=4)
    again = purenn.build(purenn.spec.write(net), seed=4)
    assert purenn.spec.write(again) == purenn.spec.write(net)
    assert again.params == net.params
    assert again.optimizer.lr == 0.05


def test_default_optimizer_is_sgd_with_the_books_lr():
    net = purenn.build("input 2\ndense 2\nloss softmax_cross_entropy\n")
    assert net.optimizer.kind == "sgd" and net.optimizer.lr == 0.01


def test_summary_lists_layers_and_parameter_counts():
    text = purenn.build("two_layer").summary()
    assert "dense1" in text and "39,250 params" in text and "510 params" in text
