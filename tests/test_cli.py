"""The commands a learner uses, end to end through ``python3 -m purenn`` on tiny data:
train (outputs, plots), evaluate, predict, show, gradcheck, and the exit codes."""

import os
import re
import struct
import subprocess
import sys
import textwrap

import pytest
from helpers import run_purenn, words
from tiny_mnist import write_tiny_mnist

import purenn
from purenn.viz import png


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny MNIST folder and a model trained on it for one epoch."""
    folder = tmp_path_factory.mktemp("cli")
    data = write_tiny_mnist(folder / "mnist")
    model = folder / "model.safetensors"
    result = run_purenn("train", "--data", data, "--epochs", "2", "--batch-size", "40",
                        "--lr", "0.5", "--out", str(model), "--plot",
                        str(folder / "curves.png"))
    assert result.returncode == 0, result.stderr
    return {"data": data, "model": str(model), "folder": folder, "train": result}


def png_size(path):
    blob = open(path, "rb").read()
    assert blob[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", blob[16:24])
    return width, height


def test_train_writes_model_and_curves(trained):
    out = trained["train"].stdout.splitlines()
    assert words(trained["train"].stdout).startswith(
        f"data: MNIST from {trained['data']}: 120 training, 40 test samples network: ")
    assert re.fullmatch(r"epoch   2/2  loss \d\.\d{4}  train acc \d\.\d{4}  test acc "
                        r"\d\.\d{4}  \(\d+\.\d s\)", out[-4])
    assert out[-3] == f"model written to {trained['model']}"
    assert out[-2] == f"curves written to {trained['folder'] / 'curves.png'}"
    assert out[-1].startswith("test accuracy ")
    net = purenn.load(trained["model"])
    assert net.training["epochs"] == 2 and net.training["updates"] == 6
    assert net.training["test_acc"] == float(out[-1].split()[2])
    assert "optimizer sgd lr=0.5" in purenn.spec.write(net)
    assert png_size(trained["folder"] / "curves.png") == (840, 330)


def test_train_quiet_prints_only_the_result(tmp_path, trained):
    result = run_purenn("train", "--data", trained["data"], "--epochs", "1", "--quiet",
                        "--plot", str(tmp_path / "c.svg"))
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"test accuracy \d\.\d{4} after 1 epoch in \d+\.\d s\n",
                        result.stdout)
    assert result.stderr == ""
    assert (tmp_path / "c.svg").read_text().startswith("<svg ")


def test_train_plot_boundary_for_the_spiral(tmp_path):
    path = tmp_path / "boundary.png"
    result = run_purenn("train", "--dataset", "spiral", "--epochs", "30", "--quiet",
                        "--plot-boundary", str(path))
    assert result.returncode == 0, result.stderr
    width, height, channels, pixels = png.read_png(path)
    assert (width, height, channels) == (440, 440, 3)
    assert bytes((31, 119, 180)) in pixels  # points of class 0 in their color


def test_train_usage_and_runtime_errors(tmp_path, trained):
    bad = run_purenn("train", "--epochs", "0")
    assert bad.returncode == 2
    assert ("argument --epochs: expected a whole number from 1 to 1,000,000,000, got '0'"
            in " ".join(bad.stderr.split()))
    result = run_purenn("train", "--data", trained["data"], "--plot-boundary",
                        str(tmp_path / "b.png"))
    assert result.returncode == 1
    assert result.stderr == (f"error: --plot-boundary draws 2-D data such as --dataset "
                             f"spiral; MNIST from {trained['data']} has 784 features\n")
    result = run_purenn("train", "--plot", str(tmp_path / "c.jpg"))
    assert result.returncode == 1
    assert result.stderr == (f"error: --plot {str(tmp_path / 'c.jpg')!r}: the picture must be "
                             f"a .png or .svg file\n")
    result = run_purenn("train", "--out", str(tmp_path / "no" / "m.safetensors"))
    assert result.returncode == 1
    assert "no such folder" in result.stderr


def test_evaluate_reports_accuracy_classes_and_confusion(tmp_path, trained):
    grid = tmp_path / "wrong.png"
    result = run_purenn("evaluate", trained["model"], "--data", trained["data"],
                        "--misclassified", str(grid), "--max-images", "5")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"data: MNIST from {trained['data']}, test split: 40 samples accuracy" in \
        words(result.stdout)
    accuracy = re.fullmatch(r"accuracy (\d\.\d{4}) \((\d+)/40\), loss \d\.\d{4}",
                            next(line for line in lines if line.startswith("accuracy")))
    assert accuracy
    net = purenn.load(trained["model"])
    assert float(accuracy.group(1)) == net.training["test_acc"]
    start = lines.index("confusion matrix (rows: true class, columns: predicted):")
    matrix = [[int(v) for v in line.split()[1:]] for line in lines[start + 2:start + 12]]
    assert sum(map(sum, matrix)) == 40
    assert sum(matrix[i][i] for i in range(10)) == int(accuracy.group(2))
    per_class = lines[lines.index("per class:") + 2:lines.index("per class:") + 12]
    for i, line in enumerate(per_class):
        assert [int(v) for v in line.split()[:3]] == [i, sum(matrix[i]), matrix[i][i]]
    wrong = 40 - int(accuracy.group(2))
    assert words(result.stdout).endswith(
        f" {min(5, wrong)} of {wrong} misclassified images drawn to {grid}")
    assert png_size(grid)[0] == min(5, wrong) * 62 + 4


def test_evaluate_refuses_a_bad_model_file(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00[1,2]")
    result = run_purenn("evaluate", str(path))
    assert result.returncode == 1
    assert result.stderr == (f"error: {path}: the header must start with '{{', got "
                             f"b'[1,2]'\n")


def test_predict_an_index_draws_bars_and_the_truth(trained):
    # relative paths keep the header one line (a long one wraps at 80 columns)
    result = run_purenn("predict", "model.safetensors", "3", "--data", "mnist",
                        cwd=trained["folder"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "test sample 3 of MNIST from mnist, test split"
    assert len(lines) == 1 + 14 + 10 + 1
    assert all(set(line) <= set(" .:-=+*#%@") for line in lines[1:15])
    assert "@" in "".join(lines[1:15])
    net = purenn.load(trained["model"])
    train, test = purenn.data.mnist.load(trained["data"])
    probabilities = net.probabilities([test.row(3)])[0]
    best = max(range(10), key=probabilities.__getitem__)
    for k, line in enumerate(lines[15:25]):
        assert line.split()[0] == str(k)
        assert f"{probabilities[k]:7.4f}" in line
        assert line.endswith(" <") == (k == best)
    truth = test.labels[3]
    verdict = "right" if best == truth else "wrong"
    assert lines[-1] == (f"prediction {best} (p = {probabilities[best]:.4f}), truth {truth}: "
                         f"{verdict}")


def test_predict_an_image_file(tmp_path, trained):
    train, test = purenn.data.mnist.load(trained["data"])
    png.write_png(tmp_path / "digit.png", 28, 28, bytes(test.features[:784]))
    result = run_purenn("predict", trained["model"], "digit.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "image file digit.png"
    assert lines[-1].startswith("prediction ") and "truth" not in lines[-1]
    by_index = run_purenn("predict", "model.safetensors", "0", "--data", "mnist",
                          cwd=trained["folder"])
    assert by_index.stdout.splitlines()[1:25] == lines[1:25]
    png.write_png(tmp_path / "small.png", 4, 4, bytes(16))
    result = run_purenn("predict", trained["model"], str(tmp_path / "small.png"))
    assert result.returncode == 1
    assert result.stderr == (f"error: {tmp_path / 'small.png'}: the 4x4 picture is blank (no "
                             f"light ink on its dark background), so there is no digit to "
                             f"scale into 28x28\n")


def test_predict_loop_reads_indices_until_an_empty_line(trained):
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(purenn.__file__)))
    result = subprocess.run([sys.executable, "-m", "purenn", "predict", trained["model"],
                             "--data", trained["data"]], input="1\n99\n2\n\n5\n",
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ("error: index 99 is out of range: the data has 40 samples "
                             "(0..39)\n")
    heads = [line for line in result.stdout.splitlines() if line.startswith("test sample")]
    assert [h.split()[2] for h in heads] == ["1", "2"]
    assert "index>" not in result.stdout


def test_predict_an_image_then_an_index_uses_the_models_data_set(tmp_path):
    """The data set of an index is the one the model was trained on, also after an image
    file was shown first (issue 11: the forward pass used to overwrite net.training)."""
    import subprocess
    import sys

    model = tmp_path / "m.safetensors"
    purenn.save(purenn.build("two_layer"), model, training={"dataset": "kmnist"})
    (tmp_path / "img.pgm").write_bytes(b"P5\n28 28\n255\n" + bytes(range(196)) * 4)
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(purenn.__file__)),
               PURENN_DATA=str(tmp_path / "no-cache"))

    def predict(stdin):
        return subprocess.run([sys.executable, "-m", "purenn", "predict", str(model)],
                              input=stdin, capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=60)

    index_only = predict("3\n")
    assert "kmnist" in index_only.stderr.lower()
    image_then_index = predict("img.pgm\n3\n")
    assert image_then_index.returncode == 0
    assert image_then_index.stdout.splitlines()[0] == "image file img.pgm"
    assert "test sample 3" not in image_then_index.stdout
    assert image_then_index.stderr == index_only.stderr


def test_predict_out_of_range_index_is_an_error(trained):
    result = run_purenn("predict", trained["model"], "40", "--data", trained["data"])
    assert result.returncode == 1
    assert result.stderr == ("error: index 40 is out of range: the data has 40 samples "
                             "(0..39)\n")


def test_show_in_the_terminal_and_as_a_grid(tmp_path, trained):
    result = run_purenn("show", "0", "5", "--data", trained["data"], env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    train, test = purenn.data.mnist.load(trained["data"])
    assert lines[0] == f"MNIST from {trained['data']}, test split:"
    assert lines[-1] == f"#0: {test.labels[0]}" + " " * (30 - 4 - len(str(test.labels[0]))) \
        + f"#5: {test.labels[5]}"
    assert len(lines) == 1 + 14 + 1
    grid = tmp_path / "grid.png"
    result = run_purenn("show", "--data", trained["data"], "--split", "train", "--count",
                        "12", "--out", str(grid), "--cols", "6")
    assert result.returncode == 0, result.stderr
    assert words(result.stdout) == f"12 images of MNIST from {trained['data']}, train " \
                                   f"split drawn to {grid}"
    width, height, channels, pixels = png.read_png(grid)
    assert (width, height) == (6 * 62 + 4, 2 * 73 + 4)  # captions in the 9-row font
    # the first image's top-left pixel block is drawn at (5, 5), 2x2 per pixel
    value = train.features[14 * 28 + 14]
    i = 3 * ((5 + 2 * 14) * width + 5 + 2 * 14)
    assert pixels[i:i + 3] == bytes((value,) * 3)


def test_gradcheck_passes_for_a_shipped_spec():
    result = run_purenn("gradcheck", "spiral_net")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 7 and all(len(line) < 80 for line in lines)
    for line, key in zip(lines[1:5], ["dense1.W", "dense1.b", "dense2.W", "dense2.b"]):
        assert line.startswith(key) and line.endswith("  ok")
    assert lines[-1] == "pass: backprop agrees with numerical gradients for all 4 parameters"


def test_gradcheck_fails_for_a_wrong_backward(tmp_path):
    plugin = tmp_path / "plugin"
    (plugin / "brokenlayer-0.1.dist-info").mkdir(parents=True)
    (plugin / "brokenlayer-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: brokenlayer\nVersion: 0.1\n")
    (plugin / "brokenlayer-0.1.dist-info" / "entry_points.txt").write_text(
        "[purenn.layers]\ndouble = brokenlayer:Double\n")
    (plugin / "brokenlayer.py").write_text(textwrap.dedent('''
        from purenn.layers import Layer

        class Double(Layer):
            """y = 2x, with a backward pass that forgets the factor 2."""

            def forward(self, x, train=False):
                return [[2.0 * v for v in row] for row in x]

            def backward(self, dout):
                return [list(row) for row in dout]
        '''))
    spec = tmp_path / "broken.net"
    spec.write_text("input 3\ndense 4\ndouble\ndense 2\nloss softmax_cross_entropy\n")
    import purenn as package
    path = os.pathsep.join([str(plugin), os.path.dirname(os.path.dirname(package.__file__))])
    result = run_purenn("gradcheck", str(spec), env={"PYTHONPATH": path})
    assert result.returncode == 1, result.stderr
    assert "dense1.W" in result.stdout and "FAIL" in result.stdout
    assert result.stderr == ("error: gradient check failed for dense1.W, dense1.b: relative "
                             "error over 1e-05\n")


def test_help_of_every_new_command_has_examples():
    for command in ("train", "evaluate", "predict", "show", "gradcheck"):
        result = run_purenn(command, "--help")
        assert result.returncode == 0
        assert f"python3 -m purenn {command}" in result.stdout.split("examples:")[1]


def run_into_closed_pipe(*args):
    """``python3 -m purenn ARGS | head -0``: stdout is a pipe whose reader has gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        package_parent = os.path.dirname(os.path.dirname(os.path.abspath(purenn.__file__)))
        env = dict(os.environ, PYTHONPATH=package_parent)
        return subprocess.run([sys.executable, "-m", "purenn", *args], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, env=env, timeout=300,
                              stdin=subprocess.DEVNULL)
    finally:
        os.close(write_end)


def test_a_closed_pipe_is_not_an_error_and_files_are_still_written(tiny_model, tmp_path):
    picture = tmp_path / "wrong.png"
    result = run_into_closed_pipe("evaluate", tiny_model["model"], "--misclassified", str(picture))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert picture.read_bytes().startswith(b"\x89PNG")
