"""purenn.data.sets: one loader for every command, and the commands that use it."""

import random

import pytest
from tiny_mnist import write_tiny_mnist

from purenn import cli
from purenn.data import planar, sets
from purenn.errors import PurennError


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    write_tiny_mnist(folder / "data", train_count=60, test_count=20)
    return folder / "data"


def test_every_data_set_has_defaults_and_a_shape():
    assert set(sets.NAMES) == set(sets.DEFAULTS) == set(sets.IMAGES) | set(planar.NAMES)
    assert [sets.features_per_sample(n) for n in ("mnist", "kmnist", "moons", "spiral")] \
        == [784, 784, 2, 2]


@pytest.mark.parametrize("name", planar.NAMES)
def test_a_generated_set_is_planar_generate_from_the_rng(name):
    train, test, description = sets.load(name, random.Random(5), regression=True)
    again_train, again_test = planar.generate(name, random.Random(5))
    assert list(train.features) == list(again_train.features)
    assert list(test.features) == list(again_test.features)
    assert list(train.labels) == list(again_train.labels)
    kind = ("regression" if name in planar.REGRESSION
            else f"{planar.CLASSES[name]} classes")
    assert description == f"{name}, {kind}"
    assert sets.load(name, random.Random(5), noise=0.3, regression=True)[2] == \
        f"{name}, {kind}, noise 0.3"


@pytest.mark.parametrize("command", [
    ["show", "--dataset", "plane"],
    ["compare", "--dataset", "gauss", "--epochs", "1", "--set", "lr=0.1,0.01"],
    ["search", "--dataset", "plane", "--epochs", "1", "--range", "lr=0.01:0.1"],
    ["activations", "planar_regression", "--dataset", "plane"],
])
def test_commands_that_count_classes_refuse_a_regression_set(command, capsys):
    assert cli.main(command, out=lambda line: None) == 1
    name = command[command.index("--dataset") + 1]
    assert capsys.readouterr().err == (
        f"error: --dataset {name!r} is a regression set (targets are numbers, not "
        f"classes): 'purenn train' and the playground take it\n")


def test_train_size_keeps_the_first_samples(tiny):
    full, _, _ = sets.load("mnist", random.Random(0), folder=str(tiny))
    cut, _, description = sets.load("mnist", random.Random(0), folder=str(tiny),
                                    train_size=7)
    assert len(cut) == 7 and list(cut.labels) == list(full.labels[:7])
    assert description.startswith("MNIST from ")


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "emnist"}, "--dataset 'emnist': expected one of circles, fashion-mnist, "
                         "gauss, kmnist, mnist, moons, plane, spiral, xor"),
    ({"name": "moons", "folder": "x"}, "--data 'x' is for MNIST-shaped files (mnist, "
                                      "fashion-mnist, kmnist); the moons data set is "
                                      "generated"),
    ({"name": "mnist", "noise": 0.1}, "--noise 0.1 is for the generated 2-D sets (spiral, "
                                      "circles, moons, xor, plane, gauss), not mnist"),
    ({"name": "xor", "train_size": 301}, "--train-size 301 is more than the 300 training "
                                         "samples of xor, 2 classes"),
])
def test_bad_requests_name_the_option(kwargs, message):
    with pytest.raises(PurennError) as error:
        sets.load(rng=random.Random(0), **kwargs)
    assert str(error.value) == message


@pytest.mark.parametrize("command", [
    ["train", "--epochs", "1"],
    ["compare", "--epochs", "1", "--set", "lr=0.1,0.01"],
    ["search", "--epochs", "1", "--range", "lr=0.01:0.1", "--trials", "2"],
])
def test_one_wording_for_a_train_size_too_large_in_every_command(command, tiny, capsys):
    code = cli.main(command + ["--data", str(tiny), "--train-size", "61"],
                    out=lambda line: None)
    assert code == 1
    assert capsys.readouterr().err == (f"error: --train-size 61 is more than the 60 "
                                       f"training samples of MNIST from {tiny}\n")


@pytest.mark.parametrize("command", ["train", "compare", "search", "evaluate", "show",
                                     "activations"])
def test_every_command_offers_every_data_set_in_one_wording(command, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main([command, "--dataset", "emnist"])
    assert stop.value.code == 2
    error = " ".join(capsys.readouterr().err.split())
    assert "argument --dataset: invalid choice: 'emnist' (choose from " in error
    choices = error.split("choose from ")[1].split(")")[0].replace("'", "")
    assert choices == ("circles, fashion-mnist, gauss, kmnist, mnist, moons, plane, spiral, "
                       "xor")


def test_compare_takes_moons_as_train_does():
    lines = []
    code = cli.main(["compare", "--dataset", "moons", "--noise", "0.2", "--epochs", "2",
                     "--set", "lr=0.1,0.01"], out=lines.append)
    assert code == 0, lines
    assert lines[0] == "data: moons, 2 classes, noise 0.2: 300 training, 300 test samples"
    assert lines[1] == "2 runs: 2 epochs of batch 100, seed 0"
    assert lines[2].startswith("[1/2] lr=0.1: end loss ") and "test acc" in lines[2]


def test_search_takes_a_2d_set():
    lines = []
    code = cli.main(["search", "--dataset", "circles", "--epochs", "1", "--range",
                     "lr=0.01:0.1", "--trials", "2"], out=lines.append)
    assert code == 0, lines
    assert lines[0].startswith("data: circles, 2 classes: 240 training and 60 validation")


def test_activations_draws_a_2d_set_for_a_2d_network():
    lines = []
    code = cli.main(["activations", "planar_net", "--dataset", "moons", "--batch", "50"],
                    out=lines.append)
    assert code == 0, lines
    assert lines[0] == "planar_net, the first 50 test samples of moons, 2 classes"


def test_take_picks_samples_in_the_order_given(tiny):
    moons, _, _ = sets.load("moons", random.Random(1))
    picked = moons.take([299, 0, 150])
    assert [picked.row(i) for i in range(3)] == [moons.row(299), moons.row(0), moons.row(150)]
    assert list(picked.labels) == [1, 0, 1]
    images, _, _ = sets.load("mnist", random.Random(0), folder=str(tiny))
    picked = images.take([5, 2])
    assert isinstance(picked.features, bytes) and picked.table is images.table
    assert picked.batch([0, 1]) == images.batch([5, 2])


def test_a_validation_split_needs_samples_on_both_sides():
    moons, _, _ = sets.load("moons", random.Random(1))
    train, validation, picked = sets.validation_split(moons, 0.1, seed=2)
    assert (len(train), len(validation), len(picked)) == (270, 30, 30)
    with pytest.raises(PurennError, match=r"--validation 0.001 of 300 training samples "
                                          r"leaves 0 for validation and 300 for training"):
        sets.validation_split(moons, 0.001, seed=2)


def test_a_model_and_a_checkpoint_keep_the_noise_of_their_data(tmp_path):
    model, folder = str(tmp_path / "m.safetensors"), str(tmp_path / "ck")
    lines = []
    assert cli.main(["train", "--dataset", "moons", "--noise", "0.3", "--epochs", "2",
                     "--checkpoint-dir", folder, "--out", model], out=lines.append) == 0
    assert lines[0].startswith("data: moons, 2 classes, noise 0.3:")
    trained = float(lines[-1].split()[2])
    evaluated = []
    assert cli.main(["evaluate", model], out=evaluated.append) == 0
    assert evaluated[1] == "data: moons, 2 classes, noise 0.3, test split: 300 samples"
    assert evaluated[2].startswith(f"accuracy {trained:.4f} ")
    resumed = []
    assert cli.main(["train", "--resume", folder, "--epochs", "3"], out=resumed.append) == 0
    assert resumed[0].startswith("data: moons, 2 classes, noise 0.3:")


def test_resume_refuses_another_noise(tmp_path, capsys):
    folder = str(tmp_path / "ck")
    assert cli.main(["train", "--dataset", "moons", "--noise", "0.3", "--epochs", "1",
                     "--checkpoint-dir", folder], out=lambda line: None) == 0
    assert cli.main(["train", "--resume", folder, "--noise", "0.2", "--epochs", "2"],
                    out=lambda line: None) == 1
    assert "error: --noise 0.2 differs from the checkpoint's 0.3 (" in capsys.readouterr().err
