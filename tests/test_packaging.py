"""Packaging: setup.cfg agrees with the code, and purenn installs and runs with pip.

The pip installs build in fresh virtual environments (a minute or so, and they need the
package index for setuptools), so they run only where PURENN_PACKAGING=1, as in
``tox -e packaging``.
"""

import configparser
import os
import subprocess
import sys
import venv

import pytest
from helpers import REPO

needs_packaging = pytest.mark.skipif(os.environ.get("PURENN_PACKAGING") != "1",
                                     reason="set PURENN_PACKAGING=1 (tox -e packaging)")


def _setup_cfg():
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(REPO, "setup.cfg"))
    return cfg


def test_setup_cfg_declares_the_package_and_its_data():
    cfg = _setup_cfg()
    if not cfg.sections():
        pytest.skip("no setup.cfg beside the tests (an installed copy)")
    assert cfg["metadata"]["name"] == "purenn"
    assert cfg["options"]["python_requires"] == ">=3.9"
    assert "purenn = purenn.cli:run" in cfg["options.entry_points"]["console_scripts"]
    data = cfg["options.package_data"]
    assert "specs/*.net" in data["purenn"] and "mnist_subset/*.gz" in data["purenn.data"]
    assert "*.npz" in data["purenn.pretrained"] and "LICENSE-*.md" in data["purenn.pretrained"]
    with open(os.path.join(REPO, "pyproject.toml")) as f:
        sections = [line for line in f if line.startswith("[")]
    assert sections == ["[build-system]\n"]


def _venv(path):
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    bindir = "Scripts" if os.name == "nt" else "bin"
    return os.path.join(path, bindir, "python"), os.path.join(path, bindir, "purenn")


def _run(cmd, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PURENN_DATA"] = os.path.join(cwd, "no-cache")  # a fetched copy must not be used
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"{cmd}: {done.stdout}\n{done.stderr}"
    return done.stdout


@needs_packaging
@pytest.mark.parametrize("editable", [False, True], ids=["install", "editable"])
def test_pip_install_then_run_from_elsewhere(tmp_path, editable):
    python, script = _venv(str(tmp_path / "venv"))
    target = ["-e", REPO] if editable else [REPO]
    _run([python, "-m", "pip", "install", "--quiet", *target], cwd=str(tmp_path))
    elsewhere = str(tmp_path)
    assert _run([python, "-m", "purenn", "--version"], elsewhere).startswith("purenn ")
    assert "two_layer" in _run([script, "specs"], elsewhere)
    out = _run([python, "-m", "purenn", "train", "--train-size", "200", "--epochs", "1"],
               elsewhere)
    assert "bundled subset" in out and "test accuracy" in out
    out = _run([python, "-m", "purenn", "import", "book:ch03", "--spec", "three_layer_sigmoid",
                "-o", "ch03.safetensors"], elsewhere)
    assert "wrote ch03.safetensors: 6 tensors" in out
    where = _run([python, "-c", "import purenn; print(purenn.__file__)"], elsewhere)
    inside_repo = where.startswith(REPO)
    assert inside_repo == editable


def test_runs_from_the_checkout_without_site_packages():
    if not os.path.isdir(os.path.join(REPO, "purenn")):
        pytest.skip("no checkout beside the tests")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PURENN_DATA"] = os.path.join(REPO, "no-such-cache")
    done = subprocess.run([sys.executable, "-S", "-m", "purenn", "train", "--train-size",
                           "100", "--epochs", "1"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "test accuracy" in done.stdout
