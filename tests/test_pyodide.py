"""purenn in Pyodide (CPython compiled to WebAssembly), as the browser runs it.

``tox -e pyodide`` installs npm's ``pyodide``, builds purenn's wheels, unpacks them in
Pyodide under node and runs this suite there (tests/pyodide/run.mjs). The tests marked
``pyodide_only`` run only there; the others check here, by pretending to be Pyodide, that
what Pyodide cannot do (processes, sockets, threads) fails with one line or is done
without.
"""

import json
import os
import sys

import pytest

import purenn
from purenn import capabilities, cli

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "pyodide"))
import parity  # noqa: E402

pyodide_only = pytest.mark.skipif(not capabilities.IN_PYODIDE,
                                  reason="runs inside Pyodide only (tox -e pyodide)")


def run_cli(*argv):
    return cli.main(list(argv))


@pytest.fixture
def as_in_pyodide(monkeypatch):
    monkeypatch.setattr(capabilities, "IN_PYODIDE", True)


# -- what Pyodide cannot do, here ----------------------------------------------------------
def test_workers_need_fork_and_say_so_in_one_line(as_in_pyodide, capsys):
    code = run_cli("train", "--dataset", "moons", "--epochs", "1", "--workers", "2",
                   "--spec", "planar_net")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err == ["error: --workers 2: needs processes started with 'fork', which this "
                   "platform does not have (Windows and Pyodide have none): leave "
                   "--workers out"]


def test_jobs_train_one_after_another_with_the_same_results(as_in_pyodide, capsys):
    argv = ("compare", "--dataset", "spiral", "--set", "lr=0.5,1", "--epochs", "2",
            "--jobs", "2")
    assert run_cli(*argv) == 0
    here = capsys.readouterr().out
    assert "internal error" not in here and "2 runs" in here


def test_fetch_over_the_network_is_refused_in_one_line(as_in_pyodide, capsys, tmp_path):
    code = run_cli("fetch", "mnist", "--to", str(tmp_path / "m"), "--mirrors-only",
                   "--mirror", "https://example.org/mnist/")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1
    assert "Pyodide (Python in WebAssembly) cannot open network connections" in err[0]
    assert not os.listdir(tmp_path / "m") if (tmp_path / "m").exists() else True


def test_the_playground_server_is_refused_in_one_line(as_in_pyodide, capsys):
    code = run_cli("playground", "--no-browser")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err == ["error: playground serves its page from an HTTP server on this machine, "
                   "which Pyodide (Python in WebAssembly) cannot run: start it with a "
                   "native python3"]


# -- inside Pyodide ------------------------------------------------------------------------
@pyodide_only
def test_purenn_is_the_installed_wheel_with_its_plugins():
    assert "site-packages" in purenn.__file__
    from importlib import metadata, util

    if util.find_spec("micropip"):      # installed as a notebook's micropip.install does
        assert metadata.distribution("purenn").read_text("INSTALLER").strip() == "micropip"
    from purenn import registry

    names = set(registry.names("purenn.layers"))
    assert {"dense", "relu", "conv2d", "maxpool2d", "gelu"} <= names


@pyodide_only
def test_the_notebook_example_of_docs_browser_runs():
    import re

    path = os.path.join(HERE, os.pardir, "docs", "browser.md")
    with open(path, encoding="utf-8") as f:
        block = re.findall(r"```python\n(.*?)```", f.read(), flags=re.S)[0]
    code = "\n".join(line for line in block.splitlines() if "micropip" not in line)
    names = {}
    exec(compile(code, "docs/browser.md", "exec"), names)
    assert names["history"].test_acc[-1] > 0.5
    assert names["plot"].history(names["history"])._repr_png_()[:4] == b"\x89PNG"


@pyodide_only
def test_a_figure_shows_itself_inline_as_png():
    from purenn import plot

    fig = plot.lines([0, 1, 2], {"y": [0, 1, 4]})
    png = fig._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000


def _native():
    path = os.environ.get("PURENN_NATIVE_PARITY")
    if not path:
        pytest.skip("PURENN_NATIVE_PARITY names no file of native results")
    with open(path, encoding="utf-8") as f:
        native = json.load(f)
    from purenn import linalg

    if native["kernel"] != linalg.KERNEL:
        pytest.skip(f"native ran kernel {native['kernel']!r}, Pyodide {linalg.KERNEL!r}")
    return native["runs"]


@pyodide_only
@pytest.mark.parametrize("name", sorted(parity.RUNS))
def test_runs_print_what_native_cpython_prints_and_agree_to_1e_12(name):
    native = _native()[name]
    here = parity.run(parity.RUNS[name])
    assert here["exit"] == 0
    assert here["lines"] == native["lines"]
    assert here["sums"].keys() == native["sums"].keys()
    for key, (total, squares) in here["sums"].items():
        assert total == pytest.approx(native["sums"][key][0], rel=1e-12, abs=1e-12), key
        assert squares == pytest.approx(native["sums"][key][1], rel=1e-12, abs=1e-12), key


@pyodide_only
def test_a_run_without_libm_equals_native_cpython_bit_for_bit():
    native = _native()["exact"]
    here = parity.exact()
    assert here["lines"] == native["lines"]
    assert here["tensors"] == native["tensors"]
