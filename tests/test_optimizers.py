"""Optimizers: hand-computed updates, the book's f(x, y) race, state save and restore."""

import configparser
import json
import math
import os
import random

import pytest

from purenn import build, linalg, optimizers, registry, spec
from purenn.errors import ModelFileError, SpecError

NEW = {"momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad",
       "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}
ALL = ["sgd", *NEW]

# One weight w = 1.0 gets the gradients 0.5, −1.0, 2.0 in turn, with lr = 0.1 and every
# other hyperparameter at its default. Worked out by hand from the docstring formulas:
#   sgd       w ← w − 0.1·g: 1 − 0.05 = 0.95; 0.95 + 0.1 = 1.05; 1.05 − 0.2 = 0.85
#   momentum  v = 0.9v − 0.1g, w ← w + v: v = −0.05, 0.055, −0.1505
#   nesterov  w ← w + 0.81v − 0.19g with the v before the step, then v as momentum's:
#             1 + 0 − 0.095; + 0.81·(−0.05) + 0.19; + 0.81·0.055 − 0.38
#   adagrad   h = 0.25, 1.25, 5.25; w ← w − 0.1g/(√h + 1e-7)
#             (0.05/0.5000001 = 0.0999999800000040, then +0.1/1.1180340887..., ...)
#   rmsprop   h = 0.0025, 0.012475, 0.05235025; w ← w − 0.1g/(√h + 1e-7)
#   adam      t = 1: m = 0.05, v = 0.00025, lr_t = 0.1·√0.001/0.1,
#             w = 1 − lr_t·0.05/(√0.00025 + 1e-7); t = 2: m = −0.055, v = 0.00124975, ...
#   adamw     t = 1: w = 1·(1 − 0.001) − 0.1·0.5/(√0.25 + 1e-8) = 0.999 − 0.099999998; ...
# (the irrational ones evaluated to 40 digits with decimal.Decimal and rounded).
FIRST_THREE = {
    "sgd": [0.95, 1.05, 0.85],
    "momentum": [0.95, 1.005, 0.8545],
    "nesterov": [0.905, 1.0545, 0.71905],
    "adagrad": [0.900000019999996, 0.9894427310999883, 0.902155578815115],
    "rmsprop": [1.999996000008e-06, 0.8953241604652017, 0.021205430953531095],
    "adam": [0.9000006324515321, 0.9366108815953385, 0.8946453776819333],
    "adamw": [0.899000002, 0.9347113542385656, 0.8918110813618662],
}


def make(name, params, **kwargs):
    return registry.load_entry("purenn.optimizers", name)(params, **kwargs)


@pytest.mark.parametrize("name", ALL)
def test_first_three_updates_match_hand_computed(name):
    W, b = [[1.0]], [-1.0]
    params = {"W": W, "b": b}
    opt = make(name, params, lr=0.1)
    for g, expected in zip([0.5, -1.0, 2.0], FIRST_THREE[name]):
        opt.step({"W": [[g]], "b": [-g]})
        assert params["W"] is W and params["b"] is b  # updated in place
        assert W[0][0] == pytest.approx(expected, rel=1e-12, abs=1e-15)
        assert b[0] == -W[0][0]  # every rule is odd in (w, g): each entry on its own


# The book's chapter 6 race: f(x, y) = x²/20 + y² from (−7, 2), 30 updates, with the
# learning rates of its optimizer_compare_naive.py (SGD 0.95, Momentum 0.1, AdaGrad 1.5,
# Adam 0.3; ours for the others). These final points agree bit for bit with the book's
# current common/optimizer.py run under NumPy (tests/crosscheck/
# test_crosscheck_optimizers.py recomputes them; Nesterov's since the book's 2021 fix). The path
# length shows SGD's zigzag across the narrow valley.
RACE = {
    "sgd": (0.95, -0.3503929957523197, 0.0847823165504322, 36.99260168353412),
    "momentum": (0.1, 0.896413858493733, 0.08808560171506971, 12.798517618308237),
    "nesterov": (0.1, 0.6896149016966209, -0.0006799058361171969, 10.040771316728028),
    "adagrad": (1.5, -0.12016232231416045, 2.486389893984459e-17, 7.577847496315399),
    "rmsprop": (0.1, -0.6974203096807907, 1.4834621508315574e-08, 6.94496860809279),
    "adam": (0.3, 0.13600685239498186, 0.31824537553721943, 8.295026583074064),
    "adamw": (0.3, 0.2631958153719206, 0.305322188934497, 8.382859814712603),
}


@pytest.mark.parametrize("name", ALL)
def test_minimises_the_books_function(name):
    lr, x_end, y_end, path_end = RACE[name]
    params = {"x": [-7.0], "y": [2.0]}
    opt = make(name, params, lr=lr)
    path = 0.0
    for _ in range(30):
        x, y = params["x"][0], params["y"][0]
        opt.step({"x": [x / 10.0], "y": [2.0 * y]})  # ∇f = (x/10, 2y)
        path += math.hypot(params["x"][0] - x, params["y"][0] - y)
    x, y = params["x"][0], params["y"][0]
    assert x == pytest.approx(x_end, rel=1e-9)
    assert y == pytest.approx(y_end, rel=1e-9)
    assert path == pytest.approx(path_end, rel=1e-9)
    assert x * x / 20 + y * y < 0.11  # from f(−7, 2) = 6.45


@pytest.mark.parametrize("name", list(NEW))
def test_state_is_created_with_the_optimizer(name):
    params = {"W": [[1.0, 2.0], [3.0, 4.0]], "b": [0.5, 0.5]}
    state = make(name, params).state_dict()
    assert state  # before any step
    for value in state.values():
        if isinstance(value, dict):
            assert value == {"W": [[0.0, 0.0], [0.0, 0.0]], "b": [0.0, 0.0]}
        else:
            assert value == 0


@pytest.mark.parametrize("name", list(NEW))
def test_state_dict_is_a_copy_and_loads_exactly(name):
    params = {"W": [[1.0, -2.0]], "b": [0.5]}
    opt = make(name, params, lr=0.1)
    opt.step({"W": [[0.3, 0.7]], "b": [-0.2]})
    saved = opt.state_dict()
    frozen = json.loads(json.dumps(saved))
    opt.step({"W": [[0.1, 0.1]], "b": [0.1]})
    assert opt.state_dict() != saved and saved == frozen  # later steps leave it alone

    other = make(name, {"W": [[0.0, 0.0]], "b": [0.0]}, lr=0.1)
    other.load_state_dict(frozen)
    assert other.state_dict() == saved
    for value in frozen.values():  # change what was loaded: the optimizer keeps its copy
        if isinstance(value, dict):
            value["W"][0][0] = 99.0
    assert other.state_dict() == saved


def test_load_state_dict_rejects_bad_state():
    opt = optimizers.Adam({"W": [[1.0, 2.0]]})
    state = opt.state_dict()
    with pytest.raises(ModelFileError, match=r"fields \['m', 't', 'v'\], got \['m', 't'\]"):
        opt.load_state_dict({"t": 0, "m": state["m"]})
    with pytest.raises(ModelFileError, match=r"m\['W'\] has shape \(1, 3\)"):
        opt.load_state_dict({**state, "m": {"W": [[0.0, 0.0, 0.0]]}})
    with pytest.raises(ModelFileError, match=r"got \['b'\]"):
        opt.load_state_dict({**state, "v": {"b": [0.0]}})
    with pytest.raises(ModelFileError, match=r"'t' must be a count ≥ 0, got -1"):
        opt.load_state_dict({**state, "t": -1})


SPEC = """\
input 4
dense 6 init=he
relu
dense 3
loss softmax_cross_entropy
optimizer {line}
"""


def batches(count, seed=5):
    rng = random.Random(seed)
    return [([[rng.uniform(-1, 1) for _ in range(4)] for _ in range(5)],
             [rng.randrange(3) for _ in range(5)]) for _ in range(count)]


def train(net, data):
    for x, t in data:
        net.optimizer.step(net.gradient(x, t))


@pytest.mark.parametrize("name", ALL)
def test_resume_from_saved_state_is_bit_identical(name):
    data = batches(6)
    net = build(SPEC.format(line=f"{name} lr=0.05"), seed=1)
    train(net, data[:3])
    saved = json.loads(json.dumps({"params": net.params, "optimizer": net.optimizer.state_dict()}))
    train(net, data[3:])

    resumed = build(SPEC.format(line=f"{name} lr=0.05"), seed=2)  # other initial weights
    for key, value in saved["params"].items():
        for leaf, saved_leaf in zip(linalg.leaves(resumed.params[key]), linalg.leaves(value)):
            leaf[:] = saved_leaf
    resumed.optimizer.load_state_dict(saved["optimizer"])
    train(resumed, data[3:])
    assert resumed.params == net.params  # exact, not approximate

    if name != "sgd":  # the state matters: without it the run goes elsewhere
        fresh = build(SPEC.format(line=f"{name} lr=0.05"), seed=2)
        for key, value in saved["params"].items():
            for leaf, saved_leaf in zip(linalg.leaves(fresh.params[key]),
                                        linalg.leaves(value)):
                leaf[:] = saved_leaf
        train(fresh, data[3:])
        assert fresh.params != net.params


def test_adamw_decay_is_decoupled_and_reaches_biases():
    params = {"W": [[2.0]], "b": [-4.0]}
    opt = optimizers.AdamW(params, lr=0.1, weight_decay=0.5)
    for _ in range(3):
        opt.step({"W": [[0.0]], "b": [0.0]})  # no gradient: only the decay moves them
    assert params["W"][0][0] == pytest.approx(2.0 * 0.95 ** 3, rel=1e-15)
    assert params["b"][0] == pytest.approx(-4.0 * 0.95 ** 3, rel=1e-15)


def test_spec_lines_set_hyperparameters():
    net = build(SPEC.format(line="adam lr=0.002 beta2=0.99"))
    assert isinstance(net.optimizer, optimizers.Adam)
    assert net.optimizer.config == {"lr": 0.002, "beta1": 0.9, "beta2": 0.99, "eps": 1e-7}
    assert spec.write(net).splitlines()[-1] == "optimizer adam lr=0.002 beta2=0.99"
    assert build(SPEC.format(line="momentum 0.1 0.5")).optimizer.momentum == 0.5
    assert build(SPEC.format(line="adamw")).optimizer.weight_decay == 0.01


@pytest.mark.parametrize("line, message", [
    ("momentum momentum=1.5", "<spec>:6: momentum must be in [0, 1), got momentum=1.5"),
    ("rmsprop decay_rate=-0.1", "<spec>:6: decay_rate must be in [0, 1), got decay_rate=-0.1"),
    ("adam beta1=1.0", "<spec>:6: beta1 must be in [0, 1), got beta1=1.0"),
    ("adagrad eps=0", "<spec>:6: eps must be positive, got eps=0.0"),
    ("adamw weight_decay=-1", "<spec>:6: weight_decay must be ≥ 0, got weight_decay=-1.0"),
    ("nesterov lr=0", "<spec>:6: learning rate must be positive, got lr=0.0"),
])
def test_bad_hyperparameters_name_the_line(line, message):
    with pytest.raises(SpecError) as info:
        build(SPEC.format(line=line))
    assert str(info.value) == message


def test_registered_in_builtins_and_setup_cfg():
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(os.path.dirname(__file__), os.pardir, "setup.cfg"), encoding="utf-8")
    declared = dict(line.split(" = ") for line in
                    cfg["options.entry_points"]["purenn.optimizers"].strip().splitlines())
    for name, cls in NEW.items():
        target = f"purenn.optimizers:{cls}"
        assert registry.BUILTINS["purenn.optimizers"][name] == target
        assert declared[name] == target
        assert registry.load_entry("purenn.optimizers", name) is getattr(optimizers, cls)


def test_every_builtin_optimizer_says_it_keeps_no_gradient():
    """So a trainer may hand its gradients back to the layers; the base class says the
    safe thing for an optimizer that does not say."""
    assert optimizers.Optimizer.keeps_grads is True
    for name in ALL:
        kind = registry.load_entry("purenn.optimizers", name)
        assert kind.keeps_grads is False, name


def test_keeps_grads_is_said_by_each_class_never_inherited():
    class Remembering(optimizers.SGD):
        pass

    class Forgetting(optimizers.SGD):
        keeps_grads = False

    assert Remembering.keeps_grads is True and Forgetting.keeps_grads is False
