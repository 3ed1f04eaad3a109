"""Shared test helpers, imported as a plain module (``from helpers import run_purenn``):
where the checkout and ../shared are, skipping without full MNIST, running the CLI."""

import contextlib
import os
import random
import signal
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared")
MNIST_DIR = os.path.join(SHARED, "data", "mnist")


def needs_mnist():
    """Skip unless the full MNIST files are beside the checkout (../shared/data/mnist)."""
    if not os.path.isfile(os.path.join(MNIST_DIR, "t10k-images-idx3-ubyte.gz")):
        pytest.skip("full MNIST not found at ../shared/data/mnist")
    return MNIST_DIR


def run_purenn(*args, cwd=None, env=None, timeout=300, python=sys.executable, flags=()):
    """Run ``python3 -m purenn ARGS`` in a subprocess; returns the CompletedProcess.

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


def words(text):
    """``text`` with every run of spaces and newlines made one space: output lines
    wider than the terminal (80 columns in a test) are wrapped at spaces, and a test of
    what a line says reads it whole again with ``words(expected) in words(stdout)``."""
    return " ".join(text.split())


def default_ctrl_c():
    """For Popen's ``preexec_fn`` of a child the test will press Ctrl-C (SIGINT) in: the
    child gets Python's KeyboardInterrupt even when the tests run with SIGINT ignored,
    as a shell's background job (``cmd &``) does, which its children would inherit."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt_at_first_epoch(command, env, cwd):
    """Start ``command``, a training run that prints 'epoch' lines, and press Ctrl-C
    (SIGINT) when its first epoch line comes; returns (exit code, stderr)."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, text=True, env=env, cwd=cwd,
                             preexec_fn=default_ctrl_c)
    try:
        for line in child.stdout:
            if line.startswith("epoch"):
                break
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    return child.returncode, stderr


def random_batch(rows, cols, seed, low=-1.0, high=1.0):
    """A rows x cols list of floats uniform in [low, high), from its own seeded rng."""
    rng = random.Random(seed)
    return [[rng.uniform(low, high) for _ in range(cols)] for _ in range(rows)]


def unwritable_folder(tmp_path):
    """A folder no file can be created in, for this user: a mode-0555 folder, or for
    root (whom modes do not stop) /sys on Linux; skips when there is none."""
    from purenn import fileio
    from purenn.errors import PurennError

    if hasattr(os, "geteuid") and os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return str(folder)
    if os.path.isdir("/sys"):
        try:
            fileio.check_folder("/sys", "probe")
        except PurennError:
            return "/sys"
    pytest.skip("no folder this user cannot write into")


@contextlib.contextmanager
def peak_memory():
    """Within: tracemalloc counts what is allocated. Yields a list that holds the peak in
    bytes afterwards, or stays empty where there is no tracemalloc (PyPy): the code under
    test still runs and is checked there, only its memory is not measured."""
    try:
        import tracemalloc
    except ImportError:
        yield []
        return
    peak = []
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


CHROMIUM = os.environ.get("PURENN_CHROMIUM", "/usr/bin/chromium")
# as root, headless, and without the background connections this machine's closed
# network refuses
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@contextlib.contextmanager
def browser_page(url, also=()):
    """A page of Debian's chromium (driven by Playwright) at ``url``, 1440x900; after
    the block, asserts that the page raised no error and asked for nothing but ``url``,
    data: and the prefixes in ``also``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # Playwright's waiting evaluates strings, which the page's CSP forbids
        page = browser.new_page(viewport={"width": 1440, "height": 900},
                                device_scale_factor=1, bypass_csp=True)
        errors, outside = [], []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: None if request.url.startswith(
            (url, "data:", *also)) else outside.append(request.url))
        page.goto(url)
        yield page
        browser.close()
    assert not errors, errors
    assert not outside, f"the page asked for {outside}"
