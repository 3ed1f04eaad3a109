"""`python3 -m purenn train` end to end in a subprocess (also with the shipped MNIST spec
with Adam and BatchNorm), and its error paths."""

import os
import subprocess
import sys

import pytest
from helpers import REPO, run_purenn, words

import purenn
from purenn.data import idx


@pytest.fixture(scope="module")
def tiny_mnist(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mnist")
    for prefix, count in (("train", 60), ("t10k", 20)):
        idx.write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", (count, 28, 28),
                      bytes((i * 13) % 256 if i % 5 else 0 for i in range(count * 784)))
        idx.write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", (count,),
                      bytes(i % 10 for i in range(count)))
    return str(folder)


def test_train_on_a_tiny_data_set(tiny_mnist):
    done = run_purenn("train", "--data", tiny_mnist, "--epochs", "2", "--batch-size", "20")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert f"{tiny_mnist}: 60 training, 20 test samples" in words(done.stdout)
    assert "network: two_layer.net, 39,760 parameters; optimizer sgd lr=0.1\nbatch 20, " \
           "seed 0" in done.stdout
    assert sum(line.startswith("epoch ") for line in lines) == 2
    assert lines[-1].startswith("test accuracy ") and " after 2 epochs in " in lines[-1]


def test_train_is_repeatable_with_a_seed(tiny_mnist):
    args = ("train", "--data", tiny_mnist, "--epochs", "1", "--seed", "3",
            "--train-size", "40", "--lr", "0.05")
    first, second = run_purenn(*args), run_purenn(*args)
    assert first.returncode == 0, first.stderr

    def strip_times(text):
        return [line.split("(")[0].split(" in ")[0] for line in text.splitlines()
                if "accuracy" in line or line.startswith("epoch")]
    assert strip_times(first.stdout) == strip_times(second.stdout)
    assert "optimizer sgd lr=0.05" in first.stdout


def test_book_schedule_and_numerical_gradients_from_the_cli():
    done = run_purenn("train", "--dataset", "spiral", "--spec", "spiral_linear",
                      "--iterations", "3", "--batch-size", "100", "--gradient", "numerical")
    assert done.returncode == 0, done.stderr
    assert "gradients by numerical" in done.stdout
    assert "epoch   1/1" in done.stdout


@pytest.mark.parametrize("args,message", [
    (("train", "--spec", "nope"),
     "error: no spec file or shipped spec named 'nope' (shipped: "),
    (("train", "--spec", "spiral_net"),
     "error: spec 'spiral_net' takes input 2 (2 numbers) but the data has 784 per sample"),
    (("train", "--dataset", "spiral", "--spec", "two_layer"),
     "error: spec 'two_layer' takes input 784 (784 numbers) but the data has 2 per sample"),
    (("train", "--train-size", "20000"),
     "error: --train-size 20000 is more than the 10000 training samples of MNIST"),
    (("train", "--data", "/nonexistent/folder"), "error: /nonexistent/folder: no such folder"),
])
def test_runtime_errors_are_one_line_with_exit_1(args, message):
    done = run_purenn(*args)
    assert done.returncode == 1
    assert done.stderr.startswith(message), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_bad_spec_file_names_file_and_line(tmp_path):
    spec = tmp_path / "bad.net"
    spec.write_text("input 784\ndense 50\nrleu\ndense 10\nloss softmax_cross_entropy\n")
    done = run_purenn("train", "--spec", str(spec))
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {spec}:3: unknown layer 'rleu'; did you mean "
                                  f"'relu'?")


@pytest.mark.parametrize("args", [("train", "--spec", "nope", "--debug"),
                                  ("--debug", "train", "--spec", "nope")])
def test_debug_shows_the_traceback(args):
    """--debug after the command or before it (the command's parser used to reset it)."""
    done = run_purenn(*args)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "SpecError" in done.stderr
    quiet = run_purenn("train", "--spec", "nope")
    assert quiet.returncode == 1 and "Traceback" not in quiet.stderr


@pytest.mark.parametrize("args", [("train", "--epochs", "0"), ("train", "--lr", "-1"),
                                  ("train", "--batch-size", "x"), ("frobnicate",), ()])
def test_usage_errors_exit_2(args):
    done = run_purenn(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_version_and_help():
    done = run_purenn("--version")
    assert done.returncode == 0 and done.stdout.startswith("purenn ")
    for command in ("train", "specs"):
        done = run_purenn(command, "--help")
        assert done.returncode == 0 and "examples:" in done.stdout


def test_runs_from_a_clone_with_nothing_installed():
    # -S leaves site-packages out: only the checkout's own files are importable
    done = run_purenn("specs", python=os.environ.get("PYTHON", None) or __import__("sys")
                      .executable, flags=("-S",), cwd=REPO, env={"PYTHONPATH": ""})
    assert done.returncode == 0, done.stderr
    assert "two_layer" in done.stdout


def test_the_command_table_matches_each_commands_own_help_line():
    import argparse

    from purenn import cli

    class Recorder:
        def add_parser(self, name, **kwargs):
            self.seen = (name, kwargs.get("help"))
            return argparse.ArgumentParser(add_help=False)

    for name, (_, summary) in cli.COMMANDS.items():
        recorder = Recorder()
        cli.load_command(name).add_parser(recorder, argparse.ArgumentParser(add_help=False))
        assert recorder.seen == (name, summary)


def test_top_level_help_lists_every_command():
    from purenn import cli

    done = run_purenn("--help")
    assert done.returncode == 0
    for name, (_, summary) in cli.COMMANDS.items():
        assert name in done.stdout and summary.split()[0] in done.stdout


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


def test_eval_size_measures_the_first_samples_only(tiny_mnist):
    """--eval-size 10: the accuracies are counts out of 10, the book's
    evaluate_sample_num_per_epoch; the weights are those of a full evaluation."""
    args = ("train", "--data", tiny_mnist, "--epochs", "2", "--batch-size", "20")
    done = run_purenn(*args, "--eval-size", "10")
    full = run_purenn(*args)
    assert done.returncode == 0, done.stderr
    assert "accuracies on the first 10 samples of each set" in done.stdout
    epochs = [line for line in done.stdout.splitlines() if line.startswith("epoch ")]
    for line in epochs:
        for word in ("train acc", "test acc"):
            value = float(line.split(word)[1].split()[0])
            assert round(value * 10, 9) == int(round(value * 10))
    losses = [line.split("loss")[1].split()[0] for line in done.stdout.splitlines()
              if line.startswith("epoch ")]
    assert losses == [line.split("loss")[1].split()[0] for line in full.stdout.splitlines()
                      if line.startswith("epoch ")]
    assert "(first 10 samples) after 2 epochs" in done.stdout.splitlines()[-1]


@pytest.mark.parametrize("value", ["0", "-3", "x"])
def test_eval_size_must_be_a_positive_count(tiny_mnist, value):
    done = run_purenn("train", "--data", tiny_mnist, "--eval-size", value)
    assert done.returncode == 2
    assert "--eval-size" in done.stderr and "Traceback" not in done.stderr


def test_log_every_works_with_iterations_and_the_grammar_is_right(tiny_model):
    # 120 samples / batch 40: an evaluation every 3 updates, 12 updates -> 4 of them
    result = run_purenn("train", "--data", tiny_model["data"], "--iterations", "12",
                        "--batch-size", "40", "--log-every", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    epochs = [line.split()[1] for line in lines if line.startswith("epoch")]
    assert epochs == ["2/4", "4/4"]
    # the last measure is after update 10 (1, 4, 7, 10: the book's), and the line says so
    end = " ".join(line.strip() for line in lines[-2:])
    assert (" after 12 updates (4 epochs of the book's schedule; measured after update 10)"
            " in ") in end
    whole = run_purenn("train", "--data", tiny_model["data"], "--iterations", "10",
                       "--batch-size", "40", "--quiet")
    assert " after 10 updates (4 epochs of the book's schedule) in " in whole.stdout
    one = run_purenn("train", "--data", tiny_model["data"], "--epochs", "1", "--batch-size", "60",
                     "--quiet")
    assert " after 1 epoch in " in one.stdout


def test_epochs_and_iterations_are_one_or_the_other(tiny_model):
    result = run_purenn("train", "--data", tiny_model["data"], "--epochs", "2",
                        "--iterations", "10")
    assert result.returncode == 2
    assert "argument --iterations: not allowed with argument --epochs" in result.stderr


def test_an_exploding_loss_is_a_warning_and_with_the_option_an_error(tiny_model):
    args = ("train", "--data", tiny_model["data"], "--epochs", "2", "--batch-size", "20",
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


def test_numerical_training_says_what_it_will_cost_before_it_starts(tiny_model, tmp_path):
    spec = tmp_path / "narrow.net"
    spec.write_text("input 784\ndense 2\nsigmoid\ndense 10\nloss softmax_cross_entropy\n"
                    "optimizer sgd lr=0.1\n")
    result = run_purenn("train", "--data", tiny_model["data"], "--spec", str(spec), "--gradient",
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


def test_ctrl_c_is_honoured_within_a_numerical_update(tiny_model, tmp_path):
    import signal
    import time

    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(purenn.__file__)))
    env = dict(os.environ, PYTHONPATH=package_parent)
    proc = subprocess.Popen(
        [sys.executable, "-m", "purenn", "train", "--data", tiny_model["data"], "--spec",
         "two_layer_sigmoid", "--gradient", "numerical", "--iterations", "2",
         "--batch-size", "20", "--checkpoint-dir", str(tmp_path / "ck")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        for line in proc.stdout:
            if line.startswith("numerical gradients: "):
                break
        time.sleep(1.0)               # well inside the first update (about a minute)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=300)
    finally:
        proc.kill()
    stderr = proc.stderr.read()
    assert proc.returncode == 130, stderr
    # no update was finished: the stop came within the first one, however long the
    # machine (shared, loaded) took to get there
    assert "interrupted in epoch 1/1 after update 0/" in stderr
    assert (tmp_path / "ck" / "checkpoint.safetensors").is_file()
