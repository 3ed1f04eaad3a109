"""The 2-D data sets (circles, moons, xor beside the spiral) and 'train --dataset NAME'."""

import math
import random

import pytest

from purenn import cli
from purenn.data import planar
from purenn.data.spiral import make_spiral


def points(data):
    return data.x(range(len(data))), [data.labels[i] for i in range(len(data))]


@pytest.mark.parametrize("name", planar.NAMES)
def test_one_seed_one_data_set(name):
    a = planar.generate(name, random.Random(3))
    b = planar.generate(name, random.Random(3))
    c = planar.generate(name, random.Random(4))
    assert points(a[0]) == points(b[0]) and points(a[1]) == points(b[1])
    assert points(a[0]) != points(c[0]) and points(a[0]) != points(a[1])
    train = a[0]
    assert train.sample_shape == (2,) and train.num_classes == planar.CLASSES[name]
    _, labels = points(train)
    if name in planar.REGRESSION:
        assert train.task == "regression" and len(train) == planar.POINTS
        assert all(-1.0 <= t <= 1.0 for t in labels) and len(set(labels)) == len(labels)
        return
    assert [labels.count(k) for k in range(train.num_classes)] == \
        [len(train) // train.num_classes] * train.num_classes


def test_the_spiral_is_cs231n_s_as_before():
    assert points(planar.make("spiral", random.Random(0))) == \
        points(make_spiral(rng=random.Random(0)))


def test_circles_without_noise_lie_on_two_circles():
    xy, labels = points(planar.make("circles", random.Random(0), noise=0.0))
    for (x, y), label in zip(xy, labels):
        assert math.hypot(x, y) == pytest.approx(1.0 if label == 0 else 0.5)


def test_moons_without_noise_lie_on_two_half_circles():
    xy, labels = points(planar.make("moons", random.Random(0), noise=0.0))
    for (x, y), label in zip(xy, labels):
        cx, cy = (-0.5, -0.25) if label == 0 else (0.5, 0.25)
        assert math.hypot(x - cx, y - cy) == pytest.approx(1.0)
        assert (y >= cy - 1e-12) if label == 0 else (y <= cy + 1e-12)


def test_xor_without_noise_is_the_sign_of_x_times_y():
    xy, labels = points(planar.make("xor", random.Random(0), noise=0.0))
    assert all((x * y > 0) == (label == 1) for (x, y), label in zip(xy, labels))
    assert all(0.05 <= abs(v) <= 1.0 for row in xy for v in row)


@pytest.mark.parametrize("name, noise", [("moonz", None), ("xor", -0.1), ("xor", math.nan)])
def test_bad_names_and_noise_are_refused(name, noise):
    with pytest.raises(ValueError):
        planar.make(name, random.Random(0), noise)


def test_train_takes_the_2d_sets_and_their_noise():
    lines = []
    code = cli.main(["train", "--dataset", "xor", "--noise", "0.05", "--epochs", "2",
                     "--seed", "1"], out=lines.append)
    assert code == 0
    assert lines[0] == "data: xor, 2 classes, noise 0.05: 300 training, 300 test samples"
    assert "planar_net.net" in lines[1] and lines[2].startswith("batch 10,")


def test_noise_is_for_the_2d_sets_only(capsys):
    assert cli.main(["train", "--noise", "0.1", "--epochs", "1"], out=lambda line: None) == 1
    assert "--noise 0.1 is for the generated 2-D sets" in capsys.readouterr().err


def test_negative_noise_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--dataset", "moons", "--noise", "-1"])
    assert exit_info.value.code == 2
    assert "expected a finite number ≥ 0 and ≤ 100, got '-1'" in " ".join(
        capsys.readouterr().err.split())


# -- feature inputs and the train:test ratio ---------------------------------------------------
def test_features_are_the_columns_tensorflow_playground_offers():
    rows = planar.featurize([[0.5, -2.0]], ("x1", "x2", "x1^2", "x2^2", "x1x2", "sin_x1",
                                            "sin_x2"))
    assert rows == [[0.5, -2.0, 0.25, 4.0, -1.0, math.sin(0.5), math.sin(-2.0)]]


@pytest.mark.parametrize("names, message", [((), "at least one"), (("x3",), "'x3'"),
                                            (("x1", "x1"), "given twice")])
def test_bad_feature_lists_are_refused(names, message):
    with pytest.raises(ValueError, match=message):
        planar.check_features(names)


def test_features_make_the_input_columns_of_each_point():
    plain = planar.generate("xor", random.Random(3))
    squared = planar.generate("xor", random.Random(3), features=("x1x2", "x1"))
    for a, b in zip(plain, squared):
        assert b.sample_shape == (2,) and bytes(a.labels) == bytes(b.labels)
        for (x, y), (xy, x_again) in zip(a.x(range(len(a))), b.x(range(len(b)))):
            assert (xy, x_again) == (x * y, x)


def test_ratio_50_is_two_draws_of_the_same_size():
    rng = random.Random(5)
    first, second = planar.make("moons", rng), planar.make("moons", rng)
    train, test = planar.generate("moons", random.Random(5), ratio=50)
    assert list(train.features) == list(first.features)
    assert list(test.features) == list(second.features)


@pytest.mark.parametrize("ratio, sizes", [(10, (60, 540)), (30, (180, 420)),
                                          (70, (420, 180)), (90, (540, 60))])
def test_ratio_moves_points_between_the_sets_and_loses_none(ratio, sizes):
    train, test = planar.generate("circles", random.Random(1), ratio=ratio)
    assert (len(train), len(test)) == sizes
    everything = planar.generate("circles", random.Random(1))
    pooled = sorted(map(tuple, everything[0].x(range(300)) + everything[1].x(range(300))))
    ours = sorted(map(tuple, train.x(range(len(train))) + test.x(range(len(test)))))
    assert ours == pooled
    assert 0 < sum(train.labels) < len(train)   # both classes in training


@pytest.mark.parametrize("ratio", [9, 91, 50.0, True])
def test_bad_ratios_are_refused(ratio):
    with pytest.raises(ValueError, match="ratio must be a whole percentage"):
        planar.generate("xor", random.Random(0), ratio=ratio)


def test_train_takes_features_and_ratio(tmp_path):
    spec = tmp_path / "three.net"
    spec.write_text("input 3\ndense 4 init=xavier\ntanh\ndense 2 init=xavier\n"
                    "loss softmax_cross_entropy\noptimizer sgd lr=0.1\n")
    lines = []
    code = cli.main(["train", "--dataset", "circles", "--features", "x1^2,x2^2,x1x2",
                     "--ratio", "70", "--spec", str(spec), "--epochs", "2"], out=lines.append)
    assert code == 0
    assert lines[0] == ("data: circles, 2 classes, 70 % for training, features "
                        "x1^2,x2^2,x1x2: 420 training, 180 test samples")


@pytest.mark.parametrize("option, value, message", [
    ("--ratio", "95", "expected a whole number from 10 to 90, got '95'"),
    ("--ratio", "half", "expected a whole number, got 'half'"),
    ("--features", "x1,y", "unknown feature 'y'"),
    ("--features", "x1,x1", "feature 'x1' is given twice")])
def test_bad_ratio_and_features_are_usage_errors(capsys, option, value, message):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--dataset", "moons", option, value])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_ratio_and_features_are_for_the_2d_sets_only(capsys):
    assert cli.main(["train", "--ratio", "60", "--epochs", "1"], out=lambda line: None) == 1
    assert "--ratio 60 is for the generated 2-D sets" in capsys.readouterr().err


def test_a_spec_whose_input_is_not_the_features_is_refused(capsys):
    code = cli.main(["train", "--dataset", "xor", "--features", "x1,x2,x1x2", "--epochs", "1"],
                    out=lambda line: None)
    assert code == 1
    assert "3" in capsys.readouterr().err


def test_added_points_go_at_the_end_of_the_training_set():
    train, test = planar.generate("moons", random.Random(2), added=[(0.5, -1.0, 1)])
    plain_train, plain_test = planar.generate("moons", random.Random(2))
    assert len(train) == len(plain_train) + 1 and train.x([len(train) - 1]) == [[0.5, -1.0]]
    assert train.labels[-1] == 1 and list(test.features) == list(plain_test.features)


def test_train_takes_added_points_and_refuses_bad_ones(capsys):
    lines = []
    assert cli.main(["train", "--dataset", "xor", "--add-point=-0.5,0.5,1", "--epochs", "1"],
                    out=lines.append) == 0
    assert lines[0] == "data: xor, 2 classes, 1 added points: 301 training, 300 test samples"
    assert cli.main(["train", "--dataset", "xor", "--add-point", "0,0,2", "--epochs", "1"],
                    out=lambda line: None) == 1
    assert "--add-point: added point 1: the class must be a whole number from 0 to 1" in \
        capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--dataset", "xor", "--add-point", "0,nan,1"])
    assert exit_info.value.code == 2


def test_the_regression_sets_known_values_for_seed_0():
    plane = planar.make("plane", random.Random(0), noise=0.0)
    gauss = planar.make("gauss", random.Random(0), noise=0.0)
    # both draw the same uniform points from the same seed; only the targets differ
    assert plane.x(range(2)) == gauss.x(range(2)) == [
        [0.6888437030500962, 0.515908805880605],
        [0.02254944273721704, -0.19013172509917142]]
    assert list(plane.labels[:2]) == [0.6023762544653506, -0.08379114118097719]
    assert list(gauss.labels[:2]) == [0.837954604757189, 0.5555492264078088]
    assert plane.t(range(1)) == [[0.6023762544653506]] and plane.num_classes is None


def test_the_regression_targets_are_a_plane_and_signed_bumps():
    xy, targets = points(planar.make("plane", random.Random(1), noise=0.0))
    assert all(t == (x + y) / 2 for (x, y), t in zip(xy, targets))
    assert planar.plane_target(1.0, 1.0) == 1.0 and planar.plane_target(-1.0, -1.0) == -1.0
    # the top row of bumps +, −, + and the bottom row −, +, −; nothing between them
    assert [round(planar.gauss_target(x, 0.4), 2) for x in (-2 / 3, 0.0, 2 / 3)] == \
        [1.0, -0.99, 1.0]
    assert [round(planar.gauss_target(x, -0.4), 2) for x in (-2 / 3, 0.0, 2 / 3)] == \
        [-1.0, 0.99, -1.0]
    assert planar.gauss_target(0.0, 0.0) == 0.0 and abs(planar.gauss_target(1, 1)) < 0.01


def test_noise_moves_the_points_not_the_targets():
    still = planar.make("gauss", random.Random(2), noise=0.0)
    moved = planar.make("gauss", random.Random(2), noise=0.3)
    assert list(still.labels[:1]) == list(moved.labels[:1])
    assert still.x(range(1)) != moved.x(range(1))


def test_a_regression_set_splits_adds_and_featurizes_its_targets():
    train, test = planar.generate("plane", random.Random(0), ratio=70, features=("x1x2",),
                                  added=[(0.5, -0.5, 0.25)])
    assert (len(train), len(test)) == (421, 180)
    assert train.labels[-1] == 0.25 and train.x([420]) == [[-0.25]]
    assert train.num_classes is None and test.task == "regression"
    assert len(set(train.labels) | set(test.labels)) == 601


@pytest.mark.parametrize("point, message", [
    ((0.0, 0.0, 1.5), "added point 1: the target must be a number from -1 to 1, got "
                      "(0.0, 0.0, 1.5)"),
    ((0.0, 0.0, math.nan), "the target must be a number from -1 to 1"),
    ((0.0, 0.0, True), "the target must be a number from -1 to 1"),
])
def test_an_added_regression_point_needs_a_target_in_range(point, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        planar.check_added([point], None)


def test_train_fits_plane_and_prints_losses_not_accuracies():
    lines = []
    code = cli.main(["train", "--dataset", "plane", "--epochs", "4", "--seed", "1"],
                    out=lines.append)
    assert code == 0, lines
    assert lines[0] == "data: plane, regression: 300 training, 300 test samples"
    assert "planar_regression.net" in lines[1] and lines[2].startswith("batch 10,")
    epochs = [line for line in lines if line.startswith("epoch ")]
    assert len(epochs) == 4 and all("acc" not in line for line in lines)
    test_losses = [float(line.split("test loss ")[1].split()[0]) for line in epochs]
    assert "train loss " in epochs[0] and test_losses[-1] < test_losses[0] < 0.1
    assert lines[-1].startswith(f"test loss {test_losses[-1]:.4f} after 4 epochs in ")


@pytest.mark.parametrize("spec, found", [("planar_net", "2 outputs and loss "
                                                       "softmax_cross_entropy")])
def test_a_regression_set_with_a_classification_spec_is_one_line(spec, found, capsys):
    assert cli.main(["train", "--dataset", "gauss", "--spec", spec, "--epochs", "1"],
                    out=lambda line: None) == 1
    assert capsys.readouterr().err == (
        f"error: spec {spec!r} ends in {found}, but gauss is a regression set: it needs "
        f"1 output and loss mean_squared_error\n")


def test_a_one_output_cross_entropy_spec_is_refused_too(tmp_path, capsys):
    spec = tmp_path / "one.net"
    spec.write_text("input 2\ndense 1\nloss softmax_cross_entropy\noptimizer sgd\n")
    assert cli.main(["train", "--dataset", "plane", "--spec", str(spec)],
                    out=lambda line: None) == 1
    assert "ends in 1 outputs and loss softmax_cross_entropy, but plane is a regression " \
        "set" in capsys.readouterr().err


def test_plot_boundary_is_for_classes(tmp_path, capsys):
    assert cli.main(["train", "--dataset", "plane", "--epochs", "1", "--plot-boundary",
                     str(tmp_path / "b.png")], out=lambda line: None) == 1
    assert capsys.readouterr().err.startswith("error: --plot-boundary draws the regions "
                                              "of classes; plane, regression has none")
    assert not (tmp_path / "b.png").exists()


def test_a_regression_run_resumes_and_measures_a_sample_as_a_classification_one(tmp_path):
    lines = []
    assert cli.main(["train", "--dataset", "gauss", "--epochs", "2", "--eval-size", "50",
                     "--checkpoint-dir", str(tmp_path)], out=lines.append) == 0
    assert "losses on the first 50 samples of each set" in lines
    whole = []
    assert cli.main(["train", "--dataset", "gauss", "--epochs", "3"], out=whole.append) == 0
    resumed = []
    assert cli.main(["train", "--resume", str(tmp_path), "--epochs", "3", "--eval-size",
                     "50"], out=resumed.append) == 0
    # the same updates: the loss of epoch 3 agrees with the run done in one go
    assert resumed[-2].split("  train loss")[0] == whole[-2].split("  train loss")[0]
