"""The spec language: every kind of error with its exact message and line, values and
their types, names, shapes, shipped specs, and the round trip text → network → text."""

import math

import pytest
from helpers import peak_memory

from purenn import build, registry, shipped_specs, spec
from purenn.errors import PurennError, SpecError
from purenn.layers import Layer
from purenn.spec import read as read_spec

LOSS = "loss softmax_cross_entropy\n"


def error_of(text, **kwargs):
    with pytest.raises(SpecError) as info:
        build(text, **kwargs)
    return str(info.value)


def known(group):
    return ", ".join(registry.names(group))


class SquareOnly(Layer):
    """A test layer that takes only square CxHxW inputs (registered by a fixture)."""

    def __init__(self, scale: float = 1.0):
        super().__init__()
        self.config = {"scale": scale}

    def build(self, input_shape, rng):
        if len(input_shape) != 3 or input_shape[1] != input_shape[2]:
            raise SpecError(f"square_only needs a square CxHxW input, got {input_shape!r}")
        return input_shape


@pytest.fixture
def square_only(monkeypatch):
    monkeypatch.setitem(registry.BUILTINS["purenn.layers"], "square_only",
                        "test_spec:SquareOnly")
    registry.clear_cache()
    yield
    monkeypatch.undo()
    registry.clear_cache()


# -- values ------------------------------------------------------------------------------
@pytest.mark.parametrize("word, value", [
    ("50", 50), ("-3", -3), ("0.1", 0.1), ("1e-3", 0.001), ("true", True), ("False", False),
    ("he", "he"), ("nan", "nan"), ("inf", "inf"), ("1x28x28", "1x28x28"),
])
def test_values_read_as_int_float_bool_or_string(word, value):
    parsed = spec.parse_value(word)
    assert (parsed, type(parsed)) == (value, type(value))


def test_a_full_spec_parses_into_its_parts():
    parsed = spec.parse("# comment\ninput 1x28x28   # trailing\n\ndense 50 init=he name=hidden\n"
                        "relu\nloss softmax_cross_entropy weight_decay=0.01\n"
                        "optimizer sgd lr=0.5\n", "my.net")
    assert parsed.input_shape == (1, 28, 28)
    assert [(ln.keyword, ln.positional, ln.named, ln.lineno) for ln in parsed.layers] == [
        ("dense", [50], {"init": "he", "name": "hidden"}, 4), ("relu", [], {}, 5)]
    assert (parsed.loss.positional, parsed.loss.named, parsed.loss.lineno) == (
        ["softmax_cross_entropy"], {"weight_decay": 0.01}, 6)
    assert (parsed.optimizer.positional, parsed.optimizer.named) == (["sgd"], {"lr": 0.5})


def test_an_int_is_taken_where_a_float_is_asked_and_a_number_where_a_name_is():
    net = build("input 2\ndense 3 init=normal std=1\n" + LOSS + "optimizer sgd lr=1\n")
    layer = net.layers[0][1]
    assert (layer.std, type(layer.std)) == (1.0, float)
    assert (net.optimizer.lr, type(net.optimizer.lr)) == (1.0, float)
    assert error_of("input 2\ndense 3 init=2\n" + LOSS) == (
        f"<spec>:2: unknown initializer '2' (known: {known('purenn.initializers')})")


# -- errors, each with its line ------------------------------------------------------------
@pytest.mark.parametrize("text, message", [
    ("input 784\ndense 50\nrleu\n" + LOSS,
     "<spec>:3: unknown layer 'rleu'; did you mean 'relu'? (known: {layers})"),
    ("input 784\ndense 10\nloss softmax_cross_entrop\n",
     "<spec>:3: unknown loss 'softmax_cross_entrop'; did you mean 'softmax_cross_entropy'? "
     "(known: {losses})"),
    ("input 784\ndense 10\n" + LOSS + "optimizer sgdd lr=0.1\n",
     "<spec>:4: unknown optimizer 'sgdd'; did you mean 'sgd'? (known: {optimizers})"),
    ("input 784\ndense 10 init=hee\n" + LOSS,
     "<spec>:2: unknown initializer 'hee'; did you mean 'he'? (known: {initializers})"),
])
def test_unknown_names(text, message):
    assert error_of(text) == message.format(
        layers=known("purenn.layers"), losses=known("purenn.losses"),
        optimizers=known("purenn.optimizers"), initializers=known("purenn.initializers"))


@pytest.mark.parametrize("text, message", [
    # arguments: unknown, missing, given twice, too many, of the wrong type
    ("input 4\ndense 3 unit=5\n" + LOSS,
     "<spec>:2: dense has no argument 'unit'; did you mean 'units'? "
     "(arguments: units, init, std, name)"),
    ("input 4\n\ndense init=he\n" + LOSS, "<spec>:3: dense needs argument 'units'"),
    ("input 4\ndense 3 units=3\n" + LOSS, "<spec>:2: argument 'units' of dense is given twice"),
    ("input 4\ndense units=3 units=4\n" + LOSS, "<spec>:2: argument 'units' is given twice"),
    ("input 4\ndense 3 he 0.1 7\n" + LOSS,
     "<spec>:2: dense takes at most 3 positional value(s) (units, init, std), got 4"),
    ("input 4\nrelu 3\n" + LOSS,
     "<spec>:2: relu takes at most 0 positional value(s) (none), got 1"),
    ("input 4\ndense fifty\n" + LOSS, "<spec>:2: argument 'units' of dense must be int, "
                                      "got 'fifty'"),
    ("input 4\ndense 2.5\n" + LOSS, "<spec>:2: argument 'units' of dense must be int, got 2.5"),
    ("input 4\ndense true\n" + LOSS, "<spec>:2: argument 'units' of dense must be int, "
                                     "got True"),
    ("input 4\ndense 3 std=big\n" + LOSS,
     "<spec>:2: argument 'std' of dense must be float, got 'big'"),
    ("input 4\ndense 3\n" + LOSS + "optimizer sgd lr=fast\n",
     "<spec>:4: argument 'lr' of sgd must be float, got 'fast'"),
    ("input 4\ndense 3\nloss softmax_cross_entropy reduction=sum\n",
     "<spec>:3: softmax_cross_entropy has no argument 'reduction' (arguments: weight_decay)"),
    ("input 4\ndense 3 =5\n" + LOSS, "<spec>:2: malformed argument '=5'; write key=value"),
    ("input 4\ndense units=3 he\n" + LOSS,
     "<spec>:2: positional value 'he' after key=value arguments"),
    # layer names
    ("input 4\ndense 3 name=a\ndense 3 name=a\n" + LOSS, "<spec>:3: layer name 'a' is used "
                                                        "twice"),
    ("input 4\ndense 3\ndense 3 name=dense1\n" + LOSS,
     "<spec>:3: layer name 'dense1' is used twice"),
    ("input 4\ndense 3 name=a.b\n" + LOSS, "<spec>:2: layer name must be letters, digits, '_' "
                                           "or '-', starting with a letter, got 'a.b'"),
    ("input 4\ndense 3 name=7\n" + LOSS, "<spec>:2: layer name must be letters, digits, '_' "
                                         "or '-', starting with a letter, got 7"),
    # values a part refuses
    ("input 4\ndense 0\n" + LOSS, "<spec>:2: dense needs a positive number of units, got 0"),
    ("input 4\ndense 3\nloss softmax_cross_entropy weight_decay=-1\n",
     "<spec>:3: weight_decay must be a finite number ≥ 0, got -1"),
    # structure: input, loss, optimizer
    ("dense 3\ninput 4\n" + LOSS, "<spec>:1: the spec must start with 'input SHAPE', not "
                                  "'dense'"),
    ("# nothing\n\n", "<spec>: the spec is empty; it needs an 'input SHAPE' line, layers and "
                      "a 'loss' line"),
    ("input 4\ndense 3\nrelu  # no loss\n",
     "<spec>:3: the spec ends without a 'loss' line, such as 'loss softmax_cross_entropy'"),
    ("input 4\ninput 5\n" + LOSS, "<spec>:2: 'input' is given twice"),
    ("input 4\n" + LOSS + LOSS, "<spec>:3: 'loss' is given twice"),
    ("input 4\n" + LOSS + "optimizer sgd\noptimizer sgd\n", "<spec>:4: 'optimizer' is given "
                                                             "twice"),
    ("input 4\n" + LOSS + "dense 3\n", "<spec>:3: layer 'dense' comes after the loss line"),
    ("input 4\nloss\n", "<spec>:2: 'loss' needs a name, such as 'loss softmax_cross_entropy'"),
    ("input 4\n" + LOSS + "optimizer lr=0.1\n",
     "<spec>:3: 'optimizer' needs a name, such as 'optimizer sgd'"),
    # shapes
    ("input 0x28\n" + LOSS,
     "<spec>:1: input shape must be positive sizes such as 784 or 1x28x28, got '0x28'"),
    ("input 28by28\n" + LOSS,
     "<spec>:1: input shape must be positive sizes such as 784 or 1x28x28, got '28by28'"),
    ("input 28 28\n" + LOSS,
     "<spec>:1: 'input' takes one shape, such as 'input 784' or 'input 1x28x28'"),
])
def test_errors_name_the_line_and_what_is_wrong(text, message):
    assert error_of(text) == message


def test_an_impossible_shape_is_caught_at_build_naming_the_line(square_only):
    assert error_of("input 3x4x5\ndense 8\nsquare_only\n" + LOSS) == (
        "<spec>:3: square_only needs a square CxHxW input, got (8,)")
    assert error_of("input 3x4x5\n\nsquare_only scale=2\n" + LOSS) == (
        "<spec>:3: square_only needs a square CxHxW input, got (3, 4, 5)")
    net = build("input 2x4x4\nsquare_only\ndense 3\n" + LOSS)
    assert net.shapes == [(2, 4, 4), (2, 4, 4), (3,)]


def test_a_bad_optimizer_value_names_the_optimizer_line():
    message = error_of("input 4\ndense 3\n" + LOSS + "optimizer sgd lr=0\n")
    assert message.startswith("<spec>:4: ") and "lr=0" in message


def test_errors_in_a_file_name_the_file(tmp_path):
    path = tmp_path / "mnist.net"
    path.write_text("input 784\ndense 50\nrleu\n" + LOSS, encoding="utf-8")
    assert error_of(str(path)).startswith(f"{path}:3: unknown layer 'rleu'; did you mean")


def test_an_unknown_spec_name_lists_the_shipped_ones():
    assert error_of("two_layers") == (f"no spec file or shipped spec named 'two_layers'; did "
                                      f"you mean 'two_layer'? "
                                      f"(shipped: {', '.join(shipped_specs())})")


def test_the_cli_prints_a_spec_error_on_one_line(tmp_path):
    from helpers import run_purenn
    path = tmp_path / "bad.net"
    path.write_text("input 784\ndense 50 unit=3\n" + LOSS, encoding="utf-8")
    result = run_purenn("train", "--spec", str(path), "--epochs", "1")
    assert result.returncode == 1
    assert result.stderr == (f"error: {path}:2: dense has no argument 'unit'; did you mean "
                             f"'units'? (arguments: units, init, std, name)\n")


# -- names, shapes and the shipped specs ---------------------------------------------------
def test_layers_are_named_kind_plus_index_unless_named():
    net = build("input 4\ndense 8 name=hidden\nrelu\ndense 8\nrelu\ndense 2\n" + LOSS)
    assert [name for name, _ in net.layers] == ["hidden", "relu1", "dense2", "relu2",
                                                "dense3"]
    assert sorted(net.params) == ["dense2.W", "dense2.b", "dense3.W", "dense3.b",
                                  "hidden.W", "hidden.b"]


def test_shapes_flow_from_the_input():
    net = build("input 1x28x28\ndense 50\nsigmoid\ndense 10\n" + LOSS)
    assert net.shapes == [(1, 28, 28), (50,), (50,), (10,)]
    assert len(net.params["dense1.W"]) == 784


def test_the_shipped_specs():
    assert {"two_layer", "three_layer_sigmoid", "spiral_net", "spiral_linear",
            "simple_convnet", "deep_convnet"} <= set(shipped_specs())
    for name in shipped_specs():
        text, source = read_spec(name)
        assert source == name + ".net" and text.startswith("#")
        spec.parse(text, source)
    net = build("three_layer_sigmoid")
    assert [layer.units for _, layer in net.layers if hasattr(layer, "units")] == [50, 100, 10]
    assert "needs the purenn-conv plugin" in read_spec("simple_convnet")[0]
    assert "needs the purenn-conv plugin" in read_spec("deep_convnet")[0]


def buildable(name):
    text, source = read_spec(name)
    parsed = spec.parse(text, source)
    return all(line.keyword in registry.discover("purenn.layers") for line in parsed.layers)


# -- round trip ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", shipped_specs())
def test_every_shipped_spec_round_trips(name):
    if not buildable(name):
        pytest.skip(f"{name} needs a plugin that is not installed")
    net = build(name, seed=3)
    text = spec.write(net)
    again = build(text, seed=3)
    assert spec.write(again) == text
    assert again.params == net.params
    assert again.optimizer.kind == net.optimizer.kind
    assert again.optimizer.config == net.optimizer.config


def test_a_round_trip_keeps_names_arguments_weight_decay_and_optimizer():
    text = ("input 1x4x4\n"
            "dense 8 init=he name=hidden\n"
            "tanh\n"
            "dense 3 std=0.5\n"
            "loss softmax_cross_entropy weight_decay=0.001\n"
            "optimizer sgd lr=0.25\n")
    net = build(text, seed=1)
    assert spec.write(net) == text
    again = build(spec.write(net), seed=1)
    assert again.params == net.params
    assert again.weight_decay == 0.001 and again.optimizer.lr == 0.25
    x = [[0.1 * i for i in range(16)]]
    assert again.predict(x) == net.predict(x)


def test_spec_text_writes_a_default_optimizer_when_there_was_none():
    net = build("input 2\ndense 3\n" + LOSS)
    assert spec.write(net) == "input 2\ndense 3\n" + LOSS + "optimizer sgd\n"
    assert spec.write(build(spec.write(net))) == spec.write(net)


def test_an_optimizer_line_makes_an_optimizer_that_knows_its_kind_and_config():
    make = spec.make_part("purenn.optimizers", "adam lr=0.002")
    params = {"W": [1.0, 2.0]}
    opt = make(params)
    assert opt.kind == "adam" and opt.params is params
    assert opt.config == {"lr": 0.002, "beta1": 0.9, "beta2": 0.999, "eps": 1e-7}
    again = spec.make_optimizer("adam", opt.config)(params)
    assert (again.kind, again.config) == (opt.kind, opt.config)
    with pytest.raises(SpecError, match=r"^<line>:1: beta1 must be in \[0, 1\)"):
        spec.make_part("purenn.optimizers", "adam beta1=2.0")(params)


# -- issue 12 items 11 and 12: the classic softmax mistake; one case rule, did-you-mean -------
SOFTMAX_TWICE = "input 4\ndense 3\nsoftmax\nloss softmax_cross_entropy\n"


def test_softmax_before_softmax_cross_entropy_is_warned_about():
    with pytest.warns(spec.SpecWarning, match=r"<spec>:3: 'softmax' as the last layer before "
                                              r"'loss softmax_cross_entropy' applies softmax "
                                              r"twice"):
        net = build(SOFTMAX_TWICE)
    assert len(net.spec_warnings) == 1
    assert build("input 4\ndense 3\nloss softmax_cross_entropy\n").spec_warnings == []
    assert build("input 4\ndense 3\nsoftmax\nloss mean_squared_error\n").spec_warnings == []


def test_the_cli_prints_the_spec_warning_once(tmp_path):
    from helpers import run_purenn

    path = tmp_path / "twice.net"
    path.write_text("input 2\ndense 3\nsoftmax\nloss softmax_cross_entropy\n")
    result = run_purenn("gradcheck", str(path))
    assert " ".join(result.stderr.split()).startswith(
        f"warning: {path}:3: 'softmax' as the last layer before 'loss softmax_cross_entropy' "
        f"applies softmax twice (the loss applies it itself), which slows or stops "
        f"learning; remove the softmax line")
    assert result.stderr.count("warning:") == 1
    assert "UserWarning" not in result.stderr


@pytest.mark.parametrize("text", ["input 4\nDense 3\nRELU\ndense 2 init=He\n"
                                  "loss Softmax_Cross_Entropy\noptimizer SGD lr=0.1\n"])
def test_names_are_read_in_any_case(text):
    net = build(text)
    assert [layer.kind for _, layer in net.layers] == ["dense", "relu", "dense"]
    assert net.loss_layer.kind == "softmax_cross_entropy" and net.optimizer.kind == "sgd"
    assert "optimizer sgd lr=0.1" in spec.write(net)
    assert build("Two_Layer").source == "two_layer.net"


def test_did_you_mean_for_optimizers_losses_initializers_and_shipped_specs():
    with pytest.raises(SpecError, match=r"unknown optimizer 'sgdd'; did you mean 'sgd'"):
        build("input 4\ndense 2\nloss softmax_cross_entropy\noptimizer sgdd\n")
    with pytest.raises(SpecError, match=r"unknown optimizer 'adamm'; did you mean "
                                               r"'adam'"):
        build("input 4\ndense 2\nloss softmax_cross_entropy\noptimizer ADAMM\n")
    with pytest.raises(SpecError, match=r"did you mean 'softmax_cross_entropy'"):
        build("input 4\ndense 2\nloss softmax_crossentropy\n")
    with pytest.raises(SpecError, match=r"unknown initializer 'hee'; did you mean 'he'"):
        build("input 4\ndense 2 init=hee\nloss softmax_cross_entropy\n")
    with pytest.raises(SpecError, match=r"no spec file or shipped spec named "
                                               r"'two_layers'; did you mean 'two_layer'\?"):
        build("two_layers")


def test_the_chapter_4_network_is_shipped():
    net = build("two_layer_sigmoid")
    assert [(name, getattr(layer, "units", None)) for name, layer in net.layers] == \
        [("dense1", 50), ("sigmoid1", None), ("dense2", 10)]
    assert net.layers[0][1].std == 0.01 and net.optimizer.config == {"lr": 0.1}
    assert net.param_count == 39_760


# -- limits: a spec is refused at its line before it allocates -----------------------------
def test_a_huge_layer_is_refused_at_its_line_before_allocating():
    with peak_memory() as peak:
        with pytest.raises(SpecError) as err:
            build("input 784\ndense 100000000\nloss softmax_cross_entropy\n")
    assert not peak or peak[0] < 2_000_000
    assert str(err.value) == (
        "<spec>:2: 'dense 100000000': it would hold 78,500,000,000 numbers (parameters and "
        "buffers), over the limit of 268,435,456; PURENN_MAX_PARAMETERS sets another limit")


def test_a_huge_input_is_refused_at_the_input_line():
    with pytest.raises(SpecError) as err:
        build("input 4294967296\ndense 10\nloss softmax_cross_entropy\n")
    assert str(err.value) == ("<spec>:1: input '4294967296' is over 268,435,456 numbers per "
                              "sample, the limit (PURENN_MAX_PARAMETERS sets another)")
    with pytest.raises(SpecError, match="input '65536x65536x65536x65536' is over"):
        build("input 65536x65536x65536x65536\nloss softmax_cross_entropy\n")


def test_the_limit_counts_every_layer_and_is_settable(monkeypatch):
    text = "input 100\ndense 100\nbatchnorm\ndense 10\nloss softmax_cross_entropy\n"
    assert build(text).param_count == 100 * 100 + 100 + 200 + 100 * 10 + 10
    monkeypatch.setenv("PURENN_MAX_PARAMETERS", "10_499")
    with pytest.raises(SpecError) as err:
        build(text)
    assert str(err.value) == ("<spec>:3: 'batchnorm': it would hold 400 numbers (parameters "
                              "and buffers), 10,500 with the layers before it, over the limit "
                              "of 10,499; PURENN_MAX_PARAMETERS sets another limit")
    assert build(text, max_params=11_510).param_count == 11_310
    monkeypatch.setenv("PURENN_MAX_PARAMETERS", "lots")
    with pytest.raises(SpecError, match=r"PURENN_MAX_PARAMETERS='lots' must be a whole "
                                        r"number ≥ 1"):
        build(text)


def test_a_plugin_layer_without_parameter_count_is_checked_after_build(monkeypatch):
    from purenn.layers import Dense

    class Counted(Dense):
        parameter_count = None  # a plugin that cannot say in advance

    monkeypatch.setattr(registry, "load_entry",
                        lambda group, name, real=registry.load_entry:
                        Counted if name == "dense" and group == "purenn.layers"
                        else real(group, name))
    with pytest.raises(SpecError, match=r"<spec>:2: 'dense 50': it would hold 1,550 numbers"):
        build("input 30\ndense 50\nloss softmax_cross_entropy\n", max_params=1000)


def test_huge_values_are_shown_short():
    with pytest.raises(SpecError) as err:
        build("input 2\ndense " + "9" * 5000 + ".5\nloss softmax_cross_entropy\n")
    assert len(str(err.value)) < 200


EXTREME_SPECS = [
    "dense 8 std=1e308\nrelu\ndense 3\nloss softmax_cross_entropy",
    "dense 8 std=1e154\nbatchnorm eps=1e-320\nrelu\ndense 3 std=1e154\n"
    "loss mean_squared_error weight_decay=1e300",
    "dense 8\nrelu\ndense 3\nloss multiclass_svm margin=1e308",
    "dense 8 std=1e100\nrelu\ndense 3\nloss softmax_cross_entropy weight_decay=1e-3\n"
    "optimizer adam lr=1e300 eps=1e-320",
    "dense 8\nrelu\ndense 3\nloss softmax_cross_entropy\noptimizer sgd lr=1.7976931348623157e308",
    "dense 8\ndropout 0.9999999999999999\ndense 3\nloss softmax_cross_entropy\n"
    "optimizer rmsprop eps=5e-324 decay_rate=0.9999999999999999",
]


@pytest.mark.parametrize("body", EXTREME_SPECS)
def test_extreme_but_finite_hyperparameters_end_in_a_clear_error_or_a_finite_result(body):
    import random

    from purenn.data import spiral
    from purenn.train import Trainer

    data = spiral.make_spiral(20, rng=random.Random(0))
    net = build("input 2\n" + body + "\n")
    trainer = Trainer(net, data, data, epochs=2, batch_size=7, rng=random.Random(1),
                      log=None)
    try:
        history = trainer.fit()
    except PurennError as exc:
        assert "\n" not in str(exc)
    else:
        assert all(math.isfinite(v) for v in history.train_loss)


@pytest.mark.parametrize("word", ["inf", "-inf", "nan", "1e999"])
def test_non_finite_hyperparameters_are_refused_at_their_line(word):
    with pytest.raises(SpecError, match=r"<spec>:2: argument 'std' of dense must be float"):
        build(f"input 2\ndense 3 std={word}\nloss softmax_cross_entropy\n")


def test_an_integer_past_the_largest_float_is_refused_where_a_float_is_wanted():
    with pytest.raises(SpecError) as err:
        build("input 2\ndense 3\nloss softmax_cross_entropy\noptimizer momentum momentum="
              + "9" * 400 + "\n")
    assert str(err.value).startswith("<spec>:4: argument 'momentum' of momentum is 9999")
    assert str(err.value).endswith("..., past the largest float")


def test_finite_losses_whose_sum_overflows_are_recorded_as_infinite():
    # each update's loss is finite (about 1e307), their sum over an epoch is not
    import random

    from purenn.data import spiral
    from purenn.train import Trainer

    data = spiral.make_spiral(20, rng=random.Random(0))
    net = build("input 2\ndense 3 std=5e153\nloss mean_squared_error\noptimizer sgd "
                "lr=1e-300\n")
    try:
        history = Trainer(net, data, data, epochs=1, batch_size=3, rng=random.Random(1),
                          log=None).fit()
    except PurennError:
        pass
    else:
        assert history.train_loss[-1] == math.inf


def test_the_progress_bar_and_activation_statistics_take_losses_past_the_largest_float():
    from purenn.experiments.inside import summary
    from purenn.viz.progress import _mean

    assert _mean([1e308, 1e308]) == math.inf and _mean([1.0, 2.0]) == 1.5
    mean, std, _, _ = summary([1e308, 1e308, -1e308])
    assert mean == math.inf


# -- editing spec text (the edits behind --set) ---------------------------------------------
EDITED = """\
input 784
dense 50 init=he   # the first layer
sigmoid
dense 20 name=head
sigmoid
dense 10
loss softmax_cross_entropy
"""


def test_default_layer_names_are_kind_and_index():
    assert spec.default_layer_names(["dense", "relu", "dense", "relu", "dropout"]) == \
        ["dense1", "relu1", "dense2", "relu2", "dropout1"]
    net = build(EDITED)
    assert [name for name, _ in net.layers] == ["dense1", "sigmoid1", "head", "sigmoid2",
                                                "dense3"]
    assert "name=head" in spec.write(net) and "name=dense" not in spec.write(net)


def test_set_argument_on_a_kind_a_name_or_a_default_name():
    every = spec.set_argument(EDITED, "dense", "init", "xavier")
    assert every.splitlines()[1:6:2] == ["dense 50 init=xavier", "dense 20 name=head "
                                         "init=xavier", "dense 10 init=xavier"]
    named = spec.set_argument(EDITED, "head", "units", "30").splitlines()
    assert named[3] == "dense 30 name=head" and named[1].endswith("# the first layer")
    assert spec.set_argument(EDITED, "dense3", "units", "5").splitlines()[5] == "dense 5"
    # dense2 is the layer named head: the default name does not name it
    with pytest.raises(SpecError, match=r"has no 'dense2' line \(it has: dense, loss, "
                                        r"sigmoid\)"):
        spec.set_argument(EDITED, "dense2", "units", "5")
    assert spec.set_argument(EDITED, "loss", "weight_decay", "0.1").splitlines()[6] == \
        "loss softmax_cross_entropy weight_decay=0.1"


def test_the_optimizer_line_is_set_replaced_or_added():
    added = spec.set_argument(EDITED, "optimizer", "lr", "0.5")
    assert added.endswith(f"\noptimizer {spec.DEFAULT_OPTIMIZER} lr=0.5\n")
    assert spec.set_argument(added, "optimizer", "lr", "1e-3").endswith(
        "optimizer sgd lr=0.001\n")
    assert spec.set_optimizer(added, ["adam", "beta1=0.8"]).endswith(
        "\nloss softmax_cross_entropy\noptimizer adam beta1=0.8\n")
    assert spec.set_optimizer(EDITED, ["momentum"]).endswith("\noptimizer momentum\n")
    assert type(build(spec.set_optimizer(EDITED, ["adam"])).optimizer).__name__ == "Adam"


def test_replace_kind_replaces_every_such_layer_and_its_arguments():
    relu = spec.replace_kind(EDITED, "sigmoid", "relu")
    assert relu.splitlines()[2::2][:2] == ["relu", "relu"]
    assert spec.replace_kind(EDITED, "dense", "dense").count("dense") == 3
    for kind in ("dropout", "loss", "input"):
        with pytest.raises(SpecError, match=f"the spec <spec> has no '{kind}' layer"):
            spec.replace_kind(EDITED, kind, "relu")
