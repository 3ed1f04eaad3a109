"""The playground as a static site (``purenn playground --export``) in a real browser:
Debian's chromium, headless, driven by Playwright, with Pyodide from a local folder and
nothing but a static file server on localhost.

Run by ``tox -e playground``, which installs npm's ``pyodide`` package and points
PURENN_PYODIDE at it; skipped without PURENN_BROWSER_TEST=1. Screenshots go to
$PURENN_SCREENSHOTS (default: a temporary folder).
"""

import functools
import http.server
import json
import os
import threading

import pytest
from helpers import browser_page

from purenn import cli
from purenn.playground import plane

PYODIDE = os.environ.get("PURENN_PYODIDE")

if os.environ.get("PURENN_BROWSER_TEST") != "1":
    pytest.skip("the browser test runs with PURENN_BROWSER_TEST=1 (tox -e playground)",
                allow_module_level=True)
if not PYODIDE:
    raise RuntimeError("PURENN_PYODIDE names no folder holding Pyodide (npm's pyodide)")

SPIRAL = {"dataset": "spiral", "noise": 0.2, "seed": 0, "batch_size": 10}


class StaticFiles(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".mjs": "text/javascript", ".js": "text/javascript",
                      ".wasm": "application/wasm", ".whl": "application/zip"}

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """An exported site, served by a plain static file server on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("site")
    model = folder.parent / "digits.safetensors"
    from purenn.playground import digits
    spec = folder.parent / "digits.net"
    spec.write_text(digits.SPEC)
    assert cli.main(["train", "--spec", str(spec), "--epochs", "1", "--quiet",
                     "--out", str(model)]) == 0
    assert cli.main(["playground", "--export", str(folder), "--pyodide", PYODIDE,
                     "--model", str(model)]) == 0
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(StaticFiles, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = os.environ.get("PURENN_SCREENSHOTS") or str(tmp_path_factory.mktemp("shots"))
    os.makedirs(folder, exist_ok=True)
    print(f"\nscreenshots in {folder}")
    return folder


@pytest.fixture(scope="module")
def page(site):
    with browser_page(site, also=("blob:",)) as page:
        yield page


def number(page, selector):
    return float(page.inner_text(selector).replace(",", "").split()[0])


def test_the_spiral_trains_in_the_page_with_no_server(page, shots):
    page.wait_for_function("document.getElementById('test-loss').textContent !== '–'",
                           timeout=300_000)
    assert page.evaluate("window.purennTransport.status.ready") is True
    page.click(".dataset[data-name=spiral]")
    page.wait_for_function("document.getElementById('spec').value.includes('spiral')")
    page.wait_for_function("document.getElementById('epoch').textContent === '0'")
    page.wait_for_timeout(300)
    first_loss = number(page, "#test-loss")
    page.screenshot(path=os.path.join(shots, "site-start.png"), full_page=True)
    page.click("#play")
    page.wait_for_function("Number(document.getElementById('epoch').textContent"
                           ".replace(/,/g, '')) >= 30", timeout=600_000)
    page.click("#play")
    page.wait_for_function("document.getElementById('play').getAttribute('aria-label')"
                           " === 'start'")
    page.wait_for_timeout(500)
    assert number(page, "#test-loss") < 0.9 * first_loss
    page.screenshot(path=os.path.join(shots, "site-trained.png"), full_page=True)

    # the same run in CPython: every update, loss and accuracy of its epochs agrees
    records = page.evaluate("plane.records")
    config = page.evaluate("plane.setup.config")
    native = plane.PlaneSession(config, page.evaluate("plane.info.optimizers"))
    epochs = len(records["epoch"]) - 1
    native.step(epochs * native.trainer.batches_per_epoch)
    mine = native.state()["records"]
    assert mine["epoch"] == records["epoch"]
    for key in ("train_loss", "test_loss", "train_acc", "test_acc"):
        assert mine[key] == pytest.approx(records[key], rel=1e-9, abs=1e-12), key


def test_the_downloads_come_from_the_worker(page):
    with page.expect_download() as spec:
        page.click("#download-spec")
    assert "input 2" in open(spec.value.path(), encoding="utf-8").read()
    with page.expect_download() as model:
        page.click("#download-model")
    data = open(model.value.path(), "rb").read()
    header = json.loads(data[8:8 + int.from_bytes(data[:8], "little")])
    assert "dense1.W" in header and "spec" in header["__metadata__"]


def test_a_regression_set_trains_in_the_page_as_in_cpython(page, shots):
    page.click(".dataset[data-name=gauss]")
    page.wait_for_function("document.getElementById('spec').value"
                           ".includes('loss mean_squared_error')")
    page.wait_for_function("document.getElementById('epoch').textContent === '0'")
    page.wait_for_timeout(300)
    assert page.is_hidden("#test-acc")
    first_loss = number(page, "#test-loss")
    page.click("#play")
    page.wait_for_function("Number(document.getElementById('epoch').textContent"
                           ".replace(/,/g, '')) >= 5", timeout=600_000)
    page.click("#play")
    page.wait_for_function("document.getElementById('play').getAttribute('aria-label')"
                           " === 'start'")
    page.wait_for_timeout(500)
    assert number(page, "#test-loss") < first_loss
    page.screenshot(path=os.path.join(shots, "site-gauss.png"), full_page=True)
    records = page.evaluate("plane.records")
    native = plane.PlaneSession(page.evaluate("plane.setup.config"),
                                page.evaluate("plane.info.optimizers"))
    native.step((len(records["epoch"]) - 1) * native.trainer.batches_per_epoch)
    mine = native.state()["records"]
    assert mine["epoch"] == records["epoch"] and "test_acc" not in mine
    for key in ("train_loss", "test_loss"):
        assert mine[key] == pytest.approx(records[key], rel=1e-9, abs=1e-12), key


def draw(page, strokes):
    box = page.locator("#pad").bounding_box()
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=8)
        page.mouse.up()


def test_a_drawn_digit_is_read_in_the_page(page, shots):
    page.click("#tab-digits")
    draw(page, [[(140, 40), (138, 150), (136, 240)]])                     # a one
    page.wait_for_timeout(800)
    page.wait_for_function("document.getElementById('digit').textContent !== '?'")
    assert page.inner_text("#digit") == "1"
    page.screenshot(path=os.path.join(shots, "site-digits.png"), full_page=True)


def test_a_site_exported_without_a_model_reads_with_the_shipped_one(page, tmp_path):
    """Without --model the site reads digits with the reader shipped with purenn (it is in
    the wheel). The browser is the module's (a second Playwright cannot start beside it)."""
    folder = tmp_path / "bare"
    assert cli.main(["playground", "--export", str(folder), "--pyodide", PYODIDE]) == 0
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(StaticFiles, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    bare = page.context.browser.new_page(bypass_csp=True)
    try:
        errors = []
        bare.on("pageerror", lambda error: errors.append(str(error)))
        bare.goto(f"http://127.0.0.1:{server.server_port}/")
        bare.wait_for_function("window.purennTransport.status.ready || "
                               "window.purennTransport.status.error", timeout=300_000)
        assert bare.evaluate("window.purennTransport.status.error") is None
        bare.click("#tab-digits")
        bare.wait_for_function("document.getElementById('model-status').textContent"
                               ".includes('test accuracy 97.8 %')", timeout=120_000)
        assert "shipped with purenn" in bare.inner_text("#model-source")
        assert not errors, errors
    finally:
        bare.context.close()
        server.shutdown()
        server.server_close()
