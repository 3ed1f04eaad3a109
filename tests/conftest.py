"""Fixtures and hooks shared by the test modules. Helpers are in helpers.py; the ``slow``
marker and the ``tests`` folder on sys.path are set in setup.cfg."""

import sys

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


# Pyodide (tox -e pyodide) cannot start processes or threads, nor use POSIX shared memory:
# a test that needs one (a CLI run in a child process, the playground's server, --workers)
# is reported there as skipped, naming what it needed; any other failure stays a failure.
_PYODIDE_LACKS = (
    (OSError, "does not support processes", "a child process"),
    (OSError, "Function not implemented", "fork"),
    (RuntimeError, "can't start new thread", "a thread"),
    (ModuleNotFoundError, "_posixshmem", "POSIX shared memory"),
)

if sys.platform == "emscripten":
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item, call):
        outcome = yield
        report = outcome.get_result()
        if call.excinfo is None or not report.failed:
            return
        for kind, words, needs in _PYODIDE_LACKS:
            if call.excinfo.errisinstance(kind) and words in str(call.excinfo.value):
                report.outcome = "skipped"
                report.longrepr = (str(item.path), item.location[1] or 0,
                                   f"Skipped: needs {needs}, which Pyodide does not have")
                return
