"""The figures of the experiments, drawn with ``purenn.plot`` as the book draws them."""

import math

from .. import plot
from ..viz.figure import BLACK, PALETTE

# the book's markers for its comparisons: o, x, s, D
RUN_MARKERS = ("disc", "cross", "square", "diamond", "triangle")


def loss_curve(losses, smooth=True, diverged_at=None):
    """The loss curve drawn for a run: its losses up to the first that is not finite
    (matplotlib draws nothing for NaN) or before the update ``diverged_at`` (where the
    loss exploded), smoothed as the book's ``smooth_curve`` when asked."""
    finite = []
    for value in losses[:None if diverged_at is None else diverged_at - 1]:
        if not math.isfinite(value):
            break
        finite.append(value)
    return plot.smooth(finite) if smooth else finite


def loss_title(smooth=True, after_update=False):
    """Says which loss is drawn: the batch's before its update (the forward pass that
    made the gradient) or after it (the book's chapter 6 scripts)."""
    return (f"batch loss {'after' if after_update else 'before'} each update"
            + (" (smoothed)" if smooth else ""))


def compare(results, *, title="", smooth=True, after_update=False):
    """Two panels: every run's loss per update (smoothed as the book's
    ``smooth_curve``, a marker every 1/20 of the run; the batch's loss before or after
    its update, as the panel's title says) and its train (solid) and test (dashed)
    accuracy per evaluation, one color per run. A run that diverged is labelled so;
    its loss is drawn up to there."""
    fig = plot.Figure(cols=2, title=title, panel_size=(480, 360))
    loss = fig.panel(loss_title(smooth, after_update), "iterations", "loss")
    acc = fig.panel("accuracy", "epochs", "accuracy", ylim=(0.0, 1.0))
    top = 0.0
    for n, r in enumerate(results):
        color = PALETTE[n % len(PALETTE)]
        diverged = getattr(r, "diverged_at", None)
        shown = loss_curve(r.history["iteration_loss"], smooth, diverged)
        top = max(top, max(shown, default=0.0))
        label = r.label if diverged is None else f"{r.label} (diverged at {diverged})"
        loss.line(range(len(shown)), shown, label=label, color=color, width=1,
                  marker=RUN_MARKERS[n % len(RUN_MARKERS)],
                  markevery=max(1, len(shown) // 20))
        h = r.history
        acc.line(list(h["epoch"]), h["train_acc"], color=color,
                 marker=RUN_MARKERS[n % len(RUN_MARKERS)],
                 markevery=max(1, len(h["epoch"]) // 10))
        if any(math.isfinite(v) for v in h["test_acc"]):
            acc.line(list(h["epoch"]), h["test_acc"], color=color, dash="--")
    loss.ylim = (0.0, top * 1.05 or 1.0)
    acc.line([], [], label="train", color=BLACK)
    acc.line([], [], label="test", color=BLACK, dash="--")
    return fig


def best_curves(results, count=20, cols=5, *, what="validation"):
    """The book's hyperparameter figure: one small panel per trial, best first, its
    ``what`` accuracy solid and its train accuracy dashed, from 0 to 1."""
    shown = results[:count]
    fig = plot.Figure(cols=min(cols, max(1, len(shown))), panel_size=(200, 160),
                      title=f"best {len(shown)} of {len(results)} trials: {what} "
                            f"(solid) and train (dashed) accuracy")
    for n, r in enumerate(shown):
        h = r.history
        p = fig.panel(f"Best-{n + 1}  {r.test_acc:.3f}", ylim=(0.0, 1.0), legend=None,
                      yticks=n % cols == 0)
        p.line(list(h["epoch"]), h["test_acc"], color=PALETTE[0], width=1)
        p.line(list(h["epoch"]), h["train_acc"], color=PALETTE[1], width=1, dash="--")
    return fig



def histogram_range(rows):
    """The book's (0, 1) when every activation lies in it (sigmoid, ReLU of small
    inputs), (-1, 1) for tanh-like ones, else the data's own range."""
    every = [v for _, panels in rows for _, values in panels for v in values
             if math.isfinite(v)]
    lo, hi = min(every, default=0.0), max(every, default=1.0)
    if lo >= 0 and hi <= 1:
        return (0.0, 1.0)
    if lo >= -1 and hi <= 1:
        return (-1.0, 1.0)
    return (lo, hi)


def activations(rows, *, bins=30, value_range=None, title=""):
    """One row of histograms per setting (``rows``: [(label, [(title, values)])]), one
    panel per layer, as the book's figures 6-10 to 6-14; each row on one count scale.
    Returns (figure, counts per panel, row by row)."""
    value_range = value_range or histogram_range(rows)
    cols = max(len(panels) for _, panels in rows)
    headed = any(label for label, _ in rows)
    fig = plot.Figure(cols=cols, panel_size=(180, 190 + 16 * headed), title=title)
    counts = []
    for label, panels in rows:
        row_panels, row_counts = [], []
        for n, (name, values) in enumerate(panels):
            p = fig.panel(name, legend=None, yticks=n == 0,
                          heading=label if n == 0 else "", pad_top=16 * headed)
            row_counts.append(p.hist(values, bins, value_range))
            row_panels.append(p)
        for _ in range(cols - len(panels)):
            fig.panel(axes=False)
        top = max(max(c, default=0) for c in row_counts) * 1.05 or 1
        for p in row_panels:
            p.ylim = (0, top)
        counts.append(row_counts)
    return fig, counts


def filters(before, after, shape, *, cols=8, title=""):
    """The first conv layer's filters as gray images (the book's ch. 7 figure: black is
    large, ``gray_r``), before training in the upper grid and after it in the lower."""
    parts = [(heading, plot.image_grid(grid, shape, cols=cols, cmap="gray_r", cell=52))
             for heading, grid in (("before training", before), ("after training", after))
             if grid is not None]
    return plot.Column(parts, title=title)


def optimizer_paths(paths, f, *, xlim=(-10.0, 10.0), ylim=(-10.0, 10.0), cols=2,
                    levels=None):
    """The book's optimizer_compare_naive figure: one panel per optimizer, its path of
    points (red, joined) over the contour lines of ``f``, a '+' at the minimum."""
    fig = plot.Figure(cols=min(cols, len(paths)), panel_size=(360, 330))
    for name, path in paths:
        p = fig.panel(name, "x", "y", xlim=xlim, ylim=ylim, legend=None)
        p.contour(f, (xlim[0], xlim[1]), (ylim[0] / 2, ylim[1] / 2),
                  levels=levels or [0.5, 1, 2, 3, 4, 5, 6, 7])
        p.line([0.0], [0.0], color=BLACK, marker="cross", width=0)
        p.line([x for x, _ in path], [y for _, y in path], color=(214, 39, 40),
               marker="disc", width=1)
    return fig
