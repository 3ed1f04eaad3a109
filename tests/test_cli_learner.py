"""What a learner meets first on the command line (issue 12): closed pipes, divergence,
wrong file kinds, names, the data a model was trained on, grammar, images of any kind."""

import os
import subprocess
import sys

import pytest
from helpers import run_purenn
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
