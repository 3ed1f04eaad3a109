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
