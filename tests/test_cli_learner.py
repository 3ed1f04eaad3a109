"""What a learner meets first on the command line (issue 12): closed pipes, divergence,
wrong file kinds, names, the data a model was trained on, grammar, images of any kind."""

import os
import subprocess
import sys

import pytest
from helpers import run_purenn, words
from tiny_mnist import write_tiny_mnist

import purenn


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny MNIST folder and a model trained on it (--data) for one epoch."""
    folder = tmp_path_factory.mktemp("learner")
    data = write_tiny_mnist(folder / "mnist")
    model = folder / "model.safetensors"
    result = run_purenn("train", "--data", data, "--epochs", "1", "--batch-size", "40",
                        "--lr", "0.5", "--out", str(model))
    assert result.returncode == 0, result.stderr
    return {"data": data, "model": str(model), "folder": folder, "train": result}


def run_into_closed_pipe(*args):
    """``python -m purenn ARGS | head -0``: stdout is a pipe whose reader has gone."""
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


# -- item 9 ------------------------------------------------------------------------------
def test_a_closed_pipe_is_not_an_error_and_files_are_still_written(tiny, tmp_path):
    picture = tmp_path / "wrong.png"
    result = run_into_closed_pipe("evaluate", tiny["model"], "--misclassified", str(picture))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert picture.read_bytes().startswith(b"\x89PNG")


# -- item 7 ------------------------------------------------------------------------------
def test_log_every_works_with_iterations_and_the_grammar_is_right(tiny):
    # 120 samples / batch 40: an evaluation every 3 updates, 12 updates -> 4 of them
    result = run_purenn("train", "--data", tiny["data"], "--iterations", "12",
                        "--batch-size", "40", "--log-every", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    epochs = [line.split()[1] for line in lines if line.startswith("epoch")]
    assert epochs == ["2/4", "4/4"]
    assert " after 12 updates (4 epochs of the book's schedule) in " in lines[-1]
    one = run_purenn("train", "--data", tiny["data"], "--epochs", "1", "--batch-size", "60",
                     "--quiet")
    assert " after 1 epoch in " in one.stdout


def test_epochs_and_iterations_are_one_or_the_other(tiny):
    result = run_purenn("train", "--data", tiny["data"], "--epochs", "2", "--iterations", "10")
    assert result.returncode == 2
    assert "argument --iterations: not allowed with argument --epochs" in result.stderr


# -- item 10 -----------------------------------------------------------------------------
def test_an_exploding_loss_is_a_warning_and_with_the_option_an_error(tiny):
    args = ("train", "--data", tiny["data"], "--epochs", "2", "--batch-size", "20",
            "--lr", "1000", "--quiet")
    result = run_purenn(*args)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("warning:") == 1
    warning = " ".join(result.stderr.split())
    assert warning.startswith("warning: the loss exploded to ")
    assert "lr=1000.0" in warning and "(--stop-on-divergence stops here)" in warning
    assert all(len(line) < 80 for line in result.stderr.splitlines())
    assert result.stdout.splitlines()[-2] == "the loss diverged: see the warning above"
    stopped = run_purenn(*args, "--stop-on-divergence")
    assert stopped.returncode == 1
    assert stopped.stderr.startswith("error: the loss exploded to ")


# -- item 13 -----------------------------------------------------------------------------
def test_files_of_the_wrong_kind_are_named_with_what_to_do(tiny, tmp_path):
    picture = tmp_path / "curves.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    result = run_purenn("evaluate", str(picture))
    assert result.returncode == 1
    assert result.stderr == (f"error: {picture}: not a purenn model file but a PNG image; "
                             f"MODEL is a file written by 'python -m purenn train --out "
                             f"model.safetensors'\n")
    archive = tmp_path / "sample.npz"
    archive.write_bytes(b"PK\x03\x04" + bytes(100))
    result = run_purenn("export", str(archive), "-o", str(tmp_path / "w.npz"))
    assert result.returncode == 1
    assert "not a purenn model file but a NumPy .npz archive; make a model of its arrays " \
           f"with 'python -m purenn import {archive} --spec SPEC" in result.stderr
    junk = tmp_path / "notes.txt"
    junk.write_bytes(b"\xff" * 64)
    result = run_purenn("predict", str(junk), "0")
    assert result.returncode == 1 and "not a purenn model file (" in result.stderr


def test_a_checkpoint_is_not_a_model_but_says_how_to_get_one(tiny, tmp_path):
    folder = tmp_path / "ckpt"
    result = run_purenn("train", "--data", tiny["data"], "--epochs", "1", "--batch-size", "60",
                        "--quiet", "--checkpoint-dir", str(folder))
    assert result.returncode == 0, result.stderr
    checkpoint = folder / "checkpoint.safetensors"
    result = run_purenn("evaluate", str(checkpoint))
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {checkpoint}: a training checkpoint, not a model "
                                    f"file; write the model with 'python -m purenn train "
                                    f"--resume {checkpoint} --out model.safetensors'")
    model = tmp_path / "from-checkpoint.safetensors"
    result = run_purenn("train", "--resume", str(checkpoint), "--out", str(model), "--quiet")
    assert result.returncode == 0, result.stderr
    assert purenn.load(model).training["epochs"] == 1


def test_a_model_file_named_like_another_kind_is_refused(tiny, tmp_path):
    result = run_purenn("train", "--data", tiny["data"], "--epochs", "1", "--out",
                        str(tmp_path / "model.npz"))
    assert result.returncode == 1
    assert "--out " in result.stderr and "a model file is safetensors, not a NumPy archive " \
        "(.npz); name it" in result.stderr and "export MODEL -o" in result.stderr
    assert not (tmp_path / "model.npz").exists()
    result = run_purenn("export", tiny["model"], "-o", str(tmp_path / "w.safetensors"))
    assert result.returncode == 1 and "export writes a NumPy .npz archive" in result.stderr


# -- item 8 ------------------------------------------------------------------------------
def test_evaluate_and_predict_use_the_folder_the_model_was_trained_on(tiny):
    assert purenn.load(tiny["model"]).training["data_dir"] == os.path.abspath(tiny["data"])
    result = run_purenn("evaluate", tiny["model"])
    assert result.returncode == 0, result.stderr
    assert f"data: MNIST from {os.path.abspath(tiny['data'])}, test split (the model's " \
           f"training data): 40 samples" in words(result.stdout)
    result = run_purenn("predict", tiny["model"], "3")
    assert result.returncode == 0, result.stderr
    assert "test sample 3 of MNIST from " in result.stdout
    assert "(the model's training data)" in words(result.stdout)


def test_a_missing_training_folder_is_said_with_the_data_used_instead(tiny, tmp_path):
    data = write_tiny_mnist(tmp_path / "gone")
    model = tmp_path / "m.safetensors"
    result = run_purenn("train", "--data", data, "--epochs", "1", "--quiet", "--out",
                        str(model))
    assert result.returncode == 0, result.stderr
    for name in os.listdir(data):
        os.remove(os.path.join(data, name))
    os.rmdir(data)
    result = run_purenn("evaluate", str(model))
    assert result.returncode == 0, result.stderr
    assert f"data: MNIST from the bundled subset, test split (the model was trained on " \
           f"{os.path.abspath(data)}, which is not there; pass --data DIR): 2000 samples" \
           in words(result.stdout)


# -- item 6 ------------------------------------------------------------------------------
def test_numerical_training_says_what_it_will_cost_before_it_starts(tiny, tmp_path):
    spec = tmp_path / "narrow.net"
    spec.write_text("input 784\ndense 2\nsigmoid\ndense 10\nloss softmax_cross_entropy\n"
                    "optimizer sgd lr=0.1\n")
    result = run_purenn("train", "--data", tiny["data"], "--spec", str(spec), "--gradient",
                        "numerical", "--iterations", "2", "--batch-size", "10")
    assert result.returncode == 0, result.stderr
    estimate = [line for line in result.stdout.splitlines()
                if line.startswith("numerical gradients: ")]
    assert len(estimate) == 1
    assert estimate[0].startswith("numerical gradients: 3,200 loss evaluations per update, ")
    estimate += result.stdout.split(estimate[0] + "\n")[1].splitlines()[:2]
    assert " per update, " in estimate[1] and estimate[1].endswith(
        " for the whole run (2 updates and")
    assert estimate[2] == "the evaluations); Ctrl-C stops within a second"
    assert max(len(line) for line in estimate) <= 80


def test_ctrl_c_is_honoured_within_a_numerical_update(tiny, tmp_path):
    import signal
    import time

    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(purenn.__file__)))
    env = dict(os.environ, PYTHONPATH=package_parent)
    proc = subprocess.Popen(
        [sys.executable, "-m", "purenn", "train", "--data", tiny["data"], "--spec",
         "two_layer_sigmoid", "--gradient", "numerical", "--iterations", "2",
         "--batch-size", "20", "--checkpoint-dir", str(tmp_path / "ck")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        for line in proc.stdout:
            if line.startswith("numerical gradients: "):
                break
        time.sleep(1.0)               # well inside the first update (about a minute)
        sent = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        waited = time.perf_counter() - sent
    finally:
        proc.kill()
    stderr = proc.stderr.read()
    assert proc.returncode == 130, stderr
    assert "interrupted in epoch 1/1 after update 0/" in stderr
    assert waited < 10  # "within a second" on an idle machine; this one is shared
    assert (tmp_path / "ck" / "checkpoint.safetensors").is_file()


# -- items 14 and 15 -----------------------------------------------------------------------
def test_predict_a_learners_color_drawing_of_any_size(tiny, tmp_path):
    from purenn.viz import png

    drawing = bytes(0 if 30 <= x < 40 and 10 <= y < 70 else 255       # a dark "1" on paper
                    for y in range(80) for x in range(100))
    png.write_png(tmp_path / "one.png", 100, 80,
                  bytes(c for v in drawing for c in (v, v, v)), channels=3)
    # run where the drawing is: the header line stays short (a long path wraps at 80)
    result = run_purenn("predict", tiny["model"], "one.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert ("image file one.png\n  RGB made gray\n  100x80 scaled into "
            "20x20, centred by centre of mass in 28x28 (as MNIST)\n  inverted: dark ink "
            "on a light background detected\n") in result.stdout
    assert "prediction " in result.stdout


def test_the_index_prompt_explains_itself_and_ends_cleanly_on_ctrl_c(tiny, capsys):
    import argparse

    from purenn.commands import predict

    args = argparse.Namespace(model=tiny["model"], dataset=None, data=None, split="test",
                              invert=None)
    lines = []
    predictor = predict.Predictor(args, purenn.load(tiny["model"]), lines.append, False,
                                  purenn.load(tiny["model"]).training)
    answers = iter(["abc\n", "3\n"])

    def read_line():
        try:
            return next(answers)
        except StopIteration:
            raise KeyboardInterrupt from None
    assert predict.prompt_loop(predictor, None, True, read_line) == 0
    captured = capsys.readouterr()
    assert captured.out == (
        f"indices 0..39 of the MNIST from {os.path.abspath(tiny['data'])}, test split (the "
        f"model's training data)\n"
        f"type an index or an image file; an empty line, q or Ctrl-D quits\n"
        f"\n")                              # Ctrl-C ended the prompt's line
    assert captured.err == "error: 'abc' is not an index or a file (a PNG or PGM image)\n"
    assert any(line.startswith("test sample 3 of ") for line in lines)
