"""``purenn playground`` in a real browser: Debian's chromium, headless, driven by Playwright.

Run by ``tox -e playground``, which installs Playwright (no browser is downloaded: the
system's /usr/bin/chromium is used) and sets PURENN_BROWSER_TEST=1; without that variable
the test skips, as it takes minutes (the digit reader trains a first epoch). Screenshots go
to $PURENN_SCREENSHOTS (default: a temporary folder), named in the test's output.
"""

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from helpers import default_ctrl_c

import purenn

CHROMIUM = os.environ.get("PURENN_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("PURENN_BROWSER_TEST") == "1"
# the purenn these tests import, for the command run in a child process
PURENN_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(purenn.__file__)))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]

if not REQUIRED:
    pytest.skip("the browser test runs with PURENN_BROWSER_TEST=1 (tox -e playground)",
                allow_module_level=True)
if not os.path.exists(CHROMIUM):
    raise RuntimeError(f"no chromium at {CHROMIUM}: apt-get install chromium")
from playwright.sync_api import sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def url():
    """A playground started as a user starts it (the digits network trains in it)."""
    proc = subprocess.Popen([sys.executable, "-m", "purenn", "playground", "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": PURENN_PARENT},
                            preexec_fn=default_ctrl_c)
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+/", line)
    assert match, (line, proc.stderr.read() if proc.poll() is not None else "")
    yield match.group(0)
    proc.send_signal(signal.SIGINT)
    try:
        assert proc.wait(timeout=30) == 130   # interrupted
    finally:
        proc.kill()


@pytest.fixture(scope="module")
def page(url):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        # Playwright's waiting evaluates strings, which the page's CSP forbids
        page = browser.new_page(viewport={"width": 1440, "height": 900},
                                device_scale_factor=1, bypass_csp=True)
        errors, outside = [], []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: None if request.url.startswith(
            (url, "data:")) else outside.append(request.url))
        page.goto(url)
        yield page
        browser.close()
    assert not errors, errors
    assert not outside, f"the page asked for {outside}"


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = os.environ.get("PURENN_SCREENSHOTS") or str(tmp_path_factory.mktemp("shots"))
    os.makedirs(folder, exist_ok=True)
    print(f"\nscreenshots in {folder}")
    return folder


def number(page, selector):
    return float(page.inner_text(selector).replace(",", "").split()[0])


def regions_picture(page):
    return page.evaluate("document.getElementById('regions').toDataURL()")


def test_2d_training_lowers_the_loss_and_moves_the_regions(page, shots):
    page.wait_for_function("document.getElementById('test-loss').textContent !== '–'")
    page.click(".dataset[data-name=spiral]")
    for i in (1, 2):
        units = page.locator(f"[aria-label='units of hidden layer {i}']")
        units.fill("16")
        units.dispatch_event("change")
    page.wait_for_function("document.getElementById('spec').value.split('dense 16').length"
                           " === 3 && document.getElementById('spec').value.includes('spiral')")
    page.wait_for_function("document.getElementById('epoch').textContent === '0'")
    page.wait_for_timeout(300)
    first_loss = number(page, "#test-loss")
    before = regions_picture(page)
    page.screenshot(path=os.path.join(shots, "plane-start.png"), full_page=True)

    page.click("#play")
    page.wait_for_function("Number(document.getElementById('epoch').textContent"
                           ".replace(/,/g, '')) >= 40", timeout=900_000)
    page.click("#play")                                  # pause
    page.wait_for_function("document.getElementById('play').getAttribute('aria-label')"
                           " === 'start'")
    page.wait_for_timeout(500)
    assert number(page, "#test-loss") < 0.8 * first_loss
    assert regions_picture(page) != before
    assert number(page, "#test-acc") > 60
    assert "--dataset spiral" in page.inner_text("#command")
    epochs = page.evaluate("plane.records.epoch")       # each epoch once, in order
    assert epochs == list(range(len(epochs))) and len(epochs) >= 41
    page.screenshot(path=os.path.join(shots, "plane-trained.png"), full_page=True)

    # one step: one update on the server, shown on the page
    updates = server_updates(page)
    page.click("#step")
    page.wait_for_function(f"Number(document.getElementById('updates').textContent"
                           f".replace(/,/g, '')) === {updates + 1}")
    assert server_updates(page) == updates + 1


def server_updates(page):
    return page.evaluate("fetch('/api/plane/state').then(r => r.json()).then(s => s.updates)")


def draw(page, strokes):
    box = page.locator("#pad").bounding_box()
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=8)
        page.mouse.up()


def read_digit(page):
    page.wait_for_timeout(800)     # the last read after the pen is lifted
    page.wait_for_function("document.getElementById('digit').textContent !== '?'")
    return page.inner_text("#digit")


def test_a_drawn_digit_is_read(page, shots):
    page.click("#tab-digits")
    # wait for a first epoch of the background training, so the answer means something
    page.wait_for_function("document.getElementById('model-status').textContent"
                           ".includes('test accuracy')", timeout=1_500_000)
    draw(page, [[(140, 40), (138, 150), (136, 240)]])                     # a one
    assert read_digit(page) == "1"
    bars = page.evaluate("[...document.querySelectorAll('.bar div')]"
                         ".map(b => parseFloat(b.style.width))")
    assert len(bars) == 10 and bars[1] == max(bars) and bars[1] > 50
    page.screenshot(path=os.path.join(shots, "digits-one.png"), full_page=True)

    page.click("#clear")
    assert page.inner_text("#digit") == "?"
    draw(page, [[(70, 50), (200, 50), (150, 150), (110, 245)]])           # a seven
    seven = read_digit(page)
    page.screenshot(path=os.path.join(shots, "digits-seven.png"), full_page=True)
    assert seven == "7"
    seen = page.evaluate("""(() => {
        const c = document.getElementById('seen');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let lit = 0; for (let i = 0; i < d.length; i += 4) if (d[i] > 128) lit++;
        return lit; })()""")
    assert seen > 0


def test_the_spec_can_be_edited_as_text(page, shots):
    page.click("#tab-plane")
    text = page.input_value("#spec").replace("optimizer sgd", "optimizer adam")
    page.fill("#spec", text.replace("tanh\n", "tanh\ndropout 0.1\n", 1))
    page.click("#apply-spec")
    page.wait_for_function("!document.getElementById('custom-note').hidden")
    assert "dropout 0.1" in page.input_value("#spec")
    page.fill("#spec", text.replace("tanh\n", "tnah\n", 1))
    page.click("#apply-spec")
    page.wait_for_function("document.getElementById('spec-error').textContent !== ''")
    assert "unknown layer 'tnah'; did you mean 'tanh'?" in page.inner_text("#spec-error")
    time.sleep(0.1)


def back_to_the_editor(page):
    """The 2-D tab, its first run answered, the editor shown (not a custom spec)."""
    page.click("#tab-plane")
    page.wait_for_function("document.getElementById('test-loss').textContent !== '–'")
    if page.is_visible("#back-to-editor"):
        page.click("#back-to-editor")
    page.wait_for_function("!document.getElementById('editor').hidden && "
                           "plane.setup.custom === false")


def test_an_answer_to_an_older_reset_does_not_undo_a_newer_edit(page):
    """Hidden 1 set, then hidden 2 while the first reset is under way: the first reset's
    answer, arriving before the second is sent, must not put hidden 2 back."""
    back_to_the_editor(page)
    held = []

    def hold(route):
        if not held:   # the first edit's reset: reaches the server, its answer waits here
            held.append((route, route.fetch()))
        else:
            route.continue_()

    page.route("**/api/plane/reset", hold)
    try:
        first = page.locator("[aria-label='units of hidden layer 1']")
        first.fill("5")
        first.dispatch_event("change")
        while not held:
            page.wait_for_timeout(20)
        second = page.locator("[aria-label='units of hidden layer 2']")
        second.fill("7")
        second.dispatch_event("change")
        route, answer = held[0]
        route.fulfill(response=answer)   # well before the second reset's 250 ms are up
        page.wait_for_function("document.getElementById('spec').value.includes('dense 5 ')"
                               " && document.getElementById('spec').value"
                               ".includes('dense 7 ')", timeout=30_000)
    finally:
        page.unroute("**/api/plane/reset")
    assert page.input_value("[aria-label='units of hidden layer 2']") == "7"
    served = page.evaluate("fetch('/api/plane/spec.net').then(r => r.text())")
    assert "dense 5 " in served and "dense 7 " in served


def test_a_diverging_run_warns_and_the_model_waits_for_a_whole_epoch(page):
    back_to_the_editor(page)
    page.click(".dataset[data-name=moons]")
    page.wait_for_function("document.getElementById('spec').value.includes('moons')")
    page.fill("#spec", "input 2\ndense 16\ntanh\ndense 2\nloss softmax_cross_entropy\n"
                       "optimizer sgd lr=1000\n")
    page.click("#apply-spec")
    page.wait_for_function("document.getElementById('spec').value.includes('lr=1000')"
                           " && document.getElementById('epoch').textContent === '0'")
    assert page.get_attribute("#download-model", "aria-disabled") == "true"
    assert page.inner_text("#plane-warning") == ""
    for _ in range(40):
        page.click("#step")
        page.wait_for_timeout(100)
        if "the loss exploded" in page.inner_text("#plane-warning"):
            break
    assert page.inner_text("#plane-warning").startswith("warning: the loss exploded to ")
