"""The figures of the experiments, drawn with ``purenn.plot`` as the book draws them."""

import math

from .. import plot
from ..viz.figure import BLACK, PALETTE
from ..viz.ticks import tick_label

# the book's markers for its comparisons: o, x, s, D
RUN_MARKERS = ("disc", "cross", "square", "diamond", "triangle")


def epochs_at(history):
    """The epoch (fractional) at which each record of a history (a dict, as in a
    ``Result``) was measured."""
    from ..train import History

    return History.from_dict(history).epochs_at()


def loss_top(curves, headroom=2.5):
    """The top of a loss axis from 0 that tells the runs' story: ``headroom`` times the
    highest last value, so where each run ends and how they differ are clearly seen
    (the first updates' high losses may leave the panel, as in the book's ylim(0, 1)),
    rounded up to 1, 2, 2.5 or 5 times a power of 10, and no higher than the curves go."""
    ends = [c[-1] for c in curves if c]
    if not ends:
        return 1.0
    highest = max((v for c in curves for v in c), default=1.0) * 1.05
    top = max(ends, default=1.0) * headroom
    if not (math.isfinite(top) and top > 0 and math.isfinite(highest)):
        return 1.0
    power = 10 ** math.floor(math.log10(top))
    top = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= top * (1 - 1e-12))
    return min(top, highest)


LOSS_LABEL = "batch loss before the update"
# the book's chapter 6 scripts and Trainer: network.loss(x_batch, t_batch) after the step
LOSS_AFTER_LABEL = "batch loss after the update"


def loss_label(after_update=False):
    """Says which loss is drawn: the batch's before its update (the forward pass that
    made the gradient) or after it (``--loss after-update``, the book's)."""
    return LOSS_AFTER_LABEL if after_update else LOSS_LABEL


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


def compare(results, *, title="", smooth=True, ylim=None, loss_label=LOSS_LABEL):
    """Two panels: every run's loss per update (smoothed as the book's
    ``smooth_curve``, a marker every 1/20 of the run) and its train (solid) and test
    (dashed) accuracy, each point at the epoch it was measured at, one color per run.
    ``ylim``: the loss panel's range (default: from 0 to ``loss_top`` of the curves);
    ``loss_label`` says which loss the histories hold (purenn records each batch's loss
    from the forward pass that made its gradient, before the update; ``loss_label(True)``
    for the book's, after it). A run that diverged (``diverged_at``) is labelled so and
    its loss drawn up to there (``loss_curve``)."""
    fig = plot.Figure(cols=2, title=title, panel_size=(480, 360))
    loss = fig.panel("training loss" + (" (smoothed)" if smooth else ""), "iterations",
                     loss_label)
    at = {id(r): epochs_at(r.history) for r in results}
    acc = fig.panel("accuracy", "epochs", "accuracy", ylim=(0.0, 1.0),
                    xlim=plot.epoch_range([x for xs in at.values() for x in xs]))
    shown_curves = []
    for n, r in enumerate(results):
        color = PALETTE[n % len(PALETTE)]
        diverged = getattr(r, "diverged_at", None)
        shown = loss_curve(r.history["iteration_loss"], smooth, diverged)
        if diverged is None:     # a diverged run's explosion does not set the range
            shown_curves.append(shown)
        label = r.label if diverged is None else f"{r.label} (diverged at {diverged})"
        loss.line(range(len(shown)), shown, label=label, color=color, width=1,
                  marker=RUN_MARKERS[n % len(RUN_MARKERS)],
                  markevery=max(1, len(shown) // 20))
        h = r.history
        acc.line(at[id(r)], h["train_acc"], color=color,
                 marker=RUN_MARKERS[n % len(RUN_MARKERS)],
                 markevery=max(1, len(h["epoch"]) // 10))
        if any(math.isfinite(v) for v in h["test_acc"]):
            acc.line(at[id(r)], h["test_acc"], color=color, dash="--")
    loss.ylim = tuple(ylim) if ylim is not None else (0.0, loss_top(shown_curves))
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
    last = plot.epoch_range([x for r in shown for x in epochs_at(r.history)])
    for n, r in enumerate(shown):
        h = r.history
        at = epochs_at(h)
        p = fig.panel(f"Best-{n + 1}  {r.test_acc:.3f}", ylim=(0.0, 1.0), legend=None,
                      yticks=n % cols == 0, xlim=last,
                      xlabel="epochs" if n >= len(shown) - cols else "")
        p.line(at, h["test_acc"], color=PALETTE[0], width=1)
        p.line(at, h["train_acc"], color=PALETTE[1], width=1, dash="--")
    return fig



# the range of the book's histograms of each activation function (figures 6-10 to 6-14
# draw sigmoid and ReLU outputs over (0, 1), whatever lies beyond)
BOOK_RANGES = {"sigmoid": (0.0, 1.0), "relu": (0.0, 1.0), "tanh": (-1.0, 1.0)}


def book_range(kinds):
    """The book's range for histograms of layers of these kinds, or None when they are
    not all of one range (then the values' own range is used)."""
    ranges = {BOOK_RANGES.get(kind) for kind in kinds}
    return ranges.pop() if len(ranges) == 1 and None not in ranges else None


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


def activations(rows, *, bins=30, value_range=None, title="", cut_first=False):
    """One row of histograms per setting (``rows``: [(label, [(title, values)])]), one
    panel per layer, as the book's figures 6-10 to 6-14; each row on one count scale.
    ``cut_first``: the first bar (ReLU's exact zeros, half of its outputs) may leave the
    panel when it is more than 3 times the others, which then set the scale, as the
    book's ylim(0, 7000) does for ReLU. Under each panel: the first bar's share when it
    is cut ('1st bar 51%') and the shares outside the range ('>1: 24%'). Returns
    (figure, counts per panel, row by row)."""
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
        rest = max(max(c[1:], default=0) for c in row_counts) * 1.05
        if cut_first and rest and top > 3 * rest:
            top = rest
        for p, c, (_, values) in zip(row_panels, row_counts, panels):
            p.ylim = (0, top)
            notes = [f"1st bar {c[0] / len(values):.0%}"] if c and c[0] > top else []
            notes += [_beyond(values, value_range)] if _beyond(values, value_range) else []
            p.xlabel = ", ".join(notes)
        counts.append(row_counts)
    return fig, counts


def _beyond(values, value_range):
    """'>1: 24%' (or '<0: 3%'): the share of a histogram's values it does not draw."""
    lo, hi = value_range
    n = len(values) or 1
    below = sum(1 for v in values if v < lo) / n
    above = sum(1 for v in values if v > hi) / n
    parts = [f"{side}{tick_label(end)}: {_percent(share)}" for share, side, end in
             ((below, "<", lo), (above, ">", hi)) if share > 0]
    return ", ".join(parts)


def _percent(share):
    """'16%', or '<1%' for a share that is not 0 but rounds to it."""
    return f"{share:.0%}" if share >= 0.005 else "<1%"


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
