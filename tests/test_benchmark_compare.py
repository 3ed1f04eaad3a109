"""benchmarks/compare.py at tiny sizes with every contender installed (CPython always,
PyPy and NumPy when they are there), so an API change cannot break it unseen."""

import importlib.util
import os
import shutil
import subprocess
import sys

from tiny_mnist import write_tiny_mnist

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPARE = os.path.join(ROOT, "benchmarks", "compare.py")


def run_compare(*args):
    return subprocess.run([sys.executable, COMPARE, *args], capture_output=True, text=True,
                          timeout=600, cwd=ROOT)


def row_labels(out):
    """The first column of every table row (the header and rule rows left out)."""
    return [line.split("|")[1].strip() for line in out.splitlines()
            if line.startswith("| ") and not line.startswith("|  ")]


def test_compare_runs_both_networks_with_every_installed_contender(tmp_path):
    data = write_tiny_mnist(tmp_path / "mnist", train_count=20, test_count=10)
    done = run_compare("--data", data, "--blocks", "1", "--steps", "1", "--conv-steps", "1",
                       "--batch", "4", "--warmup", "1")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    expected = ["CPython"]
    if shutil.which("pypy3"):
        expected.append("PyPy")
    if importlib.util.find_spec("numpy"):
        expected.append("NumPy")
    for title in ("two-layer net 784-50-10, batch 4", "SimpleConvNet (chapter 7), batch 4"):
        table = out[out.index(title):].split("\n\n")[0].splitlines()
        rows = [line for line in table[3:] if line.startswith("|")]
        assert [line.split("|")[1].strip() for line in rows] == expected, table
        for line in rows:
            ms = float(line.split("|")[3])
            assert ms > 0.0
            if "NumPy" in expected:
                assert line.split("|")[4].strip().endswith("x")
    assert ("PyPy is" in out) == ("PyPy" in expected)


def test_compare_leaves_out_a_contender_that_is_not_there(tmp_path):
    data = write_tiny_mnist(tmp_path / "mnist", train_count=20, test_count=10)
    done = run_compare("--data", data, "--blocks", "1", "--steps", "1", "--conv-steps", "0",
                       "--batch", "4", "--pypy", "no-such-pypy", "--numpy", "")
    assert done.returncode == 0, done.stderr
    assert "PyPy: 'no-such-pypy' is not there" in done.stdout
    assert row_labels(done.stdout) == ["CPython"]
    assert "SimpleConvNet" not in done.stdout


def test_compare_refuses_a_missing_data_folder(tmp_path):
    done = run_compare("--data", str(tmp_path / "nothing"))
    assert done.returncode != 0
    assert "no MNIST folder at" in done.stderr and "Traceback" not in done.stderr


def test_compare_runs_a_baseline_checkout_side_by_side(tmp_path):
    data = write_tiny_mnist(tmp_path / "mnist", train_count=20, test_count=10)
    done = run_compare("--data", data, "--blocks", "1", "--steps", "1", "--conv-steps", "0",
                       "--batch", "4", "--pypy", "", "--numpy", "", "--baseline", ROOT)
    assert done.returncode == 0, done.stderr
    assert f"CPython A, PyPy A: the purenn of {ROOT}" in done.stdout
    assert row_labels(done.stdout) == ["CPython", "CPython A"]


def test_compare_refuses_a_baseline_that_is_no_checkout(tmp_path):
    data = write_tiny_mnist(tmp_path / "mnist", train_count=20, test_count=10)
    done = run_compare("--data", data, "--baseline", str(tmp_path))
    assert done.returncode != 0
    assert "is not a purenn checkout" in done.stderr and "Traceback" not in done.stderr
