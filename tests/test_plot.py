"""purenn.plot and the training charts: every figure type decoded back (PNG chunks and
pixels, SVG parsed) with the right series, labels and panels."""

import math

import pytest
from pictures import decode_png, png_chunks, svg_all, svg_root, svg_texts

from purenn import plot
from purenn.data.spiral import make_spiral
from purenn.spec import build
from purenn.train import History
from purenn.viz import font
from purenn.viz.figure import PALETTE
from purenn.viz.ticks import nice_ticks


def history():
    return History(epoch=[1, 2, 3], train_loss=[2.0, 1.0, 0.5],
                   train_acc=[0.5, 0.7, 0.9], test_acc=[0.4, 0.6, 0.8],
                   seconds=[1.0, 1.0, 1.0], iteration_loss=[2.3 - i / 20 for i in range(40)])


def test_curves_png_has_both_panels(tmp_path):
    plot.history(history()).save(tmp_path / "c.png")
    width, height, rows = decode_png((tmp_path / "c.png").read_bytes())
    assert (width, height) == (840, 330)
    blue, orange = bytes(PALETTE[0]), bytes(PALETTE[1])
    left = b"".join(r[:3 * 420] for r in rows)
    right = b"".join(r[3 * 420:] for r in rows)
    assert blue in left and orange not in left
    assert blue in right and orange in right


def test_curves_svg_has_three_series_two_titles_and_a_legend(tmp_path):
    plot.history(history()).save(tmp_path / "c.svg")
    root = svg_root(tmp_path / "c.svg")
    texts = svg_texts(root)
    assert "training loss per iteration" in texts and "accuracy per epoch" in texts
    assert "train acc" in texts and "test acc" in texts
    lines = svg_all(root, "polyline")
    assert len(lines) == 3
    assert lines[2].get("stroke-dasharray") == "6,4"
    assert all(t.get("dominant-baseline") is None for t in svg_all(root, "text"))


def test_epoch_axes_have_whole_number_ticks(tmp_path):
    h = History(epoch=[1, 2], train_loss=[1, 1], train_acc=[0.5, 0.6], test_acc=[0.5, 0.6],
                seconds=[1, 1], iteration_loss=[1.0, 0.9])
    root = svg_root(plot.history(h).svg())
    # the accuracy panel's x ticks: 1 and 2 only, never 1.2 or 1.5
    texts = svg_texts(root)
    assert "1.5" not in texts and "1.2" not in texts
    assert nice_ticks(1, 3, 6, integer=True) == [1, 2, 3]
    assert nice_ticks(0, 200, 6, integer=True) == [0, 50, 100, 150, 200]


def test_the_font_has_descenders_and_capitals():
    g = font.glyph("g")
    assert len(g) == font.HEIGHT and any(g[font.ASCENT])  # ink below the baseline
    assert not any(font.glyph("a")[font.ASCENT])
    assert font.glyph("S") != font.glyph("s")


def test_lines_figure_decodes_with_its_labels_and_series(tmp_path):
    x = plot.linspace(-5, 5, 101)
    fig = plot.lines(x, {"step": [float(v > 0) for v in x],
                         "sigmoid": [1 / (1 + math.exp(-v)) for v in x],
                         "ReLU": [max(0.0, v) for v in x]}, ylim=(-0.1, 1.1), title="f")
    root = svg_root(fig.svg())
    assert len(svg_all(root, "polyline")) == 3
    assert {"step", "sigmoid", "ReLU", "x", "y", "f"} <= set(svg_texts(root))
    fig.save(tmp_path / "f.png", scale=2)
    width, height, _ = decode_png((tmp_path / "f.png").read_bytes())
    assert (width, height) == (840, 660)  # 420 x 330, twice


def test_jupyter_reprs():
    fig = plot.lines([0, 1], {"a": [0, 1]})
    assert png_chunks(fig._repr_png_())[0][0] == b"IHDR"
    assert svg_root(fig._repr_svg_()) is not None


def test_histogram_counts_sum_to_the_values_and_bars_are_drawn():
    values = [i / 999 for i in range(1000)]
    fig, counts = plot.histograms({"1-layer": values, "2-layer": values[:500]}, bins=30)
    assert [sum(c) for c in counts] == [1000, 500] and len(counts[0]) == 30
    root = svg_root(fig.svg())
    assert {"1-layer", "2-layer"} <= set(svg_texts(root))
    bars = [r for r in svg_all(root, "rect") if r.get("fill") == "#1f77b4"]
    assert len(bars) == 30 + 15


def test_values_outside_the_range_are_not_counted():
    p = plot.Figure().panel()
    assert sum(p.hist([-1.0, 0.0, 0.5, 1.0, 2.0], bins=4, range=(0, 1))) == 3


def test_contour_lines_lie_on_their_level():
    def f(x, y):
        return x * x / 20 + y * y

    segments = plot.marching_squares(plot.linspace(-10, 10, 81), plot.linspace(-5, 5, 41),
                                     [[f(x, y) for x in plot.linspace(-10, 10, 81)]
                                      for y in plot.linspace(-5, 5, 41)], 2.0)
    assert len(segments) > 40
    for a, b in segments:
        for x, y in (a, b):
            assert f(x, y) == pytest.approx(2.0, abs=0.2)


def test_image_grid_has_one_image_per_panel_and_captions():
    images = [[i / 24 for i in range(25)]] * 6
    fig = plot.image_grid(images, (5, 5), cols=4, captions=[str(i) for i in range(6)])
    root = svg_root(fig.svg())
    assert len(svg_all(root, "image")) == 6
    assert [t for t in svg_texts(root) if t.isdigit()] == ["0", "1", "2", "3", "4", "5"]
    assert fig.size == (4 * 64, 2 * (64 + 14))


def test_legend_avoids_the_curves():
    fig = plot.Figure()
    ax = fig.panel()
    ax.line([0, 1, 2, 3], [0, 1, 2, 3], label="rising")  # corner to corner, lower left up
    drawing = fig.draw()
    box = [s for s in drawing.shapes if type(s).__name__ == "Rect" and s.fill == (255,) * 3]
    assert len(box) == 1
    # the free corners are upper left and lower right
    assert (box[0].x < 200) == (box[0].y < 150)


def test_decision_regions_are_one_image_not_thousands_of_rectangles():
    net = build("spiral_net")
    fig = plot.decision_regions(net, make_spiral(20))
    root = svg_root(fig.svg())
    assert len(svg_all(root, "image")) == 1
    assert len(svg_all(root, "rect")) < 20
    assert len(svg_all(root, "circle")) == 2 * 60  # each point: an edge and a fill


def test_smooth_is_the_books_smooth_curve():
    values = [float(i % 7) for i in range(50)]
    smoothed = plot.smooth(values)
    assert len(smoothed) == 50
    # NumPy: kaiser(11, 2) normalized, convolved with the mirrored series
    np = pytest.importorskip("numpy")
    x = np.array(values)
    s = np.r_[x[10:0:-1], x, x[-1:-11:-1]]
    w = np.kaiser(11, 2)
    expected = np.convolve(w / w.sum(), s, mode="valid")[5:-5]
    assert smoothed == pytest.approx(list(expected), abs=1e-12)


def test_a_picture_must_be_png_or_svg(tmp_path):
    with pytest.raises(ValueError, match=r"saved as .png or .svg, got '.*c.jpg'"):
        plot.history(history()).save(tmp_path / "c.jpg")
    assert not (tmp_path / "c.jpg").exists()


def test_a_training_history_shows_itself_in_jupyter():
    history = History(epoch=[1, 2], train_loss=[0.9, 0.5], train_acc=[0.6, 0.8],
                      test_acc=[0.55, 0.75], seconds=[1.0, 1.0],
                      iteration_loss=[1.2, 1.0, 0.8, 0.6])
    png = history._repr_png_()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png == plot.history(history).png()
    assert svg_root(history._repr_svg_()).tag.endswith("svg")


# -- clipping at the panel's limits (issue 21, item 1) ----------------------------------

def frame_box(drawing):
    """(left, top, right, bottom) of the first panel's plot area: its black frame."""
    frame = next(s for s in drawing.shapes if type(s).__name__ == "Rect"
                 and s.stroke == (0, 0, 0))
    return frame.x, frame.y, frame.x + frame.w - 1, frame.y + frame.h - 1


def test_a_line_leaving_the_limits_is_cut_at_the_frame_not_pressed_onto_it():
    fig = plot.Figure()
    ax = fig.panel(ylim=(0, 5), legend=None)
    ax.line([0, 10], [0, 10])
    left, top, right, bottom = frame_box(fig.draw())
    # SVG: one polyline from (0, 0) to (5, 5), where y = x leaves at the top
    lines = [p for p in svg_all(svg_root(fig.svg()), "polyline")]
    assert len(lines) == 1
    points = [tuple(map(float, p.split(","))) for p in lines[0].get("points").split()]
    assert points[0] == pytest.approx((left, bottom), abs=0.01)
    assert points[-1] == pytest.approx(((left + right) / 2, top), abs=0.01)
    # PNG: the pixel of (2.5, 2.5) is the line's, that of (2.5, 1.25) (y = x/2) is not
    width, _, rows = decode_png(fig.png())
    blue = bytes(PALETTE[0])

    def pixel(x, y):
        col = round(left + x / 10 * (right - left))
        row = round(bottom - y / 5 * (bottom - top))
        return bytes(rows[row][3 * col:3 * col + 3])

    assert pixel(2.5, 2.5) == blue and pixel(2.5, 1.25) != blue
    assert pixel(7.5, 3.75) != blue and pixel(9.9, 4.95) != blue
    # nothing blue on the frame's top right half, where the clamped line lay
    top_row = rows[round(top) + 1]
    assert blue not in top_row[3 * round((left + right) / 2 + 3):3 * round(right - 1)]


def test_a_line_leaving_and_coming_back_is_drawn_in_two_pieces():
    fig = plot.Figure()
    ax = fig.panel(ylim=(0, 1), xlim=(0, 4), legend=None)
    ax.line([0, 1, 2, 3, 4], [0.5, 0.5, 2.0, 0.5, 0.5], marker="disc")
    drawing = fig.draw()
    left, top, right, bottom = frame_box(drawing)
    pieces = [s.points for s in drawing.shapes if type(s).__name__ == "Polyline"]
    assert len(pieces) == 2
    for piece in pieces:
        assert all(left <= x <= right and top <= y <= bottom for x, y in piece)
    assert pieces[0][-1][1] == pytest.approx(top) and pieces[1][0][1] == pytest.approx(top)
    markers = [s for s in drawing.shapes if type(s).__name__ == "Marker"]
    assert len(markers) == 4      # the one at y = 2 is outside: dropped


def test_points_bars_contours_and_images_stay_inside_the_frame():
    fig = plot.Figure()
    ax = fig.panel(xlim=(0, 1), ylim=(0, 1), legend=None)
    ax.scatter([0.5, 1.5, -3.0], [0.5, 0.5, 0.5], color=(1, 2, 3))
    ax.hist([0.5] * 10 + [1.5] * 10, bins=4, range=(-1, 3), color=(4, 5, 6))
    ax.contour(lambda x, y: x * x + y * y, (-2, 2), (-2, 2), levels=[1.0, 3.0])
    ax.raster(bytes([9] * 3 * 16), 4, 4, (-1, 2), (-1, 2))
    drawing = fig.draw()
    left, top, right, bottom = frame_box(drawing)
    eps = 1e-9
    kinds = {}
    for s in drawing.shapes:
        name = type(s).__name__
        if name == "Marker":
            kinds.setdefault(name, []).append(s)
            assert left <= s.cx <= right and top <= s.cy <= bottom
        elif name == "Rect" and s.fill in ((4, 5, 6),):
            kinds.setdefault(name, []).append(s)
            assert left - eps <= s.x and s.x + s.w <= right + eps
            assert top - eps <= s.y and s.y + s.h <= bottom + eps
        elif name == "Line" and s.color != (0, 0, 0) and s.color != (225, 225, 225):
            kinds.setdefault(name, []).append(s)
            for x, y in ((s.x1, s.y1), (s.x2, s.y2)):
                assert left - eps <= x <= right + eps and top - eps <= y <= bottom + eps
        elif name == "Image":
            kinds.setdefault(name, []).append(s)
            assert (s.x, s.y, s.x + s.w, s.y + s.h) == pytest.approx((left, top, right,
                                                                      bottom))
            assert (s.width, s.height) == (2, 2)   # the 2 x 2 source pixels over [0, 1]
    assert len(kinds["Marker"]) == 2    # (0.5, 0.5): an edge and a fill
    assert len(kinds["Rect"]) == 1      # the bar over [0, 1], cut at x = 1 and y = 1
    assert kinds["Line"] and len(kinds["Image"]) == 1


def test_a_history_draws_each_accuracy_at_the_epoch_it_was_measured():
    """The book's schedule of 2 updates an epoch measures after updates 1, 3 and 5:
    epochs 0.5, 1.5 and 2.5, on an axis that starts at 0 as the book's figures do."""
    h = History(epoch=[1, 2, 3], train_loss=[2.0, 1.0, 0.5], train_acc=[0.5, 0.7, 0.9],
                test_acc=[0.4, 0.6, 0.8], seconds=[1.0] * 3,
                iteration_loss=[2.0, 1.8, 1.5, 1.2, 1.0], update=[1, 3, 5],
                updates_per_epoch=2)
    assert h.epochs_at() == [0.5, 1.5, 2.5]
    drawing = plot.history(h).draw()
    frames = [s for s in drawing.shapes if type(s).__name__ == "Rect"
              and s.stroke == (0, 0, 0)]
    left, right = frames[1].x, frames[1].x + frames[1].w - 1
    curves = [s.points for s in drawing.shapes if type(s).__name__ == "Polyline"
              and s.points[0][0] > left - 1]
    assert len(curves) == 2
    for curve in curves:
        assert [(x - left) / (right - left) * 2.5 for x, _ in curve] == pytest.approx(
            [0.5, 1.5, 2.5])


def legend_box(drawing):
    box = [s for s in drawing.shapes if type(s).__name__ == "Rect" and s.fill == (255,) * 3]
    assert len(box) == 1
    return box[0]


def test_the_legend_goes_where_it_covers_no_curve_when_every_corner_is_taken():
    """Flat curves along the top and the bottom take the four corners, a third the right
    half of the middle: the legend goes to the free middle left (matplotlib's "best"),
    not onto a curve."""
    fig = plot.Figure()
    ax = fig.panel(xlim=(0, 10), ylim=(0, 1))
    ax.line([0, 10], [0.97, 0.97], label="top")
    ax.line([0, 10], [0.03, 0.03], label="bottom")
    ax.line([5, 10], [0.5, 0.5], label="middle")
    drawing = fig.draw()
    box = legend_box(drawing)
    for s in drawing.shapes:
        if type(s).__name__ == "Polyline":
            for x, y in s.points:
                assert not (box.x <= x <= box.x + box.w and box.y <= y <= box.y + box.h)
    left, top, right, bottom = frame_box(drawing)
    assert box.x - left < 10                                   # middle left
    assert top < box.y < (top + bottom) / 2 < box.y + box.h


def test_the_legend_avoids_bars_and_the_other_panels_curves_do_not_count():
    fig = plot.Figure(cols=2)
    left_panel = fig.panel(xlim=(0, 1), ylim=(0, 1))
    left_panel.line([0, 1], [0.9, 0.9])
    bars = fig.panel(xlim=(0, 1), ylim=(0, 10))
    bars.hist([0.95] * 9 + [0.05] * 2, bins=10, range=(0, 1), label="counts")
    drawing = fig.draw()
    box = legend_box(drawing)
    for s in drawing.shapes:
        if type(s).__name__ == "Rect" and s.fill == PALETTE[0] and s.h > 20:  # not the key
            overlap_x = min(s.x + s.w, box.x + box.w) - max(s.x, box.x)
            overlap_y = min(s.y + s.h, box.y + box.h) - max(s.y, box.y)
            assert overlap_x <= 0 or overlap_y <= 0
    # the tall bar takes the upper right corner: the legend goes to the upper left
    right_frame = [s for s in drawing.shapes if type(s).__name__ == "Rect"
                   and s.stroke == (0, 0, 0)][1]
    assert box.x < right_frame.x + 10 and box.y < right_frame.y + 10


def test_a_regression_history_says_loss_where_the_accuracy_would_be():
    """A Trainer on a regression set records losses in train_acc/test_acc; its History
    says so (metric "loss"), and its own picture (Jupyter's) draws them as losses."""
    import random

    from purenn.data import planar
    from purenn.train import Trainer
    rng = random.Random(0)
    data = planar.make("plane", rng)
    net = build("input 2\ndense 1\nloss mean_squared_error\noptimizer sgd lr=0.1\n",
                rng=random.Random(1))
    trainer = Trainer(net, data, data, epochs=2, batch_size=10, rng=rng, log=None)
    trainer.fit()
    assert trainer.history.metric == "loss"
    texts = svg_texts(svg_root(trainer.history._repr_svg_()))
    assert "loss per epoch" in texts and "train loss" in texts and "test loss" in texts
    assert not any("acc" in t for t in texts)
    assert "batch loss before the update" in texts


def test_a_history_of_losses_after_the_update_labels_its_axis_so():
    h = history()
    h.loss_at = "after-update"
    texts = svg_texts(svg_root(plot.history(h).svg()))
    assert "batch loss after the update" in texts
    assert "batch loss before the update" not in texts
