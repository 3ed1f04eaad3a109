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
from helpers import CHROMIUM, browser_page, default_ctrl_c

import purenn

REQUIRED = os.environ.get("PURENN_BROWSER_TEST") == "1"
# the purenn these tests import, for the command run in a child process
PURENN_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(purenn.__file__)))

if not REQUIRED:
    pytest.skip("the browser test runs with PURENN_BROWSER_TEST=1 (tox -e playground)",
                allow_module_level=True)
if not os.path.exists(CHROMIUM):
    raise RuntimeError(f"no chromium at {CHROMIUM}: apt-get install chromium")


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
    with browser_page(url) as page:
        yield page


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


def train_until(page, epoch, timeout):
    """Press play, wait until the page shows ``epoch`` epochs, pause, and let the paused
    state's pictures arrive."""
    page.click("#play")
    page.wait_for_function("Number(document.getElementById('epoch').textContent"
                           f".replace(/,/g, '')) >= {epoch}", timeout=timeout)
    page.click("#play")                                  # pause
    page.wait_for_function("document.getElementById('play').getAttribute('aria-label')"
                           " === 'start'")


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

    train_until(page, 40, timeout=900_000)
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


def test_the_reader_shows_what_pushed_the_answer_and_can_watch_one_learn(page, shots):
    page.click("#tab-digits")
    page.click("#clear")
    draw(page, [[(70, 50), (200, 50), (150, 150), (110, 245)]])           # a seven
    assert read_digit(page) == "7"
    page.wait_for_function("document.querySelectorAll('.unit-card').length === 6")
    captions = page.evaluate("[...document.querySelectorAll('.unit-card figcaption')]"
                             ".map(c => c.textContent)")
    pushes = [float(c.split(": ")[1]) for c in captions]
    assert pushes == sorted(pushes, reverse=True) and pushes[0] > 0
    assert "test accuracy 97.8 %" in page.inner_text("#model-status")
    page.screenshot(path=os.path.join(shots, "digits-units.png"), full_page=True)
    docs_picture(page, "docs-playground-digits.png", "#units", shots)
    page.click("#learn")
    page.wait_for_function("document.getElementById('learn').getAttribute('aria-pressed')"
                           " === 'true'")
    assert "Back to the trained reader" in page.inner_text("#learn")
    page.click("#learn")
    page.wait_for_function("document.getElementById('model-status').textContent"
                           ".includes('test accuracy 97.8 %')")
    assert page.get_attribute("#learn", "aria-pressed") == "false"


def docs_picture(page, name, lowest, shots):
    """The page from its top to a little below ``lowest``: docs/playground-*.png."""
    page.evaluate("window.scrollTo(0, 0)")
    box = page.locator(lowest).bounding_box()
    width = page.viewport_size["width"]
    page.screenshot(path=os.path.join(shots, name), full_page=True,
                    clip={"x": 0, "y": 0, "width": width, "height": box["y"] + box["height"] + 70})


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
    # the first run answered (a diverged run's loss is '–', but its epoch is shown)
    page.wait_for_function("plane.setup !== null && plane.records !== null")
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


# -- issue 25: features, ratio, the network view, discretize, the URL, sizes ---------------
def another_page(page, width, height):
    """A page of its own (its own context) at this size, on the same browser."""
    return page.context.browser.new_page(viewport={"width": width, "height": height},
                                         device_scale_factor=1, bypass_csp=True)


def command(page):
    return page.inner_text("#command")


def pixel(page, selector, fx, fy):
    """[r, g, b] of a canvas at fractions (fx, fy) of its size."""
    return page.evaluate(f"""(() => {{
        const c = document.querySelector({selector!r});
        const d = c.getContext('2d').getImageData(Math.floor(c.width * {fx}),
                                                  Math.floor(c.height * {fy}), 1, 1).data;
        return [d[0], d[1], d[2]]; }})()""")


def test_features_ratio_and_the_network_view(page, shots):
    page.click("#tab-plane")
    # the run before used a spec as text that the editor can show: an edit of the
    # editor's learning rate makes it the editor's run again
    page.fill("#lr", "0.1")
    page.dispatch_event("#lr", "change")
    page.wait_for_function("plane.setup.custom === false && "
                           "document.getElementById('spec').value.includes('sgd lr=0.1')")
    back_to_the_editor(page)
    page.click(".dataset[data-name=circles]")
    page.wait_for_function("document.getElementById('spec').value.includes('circles')")
    page.click(".feature[data-name='x1^2']")
    page.wait_for_function("document.getElementById('spec').value.includes('input 3')")
    page.fill("#ratio", "70")
    page.dispatch_event("#ratio", "change")
    page.wait_for_function("document.getElementById('command').textContent"
                           ".includes('--ratio 70')")
    assert "--features x1,x2,x1^2 " in command(page)
    assert page.get_attribute(".feature[data-name='x1^2']", "aria-pressed") == "true"
    hidden = page.evaluate("plane.setup.editor.hidden.map(l => l.units)")
    page.wait_for_function(f"document.querySelectorAll('.unit').length === {sum(hidden)}")
    sizes = [3] + hidden + [2]
    links = sum(a * b for a, b in zip(sizes, sizes[1:]))
    page.wait_for_function(f"document.querySelectorAll('#net-links path').length === {links}")
    # the x1 tile is the picture of x: orange on the left, blue on the right
    left, right = (pixel(page, ".feature[data-name=x1] canvas", fx, 0.5) for fx in (0.1, 0.9))
    assert left[0] > left[2] and right[2] > right[0], (left, right)
    # x1^2 is blue at both sides, white in the middle
    middle = pixel(page, ".feature[data-name='x1^2'] canvas", 0.5, 0.5)
    assert min(middle) > 235, middle
    # hover a link: the weight the server has, drawn in the colour of its sign
    network = page.evaluate("fetch('/api/plane/state?regions=0').then(r => r.json())"
                            ".then(s => s.network)")
    w = network["weights"][0][2][1]          # from x1^2 to hidden 1 unit 2
    path = page.locator("#net-links path").nth(2 * hidden[0] + 1)
    path.dispatch_event("mouseenter")
    assert page.inner_text("#net-hover") == (f"weight from input x1^2 to hidden 1 unit 2: "
                                             f"{w:.4f}")
    assert path.get_attribute("stroke") == ("rgb(8,119,189)" if w > 0 else "rgb(245,147,34)")
    page.locator(".unit").first.dispatch_event("mouseenter")
    assert page.inner_text("#net-hover").startswith("hidden 1, unit 1 (tanh): bias ")
    # the tiles change as it learns
    before = page.evaluate("document.querySelector('.unit').toDataURL()")
    train_until(page, 5, timeout=300_000)
    page.wait_for_timeout(500)
    assert page.evaluate("document.querySelector('.unit').toDataURL()") != before
    # discretize: one colour per cell, the class the network answers
    smooth = regions_picture(page)
    page.check("#discretize")
    assert regions_picture(page) != smooth
    assert "discretize=1" in page.evaluate("location.hash")
    page.screenshot(path=os.path.join(shots, "plane-features.png"), full_page=True)
    page.uncheck("#discretize")
    page.locator("#net-links path").nth(2 * hidden[0] + 1).dispatch_event("mouseenter")
    docs_picture(page, "docs-playground-2d.png", "#regions", shots)


def test_clicking_the_plane_adds_points(page, shots):
    page.click("#tab-plane")
    page.click(".add-class[data-class='1']")
    assert page.get_attribute(".add-class[data-class='1']", "aria-pressed") == "true"
    extent = page.evaluate("plane.setup.extent")
    box = page.locator("#regions").bounding_box()
    train = len(page.evaluate("plane.setup.train"))
    # the top right quarter's middle: (x1 / 2, y1 / 2) in the plane
    page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + 0.25 * box["height"])
    page.wait_for_function("document.getElementById('command').textContent"
                           ".includes('--add-point=')")
    x, y = extent[1] / 2, extent[3] / 2
    point = page.evaluate("plane.setup.config.points[0]")
    assert point[2] == 1 and abs(point[0] - x) < 0.02 and abs(point[1] - y) < 0.02
    assert len(page.evaluate("plane.setup.train")) == train + 1
    assert f"--add-point={point[0]!r},{point[1]!r},1 " in command(page)
    assert "points=" in page.evaluate("location.hash")
    page.screenshot(path=os.path.join(shots, "plane-added-point.png"))
    page.click("#clear-points")
    page.wait_for_function("!document.getElementById('command').textContent"
                           ".includes('--add-point')")
    assert page.is_disabled("#clear-points")


def test_the_url_holds_the_state_and_a_bad_one_falls_back(page, url, shots):
    extra = another_page(page, 1280, 800)
    errors = []
    extra.on("pageerror", lambda error: errors.append(str(error)))
    try:
        extra.goto(url + "#dataset=xor&noise=0.2&seed=3&ratio=70&features=x1,x1x2&batch=20"
                         "&hidden=4relu-3tanh&optimizer=adam&lr=0.01&wd=0.001&discretize=1")
        extra.wait_for_function("document.getElementById('command').textContent"
                                ".includes('--dataset xor')")
        assert command(extra).startswith(
            "python3 -m purenn train --spec playground.net --dataset xor --noise 0.2 "
            "--ratio 70 --features x1,x1x2 --seed 3 --batch-size 20 --epochs ")
        spec = extra.input_value("#spec")
        assert "dense 4 init=he\nrelu\ndense 3 init=xavier\ntanh" in spec
        assert "optimizer adam lr=0.01" in spec and "weight_decay=0.001" in spec
        assert extra.is_checked("#discretize") and extra.is_hidden("#url-note")
        # the button copies (or, without a clipboard, shows) the link with the state
        extra.click("#copy-link")
        extra.wait_for_function("document.getElementById('link-status').textContent !== ''")
        link = extra.get_attribute("#copy-link", "data-link")
        assert "dataset=xor" in link and "ratio=70" in link and "hidden=4relu-3tanh" in link
        # a hostile link: the defaults, a message naming what was refused, a working page
        extra.goto(url + "#dataset=%3Cimg%20src=x%20onerror=alert(1)%3E&ratio=5"
                         "&hidden=9999tanh&features=x9&lr=1e400&evil=" + "x" * 100)
        extra.reload()
        extra.wait_for_function("!document.getElementById('url-note').hidden")
        note = extra.inner_text("#url-note")
        assert "defaults are used" in note and "ratio=5" in note
        assert extra.locator("#url-note img").count() == 0
        extra.wait_for_function("document.getElementById('command').textContent"
                                ".includes('--dataset circles')")
        assert "--ratio" not in command(extra) and "--features" not in command(extra)
        extra.screenshot(path=os.path.join(shots, "plane-bad-link.png"))
        extra.goto(url + "#" + "a" * 5000)
        extra.reload()
        extra.wait_for_function("!document.getElementById('url-note').hidden")
        assert "5000 characters" in extra.inner_text("#url-note")
    finally:
        extra.context.close()
    assert not errors, errors


@pytest.mark.parametrize("width, height", [(1280, 800), (800, 600), (390, 844)])
def test_every_size_shows_controls_network_and_output_without_sideways_scrolling(
        page, url, shots, width, height):
    extra = another_page(page, width, height)
    try:
        extra.goto(url)
        extra.wait_for_function("document.querySelectorAll('#net-links path').length > 0")
        extra.wait_for_timeout(300)
        assert extra.evaluate("document.documentElement.scrollWidth") <= width
        for selector in ("#play", "#optimizer", "#ratio", ".feature[data-name=x1]",
                         ".unit", "#regions", "#loss-curve", "#spec", "#command"):
            box = extra.locator(selector).first.bounding_box()
            assert box and box["width"] > 0 and box["x"] >= 0, selector
            assert box["x"] + box["width"] <= width, (selector, box)
        extra.screenshot(path=os.path.join(shots, f"plane-{width}x{height}.png"),
                         full_page=True)
        extra.click("#tab-digits")
        extra.wait_for_timeout(300)
        assert extra.evaluate("document.documentElement.scrollWidth") <= width
        for selector in ("#pad", "#seen", "#bars", "#learn"):
            box = extra.locator(selector).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)
        extra.screenshot(path=os.path.join(shots, f"digits-{width}x{height}.png"),
                         full_page=True)
    finally:
        extra.context.close()


def test_a_regression_set_fits_a_plane_and_shows_its_loss(page, shots):
    page.click("#tab-plane")
    page.click(".dataset[data-name=plane]")
    page.wait_for_function("document.getElementById('spec').value"
                           ".includes('loss mean_squared_error')")
    page.wait_for_function("document.getElementById('epoch').textContent === '0'")
    page.wait_for_timeout(300)
    assert page.is_hidden("#test-acc")                  # no accuracy for a regression set
    assert page.inner_text("#output-units").startswith("1 value")
    assert "prediction and target" in page.inner_text("#legend")
    first_loss = number(page, "#test-loss")
    page.screenshot(path=os.path.join(shots, "plane-regression-start.png"), full_page=True)
    train_until(page, 8, timeout=600_000)
    page.wait_for_timeout(800)
    assert number(page, "#test-loss") < 0.2 * first_loss
    assert "--dataset plane" in page.inner_text("#command")
    assert page.evaluate("plane.records.test_acc.length") == 0   # the server sent none
    # the fitted (x + y) / 2: blue at the top right, orange at the bottom left, white
    # along the diagonal from the top left to the bottom right
    blue, orange, white = (pixel(page, "#regions", fx, fy)
                           for fx, fy in ((0.98, 0.02), (0.02, 0.98), (0.02, 0.02)))
    assert blue[2] > 150 and blue[0] < 80, blue
    assert orange[0] > 200 and orange[2] < 100, orange
    assert min(white) > 200, white
    page.screenshot(path=os.path.join(shots, "plane-regression-trained.png"), full_page=True)
    # a click adds a point with the chosen target
    page.click(".add-class[data-class='0']")
    box = page.locator("#regions").bounding_box()
    page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + 0.25 * box["height"])
    page.wait_for_function("document.getElementById('command').textContent"
                           ".includes('--add-point=')")
    assert page.evaluate("plane.setup.config.points[0][2]") == -1
    assert ",-1.0 " in command(page)   # the target, a number
    page.click("#clear-points")
    page.click(".dataset[data-name=circles]")
    page.wait_for_function("document.getElementById('spec').value.includes('circles')")
