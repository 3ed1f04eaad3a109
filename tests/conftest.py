"""Fixtures shared by the test modules. Helpers are in helpers.py; the ``slow`` marker
and the ``tests`` folder on sys.path are set in setup.cfg."""

import pytest
from helpers import run_purenn
from tiny_mnist import write_tiny_mnist


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A tiny MNIST folder and a model trained on it (--data) for one epoch:
    {"data": folder, "model": path, "folder": parent folder, "train": the run}."""
    folder = tmp_path_factory.mktemp("tiny")
    data = write_tiny_mnist(folder / "mnist")
    model = folder / "model.safetensors"
    result = run_purenn("train", "--data", data, "--epochs", "1", "--batch-size", "40",
                        "--lr", "0.5", "--out", str(model))
    assert result.returncode == 0, result.stderr
    return {"data": data, "model": str(model), "folder": folder, "train": result}
