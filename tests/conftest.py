"""Shared test helpers: where the checkout and ../shared are, and the `slow` marker."""

import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared")
MNIST_DIR = os.path.join(SHARED, "data", "mnist")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running; deselect with -m 'not slow'")


def needs_mnist():
    """Skip unless the full MNIST files are beside the checkout (../shared/data/mnist)."""
    if not os.path.isfile(os.path.join(MNIST_DIR, "t10k-images-idx3-ubyte.gz")):
        pytest.skip("full MNIST not found at ../shared/data/mnist")
    return MNIST_DIR


def run_purenn(*args, cwd=None, env=None, timeout=300, python=sys.executable, flags=()):
    """Run ``python -m purenn ARGS`` in a subprocess; returns the CompletedProcess.

    The purenn imported is the one the tests import (installed or on PYTHONPATH).
    """
    import purenn

    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(purenn.__file__)))
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    full_env["PYTHONPATH"] = package_parent
    # a copy the developer fetched into the cache must not change what the tests see
    full_env["PURENN_DATA"] = os.path.join(REPO, ".no-such-cache")
    full_env.update(env or {})
    return subprocess.run([python, *flags, "-m", "purenn", *args], cwd=cwd or REPO,
                          env=full_env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
