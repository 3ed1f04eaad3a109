"""Networks: built directly or from specs, the book's names, backprop against numerical
gradients, weight decay, state dicts."""

import random

import pytest
from helpers import random_batch

import purenn
from purenn import build, linalg, spec
from purenn.gradcheck import TOLERANCE, check_network, relative_error
from purenn.optimizers import SGD
from purenn.sparse import SparseRows

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
    errors = check_network(net, x, t, redraw_weights=False)
    assert max(errors.values()) <= TOLERANCE, errors


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


# -- a network without a spec, and its state ------------------------------------------------

def _direct_network(seed=0):
    from purenn.layers import BatchNorm, Dense, ReLU
    from purenn.losses import SoftmaxCrossEntropy

    layers = [("dense1", Dense(4)), ("batchnorm1", BatchNorm()), ("relu1", ReLU()),
              ("dense2", Dense(3))]
    return purenn.Network((2,), layers, SoftmaxCrossEntropy(), rng=random.Random(seed))


def test_a_network_is_made_without_a_spec_and_written_as_one():
    net = _direct_network()
    assert isinstance(net.optimizer, SGD) and net.optimizer.lr == 0.01
    assert net.param_count == 2 * 4 + 4 + 4 + 4 + 4 * 3 + 3
    assert net.param_sizes["dense2.W"] == 12
    text = spec.write(net)
    assert text == ("input 2\ndense 4\nbatchnorm\nrelu\ndense 3\n"
                    "loss softmax_cross_entropy\noptimizer sgd\n")
    again = purenn.build(text, seed=0)
    assert again.params == net.params


def test_state_dict_copies_parameters_and_buffers_and_loads_back_in_place():
    net = _direct_network()
    x, t = random_batch(5, 2, seed=1), [0, 1, 2, 0, 1]
    net.optimizer.step(net.gradient(x, t))
    state = net.state_dict()
    assert list(state)[:4] == ["dense1.W", "dense1.b", "batchnorm1.gamma", "batchnorm1.beta"]
    assert state["batchnorm1.running_mean"] == net.layers[1][1].buffers["running_mean"]
    assert state["dense1.W"] is not net.params["dense1.W"]
    other = _direct_network(seed=7)
    W = other.params["dense1.W"]
    other.load_state_dict(state)
    assert other.params["dense1.W"] is W and other.state_dict() == state
    assert other.loss(x, t) == net.loss(x, t)
    with pytest.raises(ValueError, match="missing \\['dense2.b'\\]"):
        other.load_state_dict({k: v for k, v in state.items() if k != "dense2.b"})
    with pytest.raises(ValueError, match="'dense2.b' has shape"):
        other.load_state_dict({**state, "dense2.b": [0.0]})


def test_a_layer_that_refuses_its_input_names_its_spec_line():
    from purenn.errors import SpecError
    from purenn.layers import Dense
    from purenn.network import LayerBuildError

    with pytest.raises(LayerBuildError, match="^layer 'dense1': ") as info:
        purenn.Network((2,), [("dense1", Dense(2, init="nope"))], None)
    assert info.value.index == 0
    with pytest.raises(SpecError, match="^<spec>:2: ") as info:
        purenn.build("input 2\ndense 2 init=nope\nloss softmax_cross_entropy\n")


# -- issue 12 item 1: assigning a parameter replaces it everywhere ------------------------
def _tiny(seed=0):
    return purenn.build("input 3\ndense 4 init=he\nrelu\ndense 2\n"
                        "loss softmax_cross_entropy\noptimizer momentum lr=0.5",
                        rng=random.Random(seed))


X3 = [[1.0, 2.0, -1.0], [0.5, -1.0, 2.0], [-0.3, 0.8, 0.1]]
T3 = [0, 1, 1]


def test_assigning_a_parameter_is_seen_by_predict_loss_gradient_and_save(tmp_path):
    net, ref = _tiny(), _tiny(seed=5)
    for key, value in ref.params.items():
        net.params[key] = [row[:] if isinstance(row, list) else row for row in value]
    assert net.predict(X3) == ref.predict(X3)
    assert net.loss(X3, T3) == ref.loss(X3, T3)
    assert net.layers[0][1].params["W"] == ref.params["dense1.W"]
    numeric = net.numerical_gradient(X3, T3)
    assert any(v != 0.0 for row in numeric["dense1.W"] for v in row)
    assert relative_error(net.gradient(X3, T3)["dense1.W"], numeric["dense1.W"]) < 1e-6
    purenn.save(net, tmp_path / "m.safetensors")
    assert purenn.load(tmp_path / "m.safetensors").predict(X3) == net.predict(X3)


def test_a_hand_written_book_loop_with_assignment_learns():
    net = _tiny()
    first = net.loss(X3, T3)
    for _ in range(30):
        grads = net.gradient(X3, T3)
        for key in ("dense1.W", "dense1.b", "dense2.W", "dense2.b"):
            p, g = net.params[key], grads[key]
            if isinstance(p[0], list):
                net.params[key] = [[w - 0.5 * d for w, d in zip(pr, gr)] for pr, gr in zip(p, g)]
            else:
                net.params[key] = [w - 0.5 * d for w, d in zip(p, g)]
    assert net.loss(X3, T3) < first / 4


def test_element_updates_in_place_are_seen_and_the_optimizer_keeps_its_lists():
    net = _tiny()
    W = net.params["dense2.W"]
    before = net.predict(X3)
    W[0][0] -= 1.0
    assert net.predict(X3) != before
    held = net.optimizer.params["dense2.W"]
    net.params["dense2.W"] = [[0.0, 0.0]] * 4
    assert held is net.params["dense2.W"] and held == [[0.0, 0.0]] * 4
    net.optimizer.step(net.gradient(X3, T3))          # momentum state still keyed and sized
    assert set(net.optimizer.v) == set(net.params)


def test_assignment_is_checked_for_name_and_shape():
    net = _tiny()
    with pytest.raises(purenn.PurennError, match=r"params\['dense1.W'\] must have shape "
                                                 r"\(3, 4\), got \(4, 3\)"):
        net.params["dense1.W"] = [[0.0] * 3] * 4
    with pytest.raises(purenn.PurennError, match=r"got ragged rows"):
        net.params["dense1.b"] = [[0.0], 1.0, 2.0, 3.0]
    with pytest.raises(purenn.PurennError, match=r"no parameter 'dense1.w'; did you mean "
                                                 r"'dense1.W'"):
        net.params["dense1.w"] = [[0.0] * 4] * 3
    with pytest.raises(purenn.PurennError, match="cannot be added or removed"):
        del net.params["dense1.b"]
    before = [row[:] for row in net.params["dense1.W"]]
    with pytest.raises(purenn.PurennError):
        net.params["dense1.W"] = [[0.0] * 4] * 2 + [[0.0, 0.0, 0.0, "x"]]
    assert net.params["dense1.W"] == before          # nothing half-copied


def test_assigning_the_whole_dict_copies_every_parameter():
    net, ref = _tiny(), _tiny(seed=9)
    net.params = {k: [r[:] if isinstance(r, list) else r for r in v]
                  for k, v in ref.params.items()}
    assert net.predict(X3) == ref.predict(X3)
    with pytest.raises(purenn.PurennError, match="missing"):
        net.params = {"dense1.W": ref.params["dense1.W"]}


# -- issue 12 item 2: shape checks with what was expected and what came --------------------
@pytest.mark.parametrize("call", ["predict", "probabilities", "loss", "accuracy", "gradient",
                                  "numerical_gradient"])
def test_a_batch_of_the_wrong_width_is_refused(call):
    net = _tiny()
    args = ([[0.0] * 10],) if call in ("predict", "probabilities") else ([[0.0] * 10], [0])
    with pytest.raises(purenn.PurennError, match=r"x has shape \(N, 10\) but the network "
                                                 r"takes \(N, 3\)"):
        getattr(net, call)(*args)
    args = ([[0.0] * 4],) if call in ("predict", "probabilities") else ([[0.0] * 4], [0])
    with pytest.raises(purenn.PurennError, match=r"\(N, 4\)"):      # never cut to 3
        getattr(net, call)(*args)


@pytest.mark.parametrize("first", ["dense 4 init=he", "sigmoid\ndense 4 init=he"])
def test_a_batch_as_sparse_rows_gives_the_numbers_of_its_dense_rows(first):
    """Every method takes x as SparseRows: a first layer that takes it gets it (Dense), any
    other its dense rows; the same floats as the dense batch. A width that is not the
    network's is refused, named as SparseRows."""
    text = (f"input 3\n{first}\nrelu\ndense 2\nloss softmax_cross_entropy\n"
            f"optimizer momentum lr=0.5")
    net = purenn.build(text, rng=random.Random(0))
    x = [[1.0, 0.0, -1.0], [0.0, 0.0, 0.0], [-0.3, 0.8, 0.0]]
    sparse = SparseRows.from_rows(x)
    assert net.takes_sparse_at(0) is first.startswith("dense")
    assert net.predict(sparse) == net.predict(x)
    assert net.probabilities(sparse) == net.probabilities(x)
    assert net.loss(sparse, T3) == net.loss(x, T3)
    assert net.accuracy(sparse, T3) == net.accuracy(x, T3)
    assert net.gradient(sparse, T3) == net.gradient(x, T3)
    with pytest.raises(purenn.PurennError, match=r"x has shape \(N, 4\) \(SparseRows\) but "
                                                 r"the network takes \(N, 3\)"):
        net.predict(SparseRows([[3]], [[1.0]], 4))
    for bad, message in ((SparseRows([[1, 0]], [[1.0, 2.0]], 3), r"row 0: columns must "
                          r"increase within \[0, 3\), got \[1, 0\]"),
                         (SparseRows([[0], [5]], [[1.0], [1.0]], 3), r"row 1: columns"),
                         (SparseRows([[0]], [[1.0, 2.0]], 3), r"row 0: 1 columns but 2"),
                         (SparseRows([[0]], [[1.0]], "3"), r"width must be a whole")):
        with pytest.raises(purenn.PurennError, match=r"x is not a batch: SparseRows " + message):
            net.predict(bad)
    made = SparseRows([[0, 2]], [[1.0, 2.0]], 3)
    assert not made.checked and net.predict(made) and made.checked       # checked once


@pytest.mark.parametrize("bad, message", [
    (SparseRows([[0, 1]], [[0.0, 1.0]], 3), r"row 0: the value at column 0 is 0.0; only "
                                            r"nonzero entries are stored"),
    (SparseRows([[2]], [[-0.0]], 3), r"row 0: the value at column 2 is -0.0"),
    (SparseRows([[2]], [["1"]], 3), r"row 0: the value at column 2 is .1., not a number"),
    (SparseRows(None, None, 3), r"columns must be a list of rows, got NoneType"),
    (SparseRows([[0]], None, 3), r"values must be a list of rows, got NoneType"),
    (SparseRows([1], [[1.0]], 3), r"row 0: its columns must be a list, got int"),
    (SparseRows((c for c in [[0]]), [[1.0]], 3), r"columns must be a list of rows, got "
                                                 r"generator"),
])
def test_a_malformed_sparse_batch_is_one_clear_error(bad, message):
    """A stored zero would make 0·inf NaN where the dense row adds nothing: refused,
    as is anything that is not rows of columns and numbers."""
    with pytest.raises(purenn.PurennError, match=r"x is not a batch: SparseRows " + message):
        _tiny().predict(bad)


@pytest.mark.parametrize("takes", [True, False])
def test_a_plugin_layer_gets_sparse_rows_when_it_says_it_takes_them(takes, monkeypatch):
    """A layer that is not purenn's own is guarded; the guard passes on what the layer
    says of SparseRows."""
    from purenn import registry
    from purenn.layers import Dense

    seen = []

    class Recording(Dense):
        takes_sparse = takes

        def forward(self, x, train=False):
            seen.append(type(x).__name__)
            return super().forward(x, train)

    monkeypatch.setattr(registry, "load_entry",
                        lambda group, name, real=registry.load_entry:
                        Recording if name == "dense" and group == "purenn.layers"
                        else real(group, name))
    net = purenn.build("input 3\ndense 2\nloss softmax_cross_entropy\n",
                       rng=random.Random(0))
    x = [[1.0, 0.0, -1.0], [0.0, 0.0, 0.5]]
    assert net.takes_sparse_at(0) is takes
    assert net.predict(SparseRows.from_rows(x)) == net.predict(x)
    assert seen == ["SparseRows" if takes else "list", "list"]


def test_takes_sparse_is_never_inherited():
    from purenn.layers import Dense

    class Subclass(Dense):
        pass

    class Saying(Dense):
        takes_sparse = True

    assert Dense.takes_sparse and Saying.takes_sparse and not Subclass.takes_sparse


def test_one_sample_without_its_batch_is_explained():
    with pytest.raises(purenn.PurennError, match=r"flat list of 3 numbers \(one sample\? "
                                                 r"pass \[x\]\)"):
        _tiny().predict([1.0, 2.0, 3.0])


def test_labels_are_checked_against_rows_and_classes():
    net = _tiny()
    with pytest.raises(purenn.PurennError, match="t has 2 labels but x has 3 rows"):
        net.accuracy(X3, [0, 1])
    with pytest.raises(purenn.PurennError, match=r"label t\[0\] is 10; the network has 2 "
                                                 r"classes"):
        net.loss(X3, [10, 1, 0])
    with pytest.raises(purenn.PurennError, match=r"rows of shape \(N, 2\)"):
        net.loss(X3, [[1.0, 0.0, 0.0]] * 3)
    assert net.loss(X3, [[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]) == net.loss(X3, T3)


# -- issue 12 item 4: repr like PyTorch's module repr -----------------------------------------
def test_repr_shows_layers_shapes_and_parameter_counts():
    assert repr(purenn.build("two_layer")) == (
        "Network(input 784, 39,760 parameters\n"
        "  (dense1): Dense(units=50, init='normal', std=0.01)  -> 50  39,250 params\n"
        "  (relu1): ReLU()                                     -> 50\n"
        "  (dense2): Dense(units=10, init='normal', std=0.01)  -> 10     510 params\n"
        "  (loss): SoftmaxCrossEntropy()\n"
        "  (optimizer): SGD(lr=0.1)\n"
        ")")


@pytest.mark.parametrize("kernel", sorted(linalg.KERNELS))
def test_recycled_gradients_are_refilled_by_the_next_backward_pass(kernel, monkeypatch):
    """Handed back after an update, each layer's gradients come back as the same lists
    with the next batch's values where the set refills (dW), the floats of fresh lists
    on every set; recycle({}) takes them back."""
    monkeypatch.setattr(linalg, "KERNEL", kernel)
    monkeypatch.setattr(linalg, "_kernels", linalg.KERNELS[kernel])
    rng = random.Random(4)
    net = build(SMALL, rng=rng)
    fresh = build(SMALL, rng=random.Random(4))
    first, second = _batch(rng), _batch(rng)
    _, grads = net.loss_and_gradient(*first)
    dW = grads["dense1.W"]
    net.recycle(grads)
    assert net.layers[0][1].spare_grads == {"W": dW, "b": grads["dense1.b"]}
    _, again = net.loss_and_gradient(*second)
    refilled = linalg.refills()         # PyPy's loops; the C-level sets make new rows
    assert (again["dense1.W"] is dW) is refilled
    assert (again["dense2.W"] is grads["dense2.W"]) is refilled
    assert again == fresh.gradient(*second)
    assert "W" not in net.layers[0][1].spare_grads     # taken: used once
    net.recycle(again)
    net.recycle({})
    assert net.gradient(*first)["dense1.W"] is not again["dense1.W"]
